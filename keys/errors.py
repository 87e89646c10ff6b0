"""Every error of keys/ derives from KeysError; messages say what to do."""

from __future__ import annotations


class KeysError(Exception):
    """Base of every key-management error. `str(error)` is one sentence a person can act on."""
