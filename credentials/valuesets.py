"""The EU DCC value sets and the vaccines of the Viet Nam campaign, read from the copies shipped in credentials/data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from credentials.errors import InvalidRecordError

COVID_19 = "840539006"  # disease-agent-targeted.json: the only value of `tg`


@dataclass(frozen=True)
class VaccineProduct:
    """A vaccine used in Viet Nam: its DCC codes and how many doses make its primary series."""

    mp: str
    name: str
    ma: str
    vp_codes: frozenset[str]  # vp codes the encoding instructions allow for this product
    primary_doses: int


def load_json(name: str) -> Any:
    """One JSON file shipped in credentials/data."""
    return json.loads(resources.files("credentials.data").joinpath(name).read_text(encoding="utf-8"))


@cache
def value_set(name: str) -> frozenset[str]:
    """The codes of one official value set (e.g. "vaccine-medicinal-product")."""
    return frozenset(load_json(f"{name}.json")["valueSetValues"])


@cache
def products() -> dict[str, VaccineProduct]:
    """The vaccines of the campaign by `mp` code, with the vp codes the encoding instructions allow."""
    allowed_vp: dict[str, set[str]] = {}
    for entry in load_json("vaccine-encoding-instructions.json")["valueSetValues"].values():
        allowed_vp.setdefault(entry["vaccine-code"], set()).update(entry["sct-codes"])
    table: dict[str, VaccineProduct] = {}
    for mp, row in load_json("vaccines.json")["products"].items():
        table[mp] = VaccineProduct(
            mp=mp,
            name=row["name"],
            ma=row["ma"],
            vp_codes=frozenset(allowed_vp.get(mp, set()) | {row["vp"]}),
            primary_doses=int(row["primary_doses"]),
        )
    return table


def product(mp: str, ma: str, vp: str) -> VaccineProduct:
    """The product a dose's codes name, after checking each code against the value sets and each other."""
    if mp not in value_set("vaccine-medicinal-product"):
        raise InvalidRecordError(
            f"Unknown vaccine code {mp!r}: it is not in the EU DCC medicinal product value set."
        )
    known = products().get(mp)
    if known is None:
        raise InvalidRecordError(
            f"The vaccine {mp!r} was not used in Viet Nam's campaign; its primary series is unknown, so no "
            "certificate can say whether it is complete."
        )
    if ma not in value_set("vaccine-mah-manf") or ma != known.ma:
        raise InvalidRecordError(
            f"The manufacturer code {ma!r} does not belong to the vaccine {known.name}; correct the dose."
        )
    if vp not in value_set("vaccine-prophylaxis") or vp not in known.vp_codes:
        raise InvalidRecordError(
            f"The vaccine type code {vp!r} does not fit the vaccine {known.name}; correct the dose."
        )
    return known


def check_country(code: str) -> str:
    """A country of vaccination from the DCC country value set (ISO 3166-1 alpha-2)."""
    if code not in value_set("country-2-codes"):
        raise InvalidRecordError(
            f"Unknown country of vaccination {code!r}; use an ISO 3166-1 alpha-2 code such as 'VN'."
        )
    return code
