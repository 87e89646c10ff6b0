"""A lot moved to another site by another process is refused at its old site at once, and accepted at
its new one at once (each process caches lots: product, number and expiry never change, but the site
does when a lot received at a site is moved).

Before: a process that had used the lot kept its cached site for as long as it ran, so it recorded
doses from the lot at the site that no longer held it (the stock record's draw did not look at the
site), and refused them at the site that did ("held at another site") until restarted. Now the dose
check reads the lot and its record afresh before refusing on the site, and the draw made under the
writers' lock refuses a record that moved since the command's check.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.errors import LotNotAtSite
from ledger.settings import parse_database_url
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, OFFICER, SINOPHARM, Story


@pytest.fixture
def other_process(story: Story, database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    if parse_database_url(database_url).kind == "memory":
        pytest.skip("one process: the memory store has no other process")
    ledger = Ledger(database_url, clock=story.clock, key_dir=tmp_path / "keys")
    try:
        yield ledger
    finally:
        ledger.close()


def test_a_lot_moved_by_another_process_is_refused_at_its_old_site_and_taken_at_its_new(
    story: Story, other_process: Ledger
) -> None:
    s = story  # SQLite and PostgreSQL
    lot = s.lots[SINOPHARM]
    new_site = UUID(
        s.service.add_site(
            code="VN-01-0004",
            name="Trạm Y tế Trúc Bạch",
            ward_code="00004",
            address="Trúc Bạch",
            sessions=[Session("morning", "07:30", "11:30", 50)],
            actor=OFFICER,
        ).site_id
    )
    old_staff = Actor("vaccinator-old", Role.VACCINATOR, s.site_id)
    new_staff = Actor("vaccinator-new", Role.VACCINATOR, new_site)
    people = [s.person() for _ in range(3)]

    def dose(person: UUID, site: UUID, actor: Actor) -> object:
        return s.ledger.record_dose(
            person_id=person,
            dose_number=1,
            product=SINOPHARM,
            lot_id=lot,
            administered_on=s.clock.now.date(),
            site_id=site,
            actor=actor,
            idempotency_key=s.key(),
        )

    dose(people[0], s.site_id, old_staff)  # this process now holds the lot (and its record) in its caches
    s.clock.now += timedelta(minutes=5)
    other_process.transfer_lot(lot_id=lot, site_id=new_site, actor=ADMIN, idempotency_key="moved")
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(LotNotAtSite):
        dose(people[1], s.site_id, old_staff)  # the old code recorded it
    assert s.ledger.recorder.max_notification_id() == head
    dose(people[2], new_site, new_staff)  # the old code: "held at another site"
    record = s.ledger.stock_record(lot)
    assert record is not None
    assert (record.site_id, record.used) == (new_site, 2)
