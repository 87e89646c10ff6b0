"""The public transparency log: the latest signed checkpoint and proofs, for anyone, cacheable.

No personal data: leaves are hashes, checkpoints are tree heads. Proofs against an explicit tree size
never change, so they are cached for a year; the latest checkpoint changes as events arrive.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify, request
from flask.wrappers import Response

from services import transparency
from web.context import ctx
from web.roles import Role, allow

bp = Blueprint("transparency", __name__, url_prefix="/transparency")

LATEST = "public, max-age=10"
FOREVER = "public, max-age=31536000, immutable"
MAX_NUMBER = 2**63 - 1


class _Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _call(produce: Callable[[], Response]) -> Response:
    """Run a view body; project errors become one JSON sentence (never cached) with the kind's status."""
    from projections.audit import AuditError, ProofRequestError
    from projections.audit.tree import ProofNotAvailable
    from services.errors import AuditNeedsDatabase

    try:
        return produce()
    except _Refused as exc:
        status, message = exc.status, str(exc)
    except ProofNotAvailable as exc:
        status, message = 404, str(exc)
    except ProofRequestError as exc:
        status, message = 400, str(exc)
    except (AuditNeedsDatabase, AuditError) as exc:
        status, message = 503, str(exc)
    response = jsonify({"error": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _optional(name: str) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return None
    if not text.isdigit() or len(text) > 19 or int(text) > MAX_NUMBER:
        raise _Refused(f"the query parameter {name!r} must be a whole number, not {text[:20]!r}", 400)
    return int(text)


def _required(name: str) -> int:
    value = _optional(name)
    if value is None:
        raise _Refused(f"the query parameter {name!r} is missing: give a whole number", 400)
    return value


@bp.get("/checkpoint")
@allow(Role.PUBLIC)
def checkpoint() -> Response:
    """The latest signed checkpoint (C2SP signed note), text/plain."""

    def produce() -> Response:
        import time

        from web.public_cache import conditional, public_cache

        backend = ctx().backend
        # Read at most once per interval (a checkpoint is signed apart from the events: every interval
        # is a new version); served with ETag and 304 (serving: issue 14).
        entry = public_cache().get(
            "checkpoint", time.monotonic, lambda: transparency.latest_note(backend), str.encode
        )
        return conditional(entry.etag, lambda: Response(entry.value, mimetype="text/plain"), max_age=10)

    return _call(produce)


@bp.get("/proof/inclusion")
@allow(Role.PUBLIC)
def inclusion() -> Response:
    """?position=P[&tree_size=N]: the inclusion proof of the event at P against a signed checkpoint."""

    def produce() -> Response:
        tree_size = _optional("tree_size")
        proof = transparency.inclusion(ctx().backend, _required("position"), tree_size)
        response = jsonify(proof)
        response.headers["Cache-Control"] = FOREVER if tree_size is not None else LATEST
        return response

    return _call(produce)


@bp.get("/proof/consistency")
@allow(Role.PUBLIC)
def consistency() -> Response:
    """?old=M&new=N: the consistency proof between two tree sizes."""

    def produce() -> Response:
        proof = transparency.consistency(ctx().backend, _required("old"), _required("new"))
        response = jsonify(proof)
        response.headers["Cache-Control"] = FOREVER
        return response

    return _call(produce)
