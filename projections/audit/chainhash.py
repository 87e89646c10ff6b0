"""The hash chain over the ordered log: canonical encoding of a stored event, links, ledger identity.

link(n) = SHA-256(link(n-1) || canonical(event n)); link(0) = 32 zero bytes (the genesis).
canonical(event) = position (8 bytes, big-endian, signed) || originator id (UTF-8, 4-byte length
prefix) || originator version (8 bytes) || topic (UTF-8, 4-byte length prefix) || state (the stored
bytes, 8-byte length prefix). Length prefixes make the encoding injective: no two events share one.
"""

from __future__ import annotations

import hashlib
import struct

from projections.audit.database import StoredRow

GENESIS = bytes(32)
_LONG = struct.Struct(">q")
_LEN4 = struct.Struct(">I")
_LEN8 = struct.Struct(">Q")


def canonical_encoding(row: StoredRow) -> bytes:
    """The exact bytes a link hashes for one stored event (see the module docstring)."""
    originator = row.originator_id.encode("utf-8")
    topic = row.topic.encode("utf-8")
    return b"".join(
        (
            _LONG.pack(row.position),
            _LEN4.pack(len(originator)),
            originator,
            _LONG.pack(row.originator_version),
            _LEN4.pack(len(topic)),
            topic,
            _LEN8.pack(len(row.state)),
            row.state,
        )
    )


def next_link(previous: bytes, row: StoredRow) -> bytes:
    """The chain link of `row`, given the link of the event before it."""
    return hashlib.sha256(previous + canonical_encoding(row)).digest()


def ledger_identity(first: StoredRow) -> str:
    """A ledger's identity: the first link of its chain, i.e. a hash of its first event.

    The first event carries a random aggregate UUID, so two ledgers never share an identity, and
    the identity needs no extra table: anyone holding the log (or an export) recomputes it.
    """
    return "sha256:" + next_link(GENESIS, first).hex()
