"""The published EU DCC test vectors (shared/vectors/dgc-testdata), one case per JSON file."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from tests.reference import REFERENCE_DIR
from verifier.timeparse import parse_instant

VECTORS = REFERENCE_DIR / "vectors" / "dgc-testdata"
# The stages the vectors README defines; the other flags (ENCODE, VALIDJSON, VALIDOBJECT) are about
# issuers or the JSON file itself, not about verification.
STAGES = (
    "EXPECTEDUNPREFIX",
    "EXPECTEDB45DECODE",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDVERIFY",
    "EXPECTEDDECODE",
    "EXPECTEDEXPIRATIONCHECK",
    "EXPECTEDKEYUSAGE",
    "EXPECTEDSCHEMAVALIDATION",
    "EXPECTEDPICTUREDECODE",
)
NOT_VERIFIER_FLAGS = ("EXPECTEDENCODE", "EXPECTEDVALIDJSON", "EXPECTEDVALIDOBJECT")
# Cases whose published JSON is not what was signed, so DECODE's comparison with JSON cannot hold
# (decoding itself is still required to succeed, and every other stage is checked).
JSON_DIFFERS_FROM_SIGNED = {
    "PL/1.3.0/2DCode/raw/1.json": "JSON edited upstream after signing (vectors README)",
    "PL/1.3.0/2DCode/raw/5.json": "JSON edited upstream after signing (vectors README)",
    "FR/2DCode/raw/test_pcr_ok.json": "JSON sc/dr are 2 hours off the signed instants",
}


def same_json(decoded: Any, published: Any) -> bool:
    """Equal as JSON data; two date-time strings are equal when they name the same instant."""
    if isinstance(decoded, dict) and isinstance(published, dict):
        return decoded.keys() == published.keys() and all(
            same_json(decoded[k], published[k]) for k in decoded
        )
    if isinstance(decoded, list) and isinstance(published, list):
        return len(decoded) == len(published) and all(map(same_json, decoded, published))
    if isinstance(decoded, str) and isinstance(published, str) and decoded != published and "T" in decoded:
        try:
            return parse_instant(decoded) == parse_instant(published)
        except ValueError:
            return False
    return bool(decoded == published) and type(decoded) is type(published)


@dataclass(frozen=True)
class Case:
    """One vector case: its path (the test id), raw fields and expected flags."""

    name: str
    raw: dict[str, Any]

    @property
    def expected(self) -> dict[str, bool]:
        flags = self.raw.get("EXPECTEDRESULTS", {})
        return {key: value for key, value in flags.items() if isinstance(value, bool)}

    @property
    def irregular(self) -> list[str]:
        """Flag keys the README does not define (misspelt, nested): such a case is not guessed at."""
        flags = self.raw.get("EXPECTEDRESULTS", {})
        return [
            key
            for key, value in flags.items()
            if (key not in STAGES and key not in NOT_VERIFIER_FLAGS) or not isinstance(value, bool)
        ] + [key for key in self.raw if key.startswith(("EXPTECTED", "_"))]

    @property
    def context(self) -> dict[str, Any]:
        ctx: dict[str, Any] = self.raw.get("TESTCTX", {})
        return ctx

    @property
    def clock(self) -> datetime:
        return parse_instant(self.context["VALIDATIONCLOCK"])

    @property
    def certificate(self) -> bytes:
        return base64.b64decode(self.context["CERTIFICATE"])

    def hex_field(self, key: str) -> bytes | None:
        value = self.raw.get(key)
        return bytes.fromhex(value) if isinstance(value, str) else None

    @property
    def picture(self) -> bytes | None:
        value = self.raw.get("2DCODE")
        return base64.b64decode(value) if isinstance(value, str) else None


@cache
def all_cases() -> tuple[Case, ...]:
    """Every */2DCode/raw/*.json case (including PL/<schema>/ and PT/<schema>/), sorted by path."""
    paths = sorted(VECTORS.glob("**/2DCode/raw/*.json"))
    return tuple(Case(str(path.relative_to(VECTORS)), json.loads(path.read_text("utf-8"))) for path in paths)
