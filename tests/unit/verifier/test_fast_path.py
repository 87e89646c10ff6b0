"""verify's one-frame path for the common certificate shape gives exactly the staged path's answer.

`pipeline._verify_common` answers with a result only where every check passed in the same order as
the staged `pipeline._verify`; anything else goes staged (None, or on along `_after_signature`). Here
the two are run side by side on the published vectors (whole, and mutated at the text, the zlib
stream and the CBOR bytes), on re-signed claims mutated at every path, on claim times and groups of
every odd shape, and on trust lists with freshness and revocation data. An answer is the result,
or the refusal's class and wording. The fast path must also be taken where it is meant to be
(otherwise these tests would pass vacuously).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.verifier.pki import (
    NOW,
    VALID_FROM,
    VALID_UNTIL,
    claims,
    hc1_from_cose,
    issue,
    make_csca,
    make_dsc,
    revocation_list_payload,
    sample_dcc,
    sign1,
    signed_list,
    trust_list_payload,
)
from tests.unit.verifier.vectors import all_cases
from verifier import TrustList, VerificationError, VerificationResult, pipeline
from verifier.base45 import b45decode

SKEW = timedelta(minutes=5)
CSCA = make_csca()
DSC = make_dsc(CSCA)
TEST_ONLY = make_dsc(CSCA, usages=("1.3.6.1.4.1.1847.2021.1.1",), seed=3)
OWN_TRUST = TrustList.from_certificates([DSC.der, TEST_ONLY.der])
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answer(function: Any, text: Any, trust: TrustList, now: datetime) -> Any:
    """What one path says: its result, None (the fast path stepped aside), or the refusal."""
    try:
        return function(text, trust, now, SKEW)
    except VerificationError as error:
        return (type(error).__name__, str(error), error.reason)
    except Exception as error:  # verify() turns these into CborError; both paths must raise the same
        return ("other", type(error).__name__, str(error))


def same_answer(text: Any, trust: TrustList, now: datetime) -> bool:
    """Both paths agree; True when the fast path itself answered with a result."""
    fast = answer(pipeline._verify_common, text, trust, now)
    staged = answer(pipeline._verify, text, trust, now)
    if fast is not None:
        assert fast == staged
    return isinstance(fast, VerificationResult)


def published() -> list[tuple[str, TrustList, datetime]]:
    found = []
    for case in all_cases():
        if "CERTIFICATE" not in case.context or "PREFIX" not in case.raw:
            continue
        try:
            trust = TrustList.from_certificates([case.certificate])
        except VerificationError:
            continue
        found.append((case.raw["PREFIX"], trust, case.clock))
    return found


PUBLISHED = published()


def test_every_published_vector_gets_the_same_answer_and_most_valid_ones_take_the_fast_path() -> None:
    valid = fast = 0
    for text, trust, clock in PUBLISHED:
        took_fast = same_answer(text, trust, clock)
        if isinstance(answer(pipeline._verify, text, trust, clock), VerificationResult):
            valid += 1
            fast += took_fast
    assert valid > 100
    assert fast >= 0.8 * valid, (fast, valid)  # 105 of 125 when written
    assert same_answer(issue(DSC), OWN_TRUST, NOW)


@FAST
@given(st.sampled_from(PUBLISHED), st.data())
def test_mutated_published_vectors_get_the_same_answer(start: Any, data: st.DataObject) -> None:
    text, trust, clock = start
    layer = data.draw(st.sampled_from(["text", "zlib", "cbor"]))
    if layer == "text":
        chars = list(text)
        at = data.draw(st.integers(0, len(chars) - 1))
        chars[at] = data.draw(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a\n"))
        mutated = "".join(chars)
    else:
        try:
            stream = b45decode(text.strip()[4:])
            blob = stream if layer == "zlib" else zlib.decompress(stream)
        except Exception:
            return
        buffer = bytearray(blob)
        at = data.draw(st.integers(0, len(buffer) - 1))
        buffer[at] ^= data.draw(st.integers(1, 255))
        raw = bytes(buffer) if layer == "zlib" else zlib.compress(bytes(buffer))
        mutated = "HC1:" + base45.b45encode(raw).decode()
    same_answer(mutated, trust, clock)


CBOR_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.integers(-300, 300) | st.text(max_size=3), children, max_size=3)
        | st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 100, 1004, 24]), children)
    ),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@FAST
@given(st.data())
def test_resigned_claims_mutated_at_every_path_get_the_same_answer(data: st.DataObject) -> None:
    """Validly signed, so the checks after the signature meet odd values on both paths."""
    payload = claims(sample_dcc())
    path = data.draw(st.sampled_from(_paths(payload)[1:]))
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(CBOR_VALUES)
    try:
        encoded = cbor2.dumps(payload)
    except Exception:
        return
    signer = data.draw(st.sampled_from([DSC, TEST_ONLY]))
    same_answer(hc1_from_cose(sign1(signer, encoded)), OWN_TRUST, NOW)


TIMES = st.one_of(
    st.integers(-(2**64), 2**64),
    st.integers(int((NOW - timedelta(days=400)).timestamp()), int((NOW + timedelta(days=400)).timestamp())),
    st.floats(),
    st.builds(lambda s: datetime.fromtimestamp(s, UTC), st.integers(1_500_000_000, 1_800_000_000)),
    st.none(),
    st.text(max_size=3),
)


@FAST
@given(
    iat=TIMES,
    exp=TIMES,
    groups=st.dictionaries(st.sampled_from(["v", "t", "r"]), st.sampled_from([None, [], 0, False, "x"])),
    check_at=st.integers(-900, 900),
)
def test_claim_times_groups_and_check_times_get_the_same_answer(
    iat: Any, exp: Any, groups: dict[str, Any], check_at: int
) -> None:
    dcc = sample_dcc()
    dcc.update(groups)
    payload = {1: "VN", 6: iat, 4: exp, -260: {1: dcc}}
    text = hc1_from_cose(sign1(DSC, cbor2.dumps(payload)))
    now = NOW + timedelta(seconds=check_at)
    same_answer(text, OWN_TRUST, now)
    # the same at the edges of the skew around iat and exp, where the comparisons decide
    for edge in (iat, exp):
        if type(edge) is int and abs(edge) < 2**33:
            for offset in (-301, -300, -299, 299, 300, 301):
                same_answer(text, OWN_TRUST, datetime.fromtimestamp(edge + offset, UTC))


def answered_inline(text: Any, trust: TrustList, now: datetime, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether the fast path answered with a result by itself (not going on along the staged path)."""
    handed_on: list[bool] = []
    staged_rest = pipeline._after_signature

    def recording(*args: Any) -> VerificationResult:
        handed_on.append(True)
        return staged_rest(*args)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_after_signature", recording)
        fast = answer(pipeline._verify_common, text, trust, now)
    assert fast is None or fast == answer(pipeline._verify, text, trust, now)
    return isinstance(fast, VerificationResult) and not handed_on


def test_the_common_shape_is_the_only_one_answered_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kid in the unprotected header, a PS256 key, null groups, bytes: the staged path answers."""
    assert answered_inline(issue(DSC), OWN_TRUST, NOW, monkeypatch)
    assert answered_inline(issue(DSC, sample_dcc(ci="x" * 80)), OWN_TRUST, NOW, monkeypatch)
    encoded = cbor2.dumps(claims(sample_dcc()))
    unprotected = hc1_from_cose(sign1(DSC, encoded, protected={1: -7}, unprotected={4: DSC.kid}))
    rsa = make_dsc(CSCA, kind="rsa", seed=5)
    nulls = sample_dcc()
    nulls["t"] = None
    floats = sample_dcc()
    floats["v"][0]["dn"] = 2.0
    for text, trust in (
        (unprotected, OWN_TRUST),
        (issue(rsa), TrustList.from_certificates([rsa.der])),
        (issue(DSC, nulls), OWN_TRUST),
        (issue(DSC, floats), OWN_TRUST),
        (issue(DSC, sample_dcc(ci="x" * 81)), OWN_TRUST),  # refused by the structure check
        (issue(TEST_ONLY), OWN_TRUST),  # refused by key usage
        (issue(DSC, issued_at=NOW + timedelta(hours=1)), OWN_TRUST),  # not yet valid
    ):
        assert not answered_inline(text, trust, NOW, monkeypatch)
        same_answer(text, trust, NOW)
    assert answer(pipeline._verify_common, issue(DSC).encode(), OWN_TRUST, NOW) is None  # bytes: staged


@pytest.mark.parametrize("revoked", [False, True])
@pytest.mark.parametrize("check_days", [0, 6.5, 12, 30])
def test_signed_lists_freshness_and_revocation_get_the_same_answer(
    tmp_path: Path, revoked: bool, check_days: float
) -> None:
    ci = "URN:UVCI:01:VN:TEST0001#A"
    trust_file = tmp_path / "trust.cose"
    trust_file.write_bytes(signed_list(CSCA, trust_list_payload([DSC.der])))
    revocation_file = tmp_path / "revocation.cose"
    revocation_file.write_bytes(signed_list(CSCA, revocation_list_payload([ci] if revoked else ["other"])))
    trust = TrustList.load(trust_file, anchor=CSCA.der, revocation_list=revocation_file)
    now = NOW + timedelta(days=check_days)
    text = issue(DSC, sample_dcc(ci=ci))
    fast = same_answer(text, trust, now)
    staged = answer(pipeline._verify, text, trust, now)
    assert fast == isinstance(staged, VerificationResult)
    if check_days == 0:
        assert (staged[0] == "RevokedError") if revoked else isinstance(staged, VerificationResult)


@pytest.mark.parametrize("edge", ["from", "until"])
@pytest.mark.parametrize("offset", [-301, -300, -299, 0, 299, 300, 301, 86_400])
def test_check_times_around_the_signing_certificates_validity_get_the_same_answer(
    edge: str, offset: int
) -> None:
    """The DSC not yet valid or expired at the check time (with the skew), iat inside its validity."""
    moment = (VALID_FROM if edge == "from" else VALID_UNTIL) + timedelta(seconds=offset)
    issued = VALID_FROM + timedelta(days=1) if edge == "until" else VALID_FROM
    expires = VALID_UNTIL + timedelta(days=400)
    # Claim times whose bytes hold no CBOR head the all-JSON test looks for, so the fast path decides.
    while cbor2.dumps([int(issued.timestamp()), int(expires.timestamp())]).translate(
        None, pipeline._ALL_BUT_HEAD_STARTS
    ):
        expires += timedelta(seconds=7)
    text = issue(DSC, issued_at=issued, expires_at=expires)
    answered = [same_answer(text, OWN_TRUST, now) for now in (moment, moment - timedelta(days=1))]
    assert answered == [
        isinstance(answer(pipeline._verify, text, OWN_TRUST, now), VerificationResult)
        for now in (moment, moment - timedelta(days=1))
    ]
