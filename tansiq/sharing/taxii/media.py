"""TAXII 2.1 media types: what a client may ask for and send, and how every answer is labelled.

Every response, errors included, is `application/taxii+json;version=2.1`. A client may accept
it with or without the version, through `*/*` or `application/*`, or as `application/json`
(OpenCTI sends `application/json, text/plain, */*`: INTEROP 1.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.responses import Response

TAXII_MEDIA_TYPE: Final = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE: Final = "application/stix+json;version=2.1"

_TAXII: Final = "application/taxii+json"
_ACCEPTED_RANGES: Final = frozenset({"*/*", "application/*", "application/json"})


def taxii_response(
    body: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(body, status_code=status, headers=headers, media_type=TAXII_MEDIA_TYPE)


def _media_range(text: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lower case and its parameters (values unquoted)."""
    kind, *parts = text.split(";")
    params = {}
    for part in parts:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return kind.strip().lower(), params


def _is_taxii_21(kind: str, params: Mapping[str, str]) -> bool:
    return kind == _TAXII and params.get("version", "2.1") == "2.1"


def accepts_taxii(header: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 JSON (a range with q=0 refuses it)."""
    for item in (header or "").split(","):
        kind, params = _media_range(item)
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if _is_taxii_21(kind, params) or kind in _ACCEPTED_RANGES:
            return True
    return False


def declares_taxii(content_type: str | None) -> bool:
    """Whether a Content-Type is TAXII JSON, version 2.1 or unversioned."""
    kind, params = _media_range(content_type or "")
    return _is_taxii_21(kind, params)
