"""The phone and certificate indexes live in the web tables: they survive a restart, follow phone
corrections and erasure, and are rebuilt when the web secret (their HMAC key) changes."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from ledger.application import Ledger
from ledger.demo import seed_demo
from ledger.values import Actor, Role
from services import citizen
from services.people import FamilyMember
from tests.e2e.web.conftest import make_app

SYSTEM = Actor("directory-test", Role.SYSTEM)


def family_of(app: Flask, phone: str) -> list[FamilyMember]:
    """The people a phone signs in for, as the citizen pages list them (services.citizen.family)."""
    return citizen.family(app.extensions["immunize"].backend, phone)


def test_the_indexes_survive_a_restart_follow_corrections_and_a_new_secret(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=6)
    holder = next(r for r in ledger.list_people(limit=100) if r.phone and not r.guardian_id)
    first = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    assert str(holder.person_id) in [p.id for p in family_of(first, holder.phone)]
    tables = first.extensions["immunize"].accounts.store
    position = tables.query("SELECT position FROM web_positions WHERE name = 'directory'")[0][0]
    assert position > 0
    assert all(holder.phone not in str(row) for row in tables.query("SELECT * FROM web_phone_index"))

    # a restarted app reads on from the stored position and sees the correction
    ledger.correct_phone(
        person_id=holder.person_id,
        phone="0355123123",
        reason="new SIM",
        actor=SYSTEM,
        idempotency_key="dir-phone-1",
    )
    second = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    assert [p.id for p in family_of(second, "0355123123")][:1] == [str(holder.person_id)]
    assert str(holder.person_id) not in [p.id for p in family_of(second, holder.phone)]

    # a new secret: the phone keys change, so the index is rebuilt from the log
    third = make_app(
        tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, IMMUNIZE_SECRET_KEY="another-secret-" + "y" * 40
    )
    assert [p.id for p in family_of(third, "0355123123")][:1] == [str(holder.person_id)]

    # erasure takes the person out of the phone index
    ledger.erase_person(
        person_id=holder.person_id, reason="request", actor=SYSTEM, idempotency_key="dir-erase-1"
    )
    assert family_of(third, "0355123123") == []
