"""RFC 9162 §2.1 Merkle tree hashing over the ordered log: leaves, nodes, the right edge, proofs.

- canonical(event) = position (8 bytes, big-endian, signed) || originator id (UUID text 8-4-4-4-12,
  UTF-8, 4-byte length prefix) || version (8 bytes) || topic (UTF-8, 4-byte length prefix) || stored
  state (8-byte length prefix); the length prefixes make it injective.
- leaf hash = SHA-256(0x00 || canonical(event)); interior node = SHA-256(0x01 || left || right)
  (§2.1.1); the hash of the empty tree is SHA-256 of the empty string.
- Inclusion proofs (§2.1.3.1) and consistency proofs (§2.1.4.1) are generated from a function that
  gives the hash of any complete, aligned subtree (level, index); the verifiers follow §2.1.3.2 and
  §2.1.4.2 step by step.

Pure functions over bytes: no database, no framework.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ledger.errors import LedgerError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LONG = struct.Struct(">q")
_LEN4 = struct.Struct(">I")
_LEN8 = struct.Struct(">Q")
_sha256 = hashlib.sha256

# Complete subtrees whose level is a multiple of this are stored as they close ("tiles" of 256
# hashes): any other node is recomputed from at most 256 stored hashes of the level below.
TILE_HEIGHT = 8


class ProofError(LedgerError):
    """A proof or a tree size that cannot be right (the message says which)."""

    code = "merkle_proof_invalid"
    kind = "invalid"


def originator_text(value: object) -> str:
    """A UUID in its canonical hyphenated form, whatever the store returned (UUID, hex, text)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) == 36 and text[8] == "-" and text == text.lower():
        return text
    if len(text) == 32:  # eventsourcing's SQLite form (uuid.hex)
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def canonical(position: int, originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    """The exact bytes a leaf hashes for one stored event (see the module docstring)."""
    originator = originator_id.encode("utf-8")
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            _LONG.pack(position),
            _LEN4.pack(len(originator)),
            originator,
            _LONG.pack(version),
            _LEN4.pack(len(topic_bytes)),
            topic_bytes,
            _LEN8.pack(len(state)),
            state,
        )
    )


_LEAF_HEAD = struct.Struct(">BqI")  # 0x00, position, originator id length
_LEAF_MIDDLE = struct.Struct(">qI")  # version, topic length


def leaf_hash(position: int, originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    """SHA-256(0x00 || canonical(event)): the RFC 9162 leaf hash of one stored event.

    The same bytes as `canonical`, packed with fewer calls (this runs once per event on every write
    and every verification); a test checks the two agree.
    """
    originator = originator_id.encode()
    topic_bytes = topic.encode()
    return _sha256(
        b"".join(
            (
                _LEAF_HEAD.pack(0, position, len(originator)),
                originator,
                _LEAF_MIDDLE.pack(version, len(topic_bytes)),
                topic_bytes,
                _LEN8.pack(len(state)),
                state,
            )
        )
    ).digest()


def leaf_hashes(events: Iterable[tuple[int, str, int, str, bytes]]) -> list[bytes]:
    """`leaf_hash` of each (position, originator id, version, topic, state), in one loop (an auditor's
    verify hashes every event: no call per event)."""
    head, middle, len8, sha, join = _LEAF_HEAD.pack, _LEAF_MIDDLE.pack, _LEN8.pack, _sha256, b"".join
    found = []
    for position, originator_id, version, topic, state in events:
        originator = originator_id.encode()
        topic_bytes = topic.encode()
        found.append(
            sha(
                join(
                    (
                        head(0, position, len(originator)),
                        originator,
                        middle(version, len(topic_bytes)),
                        topic_bytes,
                        len8(len(state)),
                        state,
                    )
                )
            ).digest()
        )
    return found


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an RFC 9162 interior node."""
    return _sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1), as RFC 9162 §2.1.1 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class Frontier:
    """The right edge of a tree: one complete subtree hash per set bit of `size`, largest first.

    Appending a leaf merges equal-sized subtrees (a binary counter); every node that closes is
    reported, so that the caller can store the ones it keeps. O(log n) memory, whatever the size.
    """

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes, closed: list[tuple[int, int, bytes]] | None = None) -> None:
        """Add one leaf; append (level, index, hash) of each stored-level node it closes to `closed`."""
        size = self.size
        node = leaf
        level = 0
        hashes = self.hashes
        while (size >> level) & 1:
            node = _sha256(b"\x01" + hashes.pop() + node).digest()
            level += 1
            if closed is not None and level % TILE_HEIGHT == 0:
                closed.append((level, size >> level, node))
        hashes.append(node)
        self.size = size + 1

    def extend(self, leaves: Iterable[bytes], closed: list[tuple[int, int, bytes]] | None = None) -> None:
        for leaf in leaves:
            self.append(leaf, closed)

    def extend_folding(
        self, leaves: Sequence[bytes], closed: list[tuple[int, int, bytes]] | None = None
    ) -> None:
        """As `extend`, but each whole, aligned block of 2**TILE_HEIGHT leaves is folded level by level
        (a loop per level, not a merge loop per leaf) and added as one subtree: the same tree, the same
        closed nodes, in the same order."""
        block = 1 << TILE_HEIGHT
        i, n = 0, len(leaves)
        while i < n:
            if self.size % block == 0 and n - i >= block:
                row = list(leaves[i : i + block])
                while len(row) > 1:
                    row = [_sha256(b"\x01" + row[k] + row[k + 1]).digest() for k in range(0, len(row), 2)]
                self._add_subtree(row[0], TILE_HEIGHT, closed)
                i += block
            else:
                self.append(leaves[i], closed)
                i += 1

    def _add_subtree(self, node: bytes, level: int, closed: list[tuple[int, int, bytes]] | None) -> None:
        """Add a complete subtree of 2**level leaves at a size aligned to it (what `append` does for a leaf)."""
        size = self.size
        hashes = self.hashes
        added = 1 << level
        if closed is not None and level % TILE_HEIGHT == 0:
            closed.append((level, size >> level, node))
        while (size >> level) & 1:
            node = _sha256(b"\x01" + hashes.pop() + node).digest()
            level += 1
            if closed is not None and level % TILE_HEIGHT == 0:
                closed.append((level, size >> level, node))
        hashes.append(node)
        self.size = size + added

    def root(self) -> bytes:
        """MTH of the whole tree (§2.1.1), folding the right edge from the smallest subtree up."""
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def pack(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def unpack(cls, size: int, data: bytes) -> Frontier:
        """The frontier of a tree of `size` leaves from its packed hashes (checked for length)."""
        count = bin(size).count("1")
        if len(data) != count * HASH_SIZE:
            raise ProofError(f"a stored tree edge of size {size} holds {len(data)} bytes, not {count * 32}")
        return cls(size, [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))


Subtree = Callable[
    [int, int], bytes
]  # (level, index) -> hash of leaves [index << level, (index + 1) << level)


def subtree_hash(subtree: Subtree, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from complete aligned subtrees (every range a proof needs has this shape)."""
    n = end - start
    if n <= 0:
        raise ProofError("an empty range has no subtree hash")
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return subtree(level, start >> level)
    k = _largest_power_of_two_below(n)
    return node_hash(subtree_hash(subtree, start, start + k), subtree_hash(subtree, start + k, end))


def inclusion_path(subtree: Subtree, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root; the siblings come out top-down, the proof lists them bottom-up.
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            path.append(subtree_hash(subtree, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(subtree, start, start + k))
            start = start + k
    path.reverse()
    return path


def consistency_path(subtree: Subtree, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal)."""
    if old_size < 1:
        raise ProofError("the old tree size must be at least 1")
    if old_size > new_size:
        raise ProofError(f"the old tree size {old_size} is larger than the new size {new_size}")
    if old_size == new_size:
        return []
    proof: list[bytes] = []
    m, start, end, complete = old_size, 0, new_size, True
    while m != end - start:
        k = _largest_power_of_two_below(end - start)
        if m <= k:
            proof.append(subtree_hash(subtree, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(subtree, start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        proof.append(subtree_hash(subtree, start, end))
    proof.reverse()
    return proof


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError when the proof does not lead to `root`."""
    if index >= size or index < 0:
        raise ProofError(f"leaf {index} is beyond a tree of {size} leaves")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the checkpoint's root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError when the new tree does not extend the old one."""
    if old_size < 1 or old_size > new_size:
        raise ProofError(f"no consistency proof exists from size {old_size} to size {new_size}")
    if old_size == new_size:
        if path:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same tree size {old_size}")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    items = list(path)
    if old_size & (old_size - 1) == 0:
        items.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than expected")
    if fr != old_root:
        raise ProofError(f"the proof does not reproduce the root hash of the old tree (size {old_size})")
    if sr != new_root:
        raise ProofError(f"the proof does not reproduce the root hash of the new tree (size {new_size})")
