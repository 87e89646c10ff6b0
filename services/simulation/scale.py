"""A simulated population's size, for the public coverage figures: IMMUNIZE_POPULATION_SCALE.

A ledger filled by `immunize simulate --scale 0.0001` holds a ten-thousandth of Viet Nam; its coverage
compared with the whole GSO population would read 0.0% everywhere. With IMMUNIZE_POPULATION_SCALE set to
the same scale, the statistics page compares with the population scaled alike, and says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ledger.errors import InvalidInput
from ledger.reference import Reference

VARIABLE = "IMMUNIZE_POPULATION_SCALE"


def population_scale(env: Mapping[str, str]) -> float:
    """The configured scale (1 when unset), or InvalidInput naming the variable."""
    text = env.get(VARIABLE, "").strip()
    if not text:
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 1:
        raise InvalidInput(
            f"{VARIABLE}={text!r} is not a scale: use a number above 0 and at most 1, e.g. 0.0001."
        )
    return scale


def scaled_reference(reference: Reference, scale: float) -> Reference:
    """The reference data with every province's population multiplied by `scale` (rounded, at least 1)."""
    if scale == 1:
        return reference
    provinces = {
        code: dataclasses.replace(p, population=max(1, round(p.population * scale)))
        for code, p in reference.provinces.items()
    }
    return dataclasses.replace(reference, provinces=provinces)


def scale_note(scale: float) -> str:
    """What the statistics page says when the population is simulated."""
    return (
        f"Simulated data: the ledger holds a population {scale:g} times Viet Nam's (immunize simulate); "
        "coverage compares with the GSO population scaled alike."
    )
