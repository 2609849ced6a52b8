"""The gazetteer indexed by name for reading text: every spelling of every place, by key.

Each GazetteerEntry becomes a Place with a kind (governorate, district, sub-district, town) and
a weight (its size, to choose among same-named places). Its name, alternate names (Latin and
Arabic script; other scripts are left out) and, for governorates, English exonyms are indexed
by the keys of tansiq.analysis.place_names. UCDP's generic words ("town", "village") are not
part of a name; "Qada'" before a name makes it a district.

Pure: rows in, an index out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Final

from tansiq.analysis import place_names as names
from tansiq.geo.reference import GazetteerEntry


class PlaceKind(IntEnum):
    """How specific a place is; higher is more specific (and preferred)."""

    GOVERNORATE = 1
    DISTRICT = 2
    SUBDISTRICT = 3
    TOWN = 4


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer row as the geocoder uses it: a point, its areas, a kind and a size."""

    name: str
    latitude: float
    longitude: float
    adm1_pcode: str
    adm2_pcode: str | None
    kind: PlaceKind
    weight: float  # bigger is more important: used only to choose among same-named places
    name_ar: str | None = None  # the name in Arabic script, where the gazetteer has one


# --- reading the gazetteer -------------------------------------------------------------------

_GEONAMES_WEIGHT: Final = {"PPLC": 1000.0, "PPLA": 100.0, "PPLA2": 30.0, "PPLA3": 10.0}
_COD_KIND: Final = {
    "governorate": PlaceKind.GOVERNORATE,
    "district": PlaceKind.DISTRICT,
    "subdistrict": PlaceKind.SUBDISTRICT,
}
# Generic words UCDP appends or prepends to a place name; not part of the name.
_GENERIC_SUFFIXES: Final = frozenset({"town", "village", "city", "area", "locality"})
_DISTRICT_PREFIXES: Final = frozenset({"qada", "qadha", "qadaa"})
_SUBDISTRICT_PREFIXES: Final = frozenset({"nahiyat", "nahiyah", "nahiya"})
_COUNTRY: Final = "iraq"
_EVENTS: Final = re.compile(r"events=(\d+)")

# English exonyms of governorates that no transliteration rule reaches (the COD spells them
# Ninewa, Babil, Thi Qar, Al-Sulaymaniyah, Erbil).
EXONYMS: Final = {
    "IQG15": ("Nineveh",),
    "IQG07": ("Babylon",),
    "IQG17": ("Dhi Qar",),
    "IQG06": ("Sulaimani", "Slemani", "Suleimaniyah"),
    "IQG11": ("Hawler", "Arbil", "Irbil"),
}


# Names of the capitals by their role ("the Iraqi capital"), added as spellings of the city.
CAPITALS: Final = {
    "Baghdad": ("Iraqi capital", "Iraq capital", "العاصمة بغداد", "العاصمة العراقية"),
    "Erbil": ("Kurdish capital", "Kurdistan capital"),
}


def _kind_and_weight(entry: GazetteerEntry) -> tuple[PlaceKind, float]:
    if entry.source.startswith("ocha_cod"):
        return _COD_KIND.get(entry.feature_type, PlaceKind.SUBDISTRICT), 10.0
    if entry.source.startswith("ucdp"):
        found = _EVENTS.search(entry.feature_type)
        return PlaceKind.TOWN, float(found.group(1)) if found else 1.0
    return PlaceKind.TOWN, _GEONAMES_WEIGHT.get(entry.feature_type, 5.0)


def _display_name(name: str) -> str:
    words = name.split()
    if len(words) > 1 and words[-1].lower() in _GENERIC_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def _name_kind(words: list[str], kind: PlaceKind) -> tuple[list[str], PlaceKind]:
    """A name's words without UCDP's generic words, and the kind they told."""
    if len(words) > 1 and words[-1] in _GENERIC_SUFFIXES:
        words = words[:-1]
    if len(words) > 1 and words[0] in _DISTRICT_PREFIXES:
        return words[1:], PlaceKind.DISTRICT
    if len(words) > 1 and words[0] in _SUBDISTRICT_PREFIXES:
        return words[1:], PlaceKind.SUBDISTRICT
    return words, kind


# --- the index ---------------------------------------------------------------------------------


class Strength(IntEnum):
    """How a name was matched: by the loosest key that matched (lower is looser)."""

    SKELETON = 1
    PHONETIC = 2
    EXACT = 3


_MIN_SKELETON: Final = 4  # shorter consonant skeletons collide with ordinary words
MIN_KEY: Final = 3
"""Characters in the shortest name key looked up."""


@dataclass(slots=True)
class GazetteerIndex:
    """Name key -> places, one dict per key strength and one for Arabic script."""

    exact: dict[str, list[Place]] = field(default_factory=dict)
    phonetic: dict[str, list[Place]] = field(default_factory=dict)
    skeleton: dict[str, list[Place]] = field(default_factory=dict)
    arabic: dict[str, list[Place]] = field(default_factory=dict)

    def add_latin(self, name: str, place: Place) -> None:
        words = names.latin_words(name)
        if not words or _COUNTRY in words[1:]:  # "Northern Iraq" is no place to put a pin on
            return
        words, kind = _name_kind(words, place.kind)
        if kind != place.kind:
            place = replace(place, kind=kind)
        keys = names.latin_keys(words)
        if len(keys.exact) < MIN_KEY:
            return
        _append(self.exact, keys.exact, place)
        _append(self.phonetic, keys.phonetic, place)
        if len(keys.skeleton) >= _MIN_SKELETON:
            _append(self.skeleton, keys.skeleton, place)

    def add_arabic(self, name: str, place: Place) -> None:
        key = names.arabic_key(names.arabic_words(name))
        if len(key) >= MIN_KEY:
            _append(self.arabic, key, place)

    def latin_places(self, keys: names.LatinKeys, strength: Strength) -> list[Place] | None:
        """Places by one key; an exact name brings its phonetic namesakes along ("Heet" the
        district finds "Hīt" the town), so that the kind of place can still be chosen."""
        if strength == Strength.EXACT:
            return self.phonetic.get(keys.phonetic) if keys.exact in self.exact else None
        if strength == Strength.PHONETIC:
            return self.phonetic.get(keys.phonetic)
        return self.skeleton.get(keys.skeleton) if len(keys.skeleton) >= _MIN_SKELETON else None

    def arabic_places(self, key: str) -> list[Place] | None:
        """Places by the key of an Arabic-script name (tansiq.analysis.place_names)."""
        return self.arabic.get(key) if len(key) >= MIN_KEY else None


def _append(index: dict[str, list[Place]], key: str, place: Place) -> None:
    places = index.setdefault(key, [])
    if place not in places:
        places.append(place)


def _is_latin(name: str) -> bool:
    letters = [c for c in unicodedata.normalize("NFKD", name) if c.isalpha()]
    return bool(letters) and all(c.isascii() for c in letters)


def build_index(entries: Iterable[GazetteerEntry]) -> GazetteerIndex:
    """Every spelling of every gazetteer row, by key."""
    index = GazetteerIndex()
    for entry in entries:
        kind, weight = _kind_and_weight(entry)
        place = Place(
            _display_name(entry.name),
            entry.latitude,
            entry.longitude,
            entry.adm1_pcode,
            entry.adm2_pcode,
            kind,
            weight,
            entry.name_ar,
        )
        for spelling in _spellings(entry, kind):
            if names.is_arabic_script(spelling):
                index.add_arabic(spelling, place)
            elif _is_latin(spelling):  # other scripts (Cyrillic, Greek...) are left out
                index.add_latin(spelling, place)
    return index


def _spellings(entry: GazetteerEntry, kind: PlaceKind) -> list[str]:
    spellings = [entry.name, *entry.alternate_names]
    if entry.name_ar:
        spellings.append(entry.name_ar)
    if kind == PlaceKind.GOVERNORATE:
        spellings += EXONYMS.get(entry.adm1_pcode, ())
    if entry.feature_type in {"PPLC", "PPLA"}:
        spellings += CAPITALS.get(entry.name, ())
    return spellings
