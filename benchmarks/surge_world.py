"""The world the surge benchmark loads: simulator data, a bench site with a fresh lot, citizens with a
dose (and later a certificate), and people waiting for a first dose that staff record during the run.

Written through the Ledger's own commands (the same rules as the web and the CLI), in this process,
before the server starts; and read back after the run to check that every dose the server
acknowledged is in the ledger.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from ledger.application import Ledger
from ledger.records import DoseRequest, PersonRequest
from ledger.values import Actor, Role

PRODUCT = "EU/1/20/1528"  # Pfizer-BioNTech: 21 days between doses 1 and 2
WARD = "00001"  # Phường Phúc Xá, Ba Đình, Hà Nội (wards.csv)
BATCH = 500


@dataclass
class World:
    site_id: str
    lot_id: str
    citizens: list[tuple[str, str]] = field(default_factory=list)  # (person id, phone)
    waiting: list[str] = field(default_factory=list)  # person ids with no dose yet


def _letters(n: int) -> str:
    """A name part for number n (names hold letters only): 0 -> "A", 27 -> "Bb"."""
    text = ""
    while True:
        text = chr(ord("a") + n % 26) + text
        n //= 26
        if not n:
            return text.capitalize()


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"09{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def prepare(url: str, key_dir: Path, *, citizens: int, waiting: int, seed: int = 14) -> World:
    """A site and lot for the bench staff, `citizens` people with a first dose 30 days ago (each with
    their own phone), and `waiting` people with none (staff record their first dose during the run)."""
    ledger = Ledger(url, key_dir=key_dir)
    rng = random.Random(seed)
    actor = Actor("bench-surge", Role.SYSTEM)
    today = ledger.today()
    site = ledger.register_site(
        code=f"SURGE-{seed}",
        name="Điểm tiêm thử tải",
        ward_code=WARD,
        capacity_per_day=2_000,
        actor=actor,
        idempotency_key=f"surge:{seed}:site",
    )
    lot = ledger.receive_lot(
        product=PRODUCT,
        lot_number=f"SURGE-{seed}",
        expiry=today + timedelta(days=365),
        site_id=site,
        quantity=100_000,
        actor=actor,
        idempotency_key=f"surge:{seed}:lot",
    )
    world = World(site_id=str(site), lot_id=str(lot))
    used: set[str] = set()
    total = citizens + waiting
    ids: list[UUID] = []
    phones: list[str] = []
    for first in range(0, total, BATCH):
        batch = []
        for n in range(first, min(total, first + BATCH)):
            sex = "female" if n % 2 else "male"
            year = 1960 + rng.randrange(40)
            phone = _phone(rng, used)
            phones.append(phone)
            century = 1 if sex == "female" else 0
            batch.append(
                PersonRequest(
                    # CCCD: 0 + province 01, century-and-sex digit, 2-digit year, 6 digits (unique per n).
                    national_id=f"001{century}{year % 100:02d}{900_000 + n:06d}",
                    full_name=f"Nguyễn {'Thị' if sex == 'female' else 'Văn'} Thử {_letters(n)}",
                    date_of_birth=f"{year}-0{1 + n % 9}-1{n % 9}",
                    sex=sex,
                    phone=phone,
                    ward_code=WARD,
                    priority_group="OTHER",
                )
            )
        ids += ledger.register_people(batch, actor=actor, idempotency_key=f"surge:{seed}:people:{first}")
    staff = Actor("bench-surge-nurse", Role.VACCINATOR, site_id=site)
    given = today - timedelta(days=30)
    for first in range(0, citizens, BATCH):
        ledger.record_doses(
            [
                DoseRequest(
                    person_id=ids[n],
                    dose_number=1,
                    product=PRODUCT,
                    lot_id=lot,
                    administered_on=given,
                    site_id=site,
                )
                for n in range(first, min(citizens, first + BATCH))
            ],
            actor=staff,
            idempotency_key=f"surge:{seed}:doses:{first}",
        )
    world.citizens = [(str(ids[n]), phones[n]) for n in range(citizens)]
    world.waiting = [str(i) for i in ids[citizens:]]
    return world


def lost_doses(url: str, key_dir: Path, acknowledged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (person id, dose id) pairs acknowledged with a 2xx that the ledger does not hold."""
    ledger = Ledger(url, key_dir=key_dir)
    held: dict[str, set[str]] = {}
    lost = []
    for person_id, dose_id in acknowledged:
        if person_id not in held:
            record = ledger.person_record(UUID(person_id))
            held[person_id] = {str(d.dose_id) for d in record.doses}
        if dose_id not in held[person_id]:
            lost.append((person_id, dose_id))
    return lost


def today_of(url: str, key_dir: Path) -> str:
    """The ledger's today (what the server checks a dose date against), as YYYY-MM-DD."""
    return Ledger(url, key_dir=key_dir).today().isoformat()


def views_at_head(url: str, key_dir: Path) -> None:
    """Every view the web reads caught up to the head, the keyed ones (phone index, declared IDs) with
    the web's key from `key_dir`: what the server finds after a restart on a store already served.
    On a copy of a simulated database this applies only what `prepare` added (the views came along),
    where `immunize projections rebuild` would replay the whole log again."""
    from ledger.settings import parse_database_url
    from projections.registry import catch_up_views, view_classes
    from projections.store import open_view_store
    from services.read_side import KEYED_READ_VIEWS, phone_view_keys
    from web.accounts import Accounts
    from web.config import load_or_create_secret
    from web.store import SqlStore

    settings = parse_database_url(url)
    ledger = Ledger(url, key_dir=key_dir)
    store = open_view_store(settings)
    accounts = Accounts(SqlStore(settings), load_or_create_secret(key_dir))
    keys = phone_view_keys(lambda phone: accounts.key_for("phone", phone))
    for view_class in view_classes(keyed=True):
        view_class.recorder(store, keys).create_table()
    catch_up_views(ledger, store)
    catch_up_views(ledger, store, KEYED_READ_VIEWS, keys=keys)
