"""Who lives where: a scaled population of Viet Nam from the GSO figures, in families with one phone.

Ages follow Viet Nam's 2019 census pyramid roughly (0-17: 26%, 18-64: 66%, 65+: 8%); names are drawn from
real Vietnamese family, middle and given names with their diacritics, a few chosen because they stress
ICAO 9303 transliteration (Đ, ư, ơ, stacked tone marks).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import TypeVar

from ledger.reference import Reference, Ward

# Most common family names, roughly by share (Nguyễn about 38%).
FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Trương", 1), ("Đinh", 1), ("Lâm", 1), ("Mai", 1), ("Ưng", 1), ("Khổng", 1),
]  # fmt: skip
MIDDLE = {
    "female": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Bảo", "Hồng", "Diễm"],
    "male": ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Xuân", "Trọng"],
}
GIVEN = {
    "female": ["Anh", "Ánh", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang",
               "Hà", "Hằng", "Huyền", "Loan", "Yến", "Vy", "Oanh", "Thủy", "Dung", "Nguyệt", "Tuyết"],
    "male": ["An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong",
             "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Nghĩa", "Khoa"],
}  # fmt: skip
# Names that stress transliteration (ư, ơ, Đ with stacked marks, a long given name): about 1 in 50.
HARD_NAMES = [
    ("Đặng", "Thị Ngọc Ửng", "female"),
    ("Trương", "Ưng Hoàng", "male"),
    ("Nguyễn", "Thị Thu Hường", "female"),
    ("Đoàn", "Đức Thưởng", "male"),
    ("Lưu", "Ngọc Ngữ", "female"),
    ("Ông", "Văn Ỷ", "male"),
]
# Shares of the population by age band (years): rough 2019 census pyramid.
AGE_BANDS = [((0, 11), 19), ((12, 17), 7), ((18, 29), 17), ((30, 49), 31), ((50, 64), 18), ((65, 95), 8)]
# Shares (%) of adults under 65 by priority group (MoH 16 groups); everyone 65+ is in group 9
# (CHRONIC_DISEASE_OR_OVER_65); the rest of the adult population is OTHER. Approximations for a simulation.
GROUP_SHARES = {
    "HEALTH_WORKER": 1.0,
    "EPIDEMIC_RESPONSE": 1.0,
    "ARMY": 0.6,
    "POLICE": 0.6,
    "DIPLOMATIC": 0.05,
    "CUSTOMS_IMMIGRATION": 0.1,
    "ESSENTIAL_SERVICES": 3.0,
    "EDUCATION_ADMIN_PUBLIC_FACING": 3.0,
    "CHRONIC_DISEASE_OR_OVER_65": 6.0,
    "EPIDEMIC_AREA_RESIDENT": 4.0,
    "POOR_SOCIAL_POLICY": 5.0,
    "OVERSEAS_TRAVEL_FOREIGN_EXPERT": 0.3,
    "ENTERPRISE_WORKER": 12.0,
    "RELIGIOUS_DIGNITARY": 0.1,
    "FREELANCE_WORKER": 8.0,
}


@dataclass(frozen=True)
class Resident:
    """One simulated person before registration: where, who, born when, which group."""

    province: str
    ward: str
    family_name: str
    given_names: str
    sex: str
    born: date
    group: str
    national_id: str | None

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_names}"

    def age_on(self, day: date) -> int:
        return day.year - self.born.year - ((day.month, day.day) < (self.born.month, self.born.day))


@dataclass(frozen=True)
class Household:
    """A family: the head holds the phone; the others are dependants on the head's account."""

    head: Resident
    phone: str
    others: tuple[tuple[Resident, str], ...]  # (person, relationship to the head)


T = TypeVar("T")


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    cumulative = list(accumulate(w for _, w in pairs))
    return pairs[bisect(cumulative, rng.random() * cumulative[-1])][0]


class PopulationMaker:
    """Draws households province by province from one seeded random source."""

    def __init__(self, reference: Reference, rng: random.Random, start: date) -> None:
        self.ref = reference
        self.rng = rng
        self.start = start
        self.wards: dict[str, list[Ward]] = {}
        for ward in sorted(reference.wards.values(), key=lambda w: w.code):
            self.wards.setdefault(ward.province_code, []).append(ward)
        self.groups = [g.code for g in sorted(reference.priority_groups.values(), key=lambda g: g.rank)]
        self.used_numbers: set[str] = set()
        self.used_phones: set[str] = set()

    def counts(self, scale: float) -> dict[str, int]:
        """People per province: the GSO population scaled (at least one person where it rounds to 0)."""
        return {
            code: max(1, round(p.population * scale))
            for code, p in sorted(self.ref.provinces.items())
            if self.wards.get(code)
        }

    def households(self, province: str, people: int, wards: list[Ward]) -> list[Household]:
        """`people` residents of a province in households of 1-6 living in the given wards."""
        made: list[Household] = []
        left = people
        while left > 0:
            size = min(left, (_weighted(self.rng, [(1, 12), (2, 20), (3, 24), (4, 26), (5, 12), (6, 6)])))
            ward = self.rng.choice(wards).code
            head = self.resident(province, ward, adult=True)
            others = []
            for _ in range(size - 1):
                person = self.resident(province, ward, adult=False, family=head.family_name)
                age = person.age_on(self.start)
                head_age = head.age_on(self.start)
                relation = "child" if age < head_age - 15 else "parent" if age > head_age + 15 else "spouse"
                others.append((person, relation))
            made.append(Household(head, self.phone(), tuple(others)))
            left -= size
        return made

    def resident(self, province: str, ward: str, *, adult: bool, family: str | None = None) -> Resident:
        bands = [(b, w) for b, w in AGE_BANDS if not adult or b[0] >= 18]
        low, high = _weighted(self.rng, bands)
        age = self.rng.randint(low, high)
        born = self.start - timedelta(days=age * 365 + age // 4 + self.rng.randint(1, 364))
        sex = "female" if self.rng.random() < 0.505 else "male"
        if self.rng.random() < 0.02:
            fam, given, sex = self.rng.choice(HARD_NAMES)
        else:
            fam = (
                family
                if family is not None and self.rng.random() < 0.6
                else _weighted(self.rng, FAMILY_NAMES)
            )
            given = f"{self.rng.choice(MIDDLE[sex])} {self.rng.choice(GIVEN[sex])}"
        real_age = self.start.year - born.year
        group = self.group(real_age) if real_age >= 18 else "OTHER"
        number = self.national_id(province, sex, born.year) if real_age >= 14 else None
        return Resident(province, ward, fam, given, sex, born, group, number)

    def group(self, age: int) -> str:
        if age >= 65:
            return "CHRONIC_DISEASE_OR_OVER_65"
        roll = self.rng.random() * 100
        for code, share in GROUP_SHARES.items():
            if code in self.groups:
                roll -= share
                if roll < 0:
                    return code
        return "OTHER"

    def national_id(self, province: str, sex: str, year: int) -> str:
        """A 12-digit CCCD: 0 + province code, century-and-sex digit, 2-digit year, 6 digits."""
        while True:
            century = (0 if year < 2000 else 2) + (1 if sex == "female" else 0)
            number = f"0{province}{century}{year % 100:02d}{self.rng.randrange(1_000_000):06d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = f"0{self.rng.choice([3, 5, 7, 8, 9])}{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number
