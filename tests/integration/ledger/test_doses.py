"""Doses: each rule of issue 2 refuses what it should, and writes nothing when it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import (
    DoseDateInvalid,
    DoseNotFound,
    DoseOutOfSequence,
    IntervalTooShort,
    LotNotAtSite,
    LotNotFound,
    LotUnusable,
    NotPermitted,
    PersonNotFound,
)
from ledger.records import DoseRequest
from ledger.values import Actor, Role
from tests.integration.ledger.conftest import ADMIN, ASTRAZENECA, PFIZER, SINOPHARM, Campaign


def events_written(campaign: Campaign) -> int:
    return campaign.ledger.recorder.max_notification_id() or 0


def test_a_vaccinator_records_two_astrazeneca_doses_four_weeks_apart(campaign: Campaign) -> None:
    person = campaign.register()
    first = campaign.dose(person, 1, date(2021, 8, 2))
    second = campaign.dose(person, 2, date(2021, 8, 30))
    record = campaign.ledger.person_record(person)
    assert [d.dose_number for d in record.doses] == [1, 2]
    assert [d.dose_id for d in record.doses] == [first.dose_id, second.dose_id]
    assert record.doses[1].lot_number == "AZ-001"
    assert record.doses[1].vaccinator_id == "vaccinator-1"
    assert not second.mixed_products


def test_dose_numbers_must_follow_in_sequence(campaign: Campaign) -> None:
    person = campaign.register()
    with pytest.raises(DoseOutOfSequence, match="next dose is number 1"):
        campaign.dose(person, 2, date(2021, 8, 2))
    campaign.dose(person, 1, date(2021, 8, 2))
    with pytest.raises(DoseOutOfSequence, match="next dose is number 2"):
        campaign.dose(person, 1, date(2021, 9, 2))


def test_the_minimum_interval_of_the_product_is_enforced(campaign: Campaign) -> None:
    # AstraZeneca: 28 days minimum (vaccines.csv); 27 days is refused, 28 accepted.
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2))
    before = events_written(campaign)
    with pytest.raises(IntervalTooShort, match="on or after 2021-08-30"):
        campaign.dose(person, 2, date(2021, 8, 29))
    assert events_written(campaign) == before
    campaign.dose(person, 2, date(2021, 8, 30))


def test_sinopharm_has_its_own_shorter_interval(campaign: Campaign) -> None:
    # Sinopharm BBIBP-CorV: 21 days minimum.
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2), lot=campaign.sinopharm_lot, product=SINOPHARM)
    with pytest.raises(IntervalTooShort):
        campaign.dose(person, 2, date(2021, 8, 22), lot=campaign.sinopharm_lot, product=SINOPHARM)
    campaign.dose(person, 2, date(2021, 8, 23), lot=campaign.sinopharm_lot, product=SINOPHARM)


def test_no_dose_in_the_future(campaign: Campaign) -> None:
    person = campaign.register()
    # The clock says 1 October 2021 (10:00 in Viet Nam): 2 October is tomorrow.
    with pytest.raises(DoseDateInvalid, match="in the future"):
        campaign.dose(person, 1, date(2021, 10, 2))
    campaign.dose(person, 1, date(2021, 10, 1))


def test_no_dose_before_birth(campaign: Campaign) -> None:
    baby = campaign.register(national_id="001221012345", date_of_birth="2021-09", priority_group="OTHER")
    with pytest.raises(DoseDateInvalid, match="before the date of birth"):
        campaign.dose(baby, 1, date(2021, 8, 31))
    campaign.dose(baby, 1, date(2021, 9, 1))


def test_the_lot_must_be_known(campaign: Campaign) -> None:
    from uuid import uuid4

    person = campaign.register()
    with pytest.raises(LotNotFound, match="receive the lot first"):
        campaign.dose(person, 1, date(2021, 8, 2), lot=uuid4())


def test_the_lot_must_be_of_the_product_given(campaign: Campaign) -> None:
    person = campaign.register()
    with pytest.raises(LotUnusable, match="pick the lot of the vaccine given"):
        campaign.dose(person, 1, date(2021, 8, 2), lot=campaign.pfizer_lot, product=ASTRAZENECA)


def test_an_expired_lot_is_refused_after_its_expiry_but_not_before(campaign: Campaign) -> None:
    person = campaign.register()
    with pytest.raises(LotUnusable, match="expired on 2021-08-31"):
        campaign.dose(person, 1, date(2021, 9, 1), lot=campaign.expired_lot)
    campaign.dose(person, 1, date(2021, 8, 31), lot=campaign.expired_lot)


def test_mixing_products_is_flagged_not_refused(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 7, 1))
    second = campaign.dose(person, 2, date(2021, 8, 2), lot=campaign.pfizer_lot, product=PFIZER)
    assert second.mixed_products
    record = campaign.ledger.person_record(person)
    assert [d.mixed_products for d in record.doses] == [False, True]


def test_a_vaccinator_records_only_at_their_own_site(campaign: Campaign) -> None:
    person = campaign.register()
    stranger = Actor("vaccinator-9", Role.VACCINATOR, campaign.other_site_id)
    with pytest.raises(NotPermitted, match="only act at their own site"):
        campaign.dose(person, 1, date(2021, 8, 2), actor=stranger)


def test_a_citizen_cannot_record_a_dose(campaign: Campaign) -> None:
    person = campaign.register()
    with pytest.raises(NotPermitted):
        campaign.dose(person, 1, date(2021, 8, 2), actor=Actor(str(person), Role.CITIZEN))


def test_an_unknown_person_or_product_is_refused(campaign: Campaign) -> None:
    from uuid import uuid4

    from ledger.errors import InvalidInput

    with pytest.raises(PersonNotFound):
        campaign.dose(uuid4(), 1, date(2021, 8, 2))
    person = campaign.register()
    with pytest.raises(InvalidInput, match="not a vaccine product"):
        campaign.dose(person, 1, date(2021, 8, 2), product="Covaxin")


def test_voiding_a_dose_renumbers_the_later_ones(campaign: Campaign) -> None:
    person = campaign.register()
    first = campaign.dose(person, 1, date(2021, 7, 1))
    campaign.dose(person, 2, date(2021, 8, 2))
    campaign.ledger.void_dose(
        person_id=person,
        dose_id=first.dose_id,
        reason="recorded on the wrong person",
        actor=campaign.vaccinator,
        idempotency_key="void-1",
    )
    record = campaign.ledger.person_record(person)
    assert [(d.dose_number, d.administered_on) for d in record.doses] == [(1, date(2021, 8, 2))]
    with pytest.raises(DoseNotFound):
        campaign.ledger.void_dose(
            person_id=person,
            dose_id=first.dose_id,
            reason="again",
            actor=campaign.vaccinator,
            idempotency_key="void-2",
        )
    # The next dose is number 2 again.
    campaign.dose(person, 2, date(2021, 9, 1))


def test_correcting_a_dose_keeps_the_rules(campaign: Campaign) -> None:
    person = campaign.register()
    first = campaign.dose(person, 1, date(2021, 7, 1))
    campaign.dose(person, 2, date(2021, 8, 2))
    campaign.ledger.correct_dose(
        person_id=person,
        dose_id=first.dose_id,
        administered_on=date(2021, 7, 2),
        reason="typed the wrong day",
        actor=campaign.vaccinator,
        idempotency_key="c-1",
    )
    assert campaign.ledger.person_record(person).doses[0].administered_on == date(2021, 7, 2)
    with pytest.raises(DoseOutOfSequence):
        campaign.ledger.correct_dose(
            person_id=person,
            dose_id=first.dose_id,
            administered_on=date(2021, 8, 3),
            reason="after dose 2",
            actor=campaign.vaccinator,
            idempotency_key="c-2",
        )
    with pytest.raises(LotUnusable):
        campaign.ledger.correct_dose(
            person_id=person,
            dose_id=first.dose_id,
            lot_id=campaign.pfizer_lot,
            reason="wrong lot",
            actor=campaign.vaccinator,
            idempotency_key="c-3",
        )
    campaign.ledger.correct_dose(
        person_id=person,
        dose_id=first.dose_id,
        lot_id=campaign.pfizer_lot,
        product=PFIZER,
        reason="it was Pfizer",
        actor=campaign.vaccinator,
        idempotency_key="c-4",
    )
    doses = campaign.ledger.person_record(person).doses
    assert doses[0].product == PFIZER
    assert doses[0].lot_number == "PF-001"


def test_a_batch_is_recorded_whole_or_not_at_all(campaign: Campaign) -> None:
    a = campaign.register()
    b = campaign.register(national_id="079190000001", full_name="Trần Văn Bình")
    good = [
        DoseRequest(a, 1, ASTRAZENECA, campaign.az_lot, date(2021, 7, 1), campaign.site_id),
        DoseRequest(a, 2, ASTRAZENECA, campaign.az_lot, date(2021, 8, 2), campaign.site_id),
        DoseRequest(b, 1, PFIZER, campaign.pfizer_lot, date(2021, 7, 5), campaign.site_id),
    ]
    bad = [*good, DoseRequest(b, 2, PFIZER, campaign.pfizer_lot, date(2021, 7, 10), campaign.site_id)]
    before = events_written(campaign)
    with pytest.raises(IntervalTooShort, match="dose 4 of the batch"):
        campaign.ledger.record_doses(bad, actor=campaign.vaccinator, idempotency_key="batch-1")
    assert events_written(campaign) == before
    assert campaign.ledger.person_record(a).doses == ()
    results = campaign.ledger.record_doses(good, actor=campaign.vaccinator, idempotency_key="batch-2")
    assert [(r.person_id, r.dose_number) for r in results] == [(a, 1), (a, 2), (b, 1)]
    assert len(campaign.ledger.person_record(a).doses) == 2


def test_staff_with_no_site_binding_may_record_anywhere(campaign: Campaign) -> None:
    other_lot = campaign.ledger.receive_lot(
        product=ASTRAZENECA,
        lot_number="AZ-HCM-1",
        expiry=date(2022, 3, 1),
        site_id=campaign.other_site_id,
        quantity=100,
        actor=ADMIN,
        idempotency_key="lot-other-site",
    )
    person = campaign.register()
    result = campaign.dose(
        person, 1, date(2021, 8, 2), actor=ADMIN, site_id=campaign.other_site_id, lot=other_lot
    )
    assert result.dose_number == 1


def test_a_dose_from_a_lot_held_at_another_site_is_refused_whoever_records_it(campaign: Campaign) -> None:
    """The lot-at-site rule lives in the ledger: the CLI, a batch or an administrator meet it too."""
    person = campaign.register()
    before = events_written(campaign)
    with pytest.raises(LotNotAtSite) as caught:
        campaign.dose(person, 1, date(2021, 8, 2), actor=ADMIN, site_id=campaign.other_site_id)
    assert caught.value.params == {"lot_number": "AZ-001"}
    assert (caught.value.code, caught.value.kind) == ("lot_not_at_site", "forbidden")
    assert events_written(campaign) == before


def test_dose_two_on_the_day_of_dose_one_names_the_earliest_day(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2))
    with pytest.raises(IntervalTooShort) as caught:
        campaign.dose(person, 2, date(2021, 8, 2))
    assert caught.value.params["earliest"] == date(2021, 8, 30)
    assert caught.value.params["min_days"] == 28
    assert caught.value.params["previous_number"] == 1
