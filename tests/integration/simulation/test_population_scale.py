"""IMMUNIZE_POPULATION_SCALE: public coverage of a simulated ledger compares with a population of its size."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from ledger.reference import reference
from services.simulation.scale import population_scale, scale_note, scaled_reference


def test_unset_means_the_whole_population() -> None:
    ref = reference()
    assert population_scale({}) == 1.0
    assert scaled_reference(ref, 1.0) is ref


def test_a_scale_shrinks_every_province_alike() -> None:
    ref = reference()
    scale = population_scale({"IMMUNIZE_POPULATION_SCALE": "0.0001"})
    scaled = scaled_reference(ref, scale)
    assert scaled.provinces["01"].population == round(ref.provinces["01"].population * 0.0001)
    assert all(p.population >= 1 for p in scaled.provinces.values())
    assert scaled.wards is ref.wards  # only the populations change
    assert "0.0001" in scale_note(scale)


@pytest.mark.parametrize("text", ["0", "-1", "2", "abc"])
def test_a_bad_scale_is_named(text: str) -> None:
    with pytest.raises(InvalidInput, match="IMMUNIZE_POPULATION_SCALE"):
        population_scale({"IMMUNIZE_POPULATION_SCALE": text})
