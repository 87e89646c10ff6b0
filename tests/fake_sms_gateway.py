"""A local fake SMS gateway speaking the protocol services.sms_gateways.HttpGateway speaks.

POST /sms with `Authorization: Bearer <token>`, `Idempotency-Key` and JSON `{"to", "text",
"encoding", "reference"}` answers `{"id": ...}`. A key seen before gets the first answer again and
nothing is "sent" twice. It only listens on 127.0.0.1 and stops when the test ends. Failures can be
injected (`fail_next`), and `on_accept` lets a test act at the moment a message is accepted (for
example, kill the sender before it hears the answer).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One message the fake gateway accepted (sent to the phone)."""

    key: str
    to: str
    text: str
    encoding: str
    reference: str


@dataclass
class FakeGateway:
    """The gateway's state: accepted messages, duplicate keys seen, failures to inject."""

    token: str = "test-token"
    accepted: list[Received] = field(default_factory=list)
    duplicates: int = 0
    fail_next: int = 0
    on_accept: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_key: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        _host, port = self.server.server_address[:2]
        return f"http://127.0.0.1:{port}/sms"

    def start(self) -> FakeGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the sender went away (a test killed it)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(min(length, 64 * 1024))
                if self.headers.get("Authorization") != f"Bearer {gateway.token}":
                    self._answer(401, {"error": "unauthorized"})
                    return
                key = self.headers.get("Idempotency-Key", "")
                if not key:
                    self._answer(400, {"error": "Idempotency-Key required"})
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._answer(400, {"error": "bad json"})
                    return
                with gateway.lock:
                    if gateway.fail_next > 0:
                        gateway.fail_next -= 1
                        self._answer(503, {"error": "busy"})
                        return
                    if key in gateway.by_key:
                        gateway.duplicates += 1
                        self._answer(200, {"id": gateway.by_key[key]})
                        return
                    reference = f"fake-{len(gateway.accepted) + 1}"
                    received = Received(key, body["to"], body["text"], body["encoding"], body["reference"])
                    gateway.accepted.append(received)
                    gateway.by_key[key] = reference
                if gateway.on_accept is not None:
                    gateway.on_accept(received)
                self._answer(200, {"id": reference})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
