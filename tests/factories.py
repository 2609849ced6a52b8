"""Factories for test data: real-looking rows built from real places, overridable per test."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tansiq.domain.incidents import IncidentDraft, row_digest
from tansiq.domain.markings import Tlp, identity_id
from tansiq.domain.positions import PositionDraft, PositionKind
from tansiq.sharing import signing
from tansiq.sharing.signing import SigningKey
from tansiq.store.schema import INCIDENT_WRITE_COLUMNS
from tests.conftest import SHIPPED_UCDP

# Kirkuk city; the store does not re-check pcodes (the importer sets them).
KIRKUK = {"latitude": 35.468, "longitude": 44.392, "adm1_pcode": "IQG13", "adm2_pcode": "IQG13Q04"}


def make_draft(**overrides: Any) -> IncidentDraft:
    values: dict[str, Any] = {
        "source": "ucdp",
        "source_id": "1",
        "line": 3,
        "date_start": date(2017, 5, 1),
        "date_end": date(2017, 5, 1),
        "latitude": KIRKUK["latitude"],
        "longitude": KIRKUK["longitude"],
        "precision": 1,
        "place": "Kirkuk town",
        "incident_type": "state-based",
        "sub_type": "Government of Iraq - IS",
        "actor1": "Government of Iraq",
        "actor2": "IS",
        "fatalities": 3,
        "headline": "Clash near Kirkuk",
        "source_detail": "Agence France Presse",
    }
    values.update(overrides)
    return IncidentDraft(**values)


def make_row(**overrides: Any) -> tuple[Any, ...]:
    """A row as an importer hands it to the store: values in INCIDENT_WRITE_COLUMNS order.

    Its content hash digests the row's values, so changing any of them changes the hash.
    """
    draft_fields = {k: v for k, v in overrides.items() if k in IncidentDraft.__slots__}
    draft = make_draft(**draft_fields)
    row: dict[str, Any] = {
        "source": draft.source,
        "source_id": draft.source_id,
        "date_start": draft.date_start,
        "date_end": draft.date_end,
        "latitude": draft.latitude,
        "longitude": draft.longitude,
        "precision": draft.precision,
        "place": draft.place,
        "incident_type": draft.incident_type,
        "sub_type": draft.sub_type,
        "actor1": draft.actor1,
        "actor2": draft.actor2,
        "fatalities": draft.fatalities,
        "headline": draft.headline,
        "source_detail": draft.source_detail,
        "adm1_pcode": KIRKUK["adm1_pcode"],
        "adm2_pcode": KIRKUK["adm2_pcode"],
        "adm3_pcode": "IQG13Q04N01",
        "disputed": True,
        "kurdistan_region": False,
        "syria_border_district": False,
        "outside_km": 0.0,
    }
    row.update({k: v for k, v in overrides.items() if k not in IncidentDraft.__slots__})
    row["content_hash"] = row_digest([str(v) for v in row.values()])
    return tuple(row[name] for name in INCIDENT_WRITE_COLUMNS)


def sign_as(obj: dict[str, Any], partner: str, key: SigningKey) -> dict[str, Any]:
    """`obj` signed by `partner`'s node with `key`, as that node serves its tombstones."""
    signature = signing.Signature(identity_id(partner), key.sign(signing.canonical(obj)))
    return signing.signed(obj, signature)


def make_position(**overrides: Any) -> PositionDraft:
    """A joc checkpoint just south of Kirkuk city, released to nobody, active from 2024."""
    values: dict[str, Any] = {
        "partner": "joc",
        "kind": PositionKind.CHECKPOINT,
        "name": "Checkpoint 1 south of Kirkuk (synthetic)",
        "latitude": 35.44,
        "longitude": 44.39,
        "coverage_radius_m": 1500.0,
        "active_from": datetime(2024, 1, 1, tzinfo=UTC),
        "active_to": None,
        "synthetic": True,
        "tlp": Tlp.AMBER,
        "releasable_to": frozenset(),
    }
    values.update(overrides)
    return PositionDraft(**values)


def shipped_ucdp_years(path: Path, first: int, last: int) -> list[dict[str, str]]:
    """The shipped GED file's events of years first..last, written to `path` as a GED file of
    their own (header and HXL rows kept); returns them as dicts by column."""
    with SHIPPED_UCDP.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, hxl = next(reader), next(reader)
        year = header.index("year")
        rows = [row for row in reader if first <= int(row[year]) <= last]
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, hxl, *rows])
    return [dict(zip(header, row, strict=True)) for row in rows]
