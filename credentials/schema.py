"""Checks a DCC against the official JSON schema 1.3.0 and value sets before it is handed out."""

from __future__ import annotations

from functools import cache
from typing import Any

from credentials.errors import SchemaViolationError
from credentials.schemacheck import Check, compile_schema
from credentials.valuesets import load_json, value_set

SCHEMA_FILE = "DCC.combined-schema-1.3.0.json"  # the official file, shipped unchanged
# Which value set each coded field of a vaccination entry must come from (DCC value sets 2.12.0).
_VALUE_SETS = {
    "tg": "disease-agent-targeted",
    "vp": "vaccine-prophylaxis",
    "mp": "vaccine-medicinal-product",
    "ma": "vaccine-mah-manf",
    "co": "country-2-codes",
}


def official_schema() -> dict[str, Any]:
    """The official DCC 1.3.0 combined schema as shipped in credentials/data."""
    schema: dict[str, Any] = load_json(SCHEMA_FILE)
    return schema


@cache
def _check() -> Check:
    """The schema compiled once into plain checks (see schemacheck)."""
    return compile_schema(official_schema())


def validate_dcc(dcc: dict[str, Any]) -> None:
    """Raise SchemaViolationError unless `dcc` passes the official schema and every code is in its value set."""
    error = _check()(dcc, "")
    if error is not None:
        raise SchemaViolationError(f"The certificate fails the DCC schema 1.3.0 at {error}.")
    for entry in dcc.get("v", []):
        for field, name in _VALUE_SETS.items():
            if entry.get(field) not in value_set(name):
                raise SchemaViolationError(
                    f"The certificate's {field} {entry.get(field)!r} is not in the DCC value set {name}."
                )
