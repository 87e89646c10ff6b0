"""The trust and revocation lists that keys/ actually writes are read by the standalone verifier.

Only the test imports keys/; the verifier itself does not (import-linter). This catches any drift
from the agreed file format on either side.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from keys.certificates import dsc_period, issue_csca, issue_dsc
from keys.lists import build_revocation_list, build_trust_list
from keys.signer import Signer as KeysSigner
from tests.unit.verifier.pki import NOW, Signer, issue, sample_dcc
from verifier import TrustList, VerificationError, verify


def test_lists_written_by_keys_are_trusted_and_revocations_apply(tmp_path: Path) -> None:
    start = NOW - timedelta(days=10)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca = issue_csca(csca_key, start)
    dsc_key = ec.generate_private_key(ec.SECP256R1())
    dsc = issue_dsc(dsc_key, csca, csca_key, dsc_period(start, csca))
    list_signer = KeysSigner(csca_key, csca)
    document_signer = KeysSigner(dsc_key, dsc)
    trust_path = tmp_path / "trust.cbor"
    trust_path.write_bytes(build_trust_list(list_signer, [document_signer.certificate_der], 1, start))
    revoked_path = tmp_path / "revoked.cbor"
    revoked_path.write_bytes(build_revocation_list(list_signer, ["URN:UVCI:01:VN:REVOKED1#B"], 1, start))

    trust = TrustList.load(trust_path, anchor=list_signer.certificate_der, revocation_list=revoked_path)
    ours = Signer(dsc_key, document_signer.certificate_der)
    check_time = start + timedelta(days=1)
    hc1 = issue(ours, issued_at=start, expires_at=start + timedelta(days=365))
    assert verify(hc1, trust, now=check_time).kid == document_signer.kid

    revoked = issue(
        ours,
        sample_dcc(ci="URN:UVCI:01:VN:REVOKED1#B"),
        issued_at=start,
        expires_at=start + timedelta(days=365),
    )
    with pytest.raises(VerificationError) as caught:
        verify(revoked, trust, now=check_time)
    assert caught.value.reason == "revoked"


def _patched(der: bytes, old: bytes, new: bytes) -> bytes:
    at = der.find(old)
    assert at > 0
    return der[:at] + new + der[at + len(old) :]


def test_national_dscs_that_cryptography_dislikes_are_still_usable_when_given_directly() -> None:
    import warnings

    from tests.unit.verifier.pki import make_csca, make_dsc

    dsc = make_dsc(make_csca(), seed=40)
    # make_dsc's serial is 100 + seed = 140 = 0x8c, written 02 02 00 8c; ff 8c is -116
    negative = Signer(dsc.key, _patched(dsc.der, b"\x02\x02\x00\x8c", b"\x02\x02\xff\x8c"))
    version_9 = Signer(dsc.key, _patched(dsc.der, b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x09"))
    for odd in (negative, version_9):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning reaches the officer's screen either
            trust = TrustList.from_certificates([odd.der])
            assert verify(issue(odd), trust, now=NOW).kid == odd.kid


def test_the_der_reader_agrees_with_cryptography_on_every_published_dsc() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from tests.unit.verifier.vectors import all_cases
    from verifier.keyusage import subject_public_key_info, validity

    seen = set()
    for case in all_cases():
        if "CERTIFICATE" not in case.context or case.certificate in seen:
            continue
        seen.add(case.certificate)
        certificate = x509.load_der_x509_certificate(case.certificate)
        assert validity(case.certificate) == (
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
        )
        spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        assert subject_public_key_info(case.certificate) == spki
    assert len(seen) > 40
