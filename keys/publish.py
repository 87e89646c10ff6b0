"""Publishing from the key store: the trust list, the revocation list, and certificate export."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from keys.certificates import der, utc_seconds
from keys.errors import InvalidKeyInput, KeysError
from keys.lists import DEFAULT_NEXT_UPDATE, build_revocation_list, build_trust_list, check_uci, list_times
from keys.signer import Signer
from keys.store import KeyStore

MAX_UCI_FILE_BYTES = 64 * 1024 * 1024


# A list signer stays valid this long past the list's next update, so the list can be checked until
# then (verifiers accept a list for a grace period after its next update; theirs defaults to 7 days).
LIST_SIGNER_MARGIN = timedelta(days=30)


def list_signer(csca: Signer, now: datetime, next_update: timedelta | datetime) -> Signer:
    """A list signer for one publication: a fresh P-256 key, certified by the CSCA, never stored.

    The CSCA's key usage is certificate signing only; it certifies this key, which signs the list and
    travels with it (x5chain). Nothing of it needs to be kept: the next list gets a new one.
    """
    issued, update = list_times(now, next_update)
    key = ec.generate_private_key(ec.SECP256R1())
    until = datetime.fromtimestamp(update, UTC) + LIST_SIGNER_MARGIN
    certificate = csca.issue_list_signer(key, datetime.fromtimestamp(issued, UTC), until)
    return Signer(key, certificate)


def issue_trust_list(
    key_dir: str | Path,
    passphrase: bytes | str,
    now: datetime,
    next_update: timedelta | datetime = DEFAULT_NEXT_UPDATE,
) -> bytes:
    """A new trust list, signed by a list signer the CSCA certifies: every DSC not revoked and not expired at `now`."""
    list_times(now, next_update)  # checked before a sequence number is spent
    store = KeyStore(key_dir)
    signer = list_signer(store.csca_signer(passphrase, now), now, next_update)
    certificates = [der(certificate) for _record, certificate in store.trusted_documents(now)]
    return build_trust_list(
        signer, certificates, store.next_sequence("trust-list"), now, next_update, include_certificate=True
    )


def issue_revocation_list(
    key_dir: str | Path,
    passphrase: bytes | str,
    revoked_ucis: Iterable[str],
    now: datetime,
    next_update: timedelta | datetime = DEFAULT_NEXT_UPDATE,
) -> bytes:
    """A new revocation list for the given UCIs (from the ledger's certificate index), signed like the trust list."""
    ucis = [check_uci(uci) for uci in revoked_ucis]  # all checked before a sequence number is spent
    list_times(now, next_update)
    store = KeyStore(key_dir)
    signer = list_signer(store.csca_signer(passphrase, now), now, next_update)
    return build_revocation_list(
        signer, ucis, store.next_sequence("revocation-list"), now, next_update, include_certificate=True
    )


def read_revoked_ucis(path: str | Path) -> list[str]:
    """The UCIs of a text file, one a line; blank lines and lines starting with # are skipped."""
    source = Path(path)
    try:
        if source.stat().st_size > MAX_UCI_FILE_BYTES:
            raise InvalidKeyInput(
                f"{source} is larger than {MAX_UCI_FILE_BYTES // (1024 * 1024)} MiB: split it"
            )
        text = source.read_text("utf-8")
    except FileNotFoundError as exc:
        raise InvalidKeyInput(f"{source} does not exist: give a file with one revoked UCI a line") from exc
    except UnicodeDecodeError as exc:
        raise InvalidKeyInput(f"{source} is not UTF-8 text: give a file with one revoked UCI a line") from exc
    except OSError as exc:
        raise InvalidKeyInput(f"{source} cannot be read ({exc.strerror})") from exc
    ucis = []
    for number, line in enumerate(text.splitlines(), start=1):
        uci = line.strip()
        if not uci or uci.startswith("#"):
            continue
        try:
            ucis.append(check_uci(uci))
        except InvalidKeyInput as exc:
            raise InvalidKeyInput(f"{source} line {number}: {exc}") from exc
    return ucis


def write_file(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically (temporary file in the same directory, then rename)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise KeysError(
            f"cannot write {target} ({exc.strerror}): check that its directory exists and is writable"
        ) from exc


def export_certificates(key_dir: str | Path, out_dir: str | Path, now: datetime) -> list[Path]:
    """Write the CSCA and every DSC trusted at `now` as DER and PEM into `out_dir`; return the files written."""
    store = KeyStore(key_dir)
    utc_seconds(now)
    items = [("csca", store.csca_certificate())]
    items += [
        (f"dsc-{record.kid.hex()}", certificate) for record, certificate in store.trusted_documents(now)
    ]
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KeysError(
            f"cannot create {target} ({exc.strerror}): choose a writable --out directory"
        ) from exc
    written = []
    for stem, certificate in items:
        for suffix, encoding in (("der", serialization.Encoding.DER), ("pem", serialization.Encoding.PEM)):
            path = target / f"{stem}.{suffix}"
            write_file(path, certificate.public_bytes(encoding))
            written.append(path)
    return written
