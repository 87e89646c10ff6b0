"""Every error of web/ derives from WebError."""

from __future__ import annotations


class WebError(Exception):
    """Base of every web-layer error. `str(error)` is one sentence a person can act on."""
