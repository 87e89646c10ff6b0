"""Public answers served whole, before admission control and before Flask (issue 14: a surge's goodput).

A cached `/statistics` costs the app about 0.4 ms of CPU (Flask's request context, the session, the
language, the after-request hooks), more than admission itself; and the public class's few slots are sized for
pages costing milliseconds. Under a closed-loop surge most public requests were shed, the shed answers'
CPU crowded out the admitted ones, and the statistics *served* per second fell from ~1,600 to ~250 as
connections went from 8 to 32. This layer is the server's own shared cache (HTTP caching, RFC 9111 §3):
an answer the app marked `Cache-Control: public` with a strong ETag is, by the app's own promise, the same
bytes for every visitor not signed in; it is kept whole (status 200, headers, body) and handed to the next
such visitor without Flask and without taking an admission slot (about 20 µs), with `304` on
`If-None-Match`.

What is kept and for whom:
- only GET answers of the public route class, status 200, `Cache-Control: public`, a strong ETag, no
  `Set-Cookie`, at most `MAX_BODY` bytes;
- only for requests without the session cookie (a signed-in visitor's page is their own; a notice may wait in
  the session) and without `Authorization`; keyed by path, query and the page's language (the language
  cookie, else Accept-Language, as web.i18n chooses it: the answers `Vary: Cookie, Accept-Language`);
- on the public cache's clock and interval (`PUBLIC_CACHE_SECONDS`): served as it is for one interval; then
  one request at a time (at most one a second) goes through admission to the app to make it again while the
  others keep the previous answer (the public cache's own rule). Normally that request is admitted and the
  answer is at most about one interval older than what the app would say. When admission sheds it (a surge:
  the public class full, or a staff write waiting), it gets the previous answer too instead of the `503`,
  for up to 6 intervals (30 s by default); past that every request goes to the app, and may be shed.
  (Without this, every request after the interval became the one to make it again, was shed, and the
  statistics pages were refused although their answer was at hand: 2,937 in the surge at 97,586 people.)
  Interval 0: nothing is served here.

What stays bounded: anything not stored (a first request, a page made again, a signed-in page, a certificate
check, a miss) goes through admission as before, and is shed at once while a staff write waits for a slot.
A stored answer is served even then: it costs what a `503` would (neither reaches Flask, both are a few
hundred bytes of headers through the same server thread), so shedding it would give the dose nothing and
the visitor a refusal instead of the page. (Measured: with this layer stepping aside while a write waited,
the surge at 97,586 people at load 17 shed 4,201 public requests in the 6× phase, 2,527 of them statistics
pages that were ready to serve, and the doses' p99 was no better for it.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_etags

from web.admission import Environ, RouteClass, StartResponse, WSGIApp, route_class
from web.i18n import COOKIE as LANGUAGE_COOKIE
from web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from web.public_cache import PublicCache, StoredResponse, StoredResponses

MAX_BODY = 4 * 1024 * 1024  # the statistics page is ~40 KiB; a signed list a few KiB
_NOT_IN_304 = frozenset({"content-type", "content-length", "content-disposition"})
_LANGUAGE_MEMO_MOST = 256


class PublicFront:
    """WSGI middleware, outermost: `PublicFront(app.wsgi_app, cache_of, session_cookie)`.
    `cache_of()` gives the app's PublicCache (asked on each request: tests swap it for one on their clock)."""

    def __init__(
        self,
        app: WSGIApp,
        cache_of: Callable[[], PublicCache],
        session_cookie: str,
    ) -> None:
        self.app = app
        self.cache_of = cache_of
        self.session_cookie = session_cookie
        self.served = 0  # answered here (200 or 304), for the benchmark and operators
        self.stale_served = 0  # of them: a stale answer given instead of the server's 503
        self._languages: dict[str, str] = {}

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        responses = self.cache_of().responses
        entry, now = responses.lookup(key)
        if entry is not None and now:
            self.served += 1
            return self._serve(entry, environ, start_response)
        return self._through(key, responses, entry, environ, start_response)

    def _key(self, environ: Environ) -> tuple[str, str, str] | None:
        """(path, query, language) for a request this layer may answer, else None."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_AUTHORIZATION"):
            return None
        path = str(environ.get("PATH_INFO") or "/")
        if route_class(path) is not RouteClass.PUBLIC:
            return None
        language = ""
        cookie_header = environ.get("HTTP_COOKIE")
        if cookie_header:
            if self.session_cookie in cookie_header:
                return None  # maybe signed in, maybe a notice waiting: the app decides
            try:
                cookies = SimpleCookie(cookie_header)
            except CookieError:
                return None
            chosen = cookies.get(LANGUAGE_COOKIE)
            if chosen is not None and chosen.value in LANGUAGES:
                language = chosen.value
        if not language:
            language = self._language(str(environ.get("HTTP_ACCEPT_LANGUAGE") or ""))
        return path, str(environ.get("QUERY_STRING") or ""), language

    def _language(self, accept: str) -> str:
        """The language web.i18n picks for this Accept-Language when no choice is remembered (memoised)."""
        known = self._languages.get(accept)
        if known is None:
            best = parse_accept_header(accept, LanguageAccept).best_match(LANGUAGES) if accept else None
            known = best or DEFAULT_LANGUAGE
            if len(self._languages) >= _LANGUAGE_MEMO_MOST:
                self._languages.clear()
            self._languages[accept] = known
        return known

    def _through(
        self,
        key: tuple[str, str, str],
        responses: StoredResponses,
        stale: StoredResponse | None,
        environ: Environ,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """To admission and the app; a storable answer is kept on its way back. If the server sheds this
        request (503) while a stale answer is at hand, the stale answer is served instead."""
        sent: dict[str, Any] = {}

        def noting(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info or sent.get("returned"):  # an error, or an app that starts its answer lazily
                sent["forwarded"] = True
                return (
                    start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
                )
            sent["status"], sent["headers"] = status, headers
            return _no_write

        body = self.app(environ, noting)
        sent["returned"] = True
        if sent.get("forwarded") or "status" not in sent:
            return body
        status, headers = str(sent["status"]), list(sent["headers"])
        if stale is not None and status.startswith("503"):
            _close(body)
            self.served += 1
            self.stale_served += 1
            return self._serve(stale, environ, start_response)
        etag = _storable(status, headers)
        if etag is None:
            start_response(status, headers)
            return body
        try:
            data = b"".join(body)
        finally:
            _close(body)
        if len(data) <= MAX_BODY:
            responses.store(key, tuple(headers), data, etag)
        start_response(status, headers)
        return [data]

    def _serve(self, entry: StoredResponse, environ: Environ, start_response: StartResponse) -> list[bytes]:
        asked = environ.get("HTTP_IF_NONE_MATCH")
        etag = entry.etag
        if asked and (asked == etag or parse_etags(asked).contains_weak(etag.strip('"'))):
            start_response("304 NOT MODIFIED", [h for h in entry.headers if h[0].lower() not in _NOT_IN_304])
            return []
        start_response("200 OK", list(entry.headers))
        return [entry.body]


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the app wrote through start_response's write(); web.public_front does not pass it on")


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _storable(status: str, headers: list[tuple[str, str]]) -> str | None:
    """The answer's ETag if it may be kept for every visitor not signed in, else None."""
    if not status.startswith("200"):
        return None
    etag = cache_control = ""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return None
        if lowered == "etag":
            etag = value
        elif lowered == "cache-control":
            cache_control = value.lower()
    directives = {part.strip().split("=")[0] for part in cache_control.split(",")}
    if "public" not in directives or directives & {"private", "no-store", "no-cache"}:
        return None
    if not etag.startswith('"'):  # strong tags only: the same tag, the same bytes
        return None
    return etag
