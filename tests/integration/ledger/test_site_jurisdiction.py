"""Issue 12, item 1: site staff record and correct only at their own site.

The review: `demo.staff`, bound to one commune health station, voided a dose given in another
province and changed that person's phone; the new phone then signed in as the person. The ledger
now refuses both for a site-bound actor, whatever calls it (web, API, CLI, batch).
"""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import NotPermitted
from ledger.values import Actor, Role
from tests.integration.ledger.conftest import Campaign

OFFICER = Actor("officer-1", Role.PROVINCE_OFFICER, province_code="01")  # the site's province (Hà Nội)
HCM_OFFICER = Actor("officer-79", Role.PROVINCE_OFFICER, province_code="79")


def given_at_the_other_site(campaign: Campaign) -> tuple[object, object]:
    person = campaign.register()
    dose = campaign.dose(person, 1, date(2021, 8, 1))
    return person, dose


def test_staff_of_another_site_cannot_void_a_dose(memory_campaign: Campaign) -> None:
    person, dose = given_at_the_other_site(memory_campaign)
    stranger = Actor("demo.staff", Role.SITE_STAFF, memory_campaign.other_site_id)
    with pytest.raises(NotPermitted, match="given at another site"):
        memory_campaign.ledger.void_dose(
            person_id=person,
            dose_id=dose.dose_id,
            reason="nationwide void",
            actor=stranger,
            idempotency_key="v1",
        )
    assert len(memory_campaign.ledger.person_record(person).doses) == 1


def test_the_giving_site_and_a_province_officer_may_void(memory_campaign: Campaign) -> None:
    person, dose = given_at_the_other_site(memory_campaign)
    memory_campaign.ledger.void_dose(
        person_id=person,
        dose_id=dose.dose_id,
        reason="typed twice",
        actor=memory_campaign.vaccinator,
        idempotency_key="v2",
    )
    other_person = memory_campaign.register(national_id="001085099999")
    other_dose = memory_campaign.dose(other_person, 1, date(2021, 8, 1))
    with pytest.raises(NotPermitted, match="only in their own province"):  # issue 13: province limits
        memory_campaign.ledger.void_dose(
            person_id=other_person,
            dose_id=other_dose.dose_id,
            reason="typed twice",
            actor=HCM_OFFICER,
            idempotency_key="v3-hcm",
        )
    memory_campaign.ledger.void_dose(
        person_id=other_person,
        dose_id=other_dose.dose_id,
        reason="typed twice",
        actor=OFFICER,
        idempotency_key="v3",
    )


@pytest.mark.parametrize(
    ("command", "field", "value"),
    [
        ("correct_phone", "phone", "0987654321"),
        ("correct_name", "full_name", "Trần Văn Chiếm"),
        ("correct_date_of_birth", "date_of_birth", "1990-01-01"),
        ("correct_sex", "sex", "male"),
    ],
)
def test_staff_of_a_site_that_never_saw_the_person_cannot_change_identity(
    memory_campaign: Campaign, command: str, field: str, value: str
) -> None:
    person, _dose = given_at_the_other_site(memory_campaign)
    stranger = Actor("demo.staff", Role.SITE_STAFF, memory_campaign.other_site_id)
    with pytest.raises(NotPermitted, match="province officer or the site"):
        getattr(memory_campaign.ledger, command)(
            person_id=person,
            reason="takeover",
            actor=stranger,
            idempotency_key=f"c-{command}",
            **{field: value},
        )
    # The site that gave the dose may, and so may a province officer.
    getattr(memory_campaign.ledger, command)(
        person_id=person,
        reason="typo",
        actor=memory_campaign.vaccinator,
        idempotency_key=f"ok-{command}",
        **{field: value},
    )
    getattr(memory_campaign.ledger, command)(
        person_id=person, reason="typo", actor=OFFICER, idempotency_key=f"officer-{command}", **{field: value}
    )
