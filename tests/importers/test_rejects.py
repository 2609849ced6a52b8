"""The rejects file: beside the input, one row per rejected row, original values intact."""

from __future__ import annotations

import csv
from pathlib import Path

from tansiq.errors import RowError
from tansiq.importers.pipeline import Rejected, read_batches
from tansiq.importers.rejects import RejectsWriter, rejects_path
from tests.importers.files import read_all, shipped_ucdp, ucdp_file

ARABIC = 'اشتباك قرب كركوك، "مصدر"\nسطر ثانٍ'


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_rejects(input_path: Path, header: list[str], rows: list[Rejected]) -> Path:
    with RejectsWriter(input_path, header) as writer:
        writer.write_all(rows)
    return writer.path


def test_the_rejects_file_sits_beside_the_input() -> None:
    assert rejects_path(Path("/data/in/events.csv")) == Path("/data/in/events.csv.rejected.csv")


def test_rejected_rows_round_trip_with_their_reasons(tmp_path: Path) -> None:
    changes = {
        0: {"source_headline": ARABIC, "latitude": "abc"},
        2: {"id": "", "best": "-1", "side_b": "  spaced  "},
    }
    path = ucdp_file(tmp_path / "events.csv", changes)
    _, rejected = read_all(path, "ucdp")
    header, _, originals = shipped_ucdp(5)
    written = write_rejects(path, header, rejected)

    assert written == tmp_path / "events.csv.rejected.csv"
    rows = read_rejects(written)
    assert [(r["line"], r["field"], r["reason"]) for r in rows] == [
        ("3", "latitude", "not a number: 'abc'"),
        ("6", "id; best", "missing; negative: '-1'"),  # line 6: ARABIC spans two lines
    ]
    first, second = rows
    assert first["source_headline"] == ARABIC
    assert second["side_b"] == "  spaced  "
    untouched = [c for c in header if c not in ("id", "best", "side_b")]
    assert all(second[c] == originals[2][header.index(c)] for c in untouched)
    assert list(first) == ["line", "field", "reason", *header]


def test_a_fixed_rejects_file_can_be_imported_again(tmp_path: Path) -> None:
    path = ucdp_file(tmp_path / "events.csv", {1: {"latitude": "abc"}})
    _, rejected = read_all(path, "ucdp")
    header, _, originals = shipped_ucdp(5)
    rows = read_rejects(write_rejects(path, header, rejected))
    rows[0]["latitude"] = originals[1][header.index("latitude")]
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    [batch] = read_batches(fixed, "ucdp", 10)
    assert ([d.source_id for d in batch.drafts], batch.rejected) == ([originals[1][0]], [])


def test_rows_rejected_later_are_written_the_same_way(tmp_path: Path) -> None:
    header = ["id", "latitude", "longitude"]
    late = Rejected([RowError(9, "latitude/longitude", "783.9 km outside Iraq (limit 25 km)")],
                    ["7", "30.0444", "31.2357"])  # fmt: skip
    rows = read_rejects(write_rejects(tmp_path / "in.csv", header, [late]))
    assert rows == [
        {
            "line": "9",
            "field": "latitude/longitude",
            "reason": "783.9 km outside Iraq (limit 25 km)",
            "id": "7",
            "latitude": "30.0444",
            "longitude": "31.2357",
        }
    ]


def test_nothing_rejected_writes_nothing_and_clears_a_stale_file(tmp_path: Path) -> None:
    stale = rejects_path(tmp_path / "in.csv")
    stale.write_text("line,field,reason\n3,id,missing\n", encoding="utf-8")
    assert write_rejects(tmp_path / "in.csv", ["id"], []) == stale
    assert not stale.exists()
