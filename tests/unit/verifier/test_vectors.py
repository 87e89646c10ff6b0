"""The verifier agrees with every published EU DCC test vector, flag by flag, stage by stage.

Each case of shared/vectors/dgc-testdata is one test (its path is the id). A flag that is true
means the stage must succeed and give the next stage's published bytes; false means the stage must
fail with its own typed error; an absent flag is not checked. A stage the case gives no data for is
named in the id as unchecked, never guessed.
"""

from __future__ import annotations

from datetime import datetime

import base45 as reference_base45
import pytest

from tests.unit.verifier.vectors import JSON_DIFFERS_FROM_SIGNED, STAGES, Case, all_cases, same_json
from verifier import TrustList, VerificationError, VerificationResult, cose, verify
from verifier.acceptance import accept, shipped_levels
from verifier.base45 import b45decode
from verifier.errors import (
    Base45Error,
    CborError,
    CompressionError,
    CoseError,
    ExpiredError,
    KeyUsageError,
    NotYetValidError,
    PrefixError,
    SchemaError,
    SignatureError,
    UnknownKidError,
)
from verifier.picture import PictureError, read_qr
from verifier.pipeline import (
    certificate_kind,
    check_key_usage,
    check_schema,
    check_signature,
    check_validity,
    decode_claims,
    extract_dcc,
    find_keys,
    inflate,
    unprefix,
)
from verifier.trustlist import trusted_key

PUBLISHED_CASES = 155


def _unchecked(case: Case) -> list[str]:
    notes = []
    if "EXPECTEDPICTUREDECODE" in case.expected and case.picture is None:
        notes.append("PICTUREDECODE unchecked: the case has no 2DCODE picture")
    if case.name in JSON_DIFFERS_FROM_SIGNED:
        notes.append(f"DECODE not compared with JSON: {JSON_DIFFERS_FROM_SIGNED[case.name]}")
    return notes


def _param(case: Case) -> object:
    if case.irregular:
        reason = f"irregular keys {case.irregular}: expectations unclear"
        return pytest.param(
            case, id=f"{case.name} [skipped: {reason}]", marks=pytest.mark.skip(reason=reason)
        )
    notes = _unchecked(case)
    return pytest.param(case, id=case.name + (f" [{'; '.join(notes)}]" if notes else ""))


def test_every_published_case_is_collected() -> None:
    assert len(all_cases()) == PUBLISHED_CASES


def _base45_text(case: Case) -> str:
    return case.raw["BASE45"] if "BASE45" in case.raw else unprefix(case.raw["PREFIX"])


def _compressed(case: Case) -> bytes:
    return case.hex_field("COMPRESSED") or b45decode(_base45_text(case))


def _cose(case: Case) -> bytes:
    return case.hex_field("COSE") or inflate(_compressed(case))


@pytest.mark.parametrize("case", [_param(case) for case in all_cases()])
def test_published_case(case: Case) -> None:
    expected = case.expected
    assert any(flag in expected for flag in STAGES), "a case must expect something of some stage"
    for flag in STAGES:
        if flag in expected:
            CHECKS[flag](case, expected[flag])
    _check_end_to_end(case)


def check_unprefix(case: Case, ok: bool) -> None:
    if ok:
        body = unprefix(case.raw["PREFIX"])
        if "BASE45" in case.raw:
            assert body == case.raw["BASE45"]
    else:
        with pytest.raises(PrefixError):
            unprefix(case.raw["PREFIX"])


def check_base45(case: Case, ok: bool) -> None:
    text = _base45_text(case)
    if ok:
        decoded = b45decode(text)
        assert decoded == reference_base45.b45decode(text)
        if "COMPRESSED" in case.raw:
            assert decoded == case.hex_field("COMPRESSED")
    else:
        with pytest.raises(Base45Error):
            b45decode(text)


def check_compression(case: Case, ok: bool) -> None:
    compressed = _compressed(case)
    if ok:
        inflated = inflate(compressed)
        if "COSE" in case.raw:
            assert inflated == case.hex_field("COSE")
    else:
        with pytest.raises(CompressionError):
            inflate(compressed)


def check_signature_stage(case: Case, ok: bool) -> None:
    trust = TrustList.from_certificates([case.certificate])

    def run() -> None:
        message = cose.parse_sign1(_cose(case))
        key = check_signature(message, find_keys(message, trust))
        assert key.der == case.certificate

    if ok:
        run()
    else:
        with pytest.raises((CoseError, CborError, UnknownKidError, SignatureError)):
            run()


def check_decode(case: Case, ok: bool) -> None:
    def run() -> dict[str, object]:
        return extract_dcc(decode_claims(cose.parse_sign1(_cose(case)).payload))

    if ok:
        dcc = run()
        if case.name not in JSON_DIFFERS_FROM_SIGNED:
            assert same_json(dcc, case.raw["JSON"])
    else:
        with pytest.raises((CborError, CoseError)):
            run()


def check_expiration(case: Case, ok: bool) -> None:
    claims = decode_claims(cose.parse_sign1(_cose(case)).payload)
    if ok:
        issued_at, expires_at = check_validity(claims, case.clock)
        assert issued_at <= case.clock <= expires_at
    else:
        with pytest.raises((NotYetValidError, ExpiredError)):
            check_validity(claims, case.clock)


def check_key_usage_stage(case: Case, ok: bool) -> None:
    dcc = extract_dcc(decode_claims(cose.parse_sign1(_cose(case)).payload))
    key = trusted_key(case.certificate)
    kind = certificate_kind(dcc)
    if ok:
        check_key_usage(key, kind)
    else:
        with pytest.raises(KeyUsageError):
            check_key_usage(key, kind)


def value_set_failures(dcc: dict[str, object], kind: str, clock: datetime) -> list[str]:
    """The value-set rules of the shipped rule set that refuse this payload (acceptance, not validity)."""
    acceptance = accept(shipped_levels()[-1][1], dcc, kind, "VN", clock)
    return [outcome.rule.identifier for outcome in acceptance.failed if outcome.rule.value_sets]


def check_schema_stage(case: Case, ok: bool) -> None:
    # The signed payload is what is validated (the JSON field is only its published rendering).
    # The vectors count value-set membership as schema validation; the EU verifiers, and this one,
    # check it in acceptance. So a case that must fail fails either the structure or a value-set rule.
    dcc = extract_dcc(decode_claims(cose.parse_sign1(_cose(case)).payload))
    if ok:
        kind = certificate_kind(dcc)
        assert check_schema(dcc, kind)
        assert value_set_failures(dcc, kind, case.clock) == []
    else:
        try:
            kind = certificate_kind(dcc)
            check_schema(dcc, kind)
        except SchemaError:
            return
        assert value_set_failures(dcc, kind, case.clock), (
            "neither the structure nor a value-set rule refuses it"
        )


def check_picture(case: Case, ok: bool) -> None:
    picture = case.picture
    if picture is None:
        return  # named as unchecked in the test id
    if ok:
        assert read_qr(picture) == case.raw["PREFIX"]
    else:
        try:
            text = read_qr(picture)
        except PictureError:
            return
        assert text != case.raw["PREFIX"]


CHECKS = {
    "EXPECTEDUNPREFIX": check_unprefix,
    "EXPECTEDB45DECODE": check_base45,
    "EXPECTEDCOMPRESSION": check_compression,
    "EXPECTEDVERIFY": check_signature_stage,
    "EXPECTEDDECODE": check_decode,
    "EXPECTEDEXPIRATIONCHECK": check_expiration,
    "EXPECTEDKEYUSAGE": check_key_usage_stage,
    "EXPECTEDSCHEMAVALIDATION": check_schema_stage,
    "EXPECTEDPICTUREDECODE": check_picture,
}

VERIFY_STAGES = tuple(flag for flag in STAGES if flag != "EXPECTEDPICTUREDECODE")
# With these known true, the whole pipeline must pass, except for a stage the case leaves open.
DECISIVE = ("EXPECTEDVERIFY", "EXPECTEDEXPIRATIONCHECK", "EXPECTEDSCHEMAVALIDATION")
REASON_OF_OPEN_STAGE = {"EXPECTEDKEYUSAGE": "key_usage", "EXPECTEDCOMPRESSION": "compression"}


def _check_end_to_end(case: Case) -> None:
    """The one-call verify agrees: any failing stage makes it fail; all stages passing make it pass.

    A case whose only failing stage is a value-set code is authentic: verify passes and the shipped
    value-set rules refuse it (validity apart from acceptance).
    """
    expected = case.expected
    if "CERTIFICATE" not in case.context or "PREFIX" not in case.raw:
        return
    trust = TrustList.from_certificates([case.certificate])
    failing = [flag for flag in VERIFY_STAGES if expected.get(flag) is False]
    if failing == ["EXPECTEDSCHEMAVALIDATION"]:
        outcome = _verify_or_error(case, trust)
        if isinstance(outcome, VerificationResult):
            assert value_set_failures(outcome.dcc, outcome.kind, case.clock)
        else:
            assert outcome.reason == "schema"
    elif failing:
        with pytest.raises(VerificationError):
            verify(case.raw["PREFIX"], trust, now=case.clock)
    elif all(expected.get(flag) is True for flag in DECISIVE):
        open_reasons = {reason for flag, reason in REASON_OF_OPEN_STAGE.items() if flag not in expected}
        outcome = _verify_or_error(case, trust)
        if isinstance(outcome, VerificationError):
            assert outcome.reason in open_reasons, f"{outcome.reason}: {outcome}"
        else:
            assert outcome.dcc == extract_dcc(decode_claims(cose.parse_sign1(_cose(case)).payload))


def _verify_or_error(case: Case, trust: TrustList) -> VerificationResult | VerificationError:
    try:
        return verify(case.raw["PREFIX"], trust, now=case.clock)
    except VerificationError as error:
        return error
