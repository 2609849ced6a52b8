"""tansiq.sharing.stix: every builder's output passes stix2-validator; intake fails closed.

stix2-validator warnings seen on our output (errors are never allowed):
- {103} "Given ID value ... is not a valid UUIDv4 ID" on partner identities, releasability
  marking-definitions and report locations: their ids are UUIDv5 by design, so that every node
  derives the same id (docs INTEROP.md 2.4). No other warning appears.
"""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

from tansiq.domain.areas import AreaLevel
from tansiq.domain.grading import Grade
from tansiq.domain.markings import (
    TLP_MARKING_IDS,
    Marking,
    Tlp,
    identity_id,
    releasability_marking_id,
)
from tansiq.domain.reports import CellDraft, Place, PlacedPlace, ReportDraft
from tansiq.errors import InvalidInput
from tansiq.exports import incident_record
from tansiq.geo.reference import areas
from tansiq.sharing import intake, links, stix

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
MARKING = Marking(Tlp.AMBER, "joc", frozenset({"krg"}))
REPORT_ID = "report--5d0c3f7e-9c2a-4f1e-8b6d-1a2b3c4d5e6f"
CELL_ID = "intrusion-set--2f6f2a4e-6a0b-4f8e-9c1c-2d1f1b2a3c4d"
INCIDENT_ID = "incident--8e1f6c2a-3b4d-4e5f-9a6b-7c8d9e0f1a2b"
FAST = settings(max_examples=200, deadline=None, database=None)
VALIDATION = ValidationOptions(version="2.1")

HAWIJA = PlacedPlace(
    Place(35.325, 43.766, "Hawija"), "IQG13", "IQG13Q02", "IQG13Q02N01", "Kirkuk", True
)
IN_SYRIA = PlacedPlace(Place(36.2, 40.9, ""), None, None, None, None, False)


def make_draft(**overrides: Any) -> ReportDraft:
    values: dict[str, Any] = {
        "title": "IS cell moving fighters near Hawija",
        "text": "Two vehicles seen at night on the Hawija-Riyadh road.",
        "published": T0,
        "lang": "en",
        "grade": Grade("B", 2),
        "places": (HAWIJA, IN_SYRIA),
        "cell_ids": (CELL_ID,),
        "incident_ids": (INCIDENT_ID,),
    }
    values.update(overrides)
    return ReportDraft(**values)


def make_report(draft: ReportDraft | None = None, **overrides: Any) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        "report_id": REPORT_ID,
        "created": T0,
        "modified": T1,
        "marking": MARKING,
    }
    values.update(overrides)
    return stix.report_objects(draft or make_draft(), **values)


def make_cell(**overrides: Any) -> dict[str, Any]:
    cell = CellDraft("Hawija cell", ("خلية الحويجة", "شانەی حەویجە", "Hawija cell"), "IQG13Q02")
    values: dict[str, Any] = {"cell_id": CELL_ID, "created": T0, "modified": T0}
    values.update(overrides)
    return stix.cell_object(cell, marking=MARKING, **values)


def incident_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 7,
        "source": "ucdp",
        "source_id": "1234",
        "date_start": date(2017, 5, 1),
        "date_end": date(2017, 5, 2),
        "latitude": 35.468,
        "longitude": 44.392,
        "precision": 1,
        "place": "Kirkuk town",
        "incident_type": "state-based",
        "sub_type": "Government of Iraq - IS",
        "actor1": "Government of Iraq",
        "actor2": "IS",
        "fatalities": 3,
        "headline": "Clash near Kirkuk",
        "source_detail": "Agence France Presse",
        "adm1_pcode": "IQG13",
        "adm2_pcode": "IQG13Q04",
        "adm3_pcode": "IQG13Q04N01",
        "disputed": True,
        "kurdistan_region": False,
        "syria_border_district": False,
        "outside_km": 0.0,
    }
    row.update(overrides)
    return row


def make_incident(**overrides: Any) -> dict[str, Any]:
    record = incident_record(incident_row(**overrides))
    return stix.incident_object(
        record, incident_id=INCIDENT_ID, created=T0, modified=T0, marking=MARKING
    )


def make_note(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "note_id": "note--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "content": "KRG confirms: the same vehicles were seen in Daquq.",
        "object_refs": [REPORT_ID],
        "created": T0,
        "modified": T0,
        "marking": Marking(Tlp.AMBER, "krg", frozenset({"joc"})),
        "abstract": "Confirmed",
    }
    values.update(overrides)
    return stix.note_object(**values)


def make_sighting(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sighting_id": "sighting--1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
        "sighting_of_ref": CELL_ID,
        "first_seen": T0,
        "last_seen": T1,
        "count": 0,
        "created": T1,
        "modified": T1,
        "marking": MARKING,
        "description": "Patrol at the farm; nobody there.",
        "grade": Grade("A", 1),
    }
    values.update(overrides)
    return stix.sighting_object(**values)


def make_opinion(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "opinion_id": "opinion--2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
        "opinion": "disagree",
        "object_refs": [REPORT_ID],
        "created": T1,
        "modified": T1,
        "marking": Marking(Tlp.GREEN, "krg", frozenset({"joc"})),
        "explanation": "The vehicles belong to a local tribe.",
    }
    values.update(overrides)
    return stix.opinion_object(**values)


def make_relationship(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "relationship_id": "relationship--3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a",
        "relationship_type": "targets",
        "source_ref": CELL_ID,
        "target_ref": stix.location_id(REPORT_ID, 0),
        "created": T0,
        "modified": T0,
        "marking": MARKING,
        "start_time": T0,
        "stop_time": T1,
    }
    values.update(overrides)
    return stix.relationship_object(**values)


def everything() -> list[dict[str, Any]]:
    """One of each object we build, and everything they reference that is not elided."""
    identities = [
        stix.partner_identity("joc", "Joint Operations Command", sectors=("government-national",)),
        stix.partner_identity("krg", "KRG Security Council", sectors=("government-regional",)),
        stix.partner_identity("asayish", "Asayish", parent_code="krg"),
    ]
    marking = stix.releasability_marking(["krg"])
    assert marking is not None
    built = [*make_report(), make_cell(), make_incident(), make_note(), make_sighting()]
    built += [make_opinion(), make_relationship()]
    return [*stix.extension_objects(), *stix.TLP_OBJECTS, *identities, marking, *built]


def assert_valid(obj: dict[str, Any]) -> None:
    results = validate_instance(obj, VALIDATION)
    assert results.is_valid, [str(error) for error in results.errors]
    unexpected = [w for w in results.warnings if "{103}" not in w]
    assert not unexpected


# --- what the validator says ------------------------------------------------------------------


@pytest.mark.parametrize("obj", everything(), ids=lambda o: str(o["type"]))
def test_each_object_we_build_is_valid_stix(obj: dict[str, Any]) -> None:
    assert_valid(obj)


def test_a_bundle_of_everything_is_valid_stix() -> None:
    assert_valid(stix.bundle(everything()))


def test_a_bundle_survives_json_and_has_the_given_id() -> None:
    bundle_id = "bundle--4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b"
    found = orjson.loads(stix.dumps(stix.bundle(everything(), bundle_id=bundle_id)))
    assert found["id"] == bundle_id
    assert found["objects"] == everything()
    assert stix.bundle([])["id"] != stix.bundle([])["id"]


# --- TLP 2.0 and our extension definitions ----------------------------------------------------

# As published in oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0
# (examples/tlp-*.json and the extension's JSON schema, which pins id and name per level).
OASIS_TLP = [
    ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:AMBER+STRICT",
        "amber+strict",
    ),
    ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
]


def test_tlp_objects_are_the_oasis_tlp_2_0_definitions() -> None:
    expected = [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": name,
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": level,
                }
            },
        }
        for marking_id, name, level in OASIS_TLP
    ]
    assert list(stix.TLP_OBJECTS) == expected
    assert [TLP_MARKING_IDS[tlp] for tlp in Tlp] == [marking_id for marking_id, _, _ in OASIS_TLP]


def test_our_extension_ids_are_pinned() -> None:
    found = {o["id"]: o for o in stix.extension_objects()}
    assert set(found) == {
        "identity--ae4cf53f-a04e-473c-88a3-f23fe2e9e363",
        "extension-definition--7e2d7a85-dc59-4360-8a82-ca198579f0ab",
        "extension-definition--59f950e5-6d72-44ed-8a4f-b94c30f601db",
        "extension-definition--43b7ccf5-8f04-4c3d-b303-565634e8336a",
        "extension-definition--226dc58b-1d64-46de-9121-ae5566c5a6cc",
        "extension-definition--302d5db4-b4ca-4f6d-a012-0eba2ef736f6",
    }
    grading = found[stix.GRADING_EXTENSION_ID]
    assert grading["created_by_ref"] == stix.PROJECT_IDENTITY_ID
    assert grading["extension_types"] == ["property-extension"]
    assert grading["version"] == "1.0"
    assert grading["schema"].endswith("docs/stix-extensions.md#grading")


# --- timestamps ---------------------------------------------------------------------------------


def test_stix_time_is_utc_with_milliseconds_or_microseconds() -> None:
    baghdad = timezone(timedelta(hours=3))
    assert stix.stix_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=baghdad)) == (
        "2026-01-02T00:04:05.000Z"
    )
    assert stix.stix_time(datetime(2026, 1, 2, 3, 4, 5, 120000, UTC)) == "2026-01-02T03:04:05.120Z"
    assert stix.stix_time(datetime(2026, 1, 2, 3, 4, 5, 123456, UTC)) == (
        "2026-01-02T03:04:05.123456Z"
    )
    with pytest.raises(InvalidInput, match="time zone"):
        stix.stix_time(datetime(2026, 1, 2))


@given(st.datetimes(timezones=st.just(UTC)))
def test_stix_time_round_trips(dt: datetime) -> None:
    assert stix.parse_stix_time(stix.stix_time(dt)) == dt
    assert stix.from_micros(stix.to_micros(dt)) == dt


def test_parse_stix_time_keeps_microseconds_and_drops_nanoseconds() -> None:
    assert stix.parse_stix_time("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    parsed = stix.parse_stix_time("2026-01-02T03:04:05.123456789Z")
    assert parsed.microsecond == 123456


@pytest.mark.parametrize(
    "bad",
    [
        "2026-01-02T03:04:05.000",
        "2026-01-02 03:04:05.000Z",
        "2026-13-02T03:04:05.000Z",
        "2026-02-30T03:04:05.000Z",
        "2026-01-02T03:04:05.000+03:00",
        "٢٠٢٦-01-02T03:04:05.000Z",
        "2026-01-02T03:04:05.000Z\n",
        "",
    ],
)
def test_parse_stix_time_refuses_what_is_not_a_stix_timestamp(bad: str) -> None:
    with pytest.raises(InvalidInput, match="STIX timestamp"):
        stix.parse_stix_time(bad)


def test_micros_are_exact_far_from_the_epoch() -> None:
    late = datetime(9999, 12, 31, 23, 59, 59, 999999, UTC)
    assert stix.to_micros(late) == 253402300799999999
    assert stix.from_micros(253402300799999999) == late


# --- partners, markings, grades -----------------------------------------------------------------


def test_partner_identity_is_the_same_on_every_node() -> None:
    asayish = stix.partner_identity("asayish", "Asayish", "krg")
    assert asayish == stix.partner_identity("asayish", "Asayish", "krg")
    assert asayish["id"] == identity_id("asayish")
    assert asayish["created"] == asayish["modified"] == "2020-01-01T00:00:00.000Z"
    assert asayish["sectors"] == ["defense"]
    assert asayish["extensions"][stix.PARTNER_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "partner_code": "asayish",
        "parent_code": "krg",
    }
    renamed = stix.partner_identity("asayish", "Asayish (KRG)", "krg", modified=T0)
    assert renamed["modified"] == stix.stix_time(T0)


def test_releasability_marking_names_its_members_and_its_id_pins_them() -> None:
    marking = stix.releasability_marking(["krg", "joc", "krg"])
    assert marking is not None
    members = sorted([identity_id("joc"), identity_id("krg")])
    assert marking["name"] == "Releasable to: JOC, KRG"
    assert marking["id"] == releasability_marking_id(members)
    assert marking["created"] == "2020-01-01T00:00:00.000Z"
    assert marking["extensions"][stix.RELEASABILITY_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "scope": "releasable-to",
        "releasable_to": members,
    }
    assert stix.releasability_marking([]) is None


def test_marking_refs_name_the_tlp_and_the_releasability_marking() -> None:
    released = stix.releasability_marking(["krg"])
    assert released is not None
    assert stix.marking_refs(MARKING) == [TLP_MARKING_IDS[Tlp.AMBER], released["id"]]
    assert stix.marking_refs(Marking(Tlp.RED, "joc")) == [TLP_MARKING_IDS[Tlp.RED]]


@pytest.mark.parametrize(
    ("grade", "confidence"),
    [(Grade("B", 2), 70), (Grade("A", 1), 90), (Grade("E", 5), 10), (Grade("C", 6), None)],
)
def test_a_graded_report_carries_confidence_and_the_grading_extension(
    grade: Grade, confidence: int | None
) -> None:
    report = make_report(make_draft(grade=grade))[0]
    assert report.get("confidence") == confidence
    assert report["extensions"][stix.GRADING_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "source_reliability": grade.reliability,
        "information_credibility": grade.credibility,
    }
    assert stix.grade_of(report) == grade


def test_an_ungraded_report_has_neither_confidence_nor_grade() -> None:
    report = make_report(make_draft(grade=None))[0]
    assert "confidence" not in report
    assert "extensions" not in report
    assert stix.grade_of(report) is None


def test_a_malformed_grading_extension_reads_as_ungraded() -> None:
    report = make_report()[0]
    report["extensions"][stix.GRADING_EXTENSION_ID]["information_credibility"] = "2"
    assert stix.grade_of(report) is None


# --- governorates -------------------------------------------------------------------------------


def test_every_shipped_governorate_has_its_own_iso_code() -> None:
    governorates = [a for a in areas() if a.level is AreaLevel.GOVERNORATE]
    codes = {a.name_en: stix.governorate_iso(a.name_en) for a in governorates}
    assert None not in codes.values(), codes
    assert len(set(codes.values())) == len(governorates) == 18
    assert codes["Ninewa"] == "IQ-NI"
    assert codes["Kirkuk"] == "IQ-KI"
    assert codes["Al-Sulaymaniyah"] == "IQ-SU"
    assert codes["Salah Al-Din"] == "IQ-SD"


def test_other_spellings_map_and_unknown_names_do_not() -> None:
    assert stix.governorate_iso("Nineveh") == "IQ-NI"
    assert stix.governorate_iso("Salah ad Din") == "IQ-SD"
    assert stix.governorate_iso("Halabja") is None
    assert stix.governorate_iso(None) is None


def test_old_iso_codes_are_normalised() -> None:
    assert stix.normalise_iso_area("IQ-TS") == "IQ-KI"
    assert stix.normalise_iso_area(" iq-ar ") == "IQ-AR"
    assert stix.normalise_iso_area("IQ-KR") == "IQ-KR"


# --- reports and their places -------------------------------------------------------------------


def test_a_report_lists_its_places_cells_and_incidents() -> None:
    report, hawija, syria = make_report()
    assert report["name"] == "IS cell moving fighters near Hawija"
    assert report["published"] == stix.stix_time(T0)
    assert report["created_by_ref"] == identity_id("joc")
    assert report["object_refs"] == [hawija["id"], syria["id"], CELL_ID, INCIDENT_ID]
    for obj in (hawija, syria):
        assert obj["object_marking_refs"] == report["object_marking_refs"]
        assert (obj["created"], obj["modified"]) == (report["created"], report["modified"])


def test_a_place_in_iraq_names_its_governorate_and_areas() -> None:
    hawija = make_report()[1]
    assert hawija["id"] == stix.location_id(REPORT_ID, 0)
    assert (hawija["region"], hawija["country"]) == ("western-asia", "IQ")
    assert hawija["administrative_area"] == "IQ-KI"
    assert hawija["extensions"][stix.AREA_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "adm1_pcode": "IQG13",
        "adm2_pcode": "IQG13Q02",
        "adm3_pcode": "IQG13Q02N01",
        "disputed": True,
    }


def test_a_place_outside_iraq_claims_no_country() -> None:
    syria = make_report()[2]
    assert (syria["latitude"], syria["longitude"]) == (36.2, 40.9)
    assert not {"country", "region", "administrative_area", "extensions", "name"} & set(syria)


def test_a_new_version_keeps_its_location_ids() -> None:
    first = make_report()
    second = make_report(modified=T1 + timedelta(days=1))
    assert [o["id"] for o in first] == [o["id"] for o in second]


def test_a_report_with_nothing_to_point_at_points_at_its_originator() -> None:
    draft = make_draft(places=(), cell_ids=(), incident_ids=())
    (report,) = make_report(draft)
    assert report["object_refs"] == [identity_id("joc")]
    assert_valid(report)


def test_a_withdrawn_report_revokes_its_places_too() -> None:
    assert all(o["revoked"] is True for o in make_report(revoked=True))
    assert not any("revoked" in o for o in make_report())


@pytest.mark.parametrize(
    "overrides",
    [
        {"report_id": "note--5d0c3f7e-9c2a-4f1e-8b6d-1a2b3c4d5e6f"},
        {"report_id": "report--not-a-uuid"},
        {"modified": T0 - timedelta(seconds=1)},
    ],
)
def test_report_objects_refuses_bad_envelopes(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        make_report(**overrides)


def test_report_objects_refuses_a_malformed_cell_reference() -> None:
    with pytest.raises(InvalidInput, match="object_refs"):
        make_report(make_draft(cell_ids=("cell 7",)))


# --- cells, comments, links, incidents ----------------------------------------------------------


def test_a_cell_is_an_intrusion_set_with_its_names_and_area() -> None:
    cell = make_cell()
    assert cell["type"] == "intrusion-set"
    assert cell["aliases"] == ["خلية الحويجة", "شانەی حەویجە"]
    assert cell["extensions"][stix.AREA_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "adm1_pcode": "IQG13",
        "adm2_pcode": "IQG13Q02",
    }


def test_a_cell_with_a_malformed_pcode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="pcode"):
        stix.cell_object(
            CellDraft("x", area_pcode="Kirkuk"),
            cell_id=CELL_ID,
            created=T0,
            modified=T0,
            marking=MARKING,
        )


def test_a_sighting_is_by_its_originator_unless_told_otherwise() -> None:
    sighting = make_sighting()
    assert sighting["where_sighted_refs"] == [identity_id("joc")]
    assert sighting["count"] == 0
    assert sighting["confidence"] == 90
    assert "summary" not in sighting
    elsewhere = make_sighting(where_sighted_refs=[stix.location_id(REPORT_ID, 0)], summary=True)
    assert elsewhere["where_sighted_refs"] == [stix.location_id(REPORT_ID, 0)]
    assert elsewhere["summary"] is True
    assert_valid(elsewhere)


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": -1},
        {"count": 1_000_000_000},
        {"first_seen": T1, "last_seen": T0},
        {"sighting_of_ref": "nothing"},
        {"sighting_of_ref": "relationship--3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a"},
        {"where_sighted_refs": []},
    ],
)
def test_bad_sightings_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        make_sighting(**overrides)


def test_opinions_come_from_the_stix_scale() -> None:
    for opinion in stix.OPINIONS:
        assert make_opinion(opinion=opinion)["opinion"] == opinion
    with pytest.raises(InvalidInput, match="opinion"):
        make_opinion(opinion="maybe")


def test_notes_need_something_to_be_about() -> None:
    with pytest.raises(InvalidInput, match="object_refs"):
        make_note(object_refs=[])


def test_relationships_are_checked() -> None:
    with pytest.raises(InvalidInput, match="stop_time"):
        make_relationship(start_time=T1, stop_time=T1)
    with pytest.raises(InvalidInput, match="relationship type"):
        make_relationship(relationship_type="Targets ")
    assert "start_time" not in make_relationship(start_time=None, stop_time=None)


def test_an_incident_carries_incident_core_and_its_areas() -> None:
    incident = make_incident()
    assert incident["name"] == "Clash near Kirkuk"
    assert incident["description"] == (
        "2017-05-01 to 2017-05-02: Kirkuk town; actors: Government of Iraq / IS; "
        "fatalities: 3; source: Agence France Presse"
    )
    assert incident["external_references"] == [{"source_name": "ucdp", "external_id": "1234"}]
    assert incident["extensions"][stix.INCIDENT_CORE_EXTENSION_ID] == {
        "extension_type": "property-extension",
        "determination": "successful-attempt",
        "investigation_status": "closed",
        "incident_types": ["state-based"],
        "criticality": 70,
    }
    assert incident["extensions"][stix.AREA_EXTENSION_ID]["disputed"] is True


@pytest.mark.parametrize(("fatalities", "criticality"), [(0, 25), (1, 70), (9, 70), (10, 95)])
def test_incident_criticality_follows_the_toll(fatalities: int, criticality: int) -> None:
    core = make_incident(fatalities=fatalities)["extensions"][stix.INCIDENT_CORE_EXTENSION_ID]
    assert core["criticality"] == criticality


def test_an_incident_with_little_known_is_still_valid() -> None:
    incident = make_incident(
        headline=None,
        fatalities=None,
        incident_type="Explosions/Remote violence",
        date_end=date(2017, 5, 1),
        adm1_pcode=None,
        adm2_pcode=None,
        adm3_pcode=None,
    )
    core = incident["extensions"][stix.INCIDENT_CORE_EXTENSION_ID]
    assert core["incident_types"] == ["explosions-remote-violence"]
    assert "criticality" not in core
    assert stix.AREA_EXTENSION_ID not in incident["extensions"]
    assert incident["name"] == "Explosions/Remote violence: Kirkuk town"
    assert_valid(incident)


@pytest.mark.parametrize("kind", ["note", "sighting", "opinion"])
def test_comment_object_is_marked_red_until_the_caller_marks_it(kind: str) -> None:
    obj = stix.comment_object(kind, "krg", REPORT_ID, "Seen again.", 2, "agree", T0)
    assert obj["type"] == kind
    assert obj["created_by_ref"] == identity_id("krg")
    assert obj["object_marking_refs"] == [TLP_MARKING_IDS[Tlp.RED]]
    assert REPORT_ID in links.refs_of(obj)
    assert_valid(obj)
    with pytest.raises(InvalidInput, match="comment kind"):
        stix.comment_object("rumour", "krg", REPORT_ID, "x", None, "agree", T0)


# --- intake: check_object -----------------------------------------------------------------------


def received(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as it arrives: parsed from JSON bytes."""
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(obj))
    return parsed


@pytest.mark.parametrize("obj", everything(), ids=lambda o: str(o["type"]))
def test_everything_we_build_passes_intake(obj: dict[str, Any]) -> None:
    assert intake.check_object(received(obj)) == obj


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "malware"}, "not one tansiq accepts"),
        ({"type": ["report"]}, "not one tansiq accepts"),
        ({"id": "note--5d0c3f7e-9c2a-4f1e-8b6d-1a2b3c4d5e6f"}, "not a report id"),
        ({"id": "report--5d0c3f7e"}, "not a STIX identifier"),
        ({"spec_version": "2.0"}, "spec_version"),
        ({"created": "yesterday"}, "created"),
        ({"modified": "2020-01-01T00:00:00Z"}, "modified is before created"),
        ({"modified": None}, "modified"),
        ({"created_by_ref": identity_id("joc").replace("identity", "location")}, "identity"),
        ({"object_marking_refs": [REPORT_ID]}, "marking-definition"),
        ({"object_marking_refs": "marking-definition--x"}, "object_marking_refs"),
        ({"object_refs": []}, "object_refs"),
        ({"object_refs": [{"id": CELL_ID}]}, "object_refs"),
        ({"extensions": []}, "extensions"),
        ({"revoked": "yes"}, "revoked"),
    ],
)
def test_check_object_refuses_malformed_objects(change: dict[str, Any], message: str) -> None:
    obj = received(make_report()[0]) | change
    with pytest.raises(InvalidInput, match=message):
        intake.check_object(obj)


def test_check_object_refuses_non_objects_and_absurd_nesting() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        intake.check_object([make_report()[0]])
    deep: Any = "x"
    for _ in range(100):
        deep = {"inner": deep}
    with pytest.raises(InvalidInput, match="nested"):
        intake.check_object(received(make_report()[0]) | {"description": deep})


def test_a_marking_definition_needs_no_modified() -> None:
    marking = stix.releasability_marking(["krg"])
    assert marking is not None
    assert "modified" not in marking
    assert intake.check_object(received(marking)) == marking


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "id", "x", "object_refs", "source_ref", "extensions"])
            | st.text(max_size=12),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "type",
        "id",
        "spec_version",
        "created",
        "modified",
        "created_by_ref",
        "object_marking_refs",
        "object_refs",
        "extensions",
        "granular_markings",
        "revoked",
        "x_ref",
        "published",
    ]
)


@FAST
@given(JSON)
def test_check_object_refuses_junk_with_invalid_input_only(junk: Any) -> None:
    with contextlib.suppress(InvalidInput):
        assert isinstance(intake.check_object(junk), dict)


@FAST
@given(st.lists(st.tuples(KEYS, st.none() | JSON), min_size=1, max_size=3))
def test_check_object_refuses_damaged_reports_with_invalid_input_only(
    damage: list[tuple[str, Any]],
) -> None:
    obj = received(make_report()[0])
    for key, value in damage:
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    try:
        assert intake.check_object(obj) is obj
    except InvalidInput:
        return


# --- intake: read_marking -----------------------------------------------------------------------

CODES = ["joc", "krg", "asayish", "peshmerga", "ctd"]
KNOWN_CODES = intake.codes_by_identity(["joc", "krg", "asayish"])  # peshmerga, ctd: not known


def marked(*marking_ids: str, by: str = "joc") -> dict[str, Any]:
    return {
        "id": REPORT_ID,
        "created_by_ref": identity_id(by),
        "object_marking_refs": list(marking_ids),
    }


def known_markings(*scopes: list[str]) -> dict[str, dict[str, Any]]:
    found = [stix.releasability_marking(scope) for scope in scopes]
    return {m["id"]: m for m in found if m is not None}


def test_read_marking_reads_what_we_wrote() -> None:
    obj = make_report()[0]
    assert intake.read_marking(obj, known_markings(["krg"]), KNOWN_CODES) == MARKING


def test_tlp_1_0_markings_read_as_tlp_2_0() -> None:
    white, green, amber, red = stix.TLP1_MARKING_IDS
    assert intake.read_marking(marked(white), {}, KNOWN_CODES).tlp is Tlp.CLEAR
    assert intake.read_marking(marked(green), {}, KNOWN_CODES).tlp is Tlp.GREEN
    assert intake.read_marking(marked(amber), {}, KNOWN_CODES).tlp is Tlp.AMBER
    assert intake.read_marking(marked(red), {}, KNOWN_CODES).tlp is Tlp.RED


def test_the_most_restrictive_tlp_wins() -> None:
    refs = [
        TLP_MARKING_IDS[Tlp.GREEN],
        TLP_MARKING_IDS[Tlp.AMBER_STRICT],
        TLP_MARKING_IDS[Tlp.AMBER],
    ]
    assert intake.read_marking(marked(*refs), {}, KNOWN_CODES).tlp is Tlp.AMBER_STRICT


def test_without_a_releasability_marking_only_the_originator_sees_it() -> None:
    found = intake.read_marking(marked(TLP_MARKING_IDS[Tlp.GREEN], by="krg"), {}, KNOWN_CODES)
    assert found == Marking(Tlp.GREEN, "krg", frozenset())
    assert found.audience() == {"krg"}


def test_unknown_identities_stay_raw_ids_that_match_no_partner() -> None:
    known = known_markings(["krg", "peshmerga"])
    found = intake.read_marking(marked(TLP_MARKING_IDS[Tlp.GREEN], *known, by="ctd"), known, {})
    assert found.originator == identity_id("ctd")
    assert found.releasable_to == {identity_id("krg"), identity_id("peshmerga")}


def test_read_marking_fails_closed() -> None:
    green = TLP_MARKING_IDS[Tlp.GREEN]
    known = known_markings(["krg"])
    (krg,) = known
    with pytest.raises(InvalidInput, match="no TLP marking"):
        intake.read_marking(marked(krg), known, KNOWN_CODES)
    with pytest.raises(InvalidInput, match=f"unknown marking {krg}"):
        intake.read_marking(marked(green, krg), {}, KNOWN_CODES)
    statement = {"id": krg, "definition_type": "statement", "definition": {"statement": "x"}}
    with pytest.raises(InvalidInput, match="unknown marking"):
        intake.read_marking(marked(green, krg), {krg: statement}, KNOWN_CODES)
    with pytest.raises(InvalidInput, match="created_by_ref"):
        intake.read_marking({"object_marking_refs": [green]}, {}, KNOWN_CODES)


def test_a_marking_that_redefines_a_derived_id_is_refused() -> None:
    known = known_markings(["krg"])
    (krg,) = known
    forged = copy.deepcopy(known[krg])
    forged["extensions"][stix.RELEASABILITY_EXTENSION_ID]["releasable_to"].append(identity_id("x"))
    with pytest.raises(InvalidInput, match="does not match"):
        intake.read_marking(marked(TLP_MARKING_IDS[Tlp.GREEN], krg), {krg: forged}, KNOWN_CODES)
    with pytest.raises(InvalidInput, match="does not match"):
        intake.releasability_members(forged, KNOWN_CODES)
    assert intake.releasability_members(known[krg], KNOWN_CODES) == {"krg"}


@FAST
@given(st.lists(st.frozensets(st.sampled_from(CODES), min_size=1), min_size=1, max_size=4))
def test_several_releasability_scopes_intersect(scopes: list[frozenset[str]]) -> None:
    known = known_markings(*(sorted(s) for s in scopes))
    obj = marked(TLP_MARKING_IDS[Tlp.AMBER], *known)
    found = intake.read_marking(obj, known, KNOWN_CODES)
    common = frozenset.intersection(*scopes)
    assert found.releasable_to == {
        c if c in KNOWN_CODES.values() else identity_id(c) for c in common
    }
    assert found.audience() >= {"joc"}


def test_is_tlp_knows_both_tlp_versions() -> None:
    assert all(intake.is_tlp(o) for o in stix.TLP_OBJECTS)
    assert intake.is_tlp({"id": next(iter(stix.TLP1_MARKING_IDS))})
    assert not intake.is_tlp(stix.releasability_marking(["krg"]) or {})


# --- references a viewer may not follow ---------------------------------------------------------


def test_refs_of_leaves_out_public_references() -> None:
    report = make_report()[0]
    assert links.refs_of(report) == report["object_refs"]
    assert links.refs_of(make_relationship()) == [CELL_ID, stix.location_id(REPORT_ID, 0)]
    assert links.refs_of(make_sighting()) == [CELL_ID]  # where_sighted: the originator identity
    granular = make_note() | {
        "granular_markings": [{"marking_ref": TLP_MARKING_IDS[Tlp.RED], "selectors": ["content"]}]
    }
    assert links.refs_of(granular) == [REPORT_ID]


def test_refs_of_finds_nested_references() -> None:
    event = "event--9ca38544-c247-45d9-9e33-957ba7c9e119"
    incident = make_incident()
    incident["extensions"][stix.INCIDENT_CORE_EXTENSION_ID]["events"] = [{"event_ref": event}]
    assert links.refs_of(incident) == [event]
    trimmed = links.without_refs(incident, {event})
    assert trimmed is not None
    assert trimmed["extensions"][stix.INCIDENT_CORE_EXTENSION_ID]["events"] == []


def test_without_refs_trims_lists_and_leaves_the_original_alone() -> None:
    report = make_report()[0]
    before = copy.deepcopy(report)
    trimmed = links.without_refs(report, {CELL_ID, INCIDENT_ID})
    assert trimmed is not None
    assert trimmed["object_refs"] == report["object_refs"][:2]
    assert trimmed["object_marking_refs"] == report["object_marking_refs"]
    assert report == before
    assert links.without_refs(report, set()) == report


def test_a_report_that_loses_every_ref_points_at_its_creator() -> None:
    report = make_report()[0]
    trimmed = links.without_refs(report, set(report["object_refs"]))
    assert trimmed is not None
    assert trimmed["object_refs"] == [identity_id("joc")]
    assert_valid(trimmed)


@pytest.mark.parametrize(
    ("obj", "hidden"),
    [
        (make_relationship(), {CELL_ID}),
        (make_relationship(), {stix.location_id(REPORT_ID, 0)}),
        (make_sighting(), {CELL_ID}),
        (make_note(), {REPORT_ID}),
        (make_opinion(), {REPORT_ID}),
    ],
    ids=["relationship-source", "relationship-target", "sighting", "note", "opinion"],
)
def test_objects_that_cannot_stand_alone_are_dropped(obj: dict[str, Any], hidden: set[str]) -> None:
    assert links.without_refs(obj, hidden) is None


def test_a_note_on_one_hidden_and_one_visible_object_keeps_the_visible_one() -> None:
    note = make_note(object_refs=[REPORT_ID, CELL_ID])
    trimmed = links.without_refs(note, {CELL_ID})
    assert trimmed is not None
    assert trimmed["object_refs"] == [REPORT_ID]
    assert_valid(trimmed)


@FAST
@given(st.sampled_from(range(len(everything()))), st.data())
def test_without_refs_leaves_no_hidden_link_and_keeps_the_markings(index: int, data: Any) -> None:
    obj = everything()[index]
    refs = links.refs_of(obj)
    hidden = data.draw(st.sets(st.sampled_from(refs)) if refs else st.just(set()))
    trimmed = links.without_refs(obj, hidden)
    if trimmed is None:
        assert obj["type"] in {"relationship", "sighting", "note", "opinion"}
        return
    assert not set(links.refs_of(trimmed)) & hidden
    assert set(links.refs_of(trimmed)) == set(refs) - hidden
    for key in ("id", "created_by_ref", "object_marking_refs", "modified"):
        assert trimmed.get(key) == obj.get(key)
    assert_valid(trimmed)
