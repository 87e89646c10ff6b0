"""The copies shipped in credentials/data are the official files, and the vaccine table is data/vn/vaccines.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from credentials.valuesets import load_json, products, value_set

OFFICIAL_VALUE_SETS = [
    "country-2-codes",
    "disease-agent-targeted",
    "vaccine-encoding-instructions",
    "vaccine-mah-manf",
    "vaccine-medicinal-product",
    "vaccine-prophylaxis",
]


@pytest.mark.parametrize("name", OFFICIAL_VALUE_SETS)
def test_value_set_copies_are_the_official_files(shared_dir: Path, name: str) -> None:
    official = json.loads(
        (shared_dir / "specs" / "dcc-valuesets" / f"{name}.json").read_text(encoding="utf-8")
    )
    assert load_json(f"{name}.json") == official


def test_the_schema_copy_is_the_official_1_3_0_release(shared_dir: Path) -> None:
    path = shared_dir / "specs" / "dcc-schema" / "releases" / "1.3.0" / "DCC.combined-schema.json"
    assert load_json("DCC.combined-schema-1.3.0.json") == json.loads(path.read_text(encoding="utf-8"))


def test_the_vaccine_table_is_the_campaigns_vaccines_csv(shared_dir: Path) -> None:
    with (shared_dir / "data" / "vn" / "vaccines.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = products()
    assert set(table) == {row["mp_code"] for row in rows}
    for row in rows:
        product = table[row["mp_code"]]
        assert product.ma == row["ma_code"]
        assert row["vp_code"] in product.vp_codes
        assert product.primary_doses == int(row["doses_in_primary_series"])


def test_every_campaign_code_is_in_the_official_value_sets() -> None:
    for product in products().values():
        assert product.mp in value_set("vaccine-medicinal-product")
        assert product.ma in value_set("vaccine-mah-manf")
        assert product.vp_codes <= value_set("vaccine-prophylaxis")
