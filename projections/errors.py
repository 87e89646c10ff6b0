"""Every error of projections/ (views, audit, backup) derives from ProjectionError."""

from __future__ import annotations


class ProjectionError(Exception):
    """Base of every projection, audit and backup error. `str(error)` is one sentence a person can act on."""
