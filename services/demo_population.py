"""A deterministic demo campaign: real wards, priority groups, vaccines and intervals; made-up people.

`seed_demo(ledger, people=2000, seed=1)` gives the same population, doses and reactions for the same
seed (ids too: the ledger's id source is seeded for the duration). Everything is saved through the
Ledger's own batch commands, with idempotency keys derived from the seed, so seeding twice with the
same seed writes nothing the second time.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.records import DoseRequest, PersonRequest
from ledger.reference import Ward
from ledger.values import Actor, Role

# Viet Nam's mass campaign began on 8 March 2021 (first doses to health workers).
CAMPAIGN_START = date(2021, 3, 8)
BATCH = 500
MAX_PEOPLE = 200_000

# Most common Vietnamese family names, roughly by frequency (Nguyễn ~38%).
FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Trương", 1), ("Đinh", 1), ("Lâm", 1), ("Mai", 1),
]  # fmt: skip
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Bảo", "Hồng"]
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Xuân"]
GIVEN_FEMALE = ["Anh", "Ánh", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Hà",
                "Hằng", "Huyền", "Loan", "Yến", "Vy", "Oanh", "Thủy", "Dung"]  # fmt: skip
GIVEN_MALE = ["An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong",
              "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh"]  # fmt: skip

# Share of doses by product in Viet Nam 2021 (AstraZeneca most used, then Sinopharm, Pfizer, Moderna):
# an approximation for the demo, stated as such.
PRODUCT_SHARES = [
    ("EU/1/21/1529", 40),  # AstraZeneca
    ("BBIBP-CorV", 30),  # Sinopharm
    ("EU/1/20/1528", 18),  # Pfizer-BioNTech
    ("EU/1/20/1507", 8),  # Moderna
    ("Abdala", 2),
    ("Sputnik-V", 1),
    ("Hayat-Vax", 1),
]
# Boosters (third doses) from late 2021 were mostly mRNA: heterologous, so flagged as mixed.
BOOSTER_PRODUCTS = [("EU/1/20/1528", 60), ("EU/1/20/1507", 30), ("EU/1/21/1529", 10)]
# What a citizen in Viet Nam types: Vietnamese only (free text is shown as typed, on every page).
SYMPTOMS = {
    "mild": ["đau tại chỗ tiêm", "mệt mỏi", "sốt nhẹ"],
    "moderate": ["sốt 39°C", "đau đầu, đau cơ", "nôn"],
    "serious": ["phản vệ độ II", "khó thở", "đau ngực"],
}


@dataclass
class DemoSummary:
    """What was seeded, in numbers (printed by `immunize demo seed`)."""

    seed: int
    people: int = 0
    dependants: int = 0
    sites: int = 0
    lots: int = 0
    doses: Counter[int] = field(default_factory=Counter)
    mixed_doses: int = 0
    reactions: Counter[str] = field(default_factory=Counter)
    follow_ups: int = 0
    declarations: int = 0
    provinces: int = 0
    seconds: float = 0.0
    person_ids: list[UUID] = field(default_factory=list)
    site_ids: list[UUID] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The summary as JSON-ready numbers."""
        return {
            "seed": self.seed,
            "people": self.people,
            "dependants": self.dependants,
            "sites": self.sites,
            "lots": self.lots,
            "doses": sum(self.doses.values()),
            "doses_by_number": {str(k): v for k, v in sorted(self.doses.items())},
            "mixed_product_doses": self.mixed_doses,
            "reactions": dict(sorted(self.reactions.items())),
            "serious_followed_up": self.follow_ups,
            "health_declarations": self.declarations,
            "provinces": self.provinces,
            "seconds": round(self.seconds, 2),
        }

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        total = sum(self.doses.values())
        by_number = ", ".join(f"dose {k}: {v}" for k, v in sorted(self.doses.items()))
        reactions = ", ".join(f"{k}: {v}" for k, v in sorted(self.reactions.items())) or "none"
        return [
            f"Demo campaign seeded (seed {self.seed}) in {self.seconds:.1f} s",
            f"  people:        {self.people} ({self.dependants} dependants managed by a guardian)",
            f"  sites / lots:  {self.sites} sites in {self.provinces} provinces, {self.lots} vaccine lots",
            f"  doses:         {total} ({by_number}); {self.mixed_doses} mixed-product doses flagged",
            f"  reactions:     {reactions}; {self.follow_ups} serious reactions followed up",
            f"  declarations:  {self.health_declarations_text}",
        ]

    @property
    def health_declarations_text(self) -> str:
        """Declarations count as text."""
        return f"{self.declarations} health declarations"


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> Callable[[], str]:
    values = [v for v, _ in pairs]
    cumulative = list(accumulate(w for _, w in pairs))

    def pick() -> str:
        return values[bisect(cumulative, rng.random() * cumulative[-1])]

    return pick


@contextmanager
def _seeded_ids(ledger: Ledger, rng: random.Random) -> Iterator[None]:
    """Aggregate ids drawn from the seed while seeding (restored afterwards)."""
    previous = ledger.new_id
    ledger.new_id = lambda: UUID(int=rng.getrandbits(128), version=4)
    try:
        yield
    finally:
        ledger.new_id = previous


def seed_demo(
    ledger: Ledger, people: int = 2_000, seed: int = 1, start: date = CAMPAIGN_START
) -> DemoSummary:
    """Seed a deterministic demo campaign of `people` registrations (plus dependants) into `ledger`."""
    if not isinstance(people, int) or not 1 <= people <= MAX_PEOPLE:
        raise InvalidInput(f"The number of people must be from 1 to {MAX_PEOPLE}.")
    began = time.perf_counter()
    rng = random.Random(seed)
    with _seeded_ids(ledger, random.Random(f"ids:{seed}")):
        summary = _Seeder(ledger, rng, seed, start).run(people)
    summary.seconds = time.perf_counter() - began
    return summary


class _Seeder:
    """The steps of seeding, sharing the random source and the summary."""

    def __init__(self, ledger: Ledger, rng: random.Random, seed: int, start: date) -> None:
        self.ledger = ledger
        self.rng = rng
        self.seed = seed
        self.start = start
        self.today = ledger.today()
        self.ref = ledger.reference
        self.summary = DemoSummary(seed=seed)
        self.actor = Actor("demo-seed", Role.SYSTEM)
        self.product = _weighted(rng, PRODUCT_SHARES)
        self.booster = _weighted(rng, BOOSTER_PRODUCTS)
        self.family = _weighted(rng, FAMILY_NAMES)
        provinces = sorted(self.ref.provinces.values(), key=lambda p: p.code)
        self.province = _weighted(rng, [(p.code, p.population // 100) for p in provinces])
        self.wards_by_province: dict[str, list[Ward]] = {}
        for ward in sorted(self.ref.wards.values(), key=lambda w: w.code):
            self.wards_by_province.setdefault(ward.province_code, []).append(ward)
        self.sites_by_province: dict[str, list[UUID]] = {}
        self.lots: dict[tuple[UUID, str], UUID] = {}
        self.used_numbers: set[str] = set()

    def key(self, *parts: object) -> str:
        return ":".join(["demo", str(self.seed), *map(str, parts)])

    def run(self, people: int) -> DemoSummary:
        self.sites(max(3, min(200, people // 150)))
        adults = self.people(people)
        dependants = self.dependants(adults)
        everyone = adults + dependants
        doses = self.doses(everyone)
        self.reactions(doses)
        self.declarations(everyone)
        return self.summary

    # sites and lots

    def sites(self, count: int) -> None:
        provinces = set()
        for n in range(count):
            province = self.province() if n >= 3 else ("01", "79", "48")[n]  # Hà Nội, TP HCM, Đà Nẵng first
            ward = self.rng.choice(self.wards_by_province[province])
            site_id = self.ledger.register_site(
                code=f"VN-{province}-{n + 1:04d}",
                name=f"Trạm Y tế {ward.full_name}",
                ward_code=ward.code,
                capacity_per_day=self.rng.choice([100, 200, 300, 500, 1000]),
                actor=self.actor,
                idempotency_key=self.key("site", n),
            )
            self.sites_by_province.setdefault(province, []).append(site_id)
            self.summary.site_ids.append(site_id)
            provinces.add(province)
            for m, (mp, _) in enumerate(PRODUCT_SHARES[:4]):
                self.lots[(site_id, mp)] = self.ledger.receive_lot(
                    product=mp,
                    lot_number=f"{mp.split('/')[-1][:4].upper()}-{n + 1:03d}{m}",
                    expiry=self.start + timedelta(days=540),
                    site_id=site_id,
                    quantity=self.rng.choice([2_000, 5_000, 10_000]),
                    actor=self.actor,
                    idempotency_key=self.key("lot", n, m),
                )
                self.summary.lots += 1
        self.summary.sites = count
        self.summary.provinces = len(provinces)

    def lot_at(self, site_id: UUID, product: str) -> UUID:
        if (site_id, product) not in self.lots:
            n = len(self.lots)
            self.lots[(site_id, product)] = self.ledger.receive_lot(
                product=product,
                lot_number=f"{product.split('/')[-1][:4].upper()}-X{n:04d}",
                expiry=self.start + timedelta(days=540),
                site_id=site_id,
                quantity=1_000,
                actor=self.actor,
                idempotency_key=self.key("extra-lot", n),
            )
            self.summary.lots += 1
        return self.lots[(site_id, product)]

    # people

    def name(self, sex: str) -> str:
        middle = self.rng.choice(MIDDLE_FEMALE if sex == "female" else MIDDLE_MALE)
        given = self.rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
        return f"{self.family()} {middle} {given}"

    def national_id(self, province: str, sex: str, year: int, cccd: bool = True) -> str:
        while True:
            if cccd:
                # CCCD: 0 + province code, then century-and-sex digit, 2-digit year, 6 random digits.
                century = (0 if year < 2000 else 2) + (1 if sex == "female" else 0)
                number = f"0{province}{century}{year % 100:02d}{self.rng.randrange(1_000_000):06d}"
            else:
                number = f"{self.rng.randrange(10**8, 10**9)}"  # old 9-digit CMND
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def birth(self, low: int, high: int) -> tuple[int, str]:
        year = self.start.year - self.rng.randint(low, high)
        if year < 1950 and self.rng.random() < 0.4:
            return year, f"{year}"  # many elderly people know only their birth year
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        return year, f"{year}-{month:02d}-{day:02d}"

    def group(self, age: int) -> str:
        if age >= 65:
            return "CHRONIC_DISEASE_OR_OVER_65"
        roll = self.rng.random()
        if roll < 0.04:
            return "HEALTH_WORKER"
        if roll < 0.55:
            return "OTHER"
        ranked = sorted(self.ref.priority_groups.values(), key=lambda g: g.rank)
        return self.rng.choice(ranked).code

    def phone(self) -> str:
        return f"0{self.rng.choice([3, 5, 7, 8, 9])}{self.rng.randrange(10**8):08d}"

    def people(self, count: int) -> list[tuple[UUID, str, int]]:
        """Register `count` adults in batches; returns (id, province, birth year)."""
        registered: list[tuple[UUID, str, int]] = []
        for first in range(0, count, BATCH):
            requests, meta = [], []
            for _ in range(first, min(count, first + BATCH)):
                province = self.province()
                ward = self.rng.choice(self.wards_by_province[province])
                sex = "female" if self.rng.random() < 0.51 else "male"
                year, dob = self.birth(18, 85)
                age = self.start.year - year
                requests.append(
                    PersonRequest(
                        national_id=self.national_id(
                            province, sex, year, cccd=age < 60 or self.rng.random() < 0.5
                        ),
                        full_name=self.name(sex),
                        date_of_birth=dob,
                        sex=sex,
                        phone=self.phone(),
                        ward_code=ward.code,
                        priority_group=self.group(age),
                    )
                )
                meta.append((province, year))
            ids = self.ledger.register_people(
                requests, actor=self.actor, idempotency_key=self.key("people", first)
            )
            registered.extend((i, p, y) for i, (p, y) in zip(ids, meta, strict=True))
        self.summary.people += len(registered)
        self.summary.person_ids.extend(i for i, _, _ in registered)
        return registered

    def dependants(self, adults: list[tuple[UUID, str, int]]) -> list[tuple[UUID, str, int]]:
        """About one adult in six manages a child (no ID number) or an elderly parent."""
        added: list[tuple[UUID, str, int]] = []
        requests: list[PersonRequest] = []
        meta: list[tuple[str, int]] = []
        for guardian_id, province, year in adults:
            if self.rng.random() >= 1 / 6:
                continue
            sex = "female" if self.rng.random() < 0.5 else "male"
            ward = self.rng.choice(self.wards_by_province[province])
            if self.start.year - year < 50:
                child_year, dob = self.birth(6, 15)
                number, relationship, group = None, "child", "OTHER"
            else:
                child_year, dob = self.birth(75, 95)
                number = self.national_id(province, sex, child_year, cccd=False)
                relationship, group = "parent", "CHRONIC_DISEASE_OR_OVER_65"
            requests.append(
                PersonRequest(
                    number, self.name(sex), dob, sex, None, ward.code, group, guardian_id, relationship
                )
            )
            meta.append((province, child_year))
        for first in range(0, len(requests), BATCH):
            ids = self.ledger.register_people(
                requests[first : first + BATCH],
                actor=self.actor,
                idempotency_key=self.key("dependants", first),
            )
            added.extend((i, p, y) for i, (p, y) in zip(ids, meta[first : first + BATCH], strict=True))
        self.summary.people += len(added)
        self.summary.dependants = len(added)
        self.summary.person_ids.extend(i for i, _, _ in added)
        return added

    # doses, reactions, declarations

    def site_for(self, province: str) -> UUID:
        local = self.sites_by_province.get(province)
        return self.rng.choice(local) if local else self.rng.choice(self.summary.site_ids)

    def doses(self, everyone: list[tuple[UUID, str, int]]) -> list[tuple[UUID, UUID, date]]:
        """0-3 doses each, real minimum intervals, never after the ledger's today."""
        planned: list[DoseRequest] = []
        for person_id, province, year in everyone:
            count = self.rng.choices([0, 1, 2, 3], weights=[12, 18, 45, 25])[0]
            if self.start.year - year < 12:
                count = min(count, 2)  # children were vaccinated from 2022, fewer doses
            site = self.site_for(province)
            product = self.product()
            day = self.start + timedelta(days=self.rng.randint(30 if year > 2003 else 0, 240))
            previous_product = product
            for number in range(1, count + 1):
                if number > 1:
                    vaccine = self.ref.vaccines[previous_product]
                    if number <= vaccine.doses_in_primary_series:
                        product = previous_product
                        gap = (vaccine.min_interval_days or 21) + self.rng.randint(0, 35)
                    else:
                        product = self.booster()
                        gap = 90 + self.rng.randint(0, 120)
                    day += timedelta(days=gap)
                if day > self.today:
                    break
                planned.append(DoseRequest(person_id, number, product, self.lot_at(site, product), day, site))
                previous_product = product
        recorded: list[tuple[UUID, UUID, date]] = []
        for first in range(0, len(planned), BATCH):
            chunk = planned[first : first + BATCH]
            results = self.ledger.record_doses(
                chunk, actor=self.actor, idempotency_key=self.key("doses", first)
            )
            for request, result in zip(chunk, results, strict=True):
                self.summary.doses[result.dose_number] += 1
                self.summary.mixed_doses += int(result.mixed_products)
                recorded.append((result.person_id, result.dose_id, request.administered_on))
        return recorded

    def reactions(self, doses: list[tuple[UUID, UUID, date]]) -> None:
        """About 2% of doses get a reaction report; about one in eight of those serious."""
        staff = self.actor
        for n, (person_id, dose_id, day) in enumerate(doses):
            if self.rng.random() >= 0.02:
                continue
            severity = self.rng.choices(["mild", "moderate", "serious"], weights=[70, 18, 12])[0]
            onset = min(day + timedelta(days=self.rng.randint(0, 2)), self.today)
            reaction_id = self.ledger.report_reaction(
                person_id=person_id,
                onset=onset,
                symptoms=self.rng.choice(SYMPTOMS[severity]),
                severity=severity,
                dose_id=dose_id,
                actor=staff,
                idempotency_key=self.key("reaction", n),
            )
            self.summary.reactions[severity] += 1
            if severity == "serious" and self.rng.random() < 0.5:
                self.ledger.record_follow_up(
                    person_id=person_id,
                    reaction_id=reaction_id,
                    outcome="Đã hồi phục sau theo dõi 24 giờ (recovered after 24 h observation)",
                    resolved=True,
                    actor=staff,
                    idempotency_key=self.key("follow-up", n),
                )
                self.summary.follow_ups += 1

    def declarations(self, everyone: list[tuple[UUID, str, int]]) -> None:
        """A few health declarations (symptoms, exposure, travel)."""
        for n, (person_id, _, _) in enumerate(everyone):
            if self.rng.random() >= 0.02:
                continue
            cough = self.rng.random() < 0.2
            self.ledger.declare_health(
                person_id=person_id,
                symptoms="ho" if cough else "",
                exposure="" if self.rng.random() < 0.9 else "tiếp xúc F1",
                travel="",
                actor=self.actor,
                idempotency_key=self.key("declaration", n),
            )
            self.summary.declarations += 1
