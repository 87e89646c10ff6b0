"""Idempotency: a retried command returns the first result and writes nothing; a reused key is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.errors import IdempotencyKeyReused, IntervalTooShort, InvalidInput
from ledger.records import DoseRequest
from tests.integration.ledger.conftest import ADMIN, ASTRAZENECA, Campaign, Clock, open_ledger


def events_written(campaign: Campaign) -> int:
    return campaign.ledger.recorder.max_notification_id() or 0


def test_retrying_a_registration_returns_the_same_person_and_writes_nothing(campaign: Campaign) -> None:
    first = campaign.register(idempotency_key="register-anh")
    before = events_written(campaign)
    again = campaign.register(idempotency_key="register-anh")
    assert again == first
    assert events_written(campaign) == before


def test_retrying_a_dose_records_one_dose(campaign: Campaign) -> None:
    person = campaign.register()
    first = campaign.dose(person, 1, date(2021, 8, 2), idempotency_key="dose-1")
    before = events_written(campaign)
    again = campaign.dose(person, 1, date(2021, 8, 2), idempotency_key="dose-1")
    assert again == first
    assert events_written(campaign) == before
    assert len(campaign.ledger.person_record(person).doses) == 1


def test_retrying_a_batch_returns_the_first_results(campaign: Campaign) -> None:
    person = campaign.register()
    batch = [DoseRequest(person, 1, ASTRAZENECA, campaign.az_lot, date(2021, 8, 2), campaign.site_id)]
    first = campaign.ledger.record_doses(batch, actor=campaign.vaccinator, idempotency_key="batch")
    before = events_written(campaign)
    assert campaign.ledger.record_doses(batch, actor=campaign.vaccinator, idempotency_key="batch") == first
    assert events_written(campaign) == before


def test_the_same_key_with_other_arguments_is_refused(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2), idempotency_key="dose-1")
    before = events_written(campaign)
    with pytest.raises(IdempotencyKeyReused, match="use a new key"):
        campaign.dose(person, 2, date(2021, 9, 2), idempotency_key="dose-1")
    with pytest.raises(IdempotencyKeyReused):
        campaign.ledger.void_dose(
            person_id=person, dose_id=person, reason="x", actor=ADMIN, idempotency_key="dose-1"
        )
    assert events_written(campaign) == before


def test_a_refused_command_does_not_use_up_its_key(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2))
    with pytest.raises(IntervalTooShort):
        campaign.dose(person, 2, date(2021, 8, 10), idempotency_key="second")
    result = campaign.dose(
        person, 2, date(2021, 8, 10), idempotency_key="second", administered_on=date(2021, 9, 1)
    )
    assert result.dose_number == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 201])
def test_a_missing_or_oversized_key_is_refused(campaign: Campaign, key: str) -> None:
    with pytest.raises(InvalidInput, match="idempotency key"):
        campaign.register(idempotency_key=key)


def test_a_retry_from_another_process_finds_the_receipt(
    database_url: str, clock: Clock, tmp_path: Path
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("an in-memory store does not outlive its process")
    from tests.integration.ledger.conftest import make_campaign

    one = open_ledger(database_url, clock, tmp_path / "keys")
    two = open_ledger(database_url, clock, tmp_path / "keys")
    try:
        campaign = make_campaign(one)
        person = campaign.register(idempotency_key="shared")
        campaign.ledger = two
        assert campaign.register(idempotency_key="shared") == person
    finally:
        one.close()
        two.close()
