"""The operations store: releasability in SQL against the domain rule, versions, records."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
import shapely
from sqlalchemy.engine import Engine

from tansiq.domain.markings import Tlp, person_viewer
from tansiq.domain.operations import OperationType, State, circle, from_wkt
from tansiq.store import operations as store
from tansiq.store.database import reading, writing
from tansiq.store.partners import partner_parents
from tests.conftest import FROZEN_NOW
from tests.domain.test_operations import make_content
from tests.nodes import setup_node

SCOPES = [frozenset(), frozenset({"krg"}), frozenset({"krg-asayish"}), frozenset({"jcc", "krg"})]


def _id(n: int) -> str:
    return f"operation--{uuid.UUID(int=n, version=4)}"


def test_visible_operations_follow_the_marking_rule_for_every_level_scope_and_viewer(
    engine: Engine,
) -> None:
    setup_node(engine)
    cases = list(itertools.product(list(Tlp), SCOPES))
    with writing(engine) as conn:
        for n, (tlp, scope) in enumerate(cases):
            content = make_content(tlp=tlp, releasable_to=scope)
            store.insert(
                conn,
                _id(n),
                content,
                disputed_areas=[],
                sides_needed=["joc"],
                by="t",
                now=FROZEN_NOW,
            )
    with reading(engine) as conn:
        parents = partner_parents(conn)
        for partner in ("joc", "krg", "krg-asayish", "jcc"):
            viewer = person_viewer(partner, parents)
            seen = {r.id for r in store.visible_operations(conn, viewer)}
            expected = {
                _id(n)
                for n, (tlp, scope) in enumerate(cases)
                if viewer.sees(tlp, make_content(tlp=tlp, releasable_to=scope).marking.audience())
            }
            assert seen == expected, partner
            assert expected  # every viewer sees something, so the test can fail both ways
            for n in range(len(cases)):
                shown = store.visible(conn, viewer, _id(n))
                assert (shown is not None) == (_id(n) in expected)


def test_a_record_has_what_the_cot_picture_needs(engine: Engine) -> None:
    setup_node(engine)
    corridor = from_wkt("LINESTRING (44.0 36.19, 44.39 35.47)", width_m=400)
    content = make_content(area=corridor, op_type=OperationType.ESCORT)
    with writing(engine) as conn:
        store.insert(
            conn,
            _id(1),
            content,
            disputed_areas=["IQG13Q04"],
            sides_needed=["joc", "krg"],
            by="t",
            now=FROZEN_NOW,
        )
    with reading(engine) as conn:
        viewer = person_viewer("joc", partner_parents(conn))
        (record,) = store.visible_operations(conn, viewer, states=["draft"])
        assert store.visible_operations(conn, viewer, states=["active"]) == []
    assert record.id == _id(1)
    assert record.state == "draft"
    assert record.version == 1
    assert record.area.equals(shapely.LineString([(44.0, 36.19), (44.39, 35.47)]))
    assert (record.buffer_m, record.extent_m) == (500.0, 200.0)
    assert record.start == content.start
    assert record.start.tzinfo is not None
    assert (record.owner, record.tlp, record.op_type) == ("joc", "amber", "escort")
    assert record.content() == content
    assert record.content_hash == content.digest()
    assert record.sides_needed == ("joc", "krg")


def test_a_new_version_replaces_the_content_and_keeps_the_old_one(engine: Engine) -> None:
    setup_node(engine)
    first = make_content()
    second = make_content(area=circle(35.5, 44.4, 800), releasable_to=frozenset())
    with writing(engine) as conn:
        store.insert(
            conn, _id(2), first, disputed_areas=[], sides_needed=["joc"], by="t", now=FROZEN_NOW
        )
        record = store.stored(conn, _id(2))
        assert record is not None
        store.new_version(
            conn,
            record,
            second,
            state=State.DRAFT,
            disputed_areas=[],
            sides_needed=["joc"],
            by="t",
            now=FROZEN_NOW + timedelta(minutes=1),
        )
    with reading(engine) as conn:
        krg = person_viewer("krg", partner_parents(conn))
        assert store.visible(conn, krg, _id(2)) is None  # the release went with the new version
        versions = store.version_contents(conn, _id(2))
        now = store.stored(conn, _id(2))
    assert now is not None
    assert now.version == 2
    assert now.content() == second
    assert versions[1] == (first.as_json(), first.digest())
    assert versions[2] == (second.as_json(), second.digest())


@pytest.mark.parametrize("states", [None, ["draft", "active"]])
def test_an_unknown_viewer_sees_nothing(engine: Engine, states: list[str] | None) -> None:
    setup_node(engine)
    with writing(engine) as conn:
        store.insert(
            conn,
            _id(3),
            make_content(tlp=Tlp.CLEAR),
            disputed_areas=[],
            sides_needed=["joc"],
            by="t",
            now=FROZEN_NOW,
        )
    with reading(engine) as conn:
        nobody = person_viewer("nobody", {})
        assert store.visible_operations(conn, nobody, states=states) == []
