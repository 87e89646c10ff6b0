"""How one-time codes reach a citizen's phone: one interface, several senders, chosen by configuration.

console  prints the message to the server's terminal, phone masked (development)
file     appends one JSON line per message to a file of mode 0600 (development, browser tests)
memory   keeps messages in a list (tests through Flask's test client)
gateway  POSTs JSON to an SMS gateway over HTTPS with a bearer token (production)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from web.accounts import mask_phone
from web.errors import ConfigurationError, Unavailable


@dataclass(frozen=True)
class Message:
    phone: str
    text: str


class MessageSender(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleSender:
    """Prints messages on stderr with the phone masked: the code is visible, the person is not."""

    def send(self, message: Message) -> None:
        print(f"[outbox] to {mask_phone(message.phone)}: {message.text}", file=sys.stderr, flush=True)


class MemorySender:
    """Keeps every message in memory, newest last."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)


class FileSender:
    """Appends {"phone", "text"} JSON lines to a private file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as handle:
                    handle.write(
                        json.dumps({"phone": message.phone, "text": message.text}, ensure_ascii=False)
                    )
                    handle.write("\n")
        except OSError as exc:
            raise Unavailable(f"the message outbox {self.path} cannot be written: {exc.strerror}") from exc

    def read(self) -> list[Message]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [Message(**json.loads(line)) for line in lines if line.strip()]


class GatewaySender:
    """An HTTP SMS gateway: POST {"to": phone, "text": text} with `Authorization: Bearer <token>`."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        if not url.startswith("https://"):
            raise ConfigurationError("IMMUNIZE_SMS_GATEWAY_URL must be an https:// URL")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, message: Message) -> None:
        body = json.dumps({"to": message.phone, "text": message.text}).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - https enforced in __init__
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.status >= 300:
                    raise Unavailable(f"the SMS gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise Unavailable("the SMS gateway cannot be reached: try again in a minute") from exc


def sender_from_config(kind: str, *, outbox_file: str, gateway_url: str, gateway_token: str) -> MessageSender:
    kind = (kind or "console").strip().lower()
    if kind == "console":
        return ConsoleSender()
    if kind == "memory":
        return MemorySender()
    if kind == "file":
        return FileSender(Path(outbox_file))
    if kind == "gateway":
        if not gateway_url or not gateway_token:
            raise ConfigurationError(
                "the gateway sender needs IMMUNIZE_SMS_GATEWAY_URL and IMMUNIZE_SMS_GATEWAY_TOKEN"
            )
        return GatewaySender(gateway_url, gateway_token)
    raise ConfigurationError("IMMUNIZE_MESSAGE_SENDER must be console, file, memory or gateway")
