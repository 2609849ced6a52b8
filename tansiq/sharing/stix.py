"""STIX 2.1 as tansiq speaks it: the objects we build, and cheap checks on the ones we receive.

Pure functions on plain dicts: no database, no HTTP, and no stix2 objects (sync moves many
objects and we serialise with orjson; the tests check the output with stix2-validator). The
model is docs INTEROP.md section 2; our five property extensions are in docs/stix-extensions.md.

Timestamps are UTC with millisecond precision, or microsecond when the value has it. Compare
them with `to_micros`, never as strings: ".000Z" sorts after ".000500Z".
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

from tansiq.domain.areas import AreaLevel
from tansiq.domain.grading import Grade
from tansiq.domain.incidents import pcode_level
from tansiq.domain.markings import (
    NAMESPACE,
    TLP_MARKING_IDS,
    Marking,
    Tlp,
    releasability_marking_id,
)
from tansiq.domain.markings import identity_id as identity_id  # re-exported for callers
from tansiq.domain.reports import CellDraft, PlacedPlace, ReportDraft
from tansiq.errors import InvalidInput

StixObject = dict[str, Any]

SPEC_VERSION: Final = "2.1"
FIXED_CREATED: Final = "2020-01-01T00:00:00.000Z"
"""`created` of the objects every node builds alike (identities, releasability markings)."""

TLP_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
INCIDENT_CORE_EXTENSION_ID: Final = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

PROJECT_IDENTITY_ID: Final = "identity--ae4cf53f-a04e-473c-88a3-f23fe2e9e363"
GRADING_EXTENSION_ID: Final = "extension-definition--7e2d7a85-dc59-4360-8a82-ca198579f0ab"
RELEASABILITY_EXTENSION_ID: Final = "extension-definition--59f950e5-6d72-44ed-8a4f-b94c30f601db"
PARTNER_EXTENSION_ID: Final = "extension-definition--43b7ccf5-8f04-4c3d-b303-565634e8336a"
AREA_EXTENSION_ID: Final = "extension-definition--226dc58b-1d64-46de-9121-ae5566c5a6cc"
SIGNATURE_EXTENSION_ID: Final = "extension-definition--302d5db4-b4ca-4f6d-a012-0eba2ef736f6"

TLP1_MARKING_IDS: Final[Mapping[str, Tlp]] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
"""The STIX 2.1 spec's TLP 1.0 markings, read on intake as their TLP 2.0 equivalents."""

ACCEPTED_TYPES: Final = frozenset(
    {"report", "note", "sighting", "opinion", "grouping", "relationship", "incident"}
    | {"location", "intrusion-set", "threat-actor", "identity"}
    | {"marking-definition", "extension-definition"}
)
OPINIONS: Final = ("strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")
MAX_COUNT: Final = 999_999_999

_PROPERTY_EXTENSION: Final = "property-extension"
_SCHEMA_DOC: Final = "https://github.com/tansiq/tansiq/blob/main/docs/stix-extensions.md"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z"
)
_UUID: Final = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
_IDENTIFIER: Final = re.compile(rf"([a-z0-9][a-z0-9-]*[a-z0-9])--{_UUID}")
_RELATIONSHIP_TYPE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SRO_TYPES: Final = frozenset({"relationship", "sighting"})


# --- timestamps --------------------------------------------------------------------------------


def stix_time(dt: datetime) -> str:
    """A STIX timestamp: UTC, 'Z', milliseconds (microseconds when the value has them)."""
    if dt.tzinfo is None:
        raise InvalidInput("a STIX timestamp needs a time zone")
    utc = dt.astimezone(UTC).replace(tzinfo=None)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=spec) + "Z"


def parse_stix_time(s: str) -> datetime:
    """A STIX timestamp as an aware UTC datetime; digits past microseconds are dropped."""
    if not isinstance(s, str):
        raise InvalidInput(f"bad STIX timestamp {shown(s)}: use e.g. 2024-05-01T12:00:00.000Z")
    return _parse_time(s)


@functools.lru_cache(maxsize=4096)
def _parse_time(s: str) -> datetime:
    match = _TIMESTAMP.fullmatch(s)
    if match is None:
        raise InvalidInput(f"bad STIX timestamp {shown(s)}: use e.g. 2024-05-01T12:00:00.000Z")
    year, month, day, hour, minute, second, fraction = match.groups()
    micros = int((fraction or "").ljust(6, "0")[:6])
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, UTC
        )
    except ValueError:
        raise InvalidInput(f"bad STIX timestamp {shown(s)}: no such date or time") from None


def to_micros(dt: datetime) -> int:
    """Microseconds since the Unix epoch, exactly (no float rounding)."""
    if dt.tzinfo is None:
        raise InvalidInput("a time needs a time zone")
    return (dt - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# --- shipped definitions: TLP 2.0, our identity and our extensions ----------------------------


def _tlp_object(tlp: Tlp) -> StixObject:
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": TLP_MARKING_IDS[tlp],
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.label,
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": _PROPERTY_EXTENSION, "tlp_2_0": tlp.value}
        },
    }


TLP_OBJECTS: Final = tuple(_tlp_object(tlp) for tlp in Tlp)
"""The five OASIS TLP 2.0 marking definitions (cti-stix-common-objects), CLEAR to RED.

Shared module state: copy one before changing it.
"""


def project_identity() -> StixObject:
    """The tansiq project: the author of our extension definitions and releasability markings."""
    return {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": PROJECT_IDENTITY_ID,
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED,
        "name": "tansiq",
        "description": "The tansiq project, which defines tansiq's STIX extensions and markings.",
        "identity_class": "organization",
    }


_EXTENSIONS: Final = (
    (
        GRADING_EXTENSION_ID,
        "tansiq Admiralty grading",
        "grading",
        "Source reliability (A-F) and information credibility (1-6) of a report or sighting.",
    ),
    (
        RELEASABILITY_EXTENSION_ID,
        "tansiq partner releasability",
        "releasability",
        "On a marking-definition: the partner identities an object is releasable to.",
    ),
    (
        PARTNER_EXTENSION_ID,
        "tansiq partner",
        "partner",
        "On an identity: the tansiq partner code of the organisation and of its parent.",
    ),
    (
        AREA_EXTENSION_ID,
        "tansiq administrative area",
        "area",
        "COD administrative unit pcodes (levels 1-3) of a place, and whether it is disputed.",
    ),
    (
        SIGNATURE_EXTENSION_ID,
        "tansiq node signature",
        "signature",
        "On a tombstone: the Ed25519 signature of the partner node that vouches for it.",
    ),
)


def _extension_definition(ext_id: str, name: str, anchor: str, description: str) -> StixObject:
    return {
        "type": "extension-definition",
        "spec_version": SPEC_VERSION,
        "id": ext_id,
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED,
        "created_by_ref": PROJECT_IDENTITY_ID,
        "name": name,
        "description": description,
        "schema": f"{_SCHEMA_DOC}#{anchor}",
        "version": "1.0",
        "extension_types": [_PROPERTY_EXTENSION],
    }


def extension_objects() -> list[StixObject]:
    """The project identity and our five extension definitions: put them in every bundle."""
    return [project_identity(), *(_extension_definition(*ext) for ext in _EXTENSIONS)]


# --- partners and markings ---------------------------------------------------------------------


def partner_identity(
    code: str,
    name: str,
    parent_code: str | None = None,
    *,
    sectors: Sequence[str] = ("defense",),
    modified: datetime | None = None,
) -> StixObject:
    """A partner organisation; built alike on every node (a rename needs a later `modified`)."""
    partner = {"extension_type": _PROPERTY_EXTENSION, "partner_code": code}
    if parent_code is not None:
        partner["parent_code"] = parent_code
    identity: StixObject = {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": identity_id(code),
        "created": FIXED_CREATED,
        "modified": FIXED_CREATED if modified is None else stix_time(modified),
        "name": name,
        "identity_class": "organization",
    }
    if sectors:
        identity["sectors"] = list(sectors)
    identity["extensions"] = {PARTNER_EXTENSION_ID: partner}
    return identity


def releasability_marking(codes: Iterable[str]) -> StixObject | None:
    """The marking releasing to exactly these partners; None for none (originator only)."""
    members = sorted({code.upper(): code for code in codes}.items())
    if not members:
        return None
    ids = sorted(identity_id(code) for _, code in members)
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": releasability_marking_id(ids),
        "created": FIXED_CREATED,
        "created_by_ref": PROJECT_IDENTITY_ID,
        "name": "Releasable to: " + ", ".join(upper for upper, _ in members),
        "extensions": {
            RELEASABILITY_EXTENSION_ID: {
                "extension_type": _PROPERTY_EXTENSION,
                "scope": "releasable-to",
                "releasable_to": ids,
            }
        },
    }


def marking_refs(marking: Marking) -> list[str]:
    """`object_marking_refs` for a marking: its TLP, then its releasability marking if any."""
    refs = [TLP_MARKING_IDS[marking.tlp]]
    if marking.releasable_to:
        refs.append(releasability_marking_id(identity_id(c) for c in marking.releasable_to))
    return refs


# --- governorates -------------------------------------------------------------------------------

_GOVERNORATE_NAMES: Final = {
    "IQ-AN": "anbar",
    "IQ-BA": "basrah basra",
    "IQ-MU": "muthanna",
    "IQ-QA": "qadissiya qadisiya qadisiyah diwaniyah",
    "IQ-NA": "najaf",
    "IQ-AR": "erbil arbil irbil hawler",
    "IQ-SU": "sulaymaniyah sulaimaniyah sulaimaniya slemani",
    "IQ-BB": "babil babylon",
    "IQ-BG": "baghdad",
    "IQ-DA": "duhok dohuk dahuk",
    "IQ-DQ": "thiqar dhiqar",
    "IQ-DI": "diyala",
    "IQ-KA": "kerbala karbala",
    "IQ-KI": "kirkuk tamim",
    "IQ-MA": "maysan missan",
    "IQ-NI": "ninewa nineveh ninawa",
    "IQ-SD": "salahaldin salahaddin",
    "IQ-WA": "wassit wasit",
}
_GOVERNORATE_ISO: Final = {
    n: iso for iso, names in _GOVERNORATE_NAMES.items() for n in names.split()
}
"""ISO 3166-2:IQ codes by simplified governorate name (COD 2019 spellings and common others)."""

_RENAMED_ISO: Final[Mapping[str, str]] = {"IQ-TS": "IQ-KI"}
"""Withdrawn codes and their successors: IQ-TS (Ta'mim) is Kirkuk."""


def governorate_iso(name_en: str | None) -> str | None:
    """The ISO 3166-2 code of a governorate named in English, or None if unknown."""
    if not name_en:
        return None
    key = re.sub(r"[^a-z]", "", re.sub(r"^al[-\s]+", "", name_en.strip().lower()))
    return _GOVERNORATE_ISO.get(key)


def normalise_iso_area(code: str) -> str:
    """An ISO 3166-2 code in current form (older data says IQ-TS for Kirkuk)."""
    upper = code.strip().upper()
    return _RENAMED_ISO.get(upper, upper)


# --- building our objects ----------------------------------------------------------------------


def _base(
    stix_type: str,
    object_id: str,
    created: datetime,
    modified: datetime,
    marking: Marking,
    revoked: bool,
) -> StixObject:
    """The common properties of an object one partner creates and marks."""
    check_id(object_id, stix_type, "id")
    created_at, modified_at = stix_time(created), stix_time(modified)
    if modified < created:
        raise InvalidInput(f"{object_id}: modified {modified_at} is before created {created_at}")
    obj: StixObject = {
        "type": stix_type,
        "spec_version": SPEC_VERSION,
        "id": object_id,
        "created": created_at,
        "modified": modified_at,
        "created_by_ref": identity_id(marking.originator),
        "object_marking_refs": marking_refs(marking),
    }
    if revoked:
        obj["revoked"] = True
    return obj


def _add_grade(obj: StixObject, grade: Grade | None) -> None:
    if grade is None:
        return
    if grade.confidence is not None:
        obj["confidence"] = grade.confidence
    obj.setdefault("extensions", {})[GRADING_EXTENSION_ID] = {
        "extension_type": _PROPERTY_EXTENSION,
        "source_reliability": grade.reliability,
        "information_credibility": grade.credibility,
    }


def _area_extension(
    adm1: str | None, adm2: str | None, adm3: str | None, disputed: bool | None
) -> dict[str, Any] | None:
    pcodes = {"adm1_pcode": adm1, "adm2_pcode": adm2, "adm3_pcode": adm3}
    area: dict[str, Any] = {"extension_type": _PROPERTY_EXTENSION}
    area.update((key, value) for key, value in pcodes.items() if value)
    if disputed is not None:
        area["disputed"] = disputed
    return area if len(area) > 1 else None


def _pcode_area(pcode: str) -> dict[str, Any] | None:
    level = pcode_level(pcode)
    adm2 = pcode[:8] if level >= AreaLevel.DISTRICT else None
    return _area_extension(pcode[:5], adm2, pcode if level is AreaLevel.SUBDISTRICT else None, None)


def location_id(report_id: str, index: int) -> str:
    """The id of a report's index-th place: derived, so every version reuses it."""
    return f"location--{uuid.uuid5(NAMESPACE, f'{report_id}|{index}')}"


def _location(placed: PlacedPlace, base: StixObject) -> StixObject:
    location = base | {"latitude": placed.place.latitude, "longitude": placed.place.longitude}
    if placed.place.name:
        location["name"] = placed.place.name
    if placed.adm1_pcode is not None:  # inside Iraq: say so; a place outside says only where
        location.update(region="western-asia", country="IQ")
        iso = governorate_iso(placed.governorate_en)
        if iso is not None:
            location["administrative_area"] = iso
        area = _area_extension(
            placed.adm1_pcode, placed.adm2_pcode, placed.adm3_pcode, placed.disputed
        )
        location["extensions"] = {AREA_EXTENSION_ID: area}
    return location


def report_objects(
    draft: ReportDraft,
    *,
    report_id: str,
    created: datetime,
    modified: datetime,
    marking: Marking,
    revoked: bool = False,
) -> list[StixObject]:
    """A report and one location per place, all marked alike; the report comes first."""
    envelope = (created, modified, marking, revoked)
    report = _base("report", report_id, *envelope)
    locations = [
        _location(placed, _base("location", location_id(report_id, i), *envelope))
        for i, placed in enumerate(draft.places)
    ]
    report.update(name=draft.title, lang=draft.lang, published=stix_time(draft.published))
    if draft.text:
        report["description"] = draft.text
    report["report_types"] = ["threat-report"]
    for ref in (*draft.cell_ids, *draft.incident_ids):
        check_id(ref, None, "object_refs")
    refs = [loc["id"] for loc in locations] + [*draft.cell_ids, *draft.incident_ids]
    report["object_refs"] = refs or [report["created_by_ref"]]  # a report needs one ref
    _add_grade(report, draft.grade)
    return [report, *locations]


def cell_object(
    cell: CellDraft,
    *,
    cell_id: str,
    created: datetime,
    modified: datetime,
    marking: Marking,
    revoked: bool = False,
) -> StixObject:
    """A cell as an intrusion-set, its names in any script as aliases."""
    obj = _base("intrusion-set", cell_id, created, modified, marking, revoked)
    obj["name"] = cell.name
    aliases = [a for a in dict.fromkeys(cell.aliases) if a.strip() and a != cell.name]
    if aliases:
        obj["aliases"] = aliases
    if cell.description:
        obj["description"] = cell.description
    area = _pcode_area(cell.area_pcode) if cell.area_pcode else None
    if area is not None:
        obj["extensions"] = {AREA_EXTENSION_ID: area}
    return obj


def note_object(
    *,
    note_id: str,
    content: str,
    object_refs: Sequence[str],
    created: datetime,
    modified: datetime,
    marking: Marking,
    abstract: str = "",
    revoked: bool = False,
) -> StixObject:
    """A partner's comment on other objects."""
    obj = _base("note", note_id, created, modified, marking, revoked)
    if abstract:
        obj["abstract"] = abstract
    obj["content"] = content
    obj["object_refs"] = check_refs(object_refs, "object_refs")
    return obj


def sighting_object(
    *,
    sighting_id: str,
    sighting_of_ref: str,
    first_seen: datetime,
    last_seen: datetime,
    count: int,
    created: datetime,
    modified: datetime,
    marking: Marking,
    description: str = "",
    where_sighted_refs: Sequence[str] | None = None,
    summary: bool = False,
    grade: Grade | None = None,
    revoked: bool = False,
) -> StixObject:
    """An observation of an SDO; `count` 0 means looked for and not seen.

    Sighted by the originator unless `where_sighted_refs` says otherwise. STIX's `summary` is a
    flag (the sighting aggregates others), so the observer's words go in `description`.
    """
    obj = _base("sighting", sighting_id, created, modified, marking, revoked)
    if not 0 <= count <= MAX_COUNT:
        raise InvalidInput(f"sighting count {count} is outside 0..{MAX_COUNT}")
    if last_seen < first_seen:
        raise InvalidInput("a sighting's last_seen is before its first_seen")
    if check_id(sighting_of_ref, None, "sighting_of_ref").split("--")[0] in _SRO_TYPES:
        raise InvalidInput(f"sighting_of_ref {sighting_of_ref}: a sighting is of an SDO")
    if description:
        obj["description"] = description
    obj.update(first_seen=stix_time(first_seen), last_seen=stix_time(last_seen), count=count)
    obj["sighting_of_ref"] = sighting_of_ref
    where = [obj["created_by_ref"]] if where_sighted_refs is None else where_sighted_refs
    obj["where_sighted_refs"] = check_refs(where, "where_sighted_refs")
    if summary:
        obj["summary"] = True
    _add_grade(obj, grade)
    return obj


def opinion_object(
    *,
    opinion_id: str,
    opinion: str,
    object_refs: Sequence[str],
    created: datetime,
    modified: datetime,
    marking: Marking,
    explanation: str = "",
    revoked: bool = False,
) -> StixObject:
    """A partner's agreement or dissent (strongly-disagree .. strongly-agree)."""
    if opinion not in OPINIONS:
        raise InvalidInput(f"unknown opinion {shown(opinion)}; use one of {', '.join(OPINIONS)}")
    obj = _base("opinion", opinion_id, created, modified, marking, revoked)
    if explanation:
        obj["explanation"] = explanation
    obj["opinion"] = opinion
    obj["object_refs"] = check_refs(object_refs, "object_refs")
    return obj


def relationship_object(
    *,
    relationship_id: str,
    relationship_type: str,
    source_ref: str,
    target_ref: str,
    created: datetime,
    modified: datetime,
    marking: Marking,
    description: str = "",
    start_time: datetime | None = None,
    stop_time: datetime | None = None,
    revoked: bool = False,
) -> StixObject:
    """A link between two objects, optionally bounded in time (stop_time after start_time)."""
    if not _RELATIONSHIP_TYPE.fullmatch(relationship_type):
        raise InvalidInput(f"bad relationship type {shown(relationship_type)}: e.g. targets")
    if start_time is not None and stop_time is not None and stop_time <= start_time:
        raise InvalidInput("a relationship's stop_time must be after its start_time")
    obj = _base("relationship", relationship_id, created, modified, marking, revoked)
    obj["relationship_type"] = relationship_type
    if description:
        obj["description"] = description
    obj["source_ref"] = check_id(source_ref, None, "source_ref")
    obj["target_ref"] = check_id(target_ref, None, "target_ref")
    if start_time is not None:
        obj["start_time"] = stix_time(start_time)
    if stop_time is not None:
        obj["stop_time"] = stix_time(stop_time)
    return obj


def comment_object(
    kind: str, partner: str, on: str, text: str, count: int | None, opinion: str, now: datetime
) -> StixObject:
    """A new note, sighting or opinion by `partner` on object `on`, made now.

    Marked TLP:RED for the partner alone until the caller marks it (tansiq.sharing.exchange
    replaces `object_marking_refs`), so a forgotten marking fails closed.
    """
    common: dict[str, Any] = {"created": now, "modified": now, "marking": Marking(Tlp.RED, partner)}
    if kind == "note":
        if not text.strip():
            raise InvalidInput("a note needs text")
        return note_object(note_id=new_id("note"), content=text, object_refs=[on], **common)
    if kind == "sighting":
        return sighting_object(
            sighting_id=new_id("sighting"),
            sighting_of_ref=on,
            first_seen=now,
            last_seen=now,
            count=1 if count is None else count,
            description=text,
            **common,
        )
    if kind == "opinion":
        oid = new_id("opinion")
        return opinion_object(
            opinion_id=oid, opinion=opinion, object_refs=[on], explanation=text, **common
        )
    raise InvalidInput(f"unknown comment kind {shown(kind)}; use note, sighting or opinion")


def _vocab(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _criticality(fatalities: Any) -> int | None:
    """Incident Core's Major/Minor/Critical scale (its Appendix A) read from the death toll:
    nobody killed is minor (25), any death major (70), ten or more critical (95)."""
    if not isinstance(fatalities, int) or fatalities < 0:
        return None
    return 95 if fatalities >= 10 else 70 if fatalities >= 1 else 25


def _incident_core(record: Mapping[str, Any]) -> dict[str, Any]:
    core: dict[str, Any] = {
        "extension_type": _PROPERTY_EXTENSION,
        "determination": "successful-attempt",  # recorded events that happened
        "investigation_status": "closed",
    }
    incident_type = _vocab(str(record.get("incident_type") or ""))
    if incident_type:
        core["incident_types"] = [incident_type]
    criticality = _criticality(record.get("fatalities"))
    if criticality is not None:
        core["criticality"] = criticality
    return core


def _incident_description(record: Mapping[str, Any]) -> str:
    start, end = record.get("date"), record.get("date_end")
    parts = [f"{start}{'' if end in (None, start) else f' to {end}'}: {record.get('place') or '-'}"]
    actors = " / ".join(str(a) for a in (record.get("actor1"), record.get("actor2")) if a)
    if actors:
        parts.append(f"actors: {actors}")
    if record.get("fatalities") is not None:
        parts.append(f"fatalities: {record['fatalities']}")
    if record.get("source_detail"):
        parts.append(f"source: {record['source_detail']}")
    return "; ".join(parts)


def incident_object(
    record: Mapping[str, Any],
    *,
    incident_id: str,
    created: datetime,
    modified: datetime,
    marking: Marking,
    revoked: bool = False,
) -> StixObject:
    """An imported incident (a tansiq.exports.incident_record) with the Incident Core extension.

    STIX incidents carry no time or place, so the dates, place, actors and toll are in the
    description, and the pcodes in our area extension.
    """
    obj = _base("incident", incident_id, created, modified, marking, revoked)
    place = record.get("place") or "unknown place"
    obj["name"] = str(
        record.get("headline") or f"{record.get('incident_type') or 'Incident'}: {place}"
    )
    obj["description"] = _incident_description(record)
    if record.get("source"):
        reference = {"source_name": str(record["source"])}
        if record.get("source_id") is not None:
            reference["external_id"] = str(record["source_id"])
        obj["external_references"] = [reference]
    extensions = {INCIDENT_CORE_EXTENSION_ID: _incident_core(record)}
    area = _area_extension(
        record.get("adm1_pcode"),
        record.get("adm2_pcode"),
        record.get("adm3_pcode"),
        bool(record.get("disputed")),
    )
    if area is not None and record.get("adm1_pcode"):
        extensions[AREA_EXTENSION_ID] = area
    obj["extensions"] = extensions
    return obj


def new_id(stix_type: str) -> str:
    """A fresh random id for a new object (UUIDv4, as STIX recommends)."""
    return f"{stix_type}--{uuid.uuid4()}"


def dumps(obj: Any) -> bytes:
    """STIX JSON bytes (orjson: UTF-8, no spaces, keys in the order built)."""
    return orjson.dumps(obj)


def bundle(objects: Iterable[StixObject], *, bundle_id: str | None = None) -> StixObject:
    """A STIX bundle (a fresh random id unless one is given)."""
    bid = check_id(bundle_id, "bundle", "id") if bundle_id else f"bundle--{uuid.uuid4()}"
    return {"type": "bundle", "id": bid, "objects": list(objects)}


# --- checking what we receive ------------------------------------------------------------------


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def grade_of(obj: Mapping[str, Any]) -> Grade | None:
    """The Admiralty grade in an object's grading extension; None if ungraded or malformed."""
    extensions = obj.get("extensions")
    graded = extensions.get(GRADING_EXTENSION_ID) if isinstance(extensions, Mapping) else None
    if not isinstance(graded, Mapping):
        return None
    reliability, credibility = (
        graded.get("source_reliability"),
        graded.get("information_credibility"),
    )
    if not isinstance(reliability, str) or type(credibility) is not int:
        return None
    try:
        return Grade(reliability, credibility)
    except InvalidInput:
        return None


@functools.lru_cache(maxsize=16384)
def _id_type(value: str) -> str | None:
    """The type part of a STIX identifier, None if it is not one (cached: ids repeat a lot)."""
    match = _IDENTIFIER.fullmatch(value)
    return match.group(1) if match else None


def check_id(value: Any, stix_type: str | None, field: str) -> str:
    """`value` if it is a STIX identifier (of `stix_type`, when given)."""
    kind = _id_type(value) if isinstance(value, str) else None
    if kind is None:
        raise InvalidInput(f"{field}: {shown(value)} is not a STIX identifier (type--UUID)")
    if stix_type is not None and kind != stix_type:
        raise InvalidInput(f"{field}: {shown(value)} is not a {stix_type} id")
    return str(value)


def check_refs(values: Any, field: str) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise InvalidInput(f"{field}: must be a non-empty list of STIX identifiers")
    return [check_id(v, None, field) for v in values]
