"""Every error of credentials/ derives from CredentialError; messages say what to do."""

from __future__ import annotations


class CredentialError(Exception):
    """Base of every certificate-issuing error. `str(error)` is one sentence a person can act on."""
