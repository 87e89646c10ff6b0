"""A local fake SMS gateway speaking the protocol services.sms_gateways.HttpGateway speaks.

POST /sms with `Authorization: Bearer <token>`, `Idempotency-Key` and JSON `{"to", "text",
"encoding", "reference"}` answers `{"id": ...}`. A key seen before gets the first answer again and
nothing is "sent" twice. It only listens on 127.0.0.1 and stops when the test ends. Failures can be
injected (`fail_next`), and `on_accept` lets a test act at the moment a message is accepted (for
example, kill the sender before it hears the answer).

It is an asyncio server (HTTP/1.1 with keep-alive, many connections on one event loop) in a thread
of the test's process, or in a process of its own for the benchmark
(`python -m tests.fake_sms_gateway`, which prints its URL and answers `GET /stats` with the counts):
http.server's thread per connection and e-mail header parser held a real gateway's rate down to a
few hundred requests a second, which made it the bottleneck of what it was meant to measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_BODY = 64 * 1024
MAX_HEAD = 16 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Too Large",
    503: "Busy",
}


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
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.base_events.Server | None = None
    _thread: threading.Thread | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        assert self.port, "start the gateway first"
        return f"http://127.0.0.1:{self.port}/sms"

    # ---- the protocol ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        """One request: (status, JSON body)."""
        if method == "GET" and path == "/stats":
            with self.lock:
                return 200, {"accepted": len(self.accepted), "duplicates": self.duplicates}
        if method != "POST" or path != "/sms":
            return 404, {"error": "not found"}
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        key = headers.get("idempotency-key", "")
        if not key:
            return 400, {"error": "Idempotency-Key required"}
        try:
            body = json.loads(raw)
            received = Received(key, body["to"], body["text"], body["encoding"], body["reference"])
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "bad json"}
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "busy"}
            if key in self.by_key:
                self.duplicates += 1
                return 200, {"id": self.by_key[key]}
            reference = f"fake-{len(self.accepted) + 1}"
            self.accepted.append(received)
            self.by_key[key] = reference
        if self.on_accept is not None:
            self.on_accept(received)
        return 200, {"id": reference}

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = [*lines[0].split(" "), "", "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length > MAX_BODY:
                    status, answer = 413, {"error": "too large"}
                    raw = b""
                else:
                    raw = await reader.readexactly(length) if length else b""
                    status, answer = self.handle(method, path, headers, raw)
                data = json.dumps(answer).encode()
                close = headers.get("connection", "").lower() == "close" or status == 413
                writer.write(
                    f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n{'Connection: close' if close else 'Connection: keep-alive'}"
                    "\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return  # the sender went away (a test killed it)
        finally:
            self._writers.discard(writer)
            writer.close()

    # ---- running it ------------------------------------------------------------------------

    async def serve(self, port: int = 0) -> asyncio.base_events.Server:
        """Listen on 127.0.0.1 (a free port by default) in the running event loop."""
        self._server = await asyncio.start_server(
            self._connection, "127.0.0.1", port, limit=MAX_HEAD, backlog=512
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self._server

    def start(self) -> FakeGateway:
        """Serve from a thread of this process (tests)."""
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.serve())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-sms-gateway", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            server.close()
            for writer in list(self._writers):
                writer.close()
            await server.wait_closed()
            await asyncio.sleep(0)  # let the connections' tasks see their end

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = self._server = self._thread = None


def main() -> None:
    """`python -m tests.fake_sms_gateway [TOKEN]`: serve in this process until stdin closes or SIGTERM;
    prints the URL on the first line."""
    gateway = FakeGateway(token=sys.argv[1] if len(sys.argv) > 1 else "test-token")

    async def run() -> None:
        server = await gateway.serve()
        print(gateway.url, flush=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
