"""Development keys for `make run`: created on first start, announced loudly, never for production."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from keys.certificates import utc_seconds
from keys.settings import PASSPHRASE_ENV, passphrase_from_environment
from keys.store import KeyStore

DEVELOPMENT_WARNING = (
    "WARNING: DEVELOPMENT KEYS in {path}: certificates signed with them are for testing only. "
    "Do NOT use these keys in production; create real ones with `immunize keys init`."
)
UNSET_ENV_NOTICE = (
    "WARNING: {env} is unset, so the development keys use the PUBLIC well-known development passphrase."
)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure_development_keys(
    key_dir: str | Path,
    now: datetime,
    *,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] = _stderr,
) -> KeyStore:
    """Make sure a development key store exists and has a key that can sign at `now`, warning loudly.

    An existing production key store (not created here) is left alone and not warned about.
    """
    moment = utc_seconds(now)
    store = KeyStore(key_dir)
    passphrase = passphrase_from_environment(development=True, environ=environ)
    if store.exists() and not store.manifest().development:
        return store
    if not store.exists():
        store.init(passphrase, moment, development=True)
    else:
        manifest = store.manifest()
        current = next((record for record in manifest.documents if record.current), None)
        if current is None or not current.not_before <= moment < current.signing_until:
            store.rotate(passphrase, moment)
    warn(DEVELOPMENT_WARNING.format(path=store.path))
    if not (os.environ if environ is None else environ).get(PASSPHRASE_ENV):
        warn(UNSET_ENV_NOTICE.format(env=PASSPHRASE_ENV))
    return store
