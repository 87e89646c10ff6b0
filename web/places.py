"""Province → district → ward lists from the reference data (ledger/data/vn), for the address pickers."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.reference import Reference, reference


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class Address:
    """What an address picker shows: the lists to choose from and what is chosen so far."""

    provinces: list[Place]
    districts: list[Place]
    wards: list[Place]
    province_code: str
    district_code: str
    ward_code: str


def _ref() -> Reference:
    return reference()


def provinces() -> list[Place]:
    return sorted((Place(p.code, p.name) for p in _ref().provinces.values()), key=_collation)


def districts(province_code: str) -> list[Place]:
    found = (Place(d.code, d.name) for d in _ref().districts.values() if d.province_code == province_code)
    return sorted(found, key=_collation)


def wards(district_code: str) -> list[Place]:
    found = (Place(w.code, w.full_name) for w in _ref().wards.values() if w.district_code == district_code)
    return sorted(found, key=_collation)


def address(province_code: str = "", district_code: str = "", ward_code: str = "") -> Address:
    """The picker's state: a ward code alone (a stored address) fills in its district and province."""
    ref = _ref()
    ward = ref.wards.get(ward_code)
    if ward is not None:
        district_code, province_code = ward.district_code, ward.province_code
    else:
        ward_code = ""
    district = ref.districts.get(district_code)
    if district is not None and (not province_code or district.province_code == province_code):
        province_code = district.province_code
    else:
        district_code = ""
    if province_code not in ref.provinces:
        province_code = ""
    return Address(
        provinces=provinces(),
        districts=districts(province_code) if province_code else [],
        wards=wards(district_code) if district_code else [],
        province_code=province_code,
        district_code=district_code,
        ward_code=ward_code,
    )


def province_name(code: str) -> str:
    """Template filter `province`: "Hà Nội" for a GSO province code (the code itself if unknown)."""
    province = _ref().provinces.get(str(code))
    return province.name if province is not None else str(code)


def ward_name(code: str) -> str:
    """Template filter `ward`: "Phường Phúc Xá, Ba Đình" for a GSO ward code (the code itself if unknown)."""
    ref = _ref()
    ward = ref.wards.get(str(code))
    if ward is None:
        return str(code)
    district = ref.districts.get(ward.district_code)
    return f"{ward.full_name}, {district.name}" if district is not None else ward.full_name


def _collation(place: Place) -> tuple[str, str]:
    """Vietnamese names in a stable order a person can scan (đ after d, tones ignored first)."""
    import unicodedata

    base = unicodedata.normalize("NFD", place.name.replace("Đ", "Dz").replace("đ", "dz"))
    plain = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    return plain, place.code
