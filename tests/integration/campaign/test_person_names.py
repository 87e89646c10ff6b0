"""The names-only batch reader behind the site's day list (Ledger.person_names), on every store: the same
names the whole aggregates give, after a correction and an erasure, and nothing for ids that are not people."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

from ledger.application import Ledger
from ledger.records import PersonRecord
from ledger.values import Actor, Role

ADMIN = Actor("admin", Role.ADMIN)
SYSTEM = Actor("test", Role.SYSTEM)


def register(ledger: Ledger, n: int, name: str) -> UUID:
    return ledger.register_person(
        national_id=f"0010850{n:05d}",
        full_name=name,
        date_of_birth="1960-01-01",
        sex="female",
        phone=f"091234{n:04d}",
        ward_code="00001",
        priority_group="HEALTH_WORKER",
        actor=SYSTEM,
        idempotency_key=f"p{n}",
    )


def test_names_match_the_whole_records_after_a_correction_and_an_erasure(
    database_url: str, tmp_path: Path
) -> None:
    ledger = Ledger(database_url, key_dir=tmp_path / "keys")
    try:
        lan = register(ledger, 1, "Trần Thị Lan")
        hong = register(ledger, 2, "Nguyễn Thị Hông")
        gone = register(ledger, 3, "Lê Văn Bình")
        ledger.correct_name(
            person_id=hong,
            full_name="Nguyễn Thị Ánh Hồng",
            reason="ID card",
            actor=ADMIN,
            idempotency_key="n",
        )
        ledger.erase_person(person_id=gone, reason="request", actor=ADMIN, idempotency_key="e")
        site = ledger.register_site(
            code="VN-01-0001",
            name="Trạm Y tế",
            ward_code="00001",
            capacity_per_day=10,
            actor=SYSTEM,
            idempotency_key="site",
        )
        asked = [lan, hong, gone, lan, site, uuid4()]

        names = ledger.person_names(asked)

        assert names == {lan: "Trần Thị Lan", hong: "Nguyễn Thị Ánh Hồng", gone: "[erased]"}
        whole = {pid: PersonRecord.of(p).display_name for pid, p in ledger.get_people(asked).items()}
        assert names == whole
        assert ledger.person_names([]) == {}
    finally:
        ledger.close()


def test_many_people_in_batches_of_500(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", key_dir=tmp_path / "keys")
    try:
        given = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam")
        people = {
            register(ledger, n, f"Phạm {given[n % 10]} {given[n // 10 % 10]} {given[n // 100 % 10]}"): n
            for n in range(620)
        }
        names = ledger.person_names(list(people))
        assert len(names) == 620
        for pid, n in people.items():
            assert names[pid] == f"Phạm {given[n % 10]} {given[n // 10 % 10]} {given[n // 100 % 10]}"
    finally:
        ledger.close()
