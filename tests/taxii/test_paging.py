"""Next tokens on their own: bound to the row, the selection and the node's secret."""

from __future__ import annotations

import pytest

from tansiq.sharing.taxii import paging
from tansiq.sharing.taxii.errors import TaxiiError

KEY = b"k" * 32
SELECTION = paging.selection_hash("objects", "collection", None, "krg-node", [[], [], "last", []])


def test_a_token_resumes_after_its_row() -> None:
    token = paging.issue(KEY, SELECTION, 1_700_000_000_123_456)
    assert paging.resume(KEY, SELECTION, token) == 1_700_000_000_123_456
    assert "=" not in token  # URL-safe, unpadded


@pytest.mark.parametrize(
    ("key", "selection"),
    [
        (b"another node's secret..........", SELECTION),
        (KEY, paging.selection_hash("manifest", "collection", None, "krg-node", [])),
    ],
)
def test_a_token_from_another_node_or_request_is_refused(key: bytes, selection: str) -> None:
    token = paging.issue(KEY, SELECTION, 1)
    with pytest.raises(TaxiiError) as raised:
        paging.resume(key, selection, token)
    assert raised.value.status == 400


def test_selection_hashes_differ_for_different_filters() -> None:
    one = paging.selection_hash("objects", "c", None, "u", [["a"], [], "last", []])
    two = paging.selection_hash("objects", "c", None, "u", [["b"], [], "last", []])
    assert one != two
