"""Every error of projections/ (views, audit, backup) derives from ProjectionError."""

from __future__ import annotations

from typing import ClassVar


class ProjectionError(Exception):
    """Base of every projection, audit and backup error. `str(error)` is one sentence a person can act on."""

    code: ClassVar[str] = "projection_error"
    kind: ClassVar[str] = "unavailable"
