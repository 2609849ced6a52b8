"""Arrivals: received objects after the structural checks, with what storing them needs.

Everything here depends on the object alone, not on the database, so a peer's pages can be
checked and prepared in a reader process (tansiq.ahead) while the writer stores the previous
page: the writer is left with the markings, the release check and the insert.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from tansiq.errors import InvalidInput
from tansiq.sharing import intake, stix


class Arrival(NamedTuple):
    """One received object: either an error (why it cannot be stored) or what storing the
    checked object needs, with its JSON form.

    A named tuple of plain values: it crosses the pipe from the reader process, and the whole
    body (a nested dict, the dearest part to pickle) travels only where it is needed: for the
    reference objects and withdrawals, which are few.
    """

    stix_id: str
    label: str
    """The version as the sender wrote it (`modified`, else `created`), for summaries."""
    error: str | None = None
    stix_type: str = ""
    spec_version: str = ""
    version: int = 0
    marking_refs: tuple[str, ...] = ()
    creator: str | None = None
    revoked: bool = False
    links: tuple[str, ...] = ()
    name: str | None = None
    text: str | None = None
    encoded: bytes = b""
    """The checked object as JSON (orjson's form, UTF-8)."""
    body: dict[str, Any] | None = None

    @property
    def checked(self) -> dict[str, Any]:
        """The whole body of an arrival that passed the checks."""
        assert self.error is None, self.error
        return self.body if self.body is not None else dict(orjson.loads(self.encoded))


SUPPORT_TYPES = frozenset({"marking-definition", "identity", "extension-definition"})
"""Reference objects that travel with content: never stored as content themselves."""


def arrive(body: Any) -> Arrival:
    """Check one received object and prepare it for storing; never raises for bad input."""
    linked: list[str] = []
    try:
        obj = intake.check_object(body, linked)
        label = str(obj.get("modified", obj["created"]))
        refs = obj.get("object_marking_refs", [])
        if not isinstance(refs, list):
            raise InvalidInput(f"{obj['id']}: object_marking_refs must be a list of ids")
    except InvalidInput as exc:
        return Arrival(*labelled(body), str(exc))
    revoked = obj.get("revoked") is True
    creator = obj.get("created_by_ref")
    return Arrival(  # positional: this runs for every object a peer sends
        obj["id"],
        label,
        None,
        obj["type"],
        obj["spec_version"],
        stix.to_micros(stix.parse_stix_time(label)),
        tuple(refs),
        creator if isinstance(creator, str) else None,
        revoked,
        tuple(linked),
        title(obj),
        search_text(obj),
        orjson.dumps(obj),
        obj if revoked or obj["type"] in SUPPORT_TYPES else None,
    )


def labelled(body: Any) -> tuple[str, str]:
    """The id and version label of whatever was sent ("" where it has none)."""
    if not isinstance(body, dict):
        return "", ""
    version = body.get("modified", body.get("created", ""))
    return str(body.get("id", "")), str(version)


def version_of(obj: dict[str, Any]) -> int:
    """The version of a checked object in epoch microseconds: `modified`, else `created`."""
    return stix.to_micros(stix.parse_stix_time(str(obj.get("modified", obj["created"]))))


def title(body: dict[str, Any]) -> str | None:
    """The name a listing shows: the first of name, abstract, content, summary, explanation."""
    for key in ("name", "abstract", "content", "summary", "explanation"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return _indexable(value[:300])
    return None


_TEXT_KEYS = ("description", "content", "abstract", "explanation", "summary")


def search_text(body: dict[str, Any]) -> str | None:
    """The words search may match: descriptions and aliases, never linked ids."""
    parts = [body[k] for k in _TEXT_KEYS if isinstance(body.get(k), str)]
    parts += [a for a in body.get("aliases", []) if isinstance(a, str)]
    return _indexable("\n".join(parts)) or None


def _indexable(text: str) -> str:
    """Text for the name and search columns: without NUL, which PostgreSQL's text cannot hold
    (the stored body keeps it, escaped as JSON does)."""
    return text.replace("\x00", "") if "\x00" in text else text
