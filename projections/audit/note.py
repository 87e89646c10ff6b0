"""Signed checkpoints in the transparency ecosystem's formats: C2SP tlog-checkpoint inside a C2SP signed note.

Body (tlog-checkpoint), each line ending in "\\n": the origin, the tree size in decimal, the root hash
in standard base64, then optional extension lines (none here).
Signed note: the body, an empty line, then one line per signature:
"— <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>", where the key hash is
SHA-256(key name || "\\n" || 0x01 || raw public key)[:4] and the signature covers the body bytes.
A verifier key is written "<name>+<hex key hash>+<base64(0x01 || public key)>".
Unknown signatures are ignored; a note needs one good signature by a trusted key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.audit.auditkey import AuditKey, AuditPublicKey
from projections.audit.errors import AuditError

ORIGIN_PREFIX = "immunize.vn/ledger/"
ED25519 = b"\x01"  # the signed-note signature type of Ed25519
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_NOTE_BYTES = 64 * 1024  # untrusted notes are bounded


class NoteError(AuditError):
    """A checkpoint note that is malformed, truncated, forged or signed by nobody trusted."""

    code = "audit_checkpoint_invalid"
    kind = "invalid"


def origin_of(ledger: str) -> str:
    """The checkpoint origin (and key name) of a ledger: immunize.vn/ledger/<ledger identity>."""
    return ORIGIN_PREFIX + ledger


def key_hash(name: str, public: AuditPublicKey) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public.raw).digest()[:4]


def verifier_key(name: str, public: AuditPublicKey) -> str:
    """The signed-note verifier key string: <name>+<hex key hash>+<base64(0x01 || public key)>."""
    return f"{name}+{key_hash(name, public).hex()}+{base64.b64encode(ED25519 + public.raw).decode('ascii')}"


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted key under a name, as a note verifier."""

    name: str
    public: AuditPublicKey

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, self.public)

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        """Read a verifier key string, or say what is wrong with it."""
        parts = text.strip().split("+", 2)  # the key name has no "+"; the base64 key may
        if len(parts) != 3 or not parts[0]:
            raise NoteError("a verifier key must look like <name>+<hex key hash>+<base64 key>")
        name, hash_hex, key_b64 = parts
        try:
            raw = base64.b64decode(key_b64, validate=True)
            stated = bytes.fromhex(hash_hex)
        except (binascii.Error, ValueError) as exc:
            raise NoteError("the verifier key's hash or key is not valid hex/base64") from exc
        if len(raw) != 33 or raw[:1] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 signed-note key")
        public = AuditPublicKey(Ed25519PublicKey.from_public_bytes(raw[1:]))
        verifier = cls(name, public)
        if verifier.hash != stated:
            raise NoteError("the verifier key's hash does not match its name and key")
        return verifier


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash (RFC 9162 MTH), with the signed note that carries it."""

    origin: str
    tree_size: int
    root: bytes
    note: str  # the whole signed note (body, blank line, signatures)

    @property
    def body(self) -> str:
        return checkpoint_body(self.origin, self.tree_size, self.root)


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> str:
    return f"{origin}\n{tree_size}\n{base64.b64encode(root).decode('ascii')}\n"


def sign_checkpoint(key: AuditKey, origin: str, tree_size: int, root: bytes) -> Checkpoint:
    """Sign a checkpoint with the audit key under the origin as key name."""
    body = checkpoint_body(origin, tree_size, root)
    signature = key.sign(body.encode("utf-8"))
    blob = base64.b64encode(key_hash(origin, key.public) + signature).decode("ascii")
    return Checkpoint(origin, tree_size, root, f"{body}\n{SIGNATURE_PREFIX}{origin} {blob}\n")


def parse_note(
    text: str | bytes, where: str = "the checkpoint"
) -> tuple[Checkpoint, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its checkpoint and its signatures (name, key hash, signature); not verified."""
    if isinstance(text, bytes):
        if len(text) > MAX_NOTE_BYTES:
            raise NoteError(f"{where} is larger than {MAX_NOTE_BYTES} bytes: it is not a checkpoint")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"{where} is not UTF-8 text: it is not a checkpoint") from exc
    if len(text) > MAX_NOTE_BYTES:
        raise NoteError(f"{where} is larger than {MAX_NOTE_BYTES} bytes: it is not a checkpoint")
    body, separator, signatures = text.partition("\n\n")
    if not separator or not text.endswith("\n"):
        raise NoteError(f"{where} is truncated: a signed note is a body, an empty line and signature lines")
    lines = body.split("\n")
    if len(lines) < 3:
        raise NoteError(f"{where} is truncated: its body needs an origin, a tree size and a root hash")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError(f"{where} has no valid origin and tree size on its first two lines")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise NoteError(f"{where}'s root hash is not standard base64") from exc
    if len(root) != 32:
        raise NoteError(f"{where}'s root hash is {len(root)} bytes, not 32")
    parsed: list[tuple[str, bytes, bytes]] = []
    for line in signatures.split("\n")[:-1]:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"{where} has a signature line that does not start with an em dash")
        name, space, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"{where} has a signature that is not base64") from exc
        if not space or not name or len(raw) < 5:
            raise NoteError(f"{where} has a malformed signature line")
        parsed.append((name, raw[:4], raw[4:]))
    if not parsed:
        raise NoteError(f"{where} carries no signature")
    return Checkpoint(origin, int(size_text), root, text), parsed


def open_note(text: str | bytes, verifiers: list[NoteVerifier], where: str = "the checkpoint") -> Checkpoint:
    """Parse a signed note and check that a trusted key signed it; unknown signatures are ignored."""
    checkpoint, signatures = parse_note(text, where)
    body = checkpoint.note.partition("\n\n")[0] + "\n"
    known = {(v.name, v.hash): v for v in verifiers}
    for name, hash_, signature in signatures:
        verifier = known.get((name, hash_))
        if verifier is None:
            continue
        try:
            verifier.public.key.verify(signature, body.encode("utf-8"))
        except InvalidSignature as exc:
            raise NoteError(f"{where} has a bad signature by {name}: it was altered or forged") from exc
        return checkpoint
    names = ", ".join(sorted({s[0] for s in signatures}))
    raise NoteError(f"{where} is not signed by a trusted audit key (signed by: {names})")
