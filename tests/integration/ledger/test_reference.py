"""The Viet Nam reference data is read as published (tests/reference/data/vn), never edited."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import InvalidInput, ReferenceDataError
from ledger.reference import reference, reference_dir
from tests.reference import REFERENCE_DIR


def test_the_whole_country_is_there() -> None:
    ref = reference()
    assert (len(ref.provinces), len(ref.districts), len(ref.wards)) == (63, 705, 10_599)
    assert len(ref.priority_groups) == 16
    assert sum(p.population for p in ref.provinces.values()) == 97_582_600


def test_a_ward_knows_its_district_and_province() -> None:
    ref = reference()
    phuc_xa = ref.ward("00001")
    assert (phuc_xa.name, phuc_xa.district_code, phuc_xa.province_code) == ("Phúc Xá", "001", "01")
    assert ref.provinces[ref.ward("26734").province_code].name == "Hồ Chí Minh"
    with pytest.raises(InvalidInput, match=r"wards\.csv"):
        ref.ward("1")


def test_vaccines_carry_dcc_codes_and_moh_intervals() -> None:
    ref = reference()
    assert ref.vaccine("EU/1/21/1529").min_interval_days == 28  # AstraZeneca
    assert ref.vaccine("EU/1/20/1528").min_interval_days == 21  # Pfizer
    assert ref.vaccine("Abdala").doses_in_primary_series == 3
    janssen = ref.vaccine("EU/1/20/1525")
    assert (janssen.doses_in_primary_series, janssen.min_interval_days) == (1, None)
    assert ref.priority_groups["HEALTH_WORKER"].rank == 1


def test_a_missing_reference_directory_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"IMMUNIZE_REFERENCE_DIR"):
        reference_dir({"IMMUNIZE_REFERENCE_DIR": str(tmp_path)})


SHARED_DATA = REFERENCE_DIR / "data" / "vn"


def test_the_shipped_copy_is_the_published_data_byte_for_byte() -> None:
    shipped = reference_dir({})
    for published in sorted(SHARED_DATA.glob("*.csv")):
        assert (shipped / published.name).read_bytes() == published.read_bytes(), published.name
