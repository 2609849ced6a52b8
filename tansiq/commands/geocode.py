"""`tansiq geocode ...`: the place a report text names, for one text or a CSV file of them.

    tansiq geocode "TEXT" [--json]
    tansiq geocode batch IN.csv --text-column COL --out OUT.csv

The text is English, Arabic or Sorani Kurdish; see tansiq.analysis.geocoding for how places are
found and when the geocoder abstains.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from typer._click.core import Context  # typer 0.29 vendors click; its groups take this Context
from typer.core import TyperGroup

from tansiq.analysis.geocoding import DEFAULT_MIN_CONFIDENCE, Geocoder, PlaceMatch
from tansiq.commands.common import JsonOption, err, print_json
from tansiq.errors import InvalidInput

MATCH_COLUMNS = ("latitude", "longitude", "adm1_pcode", "adm2_pcode", "matched_name", "confidence")


class _GeocodeGroup(TyperGroup):
    """`geocode batch ...` runs the subcommand; any other first word is the text to geocode.

    Click would otherwise give "batch" to the group's TEXT argument. A text that is exactly
    "batch" cannot be geocoded this way (it is no place anyway). Options may follow the text
    (`geocode "TEXT" --json`), which a plain group would take for a subcommand.
    """

    allow_interspersed_args = True

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            # The group's own parameters at their defaults (the plain command's parse_args).
            super(TyperGroup, self).parse_args(ctx, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        return super().parse_args(ctx, args)


geocode_app = typer.Typer(
    cls=_GeocodeGroup,
    invoke_without_command=True,
    help="Find the place a report text names (English, Arabic, Sorani Kurdish).",
)

MinConfidenceOption = Annotated[
    float,
    typer.Option(
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Abstain below this confidence (0..1); a governorate alone scores about 0.4.",
    ),
]


@geocode_app.callback()
def geocode(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(help='The text, e.g. "Car bomb in Fallujah".')
    ] = None,
    json: JsonOption = False,
    min_confidence: MinConfidenceOption = DEFAULT_MIN_CONFIDENCE,
) -> None:
    """Print the place TEXT names, or "no place found". `geocode batch` does a CSV file."""
    if ctx.invoked_subcommand is not None:
        return
    if text is None:
        raise InvalidInput(
            'give the TEXT to geocode, or "batch IN.csv --text-column COL --out OUT"'
        )
    match = Geocoder.from_shipped().geocode(text, min_confidence)
    if json:
        print_json(None if match is None else match.as_dict())
    elif match is None:
        typer.echo("no place found")
    else:
        typer.echo(_described(match))


def _described(match: PlaceMatch) -> str:
    areas = " / ".join(code for code in (match.adm1_pcode, match.adm2_pcode) if code)
    return (
        f"{match.matched_name} ({match.latitude:.5f}, {match.longitude:.5f}) {areas}, "
        f"confidence {match.confidence:.2f}"
    )


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a batch did: rows read, placed and left without a place."""

    rows: int
    placed: int
    abstained: int


@geocode_app.command("batch")
def batch(
    source: Annotated[Path, typer.Argument(help="CSV file (UTF-8) with a header row.")],
    text_column: Annotated[str, typer.Option("--text-column", help="The column holding the text.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the CSV with places.")],
    json: JsonOption = False,
    min_confidence: MinConfidenceOption = DEFAULT_MIN_CONFIDENCE,
) -> None:
    """Geocode a column of a CSV file: every input column, then latitude, longitude,
    adm1_pcode, adm2_pcode, matched_name and confidence (empty where no place was found).

    A missing column or an unreadable file is an error and leaves no output file.
    """
    if out.resolve() == source.resolve():
        raise InvalidInput("--out must not be the input file")
    summary = geocode_file(Geocoder.from_shipped(), source, text_column, out, min_confidence)
    if json:
        print_json({"rows": summary.rows, "placed": summary.placed, "abstained": summary.abstained})
    err.print(
        f"{summary.rows} rows: {summary.placed} placed, {summary.abstained} abstained -> {out}",
        markup=False,
        highlight=False,
    )


def geocode_file(
    geocoder: Geocoder, source: Path, text_column: str, out: Path, min_confidence: float
) -> BatchSummary:
    """Write `out` from `source` with the match columns added; all or nothing."""
    try:
        with source.open(newline="", encoding="utf-8-sig") as reader, _replacing(out) as writer:
            return _geocode_rows(geocoder, reader, writer, text_column, min_confidence, source)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise InvalidInput(f"{source}: not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {source} or write {out}: {exc.strerror}") from None


@contextlib.contextmanager
def _replacing(out: Path) -> Iterator[TextIO]:
    """A file that becomes `out` only if the block finishes; removed on any error."""
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as f:
            yield f
        os.replace(name, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _geocode_rows(
    geocoder: Geocoder,
    reader: TextIO,
    writer: TextIO,
    text_column: str,
    min_confidence: float,
    source: Path,
) -> BatchSummary:
    rows = csv.DictReader(reader)
    columns = list(rows.fieldnames or [])
    _check_columns(columns, text_column, source)
    out = csv.DictWriter(writer, [*columns, *MATCH_COLUMNS], extrasaction="ignore")
    out.writeheader()
    count = placed = 0
    for row in rows:
        match = geocoder.geocode(row.get(text_column) or "", min_confidence)
        out.writerow({**row, **_match_fields(match)})
        count += 1
        placed += match is not None
    return BatchSummary(count, placed, count - placed)


def _check_columns(columns: list[str], text_column: str, source: Path) -> None:
    if not columns:
        raise InvalidInput(f"{source}: empty file (a header row is needed)")
    if text_column not in columns:
        raise InvalidInput(f"{source}: no column {text_column!r}; columns are {', '.join(columns)}")
    clashing = [name for name in MATCH_COLUMNS if name in columns]
    if clashing:
        raise InvalidInput(
            f"{source} already has column(s) {', '.join(clashing)}, which the output adds;"
            " rename them first"
        )


def _match_fields(match: PlaceMatch | None) -> dict[str, Any]:
    if match is None:
        return dict.fromkeys(MATCH_COLUMNS, "")
    fields = match.as_dict()
    fields["adm2_pcode"] = fields["adm2_pcode"] or ""
    return fields
