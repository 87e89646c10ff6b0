"""What `immunize serve` checks before it starts: production fails closed (issue 12, item 7).

The review found `serve` running on development keys with the public development passphrase and
printing one-time codes into the server log, without a word. Each check below returns one
sentence (what is wrong, what to do); `serve` refuses to start while any remain, unless the
operator says `--allow-development`, in which case every one is printed as a warning.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MIN_SECRET_KEY_BYTES = 32
PRODUCTION_SENDERS = frozenset({"gateway"})


def key_problems(key_dir: Path, environ: Mapping[str, str], now: datetime) -> list[str]:
    """The signing keys: a production store, opened by a strong passphrase, in the current container."""
    from keys.errors import KeysError
    from keys.protection import DEFAULT_ROUNDS, MIN_PASSPHRASE_LENGTH, ROUNDS_ENV, kdf_rounds
    from keys.settings import PASSPHRASE_ENV
    from keys.store import KeyStore

    problems = []
    try:
        if kdf_rounds(environ) < DEFAULT_ROUNDS:
            problems.append(f"{ROUNDS_ENV} lowers key protection below {DEFAULT_ROUNDS} rounds: unset it.")
    except KeysError as exc:
        problems.append(f"{exc}.")
    store = KeyStore(key_dir)
    if not store.exists():
        return [*problems, f"There are no signing keys in {key_dir}: run `immunize keys init`."]
    passphrase = environ.get(PASSPHRASE_ENV, "")
    try:
        if store.manifest().development:
            problems.append(
                f"The keys in {key_dir} are development keys: create production keys with "
                "`immunize keys init` in a new IMMUNIZE_KEY_DIR."
            )
        if not passphrase:
            problems.append(f"{PASSPHRASE_ENV} is not set: set it to the passphrase of the signing keys.")
        elif len(passphrase) < MIN_PASSPHRASE_LENGTH:
            problems.append(
                f"{PASSPHRASE_ENV} is shorter than {MIN_PASSPHRASE_LENGTH} characters: move the keys to a "
                "stronger one with `immunize keys migrate --new-passphrase`."
            )
        weak = store.needs_migration()
        if weak:
            problems.append(
                f"{len(weak)} key files use the old, weak protection: run `immunize keys migrate`."
            )
        if passphrase:
            store.current_signer(passphrase, now)  # the passphrase opens the keys, and one can sign now
    except KeysError as exc:
        problems.append(f"The signing keys cannot be used: {exc}.")
    return problems


def web_problems(config: Mapping[str, Any]) -> list[str]:
    """The web settings: session secret, message sender, secure cookies."""
    problems = []
    secret = str(config.get("IMMUNIZE_SECRET_KEY") or "")
    if secret and len(secret.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        problems.append(
            f"IMMUNIZE_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes: unset it (a random one is "
            "kept in the key directory) or set one from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    sender = str(config.get("MESSAGE_SENDER") or "console").strip().lower()
    if sender not in PRODUCTION_SENDERS:
        problems.append(
            f"IMMUNIZE_MESSAGE_SENDER is {sender!r}: one-time codes would land in a log or a file; "
            "set it to gateway with IMMUNIZE_SMS_GATEWAY_URL and IMMUNIZE_SMS_GATEWAY_TOKEN."
        )
    if not config.get("SESSION_COOKIE_SECURE", True):
        problems.append(
            "IMMUNIZE_SECURE_COOKIES is off: session cookies would travel over plain HTTP; unset it."
        )
    return problems


def production_problems(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None, now: datetime | None = None
) -> list[str]:
    """Every reason this configuration is not fit for production (empty: fit)."""
    env = os.environ if environ is None else environ
    key_dir = Path(str(config.get("IMMUNIZE_KEY_DIR") or "var/keys"))
    return web_problems(config) + key_problems(key_dir, env, now or datetime.now(UTC))
