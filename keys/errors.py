"""Every error of keys/ derives from KeysError; messages say what to do."""

from __future__ import annotations

from typing import ClassVar


class KeysError(Exception):
    """Base of every key-management error. `str(error)` is one sentence a person can act on."""

    code: ClassVar[str] = "keys_error"
    kind: ClassVar[str] = "unavailable"


class KeysNotInitialised(KeysError):
    """The key directory has no key store yet (no manifest)."""

    code = "keys_not_initialised"


class KeysAlreadyExist(KeysError):
    """`init` was asked for a key directory that already holds a key store."""

    code = "keys_already_exist"
    kind = "conflict"


class KeyFileMissing(KeysError):
    """The manifest names a certificate or key file that is not in the key directory."""

    code = "key_file_missing"


class PassphraseMissing(KeysError):
    """IMMUNIZE_KEY_PASSPHRASE is not set and no development passphrase applies."""

    code = "key_passphrase_missing"


class WrongPassphrase(KeysError):
    """The passphrase does not decrypt a private key of the key store."""

    code = "key_passphrase_wrong"


class KeyStoreCorrupt(KeysError):
    """The manifest or a stored file cannot be read as what it should be."""

    code = "key_store_corrupt"


class UnknownKey(KeysError):
    """No document signing certificate has the kid asked for."""

    code = "signing_key_unknown"
    kind = "not_found"


class KeyRevoked(KeysError):
    """The key was revoked and may no longer sign."""

    code = "signing_key_revoked"
    kind = "conflict"


class KeyNotUsable(KeysError):
    """The key is outside its signing period (not yet valid, or past it), or there is no current key."""

    code = "signing_key_not_usable"


class InvalidKeyInput(KeysError):
    """An argument (algorithm, reason, kid, UCI, time, period) is not acceptable."""

    code = "key_input_invalid"
    kind = "invalid"


class PassphraseTooWeak(KeysError):
    """A passphrase for production keys is shorter than 12 characters."""

    code = "key_passphrase_too_weak"
    kind = "invalid"
