"""Where the keys live and how they are unlocked: IMMUNIZE_KEY_DIR and IMMUNIZE_KEY_PASSPHRASE."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from keys.errors import PassphraseMissing

KEY_DIR_ENV = "IMMUNIZE_KEY_DIR"
PASSPHRASE_ENV = "IMMUNIZE_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
# Relative to the working directory; var/ is git-ignored so keys never land in the repository.
DEFAULT_KEY_DIR = Path("var") / "keys"

# A WELL-KNOWN, PUBLIC passphrase used only for development keys (`make run`) when
# IMMUNIZE_KEY_PASSPHRASE is unset. Anything it encrypts is as good as unencrypted: never production.
DEVELOPMENT_PASSPHRASE = "immunize-DEVELOPMENT-ONLY-passphrase-do-not-use-in-production"  # noqa: S105 - public on purpose


def key_dir_from_environment(environ: Mapping[str, str] | None = None) -> Path:
    """IMMUNIZE_KEY_DIR, or ./var/keys when it is unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(KEY_DIR_ENV, "").strip()
    return Path(value) if value else DEFAULT_KEY_DIR


def passphrase_from_environment(development: bool = False, environ: Mapping[str, str] | None = None) -> bytes:
    """IMMUNIZE_KEY_PASSPHRASE as bytes; in development mode the well-known development one when unset."""
    env = os.environ if environ is None else environ
    value = env.get(PASSPHRASE_ENV, "")
    if value:
        return value.encode("utf-8")
    if development:
        return DEVELOPMENT_PASSPHRASE.encode("utf-8")
    raise PassphraseMissing(
        f"{PASSPHRASE_ENV} is not set: set it to the passphrase that protects the signing keys "
        "(for a new key store, choose one and keep it in your secret manager)"
    )
