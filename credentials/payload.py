"""The DCC JSON payload (schema 1.3.0) of a vaccination certificate, built from a VaccinationRecord."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from credentials.errors import InvalidRecordError
from credentials.record import DoseRecord, VaccinationRecord
from credentials.series import LatestDose, latest_dose
from credentials.transliteration import transliterate
from credentials.valuesets import COVID_19, check_country

SCHEMA_VERSION = "1.3.0"
ISSUER = "Ministry of Health of Viet Nam"
FIRST_VACCINATION_DAY = dt.date(2020, 12, 1)  # no COVID-19 vaccine was given outside trials before this day
MAX_NAME_LENGTH = 80  # DCC schema: fn and gn hold at most 80 characters
# DCC schema 1.3.0 `dob`: a year, a year and month, or a full date, between 1900 and 2099.
_DOB = re.compile(r"(19|20)\d\d(-(0[1-9]|1[0-2])(-\d\d)?)?")


def _name(value: str, field: str, *, required: bool) -> str:
    """A name as written, in composed Unicode form, checked for length."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if required and not text:
        raise InvalidRecordError(f"The {field} is empty; a certificate needs the family name.")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidRecordError(
            f"The {field} has more than {MAX_NAME_LENGTH} characters; the DCC cannot hold it."
        )
    return text


def _date_of_birth(value: str) -> str:
    """The date of birth as recorded (YYYY, YYYY-MM or YYYY-MM-DD), checked to be a real date."""
    if not _DOB.fullmatch(value):
        raise InvalidRecordError(
            f"The date of birth {value!r} is not YYYY-MM-DD, YYYY-MM or YYYY between 1900 and 2099."
        )
    if len(value) == 10:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidRecordError(f"The date of birth {value!r} is not a real date.") from None
    return value


def _check_shapes(record: VaccinationRecord) -> None:
    """Refuse a record whose fields have the wrong types, with a sentence instead of a traceback."""
    if not isinstance(record, VaccinationRecord):
        raise InvalidRecordError("Issue certificates from a VaccinationRecord.")
    for field in ("family_name", "given_names", "date_of_birth"):
        if not isinstance(getattr(record, field), str):
            raise InvalidRecordError(f"The record's {field.replace('_', ' ')} must be text.")
    if not isinstance(record.doses, tuple) or not all(isinstance(d, DoseRecord) for d in record.doses):
        raise InvalidRecordError("The record's doses must be a tuple of DoseRecord, oldest first.")
    for dose in record.doses:
        if not all(isinstance(getattr(dose, f), str) for f in ("mp", "ma", "vp", "country")):
            raise InvalidRecordError("A dose's codes (mp, ma, vp, country) must be text.")
        if not isinstance(dose.date, dt.date) or isinstance(dose.date, dt.datetime):
            raise InvalidRecordError("A dose's date must be a date (not a time or text).")


def build_payload(record: VaccinationRecord, uvci: str, today: dt.date) -> tuple[dict[str, Any], LatestDose]:
    """The DCC for the latest dose of `record`, and how that dose was numbered."""
    _check_shapes(record)
    family = _name(record.family_name, "family name", required=True)
    given = _name(record.given_names, "given names", required=False)
    dob = _date_of_birth(record.date_of_birth)
    latest = latest_dose(record.doses)
    dose = latest.dose
    if dose.date > today:
        raise InvalidRecordError(
            f"The latest dose is dated {dose.date.isoformat()}, after today; correct the dose date."
        )
    if dose.date < FIRST_VACCINATION_DAY:
        raise InvalidRecordError(
            f"The latest dose is dated {dose.date.isoformat()}, before COVID-19 vaccination began; correct the dose date."
        )
    if dose.date.isoformat()[: len(dob)] < dob:
        raise InvalidRecordError("The latest dose is dated before the date of birth; correct the record.")
    names: dict[str, str] = {"fn": family, "fnt": transliterate(family, field="family name")}
    if given:
        names["gn"] = given
        names["gnt"] = transliterate(given, field="given names")
    vaccination = {
        "tg": COVID_19,
        "vp": dose.vp,
        "mp": dose.mp,
        "ma": dose.ma,
        "dn": latest.dose_number,
        "sd": latest.series_doses,
        "dt": dose.date.isoformat(),
        "co": check_country(dose.country),
        "is": ISSUER,
        "ci": uvci,
    }
    return {"ver": SCHEMA_VERSION, "nam": names, "dob": dob, "v": [vaccination]}, latest
