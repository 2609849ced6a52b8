"""TAXII query parameters: `added_after`, `limit`, `next` and the `match[...]` filters.

Fields are ANDed, comma-separated values ORed, unknown fields ignored (section 3.5). Malformed
values are a 400 with the parameter's name, never a 500. `added_after` compares `date_added`
(epoch microseconds, unique node-wide) and is exclusive.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from starlette.datastructures import QueryParams

from tansiq.errors import InvalidInput
from tansiq.settings import Settings
from tansiq.sharing import stix
from tansiq.sharing.taxii.errors import bad_request
from tansiq.store.objects import Kind, Query

Versions = Literal["last", "first", "all"] | frozenset[int]
OBJECTS_MATCH: Final = frozenset({"id", "type", "version", "spec_version"})
OBJECT_MATCH: Final = frozenset({"version", "spec_version"})
VERSIONS_MATCH: Final = frozenset({"spec_version"})
_KEYWORDS: Final = ("last", "first", "all")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def taxii_time(micros: int) -> str:
    """A date_added as TAXII shows it: UTC with microseconds, e.g. 2025-01-31T08:15:00.123456Z."""
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _micros(name: str, text: str) -> int:
    try:
        return stix.to_micros(stix.parse_stix_time(text.strip()))
    except InvalidInput as exc:
        raise bad_request(f"{name}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Filters:
    """One request's selection; `limit` is already defaulted and capped."""

    limit: int
    added_after: int | None = None
    next: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: Versions = "last"
    spec_versions: tuple[str, ...] = ()

    def selection(self) -> list[object]:
        """What a `next` token is bound to: everything but the page position and size."""
        versions = self.versions if isinstance(self.versions, str) else sorted(self.versions)
        return [sorted(self.ids), sorted(self.types), versions, sorted(self.spec_versions)]

    def query(self, kind: Kind, after: int | None) -> Query:
        return Query(
            kind=kind,
            after=after,
            limit=self.limit,
            types=self.types,
            ids=self.ids,
            versions=self.versions,
            spec_versions=self.spec_versions,
        )


def parse(
    params: QueryParams,
    settings: Settings,
    matches: Collection[str],
    *,
    ids: tuple[str, ...] = (),
    versions: Versions | None = None,
) -> Filters:
    """Filters from the query string; only the `matches` fields apply to this endpoint.

    `ids` and `versions` fix what the path already says (an object id, all versions)."""
    after = params.get("added_after")
    token = params.get("next")
    return Filters(
        limit=_limit(params.get("limit"), settings),
        added_after=_micros("added_after", after) if after else None,
        next=token or None,
        ids=ids or _values(params, "id", matches),
        types=_values(params, "type", matches),
        versions=versions or _versions(_values(params, "version", matches)),
        spec_versions=_values(params, "spec_version", matches),
    )


def _limit(text: str | None, settings: Settings) -> int:
    if text is None or text == "":
        return min(settings.taxii_default_limit, settings.taxii_max_limit)
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"limit: {text!r} is not a whole number") from None
    if value <= 0:
        raise bad_request(f"limit: {value} is not above 0")
    return min(value, settings.taxii_max_limit)


def _values(params: QueryParams, field: str, matches: Collection[str]) -> tuple[str, ...]:
    if field not in matches:
        return ()
    found = (v.strip() for raw in params.getlist(f"match[{field}]") for v in raw.split(","))
    return tuple(dict.fromkeys(v for v in found if v))


def _versions(values: tuple[str, ...]) -> Versions:
    """`last` (the default), `first`, `all` or timestamps (which compare as times)."""
    if not values:
        return "last"
    if "all" in values:
        return "all"
    keywords = [v for v in values if v in _KEYWORDS]
    if not keywords:
        return frozenset(_micros("match[version]", v) for v in values)
    if len(values) == 1:
        return "first" if keywords[0] == "first" else "last"
    raise bad_request(
        "match[version]: combining first or last with other values is not supported; "
        "ask for them one at a time, or use all"
    )
