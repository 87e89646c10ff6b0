"""The console's errors: the catalog's sentence in Vietnamese (default) or English (`--lang en` or
IMMUNIZE_LANGUAGE=en), one line on stderr, no traceback, the exit status by the error's kind."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from uuid import UUID

import click
import pytest
from click.testing import CliRunner

from cli.errors import EXIT_BY_KIND
from cli.main import _register, immunize
from ledger.application import Ledger
from ledger.values import Actor, Role

ADMIN = Actor("admin", Role.ADMIN)
PFIZER = "EU/1/20/1528"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> click.Group:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    monkeypatch.setenv("IMMUNIZE_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_LANGUAGE", raising=False)
    _register()
    return immunize


def one_line(result: click.testing.Result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [
        ([], {}, "Lỗi: Số CCCD gồm 12 chữ số (CMND cũ: 9 chữ số)"),
        (["--lang", "en"], {}, "Error: A national ID number is 12 digits (CCCD) or 9 digits (CMND)"),
        (
            [],
            {"IMMUNIZE_LANGUAGE": "en"},
            "Error: A national ID number is 12 digits (CCCD) or 9 digits (CMND)",
        ),
        (["--lang", "vi"], {"IMMUNIZE_LANGUAGE": "en"}, "Lỗi: Số CCCD gồm 12 chữ số"),  # the option wins
    ],
)
def test_a_malformed_id_is_one_sentence_in_the_chosen_language_and_exit_invalid(
    cli: click.Group, options: list[str], env: dict[str, str], expected: str
) -> None:
    result = CliRunner().invoke(cli, [*options, "person", "show", "123"], env=env)
    assert result.exit_code == EXIT_BY_KIND["invalid"] == 3
    assert one_line(result).startswith(expected)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "vi",
            "Lỗi: Không tìm thấy người này. Kiểm tra lại số giấy tờ hoặc đăng ký mới. (No person is registered",
        ),
        ("en", "Error: No person is registered with that national ID number: check it or register them."),
    ],
)
def test_an_unknown_person_is_not_found(cli: click.Group, lang: str, expected: str) -> None:
    result = CliRunner().invoke(cli, ["--lang", lang, "person", "show", "001085012345"])
    assert result.exit_code == EXIT_BY_KIND["not_found"] == 4
    assert one_line(result).startswith(expected)


def _campaign() -> tuple[UUID, UUID, UUID, UUID]:
    """Two sites, a lot held at the second, and a person with dose 1 on 1 August 2021 (Pfizer)."""
    ledger = Ledger()
    try:
        hanoi = ledger.register_site(
            code="HN", name="Trạm Y tế Phúc Xá", ward_code="00001", capacity_per_day=100, actor=ADMIN,
            idempotency_key="s1",
        )  # fmt: skip
        saigon = ledger.register_site(
            code="HCM", name="Trạm Y tế Tân Định", ward_code="26734", capacity_per_day=100, actor=ADMIN,
            idempotency_key="s2",
        )  # fmt: skip
        lot = ledger.receive_lot(
            product=PFIZER, lot_number="PF-HCM", expiry=date(2030, 1, 1), site_id=saigon, quantity=10,
            actor=ADMIN, idempotency_key="l",
        )  # fmt: skip
        person = ledger.register_person(
            national_id="001085012345", full_name="Nguyễn Thị Ánh", date_of_birth="1985", sex="female",
            phone=None, ward_code="00001", priority_group="OTHER", actor=ADMIN, idempotency_key="p",
        )  # fmt: skip
        ledger.record_dose(
            person_id=person, dose_number=1, product=PFIZER, lot_id=lot, administered_on=date(2021, 8, 1),
            site_id=saigon, actor=ADMIN, idempotency_key="d1",
        )  # fmt: skip
        return hanoi, saigon, lot, person
    finally:
        ledger.close()


def _doses(person: UUID) -> int:
    ledger = Ledger()
    try:
        return len(ledger.get_person(person).active_doses)
    finally:
        ledger.close()


def test_a_rule_with_values_speaks_them_and_writes_nothing(cli: click.Group) -> None:
    hanoi, saigon, lot, person = _campaign()
    args = ["dose", "record", "--person", str(person), "--lot", str(lot), "--site", str(saigon)]

    early = CliRunner().invoke(cli, [*args, "--date", "2021-08-02"])
    assert early.exit_code == EXIT_BY_KIND["invalid"]
    assert one_line(early) == "Lỗi: Mũi 2 phải cách mũi 1 ít nhất 21 ngày (sớm nhất 22/08/2021)."
    english = CliRunner().invoke(cli, [*args, "--date", "2021-08-02"], env={"IMMUNIZE_LANGUAGE": "en"})
    assert one_line(english) == "Error: Dose 2 must be at least 21 days after dose 1 (earliest 22/08/2021)."

    elsewhere = ["dose", "record", "--person", str(person), "--lot", str(lot), "--site", str(hanoi)]
    refused = CliRunner().invoke(cli, [*elsewhere, "--date", "2021-08-30"])
    assert refused.exit_code == EXIT_BY_KIND["forbidden"] == 5
    assert one_line(refused) == (
        "Lỗi: Lô PF-HCM không thuộc điểm tiêm này. Chọn lô của điểm tiêm, hoặc điều chuyển lô trước."
    )
    assert _doses(person) == 1


def test_an_unknown_language_is_a_usage_error(cli: click.Group) -> None:
    result = CliRunner().invoke(cli, ["person", "show", "123"], env={"IMMUNIZE_LANGUAGE": "fr"})
    assert result.exit_code == 2  # click's own status for a malformed command line
    assert "'fr' is not one of 'vi', 'en'" in result.stderr


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (None, "Lỗi: Không tìm thấy người này."),
        ("en", "Error: No person is registered with that national ID number: check it or register them."),
    ],
)
def test_the_installed_console_script_prints_one_line_and_exits_by_kind(
    tmp_path: Path, lang: str | None, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IMMUNIZE_LANGUAGE"}
    env |= {
        "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
    }
    if lang is not None:
        env["IMMUNIZE_LANGUAGE"] = lang
    script = Path(sys.executable).parent / "immunize"
    done = subprocess.run(
        [str(script), "person", "show", "001085012345"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 4
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(expected)
