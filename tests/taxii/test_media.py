"""Accept and Content-Type negotiation, without HTTP."""

from __future__ import annotations

import pytest

from tansiq.sharing.taxii.media import accepts_taxii, declares_taxii


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("application/taxii+json;version=2.1", True),
        ('application/taxii+json; version="2.1"', True),
        ("APPLICATION/TAXII+JSON", True),
        ("application/json, text/plain, */*", True),
        ("application/*", True),
        ("application/taxii+json;version=2.0", False),
        ("application/taxii+json;q=0", False),
        ("text/html, application/xhtml+xml", False),
        ("application/stix+json;version=2.1", False),
        ("", False),
        (None, False),
    ],
)
def test_accept(header: str | None, accepted: bool) -> None:
    assert accepts_taxii(header) is accepted


@pytest.mark.parametrize(
    ("header", "declared"),
    [
        ("application/taxii+json;version=2.1", True),
        ("application/taxii+json", True),
        ("application/taxii+json; version=2.1; charset=utf-8", True),
        ("application/json", False),
        ("application/taxii+json;version=2.0", False),
        (None, False),
    ],
)
def test_content_type(header: str | None, declared: bool) -> None:
    assert declares_taxii(header) is declared
