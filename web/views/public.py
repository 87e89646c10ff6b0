"""Public pages, no sign-in: home, statistics with charts, certificate check, trust material downloads."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from werkzeug.wrappers import Response as WerkzeugResponse

from services import dashboards, trust
from web import charts
from web.context import ctx
from web.errors import USER_ERRORS, BadInput, status_for
from web.i18n import LANGUAGES, message_for
from web.pictures import PictureReader
from web.roles import Role, allow
from web.views.auth import safe_next

bp = Blueprint("public", __name__)

MAX_HC1_LENGTH = 8192  # an HC1 string of a vaccination certificate is well under 1 KiB


@bp.get("/")
@allow(Role.PUBLIC)
def home() -> str:
    return render_template("home.html")


@bp.get("/health")
@allow(Role.PUBLIC)
def health() -> Response:
    return Response("ok\n", mimetype="text/plain")


@bp.post("/language")
@allow(Role.PUBLIC)
def language() -> WerkzeugResponse:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))


@bp.get("/statistics")
@allow(Role.PUBLIC)
def statistics() -> str:
    stats = dashboards.statistics(ctx().backend)
    return render_template("statistics.html", stats=stats, charts=charts.statistics_charts(stats))


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
def verify() -> tuple[str, int]:
    result = None
    error = ""
    status = 200
    if request.method == "POST":
        try:
            result = trust.verify_certificate(ctx().backend, read_certificate_input(), now=ctx().clock())
        except USER_ERRORS as exc:
            error, status = message_for(exc), status_for(exc)
    return render_template("verify.html", result=result, error=error), status


@bp.get("/trust-list")
@allow(Role.PUBLIC)
def trust_list() -> Response:
    return _download(trust.trust_list_file(ctx().backend, now=ctx().clock()))


@bp.get("/trust-anchor")
@allow(Role.PUBLIC)
def trust_anchor() -> Response:
    return _download(trust.trust_anchor_file(ctx().backend))


@bp.get("/revocation-list")
@allow(Role.PUBLIC)
def revocation_list() -> Response:
    return _download(trust.revocation_list_file(ctx().backend, now=ctx().clock()))


def _download(download: trust.Download) -> Response:
    response = Response(download.data, mimetype=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
