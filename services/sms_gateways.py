"""Where campaign messages go: one interface, three senders (console, file, HTTP gateway).

Every `send` takes the attempt id as idempotency key: a gateway that sees a key again answers with
the reference it gave the first time and sends nothing (the HTTP adapter passes it as the
`Idempotency-Key` header, the file sender keeps the keys it wrote). A transient failure (timeout,
5xx, 429) raises GatewayUnavailable, to be retried with backoff; a refusal (4xx) GatewayRefused.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

from ledger.campaign.errors import GatewayError

MAX_RESPONSE = 64 * 1024


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or asked us to wait: retried later."""

    code = "sms_gateway_unavailable"


class GatewayRefused(GatewayError):
    """The gateway refused the message, or the sender is misconfigured: retried, then failed."""

    code = "sms_gateway_refused"


@dataclass(frozen=True)
class Sms:
    """One message for a gateway."""

    message_id: UUID
    to: str
    text: str
    encoding: str


class Gateway(Protocol):
    """An SMS gateway: send once per idempotency key, return the gateway's reference."""

    def send(self, sms: Sms, idempotency_key: str) -> str: ...


def mask(phone: str) -> str:
    """A phone number as logs may show it: the last three digits."""
    return "*" * max(0, len(phone) - 3) + phone[-3:]


class ConsoleGateway:
    """Prints each message on stderr with the number masked (development)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, sms: Sms, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key in self._seen:
                return self._seen[idempotency_key]
            reference = f"console-{idempotency_key[:12]}"
            print(f"[sms] to {mask(sms.to)} ({sms.encoding}): {sms.text}", file=sys.stderr, flush=True)
            self._seen[idempotency_key] = reference
            return reference


class FileGateway:
    """Appends one JSON line per message to a private file (mode 0600); a key already in the file is
    not written again, also across restarts (development, browser tests)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: dict[str, str] | None = None

    def _load(self) -> dict[str, str]:
        if self._seen is None:
            self._seen = {}
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        row = json.loads(line)
                        self._seen[str(row["key"])] = str(row["ref"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut by a crash: the next send writes it again
        return self._seen

    def send(self, sms: Sms, idempotency_key: str) -> str:
        with self._lock:
            seen = self._load()
            if idempotency_key in seen:
                return seen[idempotency_key]
            reference = "file-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(
                    json.dumps(
                        {
                            "key": idempotency_key,
                            "ref": reference,
                            "message_id": str(sms.message_id),
                            "to": sms.to,
                            "encoding": sms.encoding,
                            "text": sms.text,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            seen[idempotency_key] = reference
            return reference


class HttpGateway:
    """POSTs `{"to", "text", "encoding", "reference"}` as JSON with a bearer token and the
    `Idempotency-Key` header; expects `{"id": ...}` back. One kept-alive connection per sender thread;
    timeouts, connection failures and 5xx/429 are transient."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise GatewayRefused(
                f"The SMS gateway URL {url!r} must use https (plain http only to this machine): fix "
                "IMMUNIZE_SMS_GATEWAY_URL."
            )
        self.url = url
        self.token = token
        self.timeout = timeout
        self._parts = parts
        self._local = threading.local()
        self._open: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = (
                http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            )
            conn = kind(self._parts.hostname or "", self._parts.port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def close(self) -> None:
        """Close every kept-alive connection (call when the sender stops)."""
        with self._lock:
            for conn in self._open:
                conn.close()
            self._open.clear()

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def send(self, sms: Sms, idempotency_key: str) -> str:
        body = json.dumps(
            {"to": sms.to, "text": sms.text, "encoding": sms.encoding, "reference": str(sms.message_id)},
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": idempotency_key,
        }
        path = self._parts.path or "/"
        try:
            conn = self._connection()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(MAX_RESPONSE + 1)
            status = response.status
            if response.will_close:
                self._drop()
        except (http.client.HTTPException, OSError) as exc:
            self._drop()
            raise GatewayUnavailable(f"The SMS gateway cannot be reached ({exc}): will retry.") from None
        if status == 429 or status >= 500:
            raise GatewayUnavailable(f"The SMS gateway answered {status}: will retry.")
        if status >= 400:
            raise GatewayRefused(f"The SMS gateway refused the message ({status}).")
        if len(data) > MAX_RESPONSE:
            raise GatewayRefused("The SMS gateway's answer is too large.")
        try:
            reference = json.loads(data)["id"]
        except (ValueError, KeyError, TypeError):
            raise GatewayRefused("The SMS gateway's answer has no message id.") from None
        return str(reference)[:200]


def gateway_from_settings(kind: str, *, path: Path | None = None, url: str = "", token: str = "") -> Gateway:
    """The gateway named by configuration: console, file (needs a path) or http (needs url and token)."""
    if kind == "console":
        return ConsoleGateway()
    if kind == "file":
        if path is None:
            raise GatewayRefused("The file SMS sender needs IMMUNIZE_SMS_FILE: set it to a file path.")
        return FileGateway(path)
    if kind in ("gateway", "http"):
        if not url or not token:
            raise GatewayRefused(
                "The HTTP SMS sender needs IMMUNIZE_SMS_GATEWAY_URL and IMMUNIZE_SMS_GATEWAY_TOKEN: set both."
            )
        return HttpGateway(url, token)
    raise GatewayRefused(f"{kind!r} is not an SMS sender: use console, file or gateway.")
