"""Rebuild every projection of a ledger store from position zero and fingerprint each view.

Used after `audit replay` (into the temporary store loaded from an export) and after `restore`.
The views and how events decode come from the projections and ledger packages; tests pass their
own application and views to exercise the same path.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import EventSourcingError

from ledger.errors import LedgerError
from ledger.settings import StoreSettings
from projections.audit.errors import AuditError
from projections.digest import digest
from projections.errors import ProjectionError
from projections.projection import ViewProjection
from projections.runner import catch_up
from projections.store import open_view_store

AppFactory = Callable[[str], Application[Any]]


def sealed_app_factory(database_url: str) -> Application[Any]:
    """The projections' reader of the ledger (personal data left sealed, never decrypted).

    It is given a throwaway master key, so no key file is read or created on an auditor's machine:
    the figures (counts by date, province, vaccine, dose) need no personal key.
    """
    from ledger.personaldata import MASTER_KEY_VARIABLE
    from projections.reader import LedgerReader

    previous = os.environ.get(MASTER_KEY_VARIABLE)
    os.environ[MASTER_KEY_VARIABLE] = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    try:
        return LedgerReader(database_url)
    finally:
        if previous is None:
            del os.environ[MASTER_KEY_VARIABLE]
        else:
            os.environ[MASTER_KEY_VARIABLE] = previous


def rebuild_all(
    settings: StoreSettings,
    app_factory: AppFactory | None = None,
    views: Sequence[type[ViewProjection]] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, str]:
    """Drop and replay every view from the start on `settings`' store; return {view name: digest}.

    By default: every view of the platform (projections.registry, one pass over the log) read
    through the sealed reader; tests pass their own application and views.
    """
    app = (app_factory or sealed_app_factory)(settings.url)
    store = open_view_store(settings)
    seen = 0

    def progress(_position: int, applied: int) -> None:
        nonlocal seen
        if on_progress is not None:
            on_progress(applied - seen)
        seen = applied

    try:
        if views is None:
            from projections.registry import rebuild

            return rebuild(
                app, store, progress=lambda _label, position, read, _head: progress(position, read)
            )
        digests: dict[str, str] = {}
        for view_class in views:
            projection = view_class(view_class.recorder(store))
            projection.view.drop_tables()
            seen = 0
            catch_up(app, projection, progress=progress)
            digests[view_class.name] = digest(projection.view)
        return digests
    except (LedgerError, ProjectionError):
        raise
    except EventSourcingError as exc:
        raise AuditError(f"the projections cannot be rebuilt from {settings.redacted_url}: {exc}") from exc
    finally:
        store.close()
        app.close()
