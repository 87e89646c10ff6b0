"""Personal data at rest: sealed per person, never in clear in the store; erasure shreds the key."""

from __future__ import annotations

import stat
from collections import Counter
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ledger.application import Ledger
from ledger.domainmodel import Person
from ledger.errors import PersonErasedError, PersonNotFound
from ledger.values import ERASED_TEXT, Actor, Role
from tests.integration.ledger.conftest import ADMIN, Campaign, Clock, make_campaign, open_ledger

NAME = "Trương Thị Thu Hương"
NATIONAL_ID = "079190123456"
PHONE = "0987001122"
SYMPTOMS = "phản vệ độ II sau 15 phút"


def story(campaign: Campaign) -> tuple[object, object]:
    """Hương registers, gets two doses and reports a serious reaction; her neighbour gets one dose."""
    huong = campaign.register(national_id=NATIONAL_ID, full_name=NAME, phone=PHONE, ward_code="26734")
    campaign.dose(huong, 1, date(2021, 7, 1))
    second = campaign.dose(huong, 2, date(2021, 8, 2))
    campaign.ledger.report_reaction(
        person_id=huong,
        onset=date(2021, 8, 2),
        symptoms=SYMPTOMS,
        severity="serious",
        dose_id=second.dose_id,
        actor=campaign.vaccinator,
        idempotency_key="r",
    )
    neighbour = campaign.register(
        national_id="079190654321", full_name="Lê Văn Tám", phone=None, ward_code="26734"
    )
    campaign.dose(neighbour, 1, date(2021, 8, 3))
    return huong, neighbour


def doses_by_province(ledger: Ledger) -> Counter[tuple[str, str, str]]:
    """Replay the whole log as a projection would: (product, month, province) of every dose."""
    provinces: dict[object, str] = {}
    counts: Counter[tuple[str, str, str]] = Counter()
    for n in ledger.recorder.select_notifications(0, 10_000):
        event = ledger.mapper.to_domain_event(n)
        if isinstance(event, Person.Registered):
            provinces[event.originator_id] = event.province_code
            assert event.full_name.text  # decodes, erased or not
        elif isinstance(event, Person.DoseAdministered):
            counts[
                (event.product, event.administered_on.strftime("%Y-%m"), provinces[event.originator_id])
            ] += 1
    return counts


def test_erasure_shreds_personal_data_while_counts_survive(
    database_url: str, clock: Clock, tmp_path: Path
) -> None:
    ledger = open_ledger(database_url, clock, tmp_path / "keys")
    try:
        campaign = make_campaign(ledger)
        huong, neighbour = story(campaign)
        counts_before = doses_by_province(ledger)
        ledger.erase_person(
            person_id=huong, reason="data subject request", actor=ADMIN, idempotency_key="erase"
        )

        # Replay in a fresh process (no key cache) where the store outlives the process.
        reader = (
            ledger
            if database_url.startswith("memory")
            else open_ledger(database_url, clock, tmp_path / "keys")
        )
        record = reader.person_record(huong)
        assert record.erased
        assert (record.full_name, record.national_id, record.phone, record.date_of_birth) == (
            ERASED_TEXT,
        ) * 4
        assert record.reactions[0].symptoms.text == ERASED_TEXT
        assert [(d.dose_number, d.product, d.administered_on) for d in record.doses] == [
            (1, "EU/1/21/1529", date(2021, 7, 1)),
            (2, "EU/1/21/1529", date(2021, 8, 2)),
        ]
        assert (record.ward_code, record.province_code, record.sex) == ("26734", "79", "female")
        assert (
            doses_by_province(reader)
            == counts_before
            == Counter({("EU/1/21/1529", "2021-07", "79"): 1, ("EU/1/21/1529", "2021-08", "79"): 2})
        )
        assert reader.person_record(neighbour).full_name == "Lê Văn Tám"

        # Her number is no longer indexed; she can be registered again; nothing more is recorded on the old one.
        assert reader.find_person(NATIONAL_ID) is None
        with pytest.raises(PersonNotFound):
            reader.person_by_national_id(NATIONAL_ID)
        with pytest.raises(PersonErasedError):
            campaign.dose(huong, 3, date(2021, 9, 30))
        again = campaign.register(national_id=NATIONAL_ID, full_name=NAME, idempotency_key="back")
        assert again != huong
        if reader is not ledger:
            reader.close()
    finally:
        ledger.close()


def test_only_an_administrator_or_province_officer_erases(campaign: Campaign) -> None:
    from ledger.errors import NotPermitted

    person = campaign.register()
    with pytest.raises(NotPermitted):
        campaign.ledger.erase_person(
            person_id=person, reason="x", actor=campaign.vaccinator, idempotency_key="e"
        )
    with pytest.raises(NotPermitted):
        campaign.ledger.erase_person(
            person_id=person, reason="x", actor=Actor(str(person), Role.CITIZEN), idempotency_key="e2"
        )


def raw_bytes_of_store(database_url: str, ledger: Ledger) -> bytes:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT topic, state FROM ledger_events").fetchall()
        rows += conn.execute("SELECT owner, wrapped FROM ledger_person_keys").fetchall()
        rows += conn.execute("SELECT digest, person_id FROM ledger_national_ids").fetchall()
    return b"".join(
        bytes(str(a), "utf-8") + bytes(b)
        if isinstance(b, bytes | memoryview)
        else bytes(str(a) + str(b), "utf-8")
        for a, b in rows
    )


def test_personal_data_is_never_in_clear_in_the_database(
    database_url: str, clock: Clock, tmp_path: Path
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("nothing is at rest in memory")
    ledger = open_ledger(database_url, clock, tmp_path / "keys")
    try:
        campaign = make_campaign(ledger)
        story(campaign)
        raw = raw_bytes_of_store(database_url, ledger)
        assert b"EU/1/21/1529" in raw  # the facts are there, in clear
        for secret in (NAME, NATIONAL_ID, PHONE, SYMPTOMS, "Lê Văn Tám", "Hương", "1985-03-02"):
            assert secret.encode("utf-8") not in raw, secret
    finally:
        ledger.close()


def test_the_master_key_file_is_private(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'ledger.db'}"
    Ledger(url, clock=clock).close()
    key_file = tmp_path / "db" / "keys" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The same master key is used on reopening: sealed data stays readable.
    first = Ledger(url, clock=clock)
    person = make_campaign(first).register()
    first.close()
    second = Ledger(url, clock=clock)
    assert second.person_record(person).full_name == "Nguyễn Thị Ánh"
    second.close()


def test_a_wrong_master_key_is_a_clear_error(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    from ledger.errors import KeyStoreError

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    first = Ledger(url, clock=clock)
    person = make_campaign(first).register()
    first.close()
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", base64.b64encode(b"k" * 32).decode())
    second = Ledger(url, clock=clock)
    with pytest.raises(KeyStoreError, match="restore the right master key"):
        second.person_record(person)
    second.close()
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", "not base64!")
    with pytest.raises(KeyStoreError, match="openssl rand -base64 32"):
        Ledger(url, clock=clock)
