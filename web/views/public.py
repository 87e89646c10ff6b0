"""Public pages, no sign-in: home, statistics with charts, certificate check, trust material downloads."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from services import dashboards, public_pages, trust
from web import charts, i18n
from web.context import ctx
from web.errors import USER_ERRORS, BadInput, status_for
from web.i18n import LANGUAGES, message_for
from web.pictures import PictureReader
from web.public_cache import conditional, digest, public_cache
from web.roles import Role, allow
from web.views.auth import safe_next

bp = Blueprint("public", __name__)

MAX_HC1_LENGTH = 8192  # an HC1 string of a vaccination certificate is well under 1 KiB


def anonymous_page(
    name: str, render: Callable[[], str], version: Hashable | Callable[[], Hashable] = 1
) -> Response | None:
    """A page that is the same for every visitor not signed in (per language): rendered once per
    language and version, then served as the same bytes, public, strong ETag, 304 (like /statistics).
    A callable `version` is asked at most once per cache interval (a view's position, the log's head).
    None for a signed-in visitor or one with a notice waiting: their page is their own."""
    if g.get("principal") is not None or session.get("_flashes"):
        return None
    lang = i18n.current_language()
    version_of = version if callable(version) else lambda: version
    page = public_cache().get(f"{name}-{lang}", version_of, lambda: render().encode(), lambda data: data)
    return conditional(
        page.etag,
        lambda: Response(page.value, mimetype="text/html"),
        max_age=PAGE_MAX_AGE,
        vary="Cookie, Accept-Language",
    )


@bp.get("/")
@allow(Role.PUBLIC)
def home() -> str | Response:
    return anonymous_page("home", lambda: render_template("home.html")) or render_template("home.html")


@bp.get("/health")
@allow(Role.PUBLIC)
def health() -> Response:
    return Response("ok\n", mimetype="text/plain")


@bp.get("/favicon.ico")
@allow(Role.PUBLIC)
def favicon() -> WerkzeugResponse:
    """Browsers and tools ask for /favicon.ico whatever the page links: send them to our own icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.post("/language")
@allow(Role.PUBLIC)
def language() -> WerkzeugResponse:
    chosen = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("public.home"))
    if chosen in LANGUAGES:
        session["lang"] = chosen
        i18n.remember(response, chosen)  # the cookie is read first (the link switch sets it too)
    return response


PAGE_MAX_AGE = 10  # seconds a browser may show the statistics page before asking again (then 304)
LIST_MAX_AGE = 300  # trust and revocation lists: each is signed with its own next-update


def cached_statistics() -> tuple[dashboards.Statistics, str]:
    """The statistics (computed at most once per interval, or when their view moved) and their tag."""
    backend = ctx().backend
    entry = public_cache().get(
        "statistics",
        lambda: public_pages.statistics_position(backend),
        lambda: dashboards.statistics(backend),
        lambda stats: repr(stats).encode(),
    )
    return entry.value, entry.etag


@bp.get("/statistics")
@allow(Role.PUBLIC)
def statistics() -> Response:
    stats, tag = cached_statistics()
    lang = i18n.current_language()  # the charts' labels and numbers are in the page's language
    chart_entry = public_cache().get(
        f"statistics-charts-{lang}",
        lambda: tag,
        lambda: charts.statistics_charts(stats),
        lambda _: tag.encode(),
    )
    principal = g.get("principal")
    if session.get("_flashes"):
        # A notice waits for this page: it is shown once, so this response is never a 304.
        return Response(render_template("statistics.html", stats=stats, charts=chart_entry.value))
    if principal is None:
        # A visitor without a sign-in sees the same bytes as every other in this language: rendered
        # once per language and version, public, cacheable by shared caches keyed on the language.
        page = public_cache().get(
            f"statistics-page-{lang}",
            lambda: tag,
            lambda: render_template("statistics.html", stats=stats, charts=chart_entry.value).encode(),
            lambda data: data,
        )
        return conditional(
            page.etag,
            lambda: Response(page.value, mimetype="text/html"),
            max_age=PAGE_MAX_AGE,
            vary="Cookie, Accept-Language",
        )
    # A signed-in visitor's page carries their header and sign-out form token besides the figures: the
    # tag covers those, and is weak (the token's signature differs byte for byte, its meaning does not).
    who = f"{principal.role}:{principal.subject}" if principal is not None else "-"
    page_tag = digest(f"{tag}|{lang}|{who}".encode())
    return conditional(
        page_tag,
        lambda: Response(render_template("statistics.html", stats=stats, charts=chart_entry.value)),
        max_age=PAGE_MAX_AGE,
        private=True,
        weak=True,
        vary="Cookie",
    )


def read_certificate_input() -> str:
    """The HC1 text from the form: pasted, or read from an uploaded QR picture."""
    upload = request.files.get("picture")
    if upload is not None and upload.filename:
        reader: PictureReader = current_app.extensions["immunize_pictures"]
        return reader.read_hc1(upload.read(reader.max_bytes + 1))
    text = (request.form.get("hc1") or "").strip()
    if not text:
        raise BadInput("paste the HC1 text or choose a QR picture", key="error.hc1_missing")
    if len(text) > MAX_HC1_LENGTH:
        raise BadInput("that text is far too long to be a certificate", key="error.hc1_too_long")
    return text


@bp.route("/verify", methods=["GET", "POST"])
@allow(Role.PUBLIC)
def verify() -> tuple[str, int] | Response:
    result = None
    error = ""
    status = 200
    if request.method == "GET":
        cached = anonymous_page("verify", lambda: render_template("verify.html", result=None, error=""))
        if cached is not None:
            return cached
    if request.method == "POST":
        try:
            result = trust.verify_certificate(
                ctx().backend, read_certificate_input(), now=ctx().clock(), language=i18n.current_language()
            )
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
    return render_template("verify.html", result=result, error=error), status


@bp.get("/trust-list")
@allow(Role.PUBLIC)
def trust_list() -> Response:
    # A new list at most hourly (services.trust keeps it): the hour is its version here.
    now = ctx().clock()
    return _cached_download(
        "trust-list",
        lambda: int(now.timestamp() // 3600),
        lambda: trust.trust_list_file(ctx().backend, now=now),
    )


@bp.get("/trust-anchor")
@allow(Role.PUBLIC)
def trust_anchor() -> Response:
    return _cached_download("trust-anchor", lambda: 0, lambda: trust.trust_anchor_file(ctx().backend))


@bp.get("/revocation-list")
@allow(Role.PUBLIC)
def revocation_list() -> Response:
    backend, now = ctx().backend, ctx().clock()
    return _cached_download(
        "revocation-list",
        lambda: (public_pages.ledger_head(backend), int(now.timestamp() // 3600)),
        lambda: trust.revocation_list_file(backend, now=now),
    )


def _cached_download(
    name: str, version: Callable[[], Hashable], produce: Callable[[], trust.Download]
) -> Response:
    """A signed public file, made at most once per interval (or when its version moved); ETag, 304."""
    entry = public_cache().get(name, version, produce, lambda download: download.data)
    return conditional(entry.etag, lambda: _download(entry.value), max_age=LIST_MAX_AGE)


def _download(download: trust.Download) -> Response:
    response = Response(download.data, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
