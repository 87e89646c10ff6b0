"""Every error of keys/ derives from KeysError; messages say what to do."""

from __future__ import annotations


class KeysError(Exception):
    """Base of every key-management error. `str(error)` is one sentence a person can act on."""


class KeysNotInitialised(KeysError):
    """The key directory has no key store yet (no manifest)."""


class KeysAlreadyExist(KeysError):
    """`init` was asked for a key directory that already holds a key store."""


class KeyFileMissing(KeysError):
    """The manifest names a certificate or key file that is not in the key directory."""


class PassphraseMissing(KeysError):
    """IMMUNIZE_KEY_PASSPHRASE is not set and no development passphrase applies."""


class WrongPassphrase(KeysError):
    """The passphrase does not decrypt a private key of the key store."""


class KeyStoreCorrupt(KeysError):
    """The manifest or a stored file cannot be read as what it should be."""


class UnknownKey(KeysError):
    """No document signing certificate has the kid asked for."""


class KeyRevoked(KeysError):
    """The key was revoked and may no longer sign."""


class KeyNotUsable(KeysError):
    """The key is outside its signing period (not yet valid, or past it), or there is no current key."""


class InvalidKeyInput(KeysError):
    """An argument (algorithm, reason, kid, UCI, time, period) is not acceptable."""


class PassphraseTooWeak(KeysError):
    """A passphrase for production keys is shorter than 12 characters."""
