"""Small problems a user trial met on the demo (/work/notes/s3-usertrial.md); each test reproduces one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app, sign_in_as


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)


@pytest.mark.parametrize(
    ("language", "header"), [("vi", "Thời điểm (giờ Việt Nam)"), ("en", "When (Viet Nam time)")]
)
def test_the_audit_reads_time_column_says_viet_nam_time_as_its_cells_are(
    app: Flask, language: str, header: str
) -> None:
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    page = auditor.get("/audit/reads", headers={"Accept-Language": language}).get_data(as_text=True)
    assert header in page
    assert "(UTC)" not in page
