"""dcc-verify at the border: exit 0 valid, 1 invalid, 2 usage error; staff see only name, birth date, verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.verifier.pki import (
    NOW,
    issue,
    make_csca,
    make_dsc,
    make_self_signed,
    revocation_list_payload,
    sample_dcc,
    signed_list,
    trust_list_payload,
)
from tests.unit.verifier.test_picture import qr_picture
from verifier.cli import main

CSCA = make_csca()
DSC = make_dsc(CSCA)
AT = NOW.isoformat()
BOOSTER_RULE = {
    "Identifier": "VR-XX-0001",
    "Type": "Acceptance",
    "Country": "XX",
    "Version": "1.0.0",
    "Engine": "CERTLOGIC",
    "EngineVersion": "1.3.3",
    "CertificateType": "Vaccination",
    "Description": [
        {"lang": "en", "desc": "A booster dose is required."},
        {"lang": "vi", "desc": "Cần tiêm mũi nhắc lại."},
    ],
    "ValidFrom": "2021-01-01T00:00:00Z",
    "ValidTo": "2030-01-01T00:00:00Z",
    "AffectedFields": ["v.0.dn", "v.0.sd"],
    "Logic": {
        "if": [{"var": "payload.v.0"}, {">": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]}, True]
    },
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "dsc": tmp_path / "dsc.der",
        "dsc_pem": tmp_path / "dsc.pem",
        "anchor": tmp_path / "csca.pem",
        "trust": tmp_path / "trust.cbor",
        "revoked": tmp_path / "revoked.cbor",
        "rules": tmp_path / "rules.json",
    }
    paths["dsc"].write_bytes(DSC.der)
    paths["dsc_pem"].write_bytes(DSC.pem)
    paths["anchor"].write_bytes(CSCA.pem)
    paths["trust"].write_bytes(signed_list(CSCA, trust_list_payload([DSC.der])))
    paths["revoked"].write_bytes(signed_list(CSCA, revocation_list_payload(["URN:UVCI:01:VN:REVOKED1#B"])))
    paths["rules"].write_text(json.dumps(BOOSTER_RULE))
    return paths


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as stop:  # argparse usage errors
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_valid_certificate_shows_only_name_birth_date_and_verdict(capsys, files) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", AT, issue(DSC))
    assert code == 0
    assert out.splitlines() == [
        "VALID: green — authentic, accepted by the rules of VN",
        "Name: Nguyễn Văn An (NGUYEN VAN<AN)",
        "Date of birth: 1990-01-01",
    ]
    assert "URN:UVCI" not in out
    assert "EU/1/20/1528" not in out


def test_verbose_shows_the_rest(capsys, files) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--certificate", str(files["dsc_pem"]), "--at", AT, "--verbose", issue(DSC))
    assert code == 0
    assert "certificate_id: URN:UVCI:01:VN:TEST0001#A" in out
    assert f"kid: {DSC.kid.hex()}" in out


def test_json_output(capsys, files) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys, "--certificate", str(files["dsc"]), "--at", AT, "--json", issue(DSC, sample_dcc(dn=1))
    )
    assert code == 0
    outcome = json.loads(out)
    assert outcome["valid"] is True
    assert outcome["verdict"] == "yellow"
    assert outcome["failed_rule"]["rule"] == "VR-VN-0101"  # why not green
    assert outcome["accepted"] is True
    assert outcome["name"] == "Nguyễn Văn An"
    assert outcome["date_of_birth"] == "1990-01-01"
    assert "details" not in outcome


def test_an_expired_certificate_exits_1_with_the_reason(capsys, files) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys, "--certificate", str(files["dsc"]), "--at", "2030-01-01T00:00:00Z", "--json", issue(DSC)
    )
    assert code == 1
    assert json.loads(out)["reason"] == "expired"
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", "2030-01-01", issue(DSC))
    assert code == 1
    assert out.startswith("INVALID (expired): The certificate expired on")
    assert "Nguyễn" not in out


def test_trust_list_and_revocation_list(capsys, files) -> None:  # type: ignore[no-untyped-def]
    trust = [
        "--trust-list",
        str(files["trust"]),
        "--anchor",
        str(files["anchor"]),
        "--revocation-list",
        str(files["revoked"]),
    ]
    assert run(capsys, *trust, "--at", AT, issue(DSC))[0] == 0
    code, out, _ = run(capsys, *trust, "--at", AT, issue(DSC, sample_dcc(ci="URN:UVCI:01:VN:REVOKED1#B")))
    assert code == 1
    assert out.startswith("INVALID (revoked)")


def test_the_reviews_forged_trust_list_is_refused_by_the_command(capsys, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    forger = make_self_signed()
    forged = tmp_path / "forged.cbor"
    forged.write_bytes(signed_list(DSC, trust_list_payload([DSC.der, forger.der]), x5chain=True))
    code, out, err = run(
        capsys, "--trust-list", str(forged), "--anchor", str(files["anchor"]), "--at", AT, issue(forger)
    )
    assert code == 2
    assert "VALID" not in out
    assert "not a list-signing certificate" in err
    # with the genuine list also at hand, the genuine one is used and the forged one named
    code, out, err = run(
        capsys,
        "--trust-list",
        str(files["trust"]),
        "--trust-list",
        str(forged),
        "--anchor",
        str(files["anchor"]),
        "--at",
        AT,
        issue(forger),
    )
    assert code == 1
    assert out.startswith("INVALID (unknown_kid)")
    assert "forged.cbor" in err


def test_an_authentic_certificate_a_rule_keeps_out_is_not_accepted_never_invalid(capsys, files) -> None:  # type: ignore[no-untyped-def]
    rules = ["--rules", str(files["rules"]), "--country", "XX"]
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", AT, *rules, issue(DSC))
    assert code == 3
    assert out.splitlines()[0] == "authentic — not accepted: rule VR-XX-0001 (A booster dose is required.)"
    assert "INVALID" not in out
    code, out, _ = run(
        capsys, "--certificate", str(files["dsc"]), "--at", AT, *rules, "--language", "vi", issue(DSC)
    )
    assert (
        out.splitlines()[0] == "xác thực — không được chấp nhận: quy tắc VR-XX-0001 (Cần tiêm mũi nhắc lại.)"
    )
    code, out, _ = run(
        capsys, "--certificate", str(files["dsc"]), "--at", AT, *rules, issue(DSC, sample_dcc(dn=3))
    )
    assert code == 0
    assert out.splitlines()[0] == "VALID — authentic — accepted (1 rules of XX passed)"


def test_viet_nam_cards_from_the_shipped_certlogic_rules(capsys, files) -> None:  # type: ignore[no-untyped-def]
    trust = ["--certificate", str(files["dsc"]), "--at", AT]
    code, out, _ = run(capsys, *trust, issue(DSC, sample_dcc(dn=1)))
    assert code == 0
    assert out.splitlines()[0].startswith(
        "VALID: yellow — authentic, accepted by the rules of VN (not green: rule VR-VN-0101 (Green card:"
    )
    unknown_vaccine = sample_dcc()
    unknown_vaccine["v"][0]["mp"] = "Unknown-Vaccine-2026"
    code, out, _ = run(capsys, *trust, "--language", "vi", issue(DSC, unknown_vaccine))
    assert code == 3
    assert out.splitlines()[0] == (
        "xác thực — không được chấp nhận: quy tắc VR-VN-0003 "
        "(Tên vắc xin phải thuộc bộ giá trị của EU (vaccines-covid-19-names).)"
    )


def test_several_entries_say_which_one_the_rules_read(capsys, files) -> None:  # type: ignore[no-untyped-def]
    dcc = sample_dcc(dn=2, sd=2, dt="2021-08-01")
    dcc["v"].insert(0, dict(dcc["v"][0], dn=1, dt="2021-07-01"))
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", AT, issue(DSC, dcc))
    assert code == 0
    assert out.splitlines()[0].startswith("VALID: green")
    assert "The rules looked at entry 2 of 2 (the most recent) of this certificate." in out


def test_image_input(capsys, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(qr_picture(issue(DSC), angle=33, scale=1.6, image_format="JPEG"))
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", AT, "--image", str(photo))
    assert code == 0
    assert out.startswith("VALID: green — authentic")
    blank = tmp_path / "blank.png"
    blank.write_bytes(b"not a picture")
    code, out, _ = run(capsys, "--certificate", str(files["dsc"]), "--at", AT, "--image", str(blank))
    assert code == 1
    assert out.startswith("INVALID (picture)")


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "exactly one"),
        (["HC1:X", "--image", "x.png"], "exactly one"),
        (["HC1:X"], "give the trusted keys"),
        (["--trust-list", "t.cbor", "HC1:X"], "needs --anchor"),
        (["--certificate", "absent.der", "HC1:X"], "absent.der"),
        (["--certificate", "DSC", "--at", "yesterday", "HC1:X"], "not an ISO 8601 time"),
        (["--certificate", "DSC", "--rules", "absent.json", "HC1:X"], "could not be read"),
        (["--certificate", "DSC", "--country", "DE", "HC1:X"], "[unknown_country]"),
        (["--certificate", "DSC", "--rules", "RULES", "--country", "FR", "HC1:X"], "[unknown_country]"),
        (["--certificate", "DSC", "--rules", "BADJSON", "HC1:X"], "[rules_malformed]"),
        (
            ["--certificate", "DSC", "--rules", "UNKNOWNOP", "--country", "XX", "HC1:X"],
            "[certlogic_unknown_operation]",
        ),
        (["--certificate", "DSC", "--rules", "DEEP", "--country", "XX", "HC1:X"], "[certlogic_too_deep]"),
        (["--certificate", "DSC", "--rules", "HUGE", "HC1:X"], "[rules_too_large]"),
        (["--certificate", "DSC", "--valuesets", "NOSETS", "HC1:X"], "[missing_value_set]"),
        (["--trust-list", "BADTRUST", "--anchor", "ANCHOR", "HC1:X"], "trust list"),
        (["--certificate", "DSC", "--trust-list", "TRUST", "--anchor", "ANCHOR", "HC1:X"], "not both"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    capsys, files, argv: list[str], complaint: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.cbor").write_bytes(b"junk")
    (tmp_path / "bad.json").write_text('{"Identifier": ')
    (tmp_path / "unknown.json").write_text(json.dumps(dict(BOOSTER_RULE, Logic={"regex": ["a", "b"]})))
    deep: object = True
    for _ in range(100):
        deep = {"!": [deep]}
    (tmp_path / "deep.json").write_text(json.dumps(dict(BOOSTER_RULE, Logic=deep)))
    (tmp_path / "huge.json").write_text(json.dumps([BOOSTER_RULE] * 20000))
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "countries.json").write_text(
        json.dumps({"valueSetId": "country-2-codes", "valueSetValues": {"VN": {}}})
    )
    substitutes = {
        "RULES": str(files["rules"]),
        "BADJSON": str(tmp_path / "bad.json"),
        "UNKNOWNOP": str(tmp_path / "unknown.json"),
        "DEEP": str(tmp_path / "deep.json"),
        "HUGE": str(tmp_path / "huge.json"),
        "NOSETS": str(sets),
        "DSC": str(files["dsc"]),
        "ANCHOR": str(files["anchor"]),
        "TRUST": str(files["trust"]),
        "BADTRUST": str(tmp_path / "bad.cbor"),
    }
    code, out, err = run(capsys, *[substitutes.get(arg, arg) for arg in argv])
    assert code == 2
    assert complaint in err
    assert "Traceback" not in err
    assert out == ""


def test_the_installed_command_reads_standard_input(files) -> None:  # type: ignore[no-untyped-def]
    command = Path(sys.executable).with_name("dcc-verify")
    done = subprocess.run(
        [str(command), "--certificate", str(files["dsc"]), "--at", AT, "-"],
        input=issue(DSC).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("VALID: green — authentic")
    garbage = subprocess.run(
        [str(command), "--certificate", str(files["dsc"]), "--at", AT, "-"],
        input=b"HC1:!!!",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert garbage.returncode == 1
    assert garbage.stdout.decode().startswith("INVALID (base45)")


def test_a_reader_that_stops_early_gets_no_traceback(files) -> None:  # type: ignore[no-untyped-def]
    command = Path(sys.executable).with_name("dcc-verify")
    reader = subprocess.Popen(["head", "-c", "0"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    reader.wait(timeout=60)  # the reader is gone before anything is written: every write meets a closed pipe
    done = subprocess.run(
        [str(command), "--certificate", str(files["dsc"]), "--at", AT, "--verbose", issue(DSC)],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    reader.stdin.close()
    assert "Traceback" not in done.stderr.decode()
    assert "BrokenPipeError" not in done.stderr.decode()
    assert done.returncode == 141


def test_the_vietnamese_output_is_vietnamese(capsys, files) -> None:  # type: ignore[no-untyped-def]
    trust = ["--certificate", str(files["dsc"]), "--at", AT, "--language", "vi"]
    code, out, _ = run(capsys, *trust, issue(DSC, sample_dcc(dn=2, sd=2)))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "HỢP LỆ: thẻ xanh — xác thực, được chấp nhận theo quy tắc của VN"
    assert lines[1].startswith("Họ tên: ")
    assert lines[2] == "Ngày sinh: 01/01/1990"  # day/month/year, as Vietnamese papers write it
    for english in ("VALID", "authentic", "accepted", "Name", "Date of birth", "green"):
        assert english not in out
    code, out, _ = run(capsys, *trust, "HC1:not base45 at all")
    assert code == 1
    assert out.startswith("KHÔNG HỢP LỆ (base45): Phần sau HC1: không phải base45 hợp lệ. (")
    code, out, _ = run(
        capsys, "--certificate", str(files["dsc"]), "--at", AT, issue(DSC, sample_dcc(dn=2, sd=2))
    )
    assert out.splitlines()[0] == "VALID: green — authentic, accepted by the rules of VN"  # English unchanged


@pytest.mark.parametrize(
    ("dob", "vietnamese", "english"),
    [
        ("1988-03-05", "05/03/1988", "1988-03-05"),
        ("1988-03", "03/1988", "1988-03"),  # the schema allows a month or a year alone
        ("1988", "1988", "1988"),
        ("1988-03-05T00:00:00", "05/03/1988", "1988-03-05T00:00:00"),  # older issuers wrote a time
        ("", "", ""),
    ],
)
def test_the_birth_date_is_day_month_year_in_vietnamese(dob: str, vietnamese: str, english: str) -> None:
    from verifier.texts import birth_line

    assert birth_line(dob, "vi") == f"Ngày sinh: {vietnamese}"
    assert birth_line(dob, "en") == f"Date of birth: {english}"
