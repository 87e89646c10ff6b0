"""Issuing: the HC1 any EU DCC reader could decode and verify, checked here by code that shares nothing with the issuer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from credentials import (
    CredentialError,
    InvalidRecordError,
    SelfCheckError,
    SigningError,
    Status,
    has_valid_check,
    issue,
)
from keys.signing import InMemoryPKI, generate_test_pki
from tests.unit.credentials.conftest import (
    ASTRAZENECA,
    JANSSEN,
    NOW,
    PFIZER,
    dose,
    record,
    seeded_bytes,
)
from tests.unit.credentials.decode import decode, verify_signature

FULLY_VACCINATED = record(dose(ASTRAZENECA, "2021-08-01"), dose(PFIZER, "2021-10-01"))


def official_validator(shared_dir: Path, version: str = "1.3.0") -> Draft202012Validator:
    schema = json.loads(
        (shared_dir / "specs" / "dcc-schema" / "releases" / version / "DCC.combined-schema.json").read_text()
    )
    return Draft202012Validator(schema, format_checker=FormatChecker(["date"]))


def value_set(shared_dir: Path, name: str) -> set[str]:
    return set(
        json.loads((shared_dir / "specs" / "dcc-valuesets" / f"{name}.json").read_text())["valueSetValues"]
    )


def test_a_fully_vaccinated_person_gets_a_green_certificate_any_reader_can_verify(pki: InMemoryPKI) -> None:
    certificate = issue(FULLY_VACCINATED, pki.document_signer, now=NOW, random_bytes=seeded_bytes(1))

    decoded = decode(certificate.hc1)
    verify_signature(decoded, pki.document_signer.certificate_der)
    assert decoded.protected == {1: -7, 4: pki.document_signer.kid}
    assert decoded.unprotected == {}
    assert decoded.claims[1] == "VN"
    assert decoded.issued_at == NOW.replace(microsecond=0)
    assert decoded.expires_at == NOW + dt.timedelta(days=365)
    assert all(type(decoded.claims[k]) is int for k in (4, 6))
    assert decoded.dcc == {
        "ver": "1.3.0",
        "nam": {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Ánh", "gnt": "THI<ANH"},
        "dob": "1980-05-17",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 2,
                "sd": 2,
                "dt": "2021-10-01",
                "co": "VN",
                "is": "Ministry of Health of Viet Nam",
                "ci": certificate.uvci,
            }
        ],
    }
    assert certificate.status is Status.GREEN
    assert (certificate.dose_number, certificate.series_doses) == (2, 2)
    assert certificate.dcc == decoded.dcc
    assert has_valid_check(certificate.uvci)


def test_the_certificate_passes_the_official_schema_and_value_sets(
    pki: InMemoryPKI, shared_dir: Path
) -> None:
    for doses in (
        (dose(ASTRAZENECA, "2021-08-01"),),
        FULLY_VACCINATED.doses,
        (dose(JANSSEN, "2021-08-01"), dose(PFIZER, "2021-12-01")),
    ):
        dcc = decode(issue(record(*doses), pki.document_signer, now=NOW).hc1).dcc
        for version in ("1.3.0", "1.3.3"):
            errors = list(official_validator(shared_dir, version).iter_errors(dcc))
            assert errors == [], version
        entry = dcc["v"][0]
        assert entry["tg"] in value_set(shared_dir, "disease-agent-targeted")
        assert entry["vp"] in value_set(shared_dir, "vaccine-prophylaxis")
        assert entry["mp"] in value_set(shared_dir, "vaccine-medicinal-product")
        assert entry["ma"] in value_set(shared_dir, "vaccine-mah-manf")
        assert entry["co"] in value_set(shared_dir, "country-2-codes")


def test_a_partly_vaccinated_person_gets_a_yellow_certificate(pki: InMemoryPKI) -> None:
    certificate = issue(record(dose(ASTRAZENECA, "2021-08-01")), pki.document_signer, now=NOW)
    assert certificate.status is Status.YELLOW
    assert decode(certificate.hc1).dcc["v"][0]["dn"] == 1
    assert decode(certificate.hc1).dcc["v"][0]["sd"] == 2


def test_a_booster_after_janssen_is_two_of_one(pki: InMemoryPKI) -> None:
    certificate = issue(
        record(dose(JANSSEN, "2021-08-01"), dose(PFIZER, "2021-12-01")), pki.document_signer, now=NOW
    )
    entry = decode(certificate.hc1).dcc["v"][0]
    assert (entry["dn"], entry["sd"], entry["mp"]) == (2, 1, "EU/1/20/1528")


def test_ps256_signers_are_supported(pki_ps256: InMemoryPKI) -> None:
    certificate = issue(FULLY_VACCINATED, pki_ps256.document_signer, now=NOW)
    decoded = decode(certificate.hc1)
    assert decoded.protected[1] == -37
    verify_signature(decoded, pki_ps256.document_signer.certificate_der)


def test_validity_is_configurable_and_times_are_whole_seconds(pki: InMemoryPKI) -> None:
    now = NOW.replace(microsecond=987654)
    certificate = issue(FULLY_VACCINATED, pki.document_signer, now=now, validity=dt.timedelta(days=30))
    decoded = decode(certificate.hc1)
    assert decoded.claims[6] == int(NOW.timestamp())
    assert decoded.claims[4] - decoded.claims[6] == 30 * 86400


def test_partial_dates_of_birth_are_kept_as_recorded(pki: InMemoryPKI) -> None:
    for dob in ("1980", "1980-05", "1980-05-17"):
        assert (
            decode(issue(record(*FULLY_VACCINATED.doses, dob=dob), pki.document_signer, now=NOW).hc1).dcc[
                "dob"
            ]
            == dob
        )


def test_a_person_without_given_names_gets_a_family_name_only(pki: InMemoryPKI) -> None:
    names = decode(issue(record(*FULLY_VACCINATED.doses, given=""), pki.document_signer, now=NOW).hc1).dcc[
        "nam"
    ]
    assert names == {"fn": "Nguyễn", "fnt": "NGUYEN"}


def test_every_certificate_gets_its_own_identifier(pki: InMemoryPKI) -> None:
    uvcis = {issue(FULLY_VACCINATED, pki.document_signer, now=NOW).uvci for _ in range(20)}
    assert len(uvcis) == 20


def test_the_identifier_does_not_depend_on_the_person(pki: InMemoryPKI) -> None:
    other = record(*FULLY_VACCINATED.doses, family="Trần", given="Văn Bình", dob="1990")
    a = issue(FULLY_VACCINATED, pki.document_signer, now=NOW, random_bytes=seeded_bytes(5))
    b = issue(other, pki.document_signer, now=NOW, random_bytes=seeded_bytes(5))
    assert a.uvci == b.uvci


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"doses": ()}, "no recorded dose"),
        ({"family": "''"}, "transliterates to nothing"),
        ({"family": ""}, "family name is empty"),
        ({"family": "Nguyễn" * 14}, "more than 80"),
        ({"given": "Ánh ☺"}, "no ICAO 9303 transliteration"),
        ({"dob": "17/05/1980"}, "date of birth"),
        ({"dob": "1980-02-30"}, "not a real date"),
        ({"dob": "1899"}, "date of birth"),
        (
            {"doses": (dose(("EU/1/99/0000", "ORG-100030215", "1119349007"), "2021-08-01"),)},
            "Unknown vaccine code",
        ),
        ({"doses": (dose(PFIZER, "2022-02-01"),)}, "after today"),
        ({"doses": (dose(PFIZER, "2020-06-01"),)}, "before COVID-19 vaccination began"),
        ({"doses": (dose(PFIZER, "2021-08-01", country="XX"),)}, "country of vaccination"),
        ({"doses": (dose(PFIZER, "2021-08-01"),), "dob": "2021-09"}, "before the date of birth"),
    ],
)
def test_bad_records_give_a_clear_error_and_no_certificate(
    pki: InMemoryPKI, changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"family": "Nguyễn", "given": "Thị Ánh", "dob": "1980-05-17"}
    doses = changes.pop("doses", FULLY_VACCINATED.doses)
    arguments.update(changes)
    with pytest.raises(InvalidRecordError, match=message):
        issue(record(*doses, **arguments), pki.document_signer, now=NOW)


def test_a_naive_issuing_time_is_refused(pki: InMemoryPKI) -> None:
    with pytest.raises(CredentialError, match="time zone"):
        issue(FULLY_VACCINATED, pki.document_signer, now=NOW.replace(tzinfo=None))


def test_a_signer_that_fails_gives_a_signing_error(pki: InMemoryPKI) -> None:
    class BrokenSigner:
        kid = pki.document_signer.kid
        algorithm = -7
        certificate_der = pki.document_signer.certificate_der

        def sign(self, sig_structure: bytes) -> bytes:
            raise OSError("HSM unreachable")

    with pytest.raises(SigningError, match="HSM unreachable"):
        issue(FULLY_VACCINATED, BrokenSigner(), now=NOW)


def test_a_signer_returning_a_der_signature_is_refused(pki: InMemoryPKI) -> None:
    class DerSigner:
        kid = pki.document_signer.kid
        algorithm = -7
        certificate_der = pki.document_signer.certificate_der

        def sign(self, sig_structure: bytes) -> bytes:
            return b"\x30\x45" + b"\x00" * 69  # ASN.1 DER, not COSE's raw r||s

    with pytest.raises(SigningError, match="not a COSE signature"):
        issue(FULLY_VACCINATED, DerSigner(), now=NOW)


def test_the_verifier_catches_a_signer_whose_key_does_not_match_its_certificate(
    pki: InMemoryPKI,
) -> None:
    other = generate_test_pki(NOW - dt.timedelta(days=30))

    class MixedUpSigner:  # presents one certificate, signs with another certificate's key
        kid = pki.document_signer.kid
        algorithm = -7
        certificate_der = pki.document_signer.certificate_der

        def sign(self, sig_structure: bytes) -> bytes:
            return other.document_signer.sign(sig_structure)

    with pytest.raises(SelfCheckError, match="verifier rejected"):
        issue(FULLY_VACCINATED, MixedUpSigner(), now=NOW)


def test_the_verifier_check_is_part_of_issuing_a_good_certificate(pki: InMemoryPKI) -> None:
    from verifier import TrustList, verify

    certificate = issue(FULLY_VACCINATED, pki.document_signer, now=NOW)
    result = verify(
        certificate.hc1, TrustList.from_certificates([pki.document_signer.certificate_der]), now=NOW
    )
    assert result.dcc == certificate.dcc
    assert result.kid == pki.document_signer.kid


def test_a_dose_given_just_after_midnight_in_viet_nam_is_certified_at_once(pki: InMemoryPKI) -> None:
    # 00:30 on 15 January in Ha Noi is still 14 January in UTC.
    just_after_midnight = dt.datetime(2022, 1, 14, 17, 30, tzinfo=dt.UTC)
    certificate = issue(record(dose(PFIZER, "2022-01-15")), pki.document_signer, now=just_after_midnight)
    assert decode(certificate.hc1).dcc["v"][0]["dt"] == "2022-01-15"
    with pytest.raises(InvalidRecordError, match="after today"):
        issue(record(dose(PFIZER, "2022-01-16")), pki.document_signer, now=just_after_midnight)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda r: replace(r, family_name=None), "family name must be text"),
        (lambda r: replace(r, date_of_birth=19800517), "date of birth must be text"),
        (lambda r: replace(r, doses=list(r.doses)), "tuple of DoseRecord"),
        (lambda r: replace(r, doses=(replace(r.doses[0], date="2021-08-01"),)), "must be a date"),
        (lambda r: replace(r, doses=(replace(r.doses[0], date=dt.datetime(2021, 8, 1)),)), "must be a date"),
        (lambda r: replace(r, doses=(replace(r.doses[0], mp=None),)), "must be text"),
        (lambda r: "not a record", "VaccinationRecord"),
    ],
)
def test_records_of_the_wrong_shape_are_refused_in_a_sentence(
    pki: InMemoryPKI, broken: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        issue(broken(FULLY_VACCINATED), pki.document_signer, now=NOW)
