"""A site code another site has is refused by the service, so the API, the page and the CLI all refuse it
with the same sentence (before, only the page checked: `immunize site add` and the API made a second
site of one code, which the lists, the CLI and the SMS texts cannot tell apart). Two officers adding one
code at the same moment make one site; a request sent again with its key gets its site back."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from cli import site_commands
from cli.main import FriendlyGroup
from ledger.application import Ledger
from ledger.campaign.errors import SiteCodeTaken
from ledger.campaign.site_locks import SiteLocks
from ledger.campaign.values import Session
from ledger.settings import parse_database_url
from projections import site_queries
from projections.store import open_view_store
from services.campaign import CampaignService
from services.messages import message
from tests.integration.campaign.conftest import OFFICER, Story

MORNING = [Session("morning", "07:30", "11:30", 50)]


def add(service: CampaignService, name: str, key: str | None = None, code: str = "VN-01-0001") -> Any:
    return service.add_site(
        code=code,
        name=name,
        ward_code="00004",
        address="Trúc Bạch",
        sessions=MORNING,
        actor=OFFICER,
        idempotency_key=key,
    )


def test_a_taken_code_is_refused_by_the_service_and_a_resent_request_gets_its_site(story: Story) -> None:
    s = story  # on memory, SQLite and PostgreSQL; the story's site has code VN-01-0001
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(SiteCodeTaken) as refused:
        add(s.service, "Trạm Y tế Trúc Bạch")
    assert (
        message(refused.value, "vi")
        == "Mã điểm tiêm VN-01-0001 đã dùng cho Trạm Y tế Phường Phúc Xá: chọn mã khác."
    )
    assert message(refused.value, "en") == (
        "The site code VN-01-0001 is already Trạm Y tế Phường Phúc Xá's: choose another code."
    )
    with pytest.raises(SiteCodeTaken):
        add(s.service, "Trạm Y tế Trúc Bạch", code="  VN-01-0001 ")  # spaces typed around it
    assert s.ledger.recorder.max_notification_id() == head
    first = add(s.service, "Trạm Y tế Trúc Bạch", key="trúc-bạch", code="VN-01-0004")
    again = add(s.service, "Trạm Y tế Trúc Bạch", key="trúc-bạch", code="VN-01-0004")
    assert again.site_id == first.site_id
    assert [x.code for x in site_queries.sites(s.store)].count("VN-01-0004") == 1


@pytest.fixture
def second(story: Story, database_url: str, tmp_path: Path) -> Iterator[CampaignService]:
    if parse_database_url(database_url).kind == "memory":
        yield story.service
        return
    ledger = Ledger(database_url, clock=story.clock, key_dir=tmp_path / "keys")
    store = open_view_store(parse_database_url(database_url))
    try:
        yield CampaignService(ledger, store)
    finally:
        store.close()
        ledger.close()


def test_two_officers_adding_one_code_at_once_make_one_site(
    story: Story, second: CampaignService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first officer's check has read the sites (the code is free) and not written yet; the second
    then runs until it finishes or asks for the code's lock. Without the lock both wrote a site."""
    s = story
    read = site_queries.sites
    hold = SiteLocks.hold
    errors: list[BaseException] = []
    other_waiting, first_read = threading.Event(), threading.Event()

    def second_officer() -> None:
        try:
            add(second, "Trạm Y tế B", code="VN-01-0009")
        except BaseException as exc:  # reported below
            errors.append(exc)

    other = threading.Thread(target=second_officer)

    def hold_watched(self: SiteLocks, site_ids: Any) -> Any:
        if threading.current_thread() is other:
            other_waiting.set()
        return hold(self, site_ids)

    def sites_then_let_the_other_run(*args: Any, **kwargs: Any) -> Any:
        rows = read(*args, **kwargs)
        if threading.current_thread() is threading.main_thread() and not first_read.is_set():
            first_read.set()
            other.start()
            while other.is_alive() and not other_waiting.is_set():
                other.join(0.01)
            other.join(2.0)  # without the lock it finishes here; with it, it waits for ours
        return rows

    monkeypatch.setattr(site_queries, "sites", sites_then_let_the_other_run)
    monkeypatch.setattr(SiteLocks, "hold", hold_watched)
    add(s.service, "Trạm Y tế A", code="VN-01-0009")
    other.join()
    monkeypatch.setattr(site_queries, "sites", read)
    assert first_read.is_set()
    assert [type(e) for e in errors] == [SiteCodeTaken]
    s.service.refresh()
    assert [(x.code, x.name) for x in read(s.store) if x.code == "VN-01-0009"] == [
        ("VN-01-0009", "Trạm Y tế A")
    ]


def test_the_cli_refuses_a_taken_code_with_the_same_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'ledger.db'}")
    monkeypatch.delenv("IMMUNIZE_MASTER_KEY", raising=False)
    monkeypatch.delenv("IMMUNIZE_KEY_DIR", raising=False)
    monkeypatch.delenv("IMMUNIZE_ACTOR_PROVINCE", raising=False)
    group = FriendlyGroup("immunize")
    for command in site_commands.COMMANDS:
        group.add_command(command)
    officer = ["--actor", "officer-hn", "--role", "province_officer", "--actor-province", "01"]
    runner = CliRunner()

    def site_add(name: str, lang: str) -> click.testing.Result:
        monkeypatch.setenv("IMMUNIZE_LANGUAGE", lang)
        return runner.invoke(
            group,
            ["site", "add", "--code", "VN-01-0042", "--name", name, "--ward", "00001",
             "--session", "morning=07:30-11:30/100", "--json", *officer],
        )  # fmt: skip

    added = site_add("Trạm Y tế Phúc Xá", "vi")
    assert added.exit_code == 0, added.output
    for lang, line in (
        ("vi", "Mã điểm tiêm VN-01-0042 đã dùng cho Trạm Y tế Phúc Xá: chọn mã khác."),
        ("en", "The site code VN-01-0042 is already Trạm Y tế Phúc Xá's: choose another code."),
    ):
        refused = site_add("Trạm Y tế Khác", lang)
        assert refused.exit_code != 0
        assert line in refused.output
        assert "Traceback" not in refused.output
    listed = json.loads(runner.invoke(group, ["site", "list", "--json"]).output)
    assert [x["code"] for x in listed] == ["VN-01-0042"]
