"""The demo's positions: synthetic, labelled so, on both sides, in the disputed districts."""

from __future__ import annotations

from collections import Counter

from tansiq import positions
from tansiq.demo_positions import demo_positions
from tansiq.geo.locator import AreaLocator


def test_every_demo_position_is_synthetic_and_says_so() -> None:
    found = demo_positions("jcc")

    assert all(p.synthetic for p in found)
    assert all(p.name.startswith("Demo ") and p.name.endswith(" (synthetic)") for p in found)
    assert len({(p.partner, p.name) for p in found}) == len(found)


def test_both_sides_are_released_to_each_other_and_the_joint_centre() -> None:
    found = demo_positions("jcc")

    assert Counter(p.partner for p in found).keys() == {"joc", "krg"}
    for p in found:
        other = "krg" if p.partner == "joc" else "joc"
        assert p.releasable_to == {other, "jcc"}
        assert p.marking.audience() == {"joc", "krg", "jcc"}


def test_without_a_node_partner_each_side_is_released_to_the_other() -> None:
    assert {frozenset(p.releasable_to) for p in demo_positions(None)} == {
        frozenset({"krg"}),
        frozenset({"joc"}),
    }


def test_the_demo_positions_lie_in_the_disputed_districts(locator: AreaLocator) -> None:
    placed = [positions.place(locator, draft) for draft in demo_positions("jcc")]

    outside = [p.draft.name for p in placed if not p.disputed]

    assert outside == []
    assert len({p.adm2_pcode for p in placed}) >= 12
