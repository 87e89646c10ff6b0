"""`immunize certificate issue|revoke|withdrawn` from a shell: HC1 printed, pictures written, errors in one line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from cli.certificate_commands import COMMANDS as CERTIFICATE_COMMANDS
from cli.errors import ReportingGroup
from cli.ledger_commands import COMMANDS as LEDGER_COMMANDS
from keys.development import ensure_development_keys
from tests.qr_reader import QR_ONLY
from tests.unit.credentials.decode import decode
from tests.unit.credentials.pdfread import images, page_text


@pytest.fixture
def immunize() -> click.Group:
    group = ReportingGroup("immunize")
    for command in [*LEDGER_COMMANDS, *CERTIFICATE_COMMANDS]:
        group.add_command(command)
    return group


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    monkeypatch.setenv("IMMUNIZE_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_PASSPHRASE", raising=False)
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    return CliRunner()


@pytest.fixture
def vaccinated(runner: CliRunner, immunize: click.Group) -> dict[str, object]:
    """A person of the demo campaign with two doses."""
    seeded = runner.invoke(immunize, ["demo", "seed", "--people", "60", "--seed", "3"])
    assert seeded.exit_code == 0, seeded.output
    listed = runner.invoke(immunize, ["person", "list", "--json", "--limit", "1000"])
    people = json.loads(listed.output)
    person: dict[str, object] = next(p for p in people if len(p["doses"]) == 2 and p["national_id"])
    return person


def test_issue_prints_the_hc1_and_writes_png_svg_and_pdf(
    runner: CliRunner, immunize: click.Group, vaccinated: dict[str, object], tmp_path: Path
) -> None:
    png, svg, pdf = tmp_path / "qr.png", tmp_path / "qr.svg", tmp_path / "certificate.pdf"
    result = runner.invoke(
        immunize,
        [
            "certificate",
            "issue",
            str(vaccinated["national_id"]),
            "--hc1",
            "--png",
            str(png),
            "--svg",
            str(svg),
            "--pdf",
            str(pdf),
        ],
    )
    assert result.exit_code == 0, result.output
    hc1 = result.output.strip()
    assert hc1.startswith("HC1:")
    dcc = decode(hc1).dcc
    assert dcc["v"][0]["dn"] == 2
    assert dcc["dob"] == vaccinated["date_of_birth"]
    assert [
        r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.read_bytes())), formats=QR_ONLY)
    ] == [hc1]
    assert svg.read_text().startswith("<?xml")
    assert [r.text for r in zxingcpp.read_barcodes(images(pdf.read_bytes())[0], formats=QR_ONLY)] == [hc1]
    assert str(vaccinated["full_name"]) in page_text(pdf.read_bytes())


def test_issue_stores_its_rendered_files_for_downloads(
    runner: CliRunner, immunize: click.Group, vaccinated: dict[str, object], tmp_path: Path
) -> None:
    from ledger.application import Ledger
    from services import certificate_files

    png = tmp_path / "qr.png"
    result = runner.invoke(
        immunize, ["certificate", "issue", str(vaccinated["national_id"]), "--hc1", "--png", str(png)]
    )
    assert result.exit_code == 0, result.output
    hc1 = result.output.strip()
    uci = decode(hc1).dcc["v"][0]["ci"]
    ledger = Ledger()  # another process's view of the same store
    try:
        stored = {fmt: certificate_files.load(ledger, uci, fmt) for fmt in ("hc1", "png", "svg", "pdf")}
    finally:
        ledger.close()
    assert all(found is not None for found in stored.values())
    assert stored["hc1"] is not None
    assert stored["hc1"].data.decode() == hc1
    assert stored["png"] is not None
    assert stored["png"].data == png.read_bytes()


def test_a_second_issue_supersedes_and_revoke_withdraws(
    runner: CliRunner, immunize: click.Group, vaccinated: dict[str, object]
) -> None:
    national_id = str(vaccinated["national_id"])
    first = runner.invoke(immunize, ["certificate", "issue", national_id])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Issued URN:UVCI:01:VN:")
    first_uci = first.output.split()[1].removesuffix(":")  # the UVCI's check character may itself be ":"
    second = runner.invoke(immunize, ["certificate", "issue", national_id])
    assert f"supersedes {first_uci}" in second.output
    second_uci = second.output.split()[1].removesuffix(":")
    revoked = runner.invoke(immunize, ["certificate", "revoke", national_id, "--reason", "issued in error"])
    assert revoked.output.strip() == f"Revoked {second_uci}"
    withdrawn = runner.invoke(immunize, ["certificate", "withdrawn"])
    assert withdrawn.output.split() == [second_uci]  # the superseded first one stays valid


@pytest.mark.parametrize(
    ("arguments", "message", "status"),
    [
        (["certificate", "issue", "12345"], "12 digits", 3),
        (["certificate", "issue", "079999999999"], "No person is registered", 4),
        (["certificate", "issue", "079999999999", "--png", "/no/such/folder/qr.png"], "does not exist", 7),
    ],
)
def test_errors_are_one_line(
    runner: CliRunner, immunize: click.Group, arguments: list[str], message: str, status: int
) -> None:
    result = runner.invoke(immunize, arguments, env={"IMMUNIZE_LANGUAGE": "en"})
    assert result.exit_code == status
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_superseded_certificate_still_verifies_and_a_revoked_one_is_refused_with_the_published_lists(
    runner: CliRunner, vaccinated: dict[str, object], tmp_path: Path
) -> None:
    from cli.keys_commands import COMMANDS as KEYS_COMMANDS
    from keys.store import KeyStore
    from verifier import TrustList, verify
    from verifier.errors import RevokedError

    group = ReportingGroup("immunize")
    for command in [*CERTIFICATE_COMMANDS, *KEYS_COMMANDS]:
        group.add_command(command)
    national_id = str(vaccinated["national_id"])
    old = runner.invoke(group, ["certificate", "issue", national_id, "--hc1"]).output.strip()
    new = runner.invoke(group, ["certificate", "issue", national_id, "--hc1"]).output.strip()
    revoked = runner.invoke(group, ["certificate", "revoke", national_id, "--reason", "issued in error"])
    assert revoked.exit_code == 0, revoked.output
    trust_file, revocation_file = tmp_path / "trust.cose", tmp_path / "revoked.cose"
    published = runner.invoke(group, ["keys", "trust-list", "--out", str(trust_file)])
    assert published.exit_code == 0, published.output
    withdrawn = runner.invoke(group, ["certificate", "withdrawn"])
    assert len(withdrawn.output.split()) == 1
    # Without --revoked-ucis the revocation list is read from the ledger's revoked certificates.
    listed = runner.invoke(group, ["keys", "revocation-list", "--out", str(revocation_file)])
    assert listed.exit_code == 0, listed.output
    assert "with 1 UCIs" in listed.output

    anchor = KeyStore(tmp_path / "keys").csca_certificate()
    trust = TrustList.load(trust_file, anchor, revocation_list=revocation_file)
    now = datetime.now(UTC)
    assert verify(old, trust, now=now).dcc["v"][0]["dn"] == 2  # superseded, still true, still valid
    with pytest.raises(RevokedError):
        verify(new, trust, now=now)


def test_the_withdrawn_command_and_the_revocation_list_agree_with_the_certificate_index_after_a_revoke(
    runner: CliRunner, vaccinated: dict[str, object], tmp_path: Path
) -> None:
    """Both read the one read side (the `certificate_index` view), caught up after the revoke."""
    import hashlib
    import os

    from cryptography import x509

    from cli.keys_commands import COMMANDS as KEYS_COMMANDS
    from ledger.application import Ledger
    from projections.queries import revoked_ucis
    from projections.registry import catch_up_views
    from projections.store import open_view_store
    from tests.unit.keys.cose_reader import read_verified

    group = ReportingGroup("immunize")
    for command in [*CERTIFICATE_COMMANDS, *KEYS_COMMANDS]:
        group.add_command(command)
    national_id = str(vaccinated["national_id"])
    assert runner.invoke(group, ["certificate", "withdrawn"]).output.split() == []  # the view starts empty
    issued = runner.invoke(group, ["certificate", "issue", national_id, "--hc1"])
    assert issued.exit_code == 0, issued.output
    revoked = runner.invoke(group, ["certificate", "revoke", national_id, "--reason", "issued in error"])
    assert revoked.exit_code == 0, revoked.output
    uci = revoked.output.strip().removeprefix("Revoked ")

    withdrawn = runner.invoke(group, ["certificate", "withdrawn"])  # the view was behind: caught up first
    assert withdrawn.exit_code == 0, withdrawn.output
    revocation_file = tmp_path / "revoked.cose"
    listed = runner.invoke(group, ["keys", "revocation-list", "--out", str(revocation_file)])
    assert listed.exit_code == 0, listed.output

    ledger = Ledger(os.environ["IMMUNIZE_DATABASE_URL"], key_dir=tmp_path / "keys")
    store = open_view_store(ledger.store)
    try:
        assert catch_up_views(ledger, store, ["certificate_index"]) == 0  # nothing left to catch up
        in_view = revoked_ucis(store)
    finally:
        store.close()
        ledger.close()
    assert in_view == [uci]
    assert withdrawn.output.split() == in_view
    csca = x509.load_pem_x509_certificate((tmp_path / "keys" / "csca.crt.pem").read_bytes())
    _, payload = read_verified(revocation_file.read_bytes(), csca)
    assert payload["hashes"] == sorted(hashlib.sha256(u.encode()).digest()[:16] for u in in_view)


def test_reissue_all_after_a_key_rotation_then_a_second_run_does_nothing(
    runner: CliRunner, immunize: click.Group, tmp_path: Path
) -> None:
    from keys.settings import DEVELOPMENT_PASSPHRASE
    from keys.store import KeyStore

    seeded = runner.invoke(immunize, ["demo", "seed", "--people", "12", "--seed", "5"])
    assert seeded.exit_code == 0, seeded.output
    people = json.loads(runner.invoke(immunize, ["person", "list", "--json", "--limit", "100"]).output)
    holders = [p for p in people if p["doses"] and p["national_id"]][:3]
    assert len(holders) == 3
    old = {}
    for person in holders:
        issued = runner.invoke(immunize, ["certificate", "issue", str(person["national_id"]), "--hc1"])
        assert issued.exit_code == 0, issued.output
        old[person["national_id"]] = issued.output.strip()
    KeyStore(tmp_path / "keys").rotate(DEVELOPMENT_PASSPHRASE, datetime.now(UTC))

    first = runner.invoke(immunize, ["certificate", "reissue", "--all", "--workers", "2"])
    assert first.exit_code == 0, first.output
    assert "Re-issued 3," in first.output
    assert "failed 0" in first.output
    second = runner.invoke(immunize, ["certificate", "reissue", "--all"])
    assert second.exit_code == 0, second.output
    assert "Re-issued 0, re-rendered 0, checked under new rules 0, already current 3," in second.output
    from ledger.application import Ledger
    from ledger.certificates import current_certificate
    from services import certificate_files

    new_kid = KeyStore(tmp_path / "keys").current_signer(DEVELOPMENT_PASSPHRASE, datetime.now(UTC)).kid
    ledger = Ledger()
    try:
        for national_id, hc1 in old.items():
            current = current_certificate(ledger, str(national_id))
            assert current is not None
            assert current.uci != decode(hc1).dcc["v"][0]["ci"]  # superseded by the re-issue
            assert current.kid == new_kid.hex()
            assert certificate_files.complete(ledger, current.uci, ("hc1", "png"))
            assert certificate_files.load(ledger, current.uci, "pdf") is None  # left to the renderer
        rendered = runner.invoke(immunize, ["certificate", "render"])
        assert rendered.exit_code == 0, rendered.output
        assert "Rendered 3, failed 0." in rendered.output
        for national_id in old:
            current = current_certificate(ledger, str(national_id))
            assert current is not None
            assert certificate_files.complete(ledger, current.uci, ("hc1", "png", "svg", "pdf"))
    finally:
        ledger.close()
