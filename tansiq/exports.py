"""Incidents rendered for people and programs: JSON records, GeoJSON and CSV.

The CLI (`tansiq incidents --format ...`) and the HTTP API use these same functions, so an
export looks the same whichever way it was asked for.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import orjson

RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "source_id",
    "date",
    "date_end",
    "latitude",
    "longitude",
    "precision",
    "place",
    "incident_type",
    "sub_type",
    "actor1",
    "actor2",
    "fatalities",
    "headline",
    "source_detail",
    "adm1_pcode",
    "adm2_pcode",
    "adm3_pcode",
    "disputed",
    "kurdistan_region",
    "syria_border_district",
    "outside_km",
)


def incident_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One stored incident as a flat JSON-ready record (`date` is the start date)."""
    record = {name: row.get(name) for name in RECORD_FIELDS}  # fixes the key order
    record["date"] = row["date_start"].isoformat()
    record["date_end"] = row["date_end"].isoformat()
    for flag in ("disputed", "kurdistan_region", "syria_border_district"):
        record[flag] = bool(row[flag])
    return record


def geojson_feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON Point feature for one incident record."""
    properties = {k: v for k, v in record.items() if k not in ("latitude", "longitude")}
    return {
        "type": "Feature",
        "id": record["id"],
        "geometry": {"type": "Point", "coordinates": [record["longitude"], record["latitude"]]},
        "properties": properties,
    }


def geojson_bytes(records: Iterable[Mapping[str, Any]], **members: Any) -> bytes:
    """A FeatureCollection of incident records, with extra top-level members (e.g. total)."""
    features = [geojson_feature(r) for r in records]
    collection = {"type": "FeatureCollection", **members, "features": features}
    return orjson.dumps(collection)


def json_bytes(records: Iterable[Mapping[str, Any]]) -> bytes:
    """A JSON list of incident records."""
    return orjson.dumps(list(records))


def write_csv(records: Iterator[Mapping[str, Any]], out: IO[str]) -> int:
    """Write records as CSV with a header row; returns how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=RECORD_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(record)
        count += 1
    return count
