"""Administrative areas and where a point falls among them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class AreaLevel(IntEnum):
    """COD administrative levels."""

    GOVERNORATE = 1
    DISTRICT = 2
    SUBDISTRICT = 3


@dataclass(frozen=True, slots=True)
class Area:
    """One governorate, district or sub-district of the COD, with the facts tansiq keeps on it."""

    pcode: str
    level: AreaLevel
    name_en: str
    name_ar: str
    parent_pcode: str | None
    disputed: bool
    kurdistan_region: bool
    syria_border_district: bool


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one point falls: the three COD levels and the three flags.

    `outside_km` is 0 for a point inside Iraq; for a point outside it is the distance to the
    border, and the levels are those of the nearest sub-district.
    """

    adm1_pcode: str
    adm1_en: str
    adm1_ar: str
    adm2_pcode: str
    adm2_en: str
    adm2_ar: str
    adm3_pcode: str
    adm3_en: str
    adm3_ar: str
    disputed: bool
    kurdistan_region: bool
    syria_border_district: bool
    outside_km: float
