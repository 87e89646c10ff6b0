"""Personal data at rest: per-person AES-GCM keys held outside the events (crypto-shredding).

- Each person has a random 256-bit data key. `PersonalData` values are sealed with it (AES-GCM, the
  owner's id as associated data, so a ciphertext cannot be moved to another person).
- Data keys are stored wrapped (AES-GCM) by a master key, in a table of the same database as the
  events (`ledger_person_keys`), or a dict for the in-memory store.
- Erasure deletes the person's data key: from then on their sealed values decode as erased, so the
  log replays and projections keep running, while clear facts (product, date, site, ward) still count.
- The national ID index (`ledger_national_ids`) maps a keyed HMAC of the number to the person id:
  one person per national ID and lookup by number, with no number stored in clear or in an id.
- The master key comes from IMMUNIZE_MASTER_KEY (base64 of 32 bytes) or a key file created with
  mode 0600 (`<key dir>/master.key`, by default `keys/` beside the SQLite file, or IMMUNIZE_KEY_DIR).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.persistence import Transcoding

from ledger.errors import KeyStoreError
from ledger.keytables import INDEX_TABLE, KEYS_TABLE, KeyTable, MemoryKeyTable, SqlKeyTable
from ledger.values import PersonalData

MASTER_KEY_VARIABLE = "IMMUNIZE_MASTER_KEY"
KEY_DIR_VARIABLE = "IMMUNIZE_KEY_DIR"
KEY_FILE_NAME = "master.key"
# A cached data key is looked up again after this long, so an erasure made by another process
# (another web worker, the CLI) takes effect here within seconds.
RECHECK_SECONDS = 2.0
_NONCE = 12

__all__ = [
    "INDEX_TABLE",
    "KEYS_TABLE",
    "KeyRing",
    "KeyTable",
    "MasterKey",
    "MemoryKeyTable",
    "PersonalDataAsSealed",
    "SqlKeyTable",
    "load_master_key",
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class MasterKey:
    """The master secret, and the sub-keys derived from it (HKDF-SHA256, one label per use)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise KeyStoreError(
                f"The master key must be 32 bytes, not {len(secret)}: generate one with `openssl rand -base64 32`."
            )
        self.wrapping = AESGCM(self._derive(secret, b"immunize person-key wrapping v1"))
        self.index_key = self._derive(secret, b"immunize national-id index v1")
        self.fingerprint_key = self._derive(secret, b"immunize idempotency fingerprint v1")

    @staticmethod
    def _derive(secret: bytes, label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)

    def national_id_digest(self, number: str) -> bytes:
        """The keyed hash under which a national ID number is indexed."""
        return hmac.new(self.index_key, b"national-id:" + number.encode("ascii"), hashlib.sha256).digest()

    def fingerprint(self, canonical: bytes) -> str:
        """A keyed hash of a command's arguments (no personal data in receipts, not even hashed plainly)."""
        return hmac.digest(self.fingerprint_key, canonical, "sha256").hex()  # one call into OpenSSL

    def wrap(self, owner: UUID, data_key: bytes) -> bytes:
        """A person's data key encrypted under the master key, bound to the owner id."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self.wrapping.encrypt(nonce, data_key, owner.bytes)

    def unwrap(self, owner: UUID, wrapped: bytes) -> bytes:
        """The person's data key; a wrong master key is a configuration error, said plainly."""
        try:
            return self.wrapping.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], owner.bytes)
        except (InvalidTag, ValueError) as exc:
            raise KeyStoreError(
                f"A personal-data key cannot be unwrapped: {MASTER_KEY_VARIABLE} or the master key file is "
                "not the one this database was created with; restore the right master key."
            ) from exc


def load_master_key(key_dir: Path | None, environ: dict[str, str] | None = None) -> MasterKey:
    """The master key from IMMUNIZE_MASTER_KEY, else `<key_dir>/master.key` (created 0600), else a
    random one (only when key_dir is None: the in-memory store, where nothing outlives the process)."""
    env = os.environ if environ is None else environ
    configured = env.get(MASTER_KEY_VARIABLE)
    if configured:
        try:
            return MasterKey(base64.b64decode(configured, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise KeyStoreError(
                f"{MASTER_KEY_VARIABLE} is not base64: set it to `openssl rand -base64 32`."
            ) from exc
    if env.get(KEY_DIR_VARIABLE):
        key_dir = Path(env[KEY_DIR_VARIABLE])
    if key_dir is None:
        return MasterKey(secrets.token_bytes(32))
    path = key_dir / KEY_FILE_NAME
    try:
        if not path.exists():
            key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(_b64(secrets.token_bytes(32)) + "\n")
        text = path.read_text().strip()
    except FileExistsError:
        text = path.read_text().strip()  # another process created it first
    except OSError as exc:
        raise KeyStoreError(
            f"Cannot read or create the master key file {path}: {exc.strerror}; set {KEY_DIR_VARIABLE}."
        ) from exc
    try:
        return MasterKey(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise KeyStoreError(f"The master key file {path} is damaged: restore it from backup.") from exc


# ---- the key ring: data keys with a cache, and the national ID index ---------------------------


class KeyRing:
    """Per-person data keys (created, cached, destroyed) and the national ID index."""

    def __init__(
        self,
        master: MasterKey,
        cache_size: int = 100_000,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.master = master
        self._table: KeyTable | None = None
        # owner -> (key, when it was last seen in the table): an erasure by another process is
        # noticed at the next use after `recheck_seconds` (issue 12, item 6).
        self._cache: OrderedDict[UUID, tuple[bytes, float]] = OrderedDict()
        self._cache_size = cache_size
        self._recheck = recheck_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # Keys of people being registered: their events are sealed with them before the save that
        # stores the wrapped keys (in the events' transaction, ledger.claims); never rechecked, gone
        # when the save ends (`settle`).
        self._pending: dict[UUID, bytes] = {}

    def attach(self, table: KeyTable) -> None:
        """Bind the storage (done once the event store exists)."""
        self._table = table

    @property
    def table(self) -> KeyTable:
        if self._table is None:
            raise KeyStoreError("The key store is not attached to a database yet.")
        return self._table

    def _remember(self, owner: UUID, key: bytes) -> None:
        with self._lock:
            self._cache[owner] = (key, self._monotonic())
            self._cache.move_to_end(owner)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def create_keys(self, owners: Iterable[UUID]) -> None:
        """Create data keys for new people in one write (batch registration)."""
        fresh = []
        for owner in owners:
            key = AESGCM.generate_key(bit_length=256)
            fresh.append((owner, key))
        self.table.store_many([(owner, self.master.wrap(owner, key)) for owner, key in fresh])
        for owner, key in fresh:  # owners are new random ids: nobody else wrote a key for them
            self._remember(owner, key)

    def prepare_keys(self, owners: Iterable[UUID]) -> list[tuple[UUID, bytes]]:
        """New data keys for new people, usable at once for sealing; returns the wrapped rows the save
        writes with the events. `settle` ends them (kept when saved, forgotten when not)."""
        rows = []
        for owner in owners:
            key = AESGCM.generate_key(bit_length=256)
            with self._lock:
                self._pending[owner] = key
            rows.append((owner, self.master.wrap(owner, key)))
        return rows

    def settle(self, owners: Iterable[UUID], *, saved: bool) -> None:
        """The save of prepared keys ended: cache them if it stored them, else forget them."""
        for owner in owners:
            with self._lock:
                key = self._pending.pop(owner, None)
            if key is not None and saved:
                self._remember(owner, key)

    def prefetch(self, owners: Iterable[UUID]) -> None:
        """Load the keys of many people in a few queries (a batch that seals for each of them)."""
        now = self._monotonic()
        wanted = [
            o
            for o in dict.fromkeys(owners)
            if (c := self._cache.get(o)) is None or now - c[1] >= self._recheck
        ]
        if not wanted:
            return
        for owner, wrapped in self.table.load_many(wanted).items():
            self._remember(owner, self.master.unwrap(owner, wrapped))

    def key(self, owner: UUID) -> bytes | None:
        """The person's data key, or None once erased (or never created)."""
        pending = self._pending.get(owner)
        if pending is not None:
            return pending
        cached = self._cache.get(owner)
        if cached is not None and self._monotonic() - cached[1] < self._recheck:
            return cached[0]
        wrapped = self.table.load(owner)
        if wrapped is None:
            with self._lock:
                self._cache.pop(owner, None)  # erased, here or by another process
            return None
        key = self.master.unwrap(owner, wrapped)
        self._remember(owner, key)
        return key

    def destroy(self, owner: UUID) -> None:
        """Crypto-shred: delete the person's key everywhere this process can reach."""
        self.table.delete(owner)
        with self._lock:
            self._cache.pop(owner, None)

    def destroy_many(self, owners: Iterable[UUID]) -> None:
        """Destroy several keys (undoing a batch that was not saved)."""
        for owner in owners:
            self.destroy(owner)

    def seal(self, data: PersonalData) -> dict[str, str]:
        """Encrypt a personal value with its owner's key (creating the key on first use).

        Stored as {"o": owner hex, "c": base64 of nonce + ciphertext}, or {"o": owner hex, "e": "1"}
        for an erased value (projections.reader relies on "o").
        """
        if data.value is None:
            return {"o": data.owner.hex, "e": "1"}
        key = self.key(data.owner)
        if key is None:
            self.create_keys([data.owner])
            key = self.key(data.owner)
            assert key is not None
        nonce = secrets.token_bytes(_NONCE)
        sealed = AESGCM(key).encrypt(nonce, data.value.encode("utf-8"), data.owner.bytes)
        return {"o": data.owner.hex, "c": _b64(nonce + sealed)}

    def open(self, sealed: dict[str, str]) -> PersonalData:
        """A sealed value, decrypted when first used; an erased owner gives an erased value, never an error."""
        owner = _owner(sealed["o"])
        blob = sealed.get("c", "")
        if not blob:
            return PersonalData(owner, None)
        return PersonalData(owner, opener=lambda: self._decrypt(owner, blob))

    def _decrypt(self, owner: UUID, sealed: str) -> str | None:
        key = self.key(owner)
        if key is None:
            return None
        blob = _unb64(sealed)
        try:
            plain = AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], owner.bytes)
        except InvalidTag as exc:
            raise KeyStoreError(
                "A sealed personal value failed its integrity check: the database was altered."
            ) from exc
        return plain.decode("utf-8")

    # national ID index (claims and holds are written with the events: ledger.claims)

    def national_id_digest(self, number: str) -> bytes:
        """The keyed hash a number is claimed or held under."""
        return self.master.national_id_digest(number)

    def find_national_id(self, number: str) -> UUID | None:
        """The person registered with that number."""
        return self.table.lookup(self.master.national_id_digest(number))

    def forget_person(self, person_id: UUID) -> None:
        """Erasure: drop the person's national ID index entry, then destroy their key (idempotent)."""
        self.table.release_person(person_id)
        self.destroy(person_id)


@functools.lru_cache(maxsize=8192)
def _owner(hex_id: str) -> UUID:
    """Owner ids repeat in every sealed field of a person: parse each once."""
    return UUID(hex=hex_id)


class PersonalDataAsSealed(Transcoding):
    """Stores a PersonalData value encrypted with its owner's key; decodes erased values gracefully."""

    type = PersonalData
    name = "personal_data"

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def encode(self, obj: PersonalData) -> dict[str, str]:
        return self.ring.seal(obj)

    def decode(self, data: dict[str, str]) -> PersonalData:
        return self.ring.open(data)
