"""The JSON Lines format shared by audit exports and backups: writer and strict, bounded reader.

One JSON object per line, in this order:
  {"type": "header", "format": ..., "version": 2, "ledger": "sha256:...", "keys": [...], ...}
  (version 2: Merkle leaves and signed notes; version 1 files carried hash-chain links)
  {"type": "event", "position", "originator_id", "originator_version", "topic", "state" (base64 of
   the stored bytes), "leaf" (hex: its RFC 9162 leaf hash, written with the event)}
  {"type": "checkpoint", "tree_size", "note" (the C2SP signed note), "signed_at", "key_id"}
     (right after the event that closes its tree size)
  {"type": "row", "table", "values"}  (backups only: personal key-store rows)
  {"type": "trailer", "events", "checkpoints", "rows", "head": {"position", "size", "root"}, "sha256"}
A reader recomputes every leaf and the tree as it goes, and checks each checkpoint's signature and
root against the tree of that size.
The trailer's sha256 covers every byte before it, so truncation and corruption are both caught.
Files may be gzip-compressed (backups are); the reader recognises gzip by its magic bytes.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ledger.merkle import Frontier, leaf_hash
from projections.audit.auditkey import ALGORITHM, AuditPublicKey, b64
from projections.audit.database import StoredRow
from projections.audit.errors import AuditError, FileFormatError
from projections.audit.note import NoteError
from projections.audit.tree import StoredCheckpoint, open_checkpoint
from projections.audit.verify import TrustedKeys

EXPORT_FORMAT = "immunize-audit-export"
BACKUP_FORMAT = "immunize-backup"
FORMAT_VERSION = 2
# Untrusted input is bounded: no line (one stored event) may exceed this many bytes.
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 256 * 1024
# Text JSON needs no escaping for (UUIDs, topics): written as is; anything else goes through json.dumps.
_PLAIN = re.compile(r"[0-9A-Za-z_.:\-]*")


def _dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


class LogFileWriter:
    """Writes header, events, checkpoints, rows and the trailer, hashing every byte it writes."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self.events = 0
        self.checkpoints = 0
        self.rows: dict[str, int] = {}
        self.head_position = 0
        self.frontier = Frontier()
        self._buffer: list[bytes] = []
        self._buffered = 0

    def _write(self, obj: dict[str, Any]) -> None:
        self._emit(_dumps(obj))

    def _emit(self, data: bytes) -> None:
        # Lines are buffered and written (and hashed) in chunks: far fewer calls into gzip.
        self._buffer.append(data)
        self._buffered += len(data)
        if self._buffered >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            chunk = b"".join(self._buffer)
            self._hash.update(chunk)
            self._out.write(chunk)
            self._buffer.clear()
            self._buffered = 0

    def _json_text(self, text: str) -> str:
        return f'"{text}"' if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)

    def header(self, fmt: str, ledger: str | None, keys: list[AuditPublicKey], **extra: Any) -> None:
        self._write(
            {
                "type": "header",
                "format": fmt,
                "version": FORMAT_VERSION,
                "ledger": ledger,
                "hash": "sha256",
                "keys": [{"key_id": k.key_id, "algorithm": ALGORITHM, "public_key_pem": k.pem} for k in keys],
                **extra,
            }
        )

    def event(self, row: StoredRow, leaf: bytes) -> None:
        # Formatted directly (the hot path): the same compact JSON json.dumps gives for these fields.
        tail = f',"leaf":"{leaf.hex()}"}}\n'
        self.frontier.append(leaf)
        self.head_position = row.position
        data = (
            f'{{"type":"event","position":{int(row.position)},"originator_id":{self._json_text(row.originator_id)},'
            f'"originator_version":{int(row.originator_version)},"topic":{self._json_text(row.topic)},'
            f'"state":"{b64(row.state)}"{tail}'
        ).encode()
        self._emit(data)
        self.events += 1

    def checkpoint(self, cp: StoredCheckpoint) -> None:
        self._write(
            {
                "type": "checkpoint",
                "tree_size": cp.tree_size,
                "note": cp.checkpoint.note,
                "signed_at": cp.signed_at,
                "key_id": cp.key_id,
            }
        )
        self.checkpoints += 1

    def row(self, table: str, values: dict[str, Any]) -> None:
        self._write({"type": "row", "table": table, "values": values})
        self.rows[table] = self.rows.get(table, 0) + 1

    def trailer(self) -> None:
        self._flush()
        body = {
            "type": "trailer",
            "events": self.events,
            "checkpoints": self.checkpoints,
            "rows": self.rows,
            "head": {
                "position": self.head_position,
                "size": self.frontier.size,
                "root": self.frontier.root().hex(),
            },
            "sha256": self._hash.hexdigest(),
        }
        self._out.write(_dumps(body))


@dataclass(frozen=True)
class Header:
    format: str
    ledger: str | None
    keys: dict[str, AuditPublicKey]
    fields: dict[str, Any]


@dataclass(frozen=True)
class EventItem:
    line: int
    row: StoredRow
    leaf: bytes


@dataclass(frozen=True)
class CheckpointItem:
    line: int
    checkpoint: StoredCheckpoint


@dataclass(frozen=True)
class RowItem:
    line: int
    table: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Trailer:
    line: int
    events: int
    checkpoints: int
    head_position: int
    head_size: int
    head_root: bytes


Item = EventItem | CheckpointItem | RowItem | Trailer


def _field(obj: dict[str, Any], name: str, kind: type | tuple[type, ...], line: int) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise FileFormatError(f"the {obj.get('type', 'record')} has no valid {name!r} field", line)
    return value


def _bytes(obj: dict[str, Any], name: str, line: int, encoding: str = "base64") -> bytes:
    text = _field(obj, name, str, line)
    try:
        return bytes.fromhex(text) if encoding == "hex" else base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FileFormatError(f"the {name!r} field is not valid {encoding}", line) from exc


def open_log_file(handle: IO[bytes]) -> IO[bytes]:
    """The file's bytes, decompressed when it starts with the gzip magic."""
    start = handle.peek(2)[:2] if hasattr(handle, "peek") else b""
    if start == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


class LogFileReader:
    """Reads an export or a backup line by line, verifying chain, checkpoints, order and completeness."""

    def __init__(self, handle: IO[bytes], expected_format: str, pinned: list[AuditPublicKey]) -> None:
        self._handle = open_log_file(handle)
        self._expected_format = expected_format
        self._pinned = pinned
        self._hash = hashlib.sha256()
        self.line = 0
        self.header: Header | None = None
        self.trusted: TrustedKeys | None = None

    def _next_line(self) -> bytes | None:
        try:
            data = self._handle.readline(MAX_LINE_BYTES + 1)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise FileFormatError(f"the file is corrupt or truncated after line {self.line} ({exc})") from exc
        if not data:
            return None
        self.line += 1
        if len(data) > MAX_LINE_BYTES:
            raise FileFormatError(f"the line is longer than {MAX_LINE_BYTES} bytes", self.line)
        if not data.endswith(b"\n"):
            raise FileFormatError("the last line is cut short: the file is truncated", self.line)
        return data

    def _parse(self, data: bytes) -> dict[str, Any]:
        try:
            obj = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FileFormatError("the line is not valid JSON: the file is corrupt", self.line) from exc
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
            raise FileFormatError("the line is not a record with a 'type'", self.line)
        return obj

    def _read_header(self) -> Header:
        data = self._next_line()
        if data is None:
            raise FileFormatError("the file is empty")
        self._hash.update(data)
        obj = self._parse(data)
        if obj["type"] != "header":
            raise FileFormatError("the file does not start with a header record", self.line)
        fmt = obj.get("format")
        if fmt != self._expected_format:
            raise FileFormatError(f"the file is a {fmt!r}, not an {self._expected_format!r} file", self.line)
        if obj.get("version") != FORMAT_VERSION:
            raise FileFormatError(
                f"format version {obj.get('version')!r} is not supported (expected {FORMAT_VERSION}; "
                "files of version 1 were written before the transparency log: export again)",
                self.line,
            )
        ledger = obj.get("ledger")
        if ledger is not None and not isinstance(ledger, str):
            raise FileFormatError("the header's ledger identity is not a string", self.line)
        keys: dict[str, AuditPublicKey] = {}
        raw_keys = obj.get("keys")
        if not isinstance(raw_keys, list):
            raise FileFormatError("the header has no list of audit keys", self.line)
        for entry in raw_keys:
            if not isinstance(entry, dict):
                raise FileFormatError("an audit key in the header is not an object", self.line)
            try:
                key = AuditPublicKey.from_pem(str(entry.get("public_key_pem", "")), "a header audit key")
            except AuditError as exc:
                raise FileFormatError(str(exc), self.line) from exc
            if key.key_id != entry.get("key_id"):
                raise FileFormatError(
                    f"audit key {entry.get('key_id')!r} does not match its public key", self.line
                )
            keys[key.key_id] = key
        if self._pinned:
            trusted = {k.key_id: k for k in self._pinned}
            self.trusted = TrustedKeys(trusted, True)
        else:
            self.trusted = TrustedKeys(keys, False)
        return Header(str(fmt), ledger, keys, obj)

    def items(self) -> Iterator[Item]:
        """Every record after the header, verified; ends with the Trailer or raises FileFormatError."""
        self.header = header = self._read_header()
        assert self.trusted is not None
        backup = self._expected_format == BACKUP_FORMAT
        frontier = Frontier()
        count = 0
        checkpoints = 0
        last_position = 0
        rows_seen = False
        last_size = 0
        keys = list(self.trusted.keys.values())
        while True:
            data = self._next_line()
            if data is None:
                raise FileFormatError(
                    f"the file ends after line {self.line} without its trailer: it is truncated"
                )
            obj = self._parse(data)
            kind = obj["type"]
            if kind == "trailer":
                break
            self._hash.update(data)
            line = self.line
            if kind == "event":
                if rows_seen:
                    raise FileFormatError("an event follows the key-store rows", line)
                position = _field(obj, "position", int, line)
                if position <= last_position:
                    raise FileFormatError(
                        f"event position {position} does not follow position {last_position}: "
                        "events were reordered or duplicated",
                        line,
                    )
                row = StoredRow(
                    position,
                    _field(obj, "originator_id", str, line),
                    _field(obj, "originator_version", int, line),
                    _field(obj, "topic", str, line),
                    _bytes(obj, "state", line),
                )
                leaf = leaf_hash(
                    row.position, row.originator_id, row.originator_version, row.topic, row.state
                )
                if count == 0 and "sha256:" + leaf.hex() != header.ledger:
                    raise FileFormatError(
                        "the first event does not give the ledger identity named in the header "
                        f"({header.ledger}): the file is forged or from another ledger",
                        line,
                    )
                if _bytes(obj, "leaf", line, "hex") != leaf:
                    raise FileFormatError(
                        f"event at position {position} does not match its leaf hash: the event was altered",
                        line,
                    )
                frontier.append(leaf)
                count += 1
                last_position = position
                yield EventItem(line, row, leaf)
            elif kind == "checkpoint":
                size = _field(obj, "tree_size", int, line)
                note = _field(obj, "note", str, line)
                where = f"the checkpoint of tree size {size}"
                if size != count or size <= last_size:
                    raise FileFormatError(
                        f"{where} is out of place: it must follow the event that closes it", line
                    )
                try:
                    cp = open_checkpoint(note, header.ledger or "", keys, where)
                except (NoteError, AuditError) as exc:
                    raise FileFormatError(str(exc), line) from exc
                if cp.tree_size != size or cp.root != frontier.root():
                    raise FileFormatError(f"{where} does not match the tree recomputed from the events", line)
                last_size = size
                checkpoints += 1
                yield CheckpointItem(
                    line,
                    StoredCheckpoint(
                        cp, _field(obj, "signed_at", str, line), _field(obj, "key_id", str, line)
                    ),
                )
            elif kind == "row" and backup:
                rows_seen = True
                table = _field(obj, "table", str, line)
                values = _field(obj, "values", dict, line)
                yield RowItem(line, table, values)
            else:
                raise FileFormatError(f"unexpected record type {kind!r}", line)
        trailer_line = self.line
        obj = self._parse(data)
        head = obj.get("head")
        if not isinstance(head, dict):
            raise FileFormatError("the trailer has no tree head", trailer_line)
        trailer = Trailer(
            trailer_line,
            _field(obj, "events", int, trailer_line),
            _field(obj, "checkpoints", int, trailer_line),
            _field(head, "position", int, trailer_line),
            _field(head, "size", int, trailer_line),
            _bytes(head, "root", trailer_line, "hex"),
        )
        if obj.get("sha256") != self._hash.hexdigest():
            raise FileFormatError(
                "the file's checksum does not match its contents: it is corrupt", trailer_line
            )
        if trailer.events != count or trailer.checkpoints != checkpoints:
            raise FileFormatError(
                f"the trailer announces {trailer.events} events and {trailer.checkpoints} checkpoints, "
                f"the file holds {count} and {checkpoints}",
                trailer_line,
            )
        if (trailer.head_size, trailer.head_root, trailer.head_position) != (
            frontier.size,
            frontier.root(),
            last_position,
        ):
            raise FileFormatError("the trailer's tree head does not match the events", trailer_line)
        if not backup and last_size != count:
            raise FileFormatError("the export's events are not closed by a signed checkpoint", trailer_line)
        if self._next_line() is not None:
            raise FileFormatError("there is data after the trailer", self.line)
        yield trailer
