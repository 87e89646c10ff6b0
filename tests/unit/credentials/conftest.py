"""Fixtures of the credentials tests: a test PKI from keys/, sample records, and the shared reference data."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from credentials import DoseRecord, VaccinationRecord
from keys.signing import InMemoryPKI, generate_test_pki
from tests.reference import REFERENCE_DIR

NOW = dt.datetime(2022, 1, 15, 8, 30, tzinfo=dt.UTC)

# EU DCC codes of the vaccines used in Viet Nam (data/vn/vaccines.csv).
ASTRAZENECA = ("EU/1/21/1529", "ORG-100001699", "29061000087103")
PFIZER = ("EU/1/20/1528", "ORG-100030215", "1119349007")
MODERNA = ("EU/1/20/1507", "ORG-100031184", "1119349007")
JANSSEN = ("EU/1/20/1525", "ORG-100001417", "29061000087103")
ABDALA = ("Abdala", "CIGB", "28531000087107")
SINOPHARM = ("BBIBP-CorV", "ORG-100020693", "1157024006")


def dose(product: tuple[str, str, str], day: str, country: str = "VN") -> DoseRecord:
    """A dose of `product` given on `day` (YYYY-MM-DD)."""
    mp, ma, vp = product
    return DoseRecord(mp=mp, ma=ma, vp=vp, date=dt.date.fromisoformat(day), country=country)


def record(
    *doses: DoseRecord, family: str = "Nguyễn", given: str = "Thị Ánh", dob: str = "1980-05-17"
) -> VaccinationRecord:
    """A person's vaccination record with the given doses."""
    return VaccinationRecord(family_name=family, given_names=given, date_of_birth=dob, doses=tuple(doses))


def seeded_bytes(seed: int) -> Callable[[int], bytes]:
    """An os.urandom-like source that repeats for a seed: certificates in tests are reproducible."""
    rng = random.Random(seed)
    return lambda n: bytes(rng.getrandbits(8) for _ in range(n))


@pytest.fixture(scope="session")
def pki() -> InMemoryPKI:
    """A CSCA and an ES256 document signer valid around NOW, in memory only."""
    return generate_test_pki(NOW - dt.timedelta(days=30))


@pytest.fixture(scope="session")
def pki_ps256() -> InMemoryPKI:
    """A CSCA and a PS256 (RSA-2048) document signer valid around NOW."""
    return generate_test_pki(NOW - dt.timedelta(days=30), "PS256")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Published reference material copied into the repository (tests/reference, see its README)."""
    return REFERENCE_DIR
