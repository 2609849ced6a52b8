"""The exchange service on both backends: who sees what after each create, mark, withdraw and
receive, and what partners that lose sight of an object are told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import Engine

from tansiq.domain.markings import TLP_MARKING_IDS, Marking, Tlp, Viewer, identity_id, node_viewer
from tansiq.domain.reports import CellDraft, Place, PlacedPlace, ReportDraft
from tansiq.errors import Forbidden, NotFound
from tansiq.sharing import exchange, keys, records, stix
from tansiq.sharing.exchange import Release, Source
from tansiq.sharing.signing import SigningKey
from tansiq.store import objects
from tansiq.store.database import reading, writing
from tansiq.store.incidents import upsert_incidents
from tansiq.store.objects import Outcome, Query
from tansiq.store.partners import partner_parents
from tests.conftest import FROZEN_NOW
from tests.factories import make_row, sign_as
from tests.nodes import Account, setup_node

LATER = FROZEN_NOW + timedelta(hours=1)
KRG_KEY = SigningKey.generate()
"""krg's node key, pinned on the joc node of these tests: krg's tombstones are signed with it."""


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        keys.pin(conn, "krg", KRG_KEY.public(), FROZEN_NOW, "test")
    return found


def _signed(tombstone: dict[str, Any]) -> dict[str, Any]:
    return sign_as(tombstone, "krg", KRG_KEY)


def _report(engine: Engine, who: Account, tlp: Tlp, to: set[str], title: str = "Cell") -> str:
    draft = ReportDraft(title=title, text="seen at dusk", published=FROZEN_NOW)
    with writing(engine) as conn:
        return exchange.create_report(
            conn, who.principal, draft, Release(tlp, frozenset(to)), FROZEN_NOW
        )


def _sees(engine: Engine, viewer: Viewer, stix_id: str) -> bool:
    with reading(engine) as conn:
        return objects.latest(conn, viewer, stix_id) is not None


def _viewer(people: dict[str, Account], name: str) -> Viewer:
    return people[name].principal.viewer


def _tombstones(engine: Engine, viewer: Viewer) -> list[str]:
    with reading(engine) as conn:
        found = objects.page(conn, viewer, Query(kind="tombstone", limit=1000))
    return [r.stix_id for r in found.rows]


@pytest.mark.parametrize(
    ("tlp", "to", "expected"),
    [
        (Tlp.AMBER, {"krg"}, {"joc-watch", "krg-analyst", "asayish-analyst", "krg-node"}),
        (Tlp.RED, {"krg"}, {"joc-watch", "krg-analyst", "krg-node"}),
        (Tlp.AMBER_STRICT, {"krg", "jcc"}, {"joc-watch"}),
        (Tlp.GREEN, set(), {"joc-watch"}),
        (Tlp.CLEAR, {"krg-asayish"}, {"joc-watch", "asayish-analyst", "krg-node"}),
        (
            Tlp.AMBER,
            {"krg", "jcc"},
            {"joc-watch", "krg-analyst", "asayish-analyst", "krg-node", "jcc-analyst", "jcc-node"},
        ),
    ],
)
def test_who_sees_a_new_report(
    engine: Engine, people: dict[str, Account], tlp: Tlp, to: set[str], expected: set[str]
) -> None:
    report = _report(engine, people["joc-analyst"], tlp, to)
    readers = {name for name in people if _sees(engine, _viewer(people, name), report)}
    assert readers == expected | {"joc-analyst"}


def test_the_rule_in_sql_is_the_rule_in_the_domain(
    engine: Engine, people: dict[str, Account]
) -> None:
    for tlp in Tlp:
        for to in ({"krg"}, {"krg-asayish", "jcc"}, set()):
            report = _report(engine, people["joc-analyst"], tlp, to)
            marking = Marking(tlp, "joc", frozenset(to))
            for name in people:
                viewer = _viewer(people, name)
                assert _sees(engine, viewer, report) == viewer.sees(tlp, marking.audience())


def test_restricting_tombstones_the_partners_that_lose_it(
    engine: Engine, people: dict[str, Account]
) -> None:
    report = _report(engine, people["joc-analyst"], Tlp.AMBER, {"krg", "jcc"})
    with writing(engine) as conn:
        exchange.mark(
            conn,
            people["joc-analyst"].principal,
            report,
            Release(Tlp.AMBER, frozenset({"krg"})),
            LATER,
        )
    jcc, krg = _viewer(people, "jcc-node"), _viewer(people, "krg-node")
    assert not _sees(engine, jcc, report)
    assert _sees(engine, krg, report)
    assert report in _tombstones(engine, jcc)
    assert report not in _tombstones(engine, krg)
    with reading(engine) as conn:
        history = objects.page(conn, jcc, Query(ids=(report,), versions="all"))
    assert history.rows == [], "a partner that lost an object cannot read its old versions"


def test_widening_again_reaches_the_partner(engine: Engine, people: dict[str, Account]) -> None:
    report = _report(engine, people["joc-analyst"], Tlp.AMBER, {"krg"})
    analyst = people["joc-analyst"].principal
    with writing(engine) as conn:
        exchange.mark(conn, analyst, report, Release(Tlp.AMBER, frozenset()), LATER)
        exchange.mark(
            conn,
            analyst,
            report,
            Release(Tlp.GREEN, frozenset({"krg"})),
            LATER + timedelta(minutes=1),
        )
    assert _sees(engine, _viewer(people, "krg-analyst"), report)


def test_withdrawal_hides_everything_and_tells_everyone(
    engine: Engine, people: dict[str, Account]
) -> None:
    report = _report(engine, people["joc-analyst"], Tlp.AMBER, {"krg", "jcc"})
    with writing(engine) as conn:
        exchange.withdraw(conn, people["joc-analyst"].principal, report, LATER)
    for name in people:
        assert not _sees(engine, _viewer(people, name), report)
    for name in ("krg-node", "jcc-node", "joc-analyst"):
        assert report in _tombstones(engine, _viewer(people, name))
    with reading(engine) as conn:
        assert objects.count(conn, _viewer(people, "joc-analyst"), types=("report",)) == 0


def test_only_the_originator_changes_an_object(engine: Engine, people: dict[str, Account]) -> None:
    report = _report(engine, people["joc-analyst"], Tlp.AMBER, {"krg"})
    release = Release(Tlp.CLEAR, frozenset({"krg", "jcc"}))
    with writing(engine) as conn, pytest.raises(Forbidden, match="read-only"):
        exchange.mark(conn, people["krg-analyst"].principal, report, release, LATER)
    with writing(engine) as conn, pytest.raises(NotFound):
        exchange.withdraw(conn, people["jcc-analyst"].principal, report, LATER)
    with writing(engine) as conn, pytest.raises(Forbidden):
        exchange.mark(conn, people["joc-watch"].principal, report, release, LATER)


def test_a_link_to_a_hidden_object_is_cut(engine: Engine, people: dict[str, Account]) -> None:
    analyst = people["joc-analyst"].principal
    with writing(engine) as conn:
        cell = exchange.create_cell(
            conn,
            analyst,
            CellDraft("Wilayat Kirkuk cell", ("خلية ولاية كركوك",)),
            Release(Tlp.RED, frozenset()),
            FROZEN_NOW,
        )
        draft = ReportDraft(title="Raid", text="x", published=FROZEN_NOW, cell_ids=(cell,))
        report = exchange.create_report(
            conn, analyst, draft, Release(Tlp.AMBER, frozenset({"krg"})), FROZEN_NOW
        )
    krg = _viewer(people, "krg-analyst")
    with reading(engine) as conn:
        row = objects.latest(conn, krg, report)
        assert row is not None
        body = exchange.render(conn, krg, [row])[0]
        mine = exchange.render(conn, _viewer(people, "joc-analyst"), [row])[0]
    assert cell.encode() not in body
    assert cell.encode() in mine


# --- receiving ------------------------------------------------------------------------------


def _krg_report(version_at: Any, to: frozenset[str] = frozenset({"joc"})) -> list[dict[str, Any]]:
    marking = Marking(Tlp.AMBER, "krg", to)
    place = PlacedPlace(Place(35.47, 44.39, "Kirkuk"), None, None, None, None, False)
    draft = ReportDraft(
        title="From KRG", text="ئاگاداری", published=FROZEN_NOW, lang="ku", places=(place,)
    )
    bodies = stix.report_objects(
        draft,
        report_id="report--6f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e",
        created=FROZEN_NOW,
        modified=version_at,
        marking=marking,
    )
    definition = stix.releasability_marking(to)
    return [definition, *bodies] if definition else bodies


def _receive(engine: Engine, bodies: list[Any]) -> exchange.ReceiveSummary:
    with writing(engine) as conn:
        return exchange.receive(conn, Source("krg", "krg"), bodies, LATER)


def test_receiving_is_idempotent_and_versions_only_move_forward(
    engine: Engine, people: dict[str, Account]
) -> None:
    first = _receive(engine, _krg_report(FROZEN_NOW))
    assert (first.created, first.rejected) == (2, 0)
    again = _receive(engine, _krg_report(FROZEN_NOW))
    assert (again.created, again.updated, again.rejected) == (0, 0, 0)
    newer = _receive(engine, _krg_report(LATER))
    assert newer.updated == 2
    older = _receive(engine, _krg_report(FROZEN_NOW + timedelta(minutes=5)))
    assert [r.outcome for r in older.results[1:]] == [Outcome.STALE, Outcome.STALE]
    report = "report--6f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e"
    with reading(engine) as conn:
        row = objects.latest(conn, _viewer(people, "joc-watch"), report)
    assert row is not None
    assert row.peer == "krg"
    assert orjson.loads(row.body)["modified"] == stix.stix_time(LATER)
    with reading(engine) as conn:
        (shown,) = records.records(conn, _viewer(people, "joc-watch"), [row])
    assert shown["received_from"] == "krg"
    assert shown["received_at"] == stix.stix_time(LATER)


def test_a_received_withdrawal_removes_the_copy(engine: Engine, people: dict[str, Account]) -> None:
    _receive(engine, _krg_report(FROZEN_NOW))
    stub = _krg_report(LATER)[1]
    stub["revoked"] = True
    result = _receive(engine, [_signed(stub)])
    assert result.withdrawn == 1
    report = str(stub["id"])
    assert not _sees(engine, _viewer(people, "joc-watch"), report)
    # passed on: whoever this node could have served it to hears of it
    assert report in _tombstones(engine, _viewer(people, "joc-watch"))
    late = _receive(engine, _krg_report(FROZEN_NOW + timedelta(minutes=1)))
    assert late.results[1].stix_id == report
    assert late.results[1].outcome is Outcome.STALE, "older than the withdrawal"


def test_what_is_not_released_to_this_node_is_rejected(
    engine: Engine, people: dict[str, Account]
) -> None:
    result = _receive(engine, _krg_report(FROZEN_NOW, frozenset({"jcc"})))
    assert result.rejected == 2
    assert all("not releasable to joc" in (r.message or "") for r in result.results[1:])
    with reading(engine) as conn:
        assert objects.count(conn, node_viewer("joc", partner_parents(conn))) == 1  # marking


def test_bad_objects_are_rejected_one_by_one(engine: Engine, people: dict[str, Account]) -> None:
    good = _krg_report(FROZEN_NOW)
    unknown = {
        **good[1],
        "id": "report--7f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e",
        "object_marking_refs": [
            TLP_MARKING_IDS[Tlp.AMBER],
            "marking-definition--00000000-0000-4000-8000-000000000000",
        ],
    }
    result = _receive(engine, [*good, {"type": "report"}, "not an object", unknown])
    assert (result.created, result.rejected) == (2, 3)
    reasons = " ".join(r.message or "" for r in result.results if not r.ok)
    assert "unknown marking" in reasons


def test_copies_of_our_own_objects_are_ignored(engine: Engine, people: dict[str, Account]) -> None:
    report = _report(engine, people["joc-analyst"], Tlp.AMBER, {"krg"})
    with reading(engine) as conn:
        row = objects.latest(conn, _viewer(people, "joc-analyst"), report)
        assert row is not None
    echoed = orjson.loads(row.body)
    echoed["name"] = "rewritten by a relay"
    echoed["modified"] = stix.stix_time(LATER)
    definition = stix.releasability_marking({"krg"})
    result = _receive(engine, [definition, echoed])
    assert result.results[1].outcome is Outcome.UNCHANGED
    with reading(engine) as conn:
        kept = objects.latest(conn, _viewer(people, "joc-analyst"), report)
    assert kept is not None
    assert kept.name == "Cell"
    assert identity_id("joc") in kept.body


def test_a_node_receives_what_is_released_to_its_sub_organisations(engine: Engine) -> None:
    setup_node(engine, partner="krg")
    marking = Marking(Tlp.AMBER, "joc", frozenset({"krg-asayish"}))
    draft = ReportDraft(title="For Asayish", text="x", published=FROZEN_NOW)
    bodies = stix.report_objects(
        draft,
        report_id="report--8f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e",
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=marking,
    )
    definition = stix.releasability_marking({"krg-asayish"})
    assert definition is not None
    with writing(engine) as conn:
        result = exchange.receive(conn, Source("joc", "joc"), [definition, *bodies], LATER)
    assert (result.created, result.rejected) == (1, 0)


def test_a_poster_may_only_post_its_own_objects(engine: Engine, people: dict[str, Account]) -> None:
    bodies = _krg_report(FROZEN_NOW)
    with writing(engine) as conn:
        posted = exchange.receive(conn, Source("jcc", None, "jcc-node"), bodies, LATER)
        relayed = exchange.receive(conn, Source("jcc", "jcc", relay=True), bodies, LATER)
    assert posted.rejected == 2
    assert "not by the poster" in (posted.results[1].message or "")
    assert relayed.created == 2


def test_a_report_links_stored_incidents_marked_like_it(
    engine: Engine, people: dict[str, Account]
) -> None:
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", [make_row(source_id="4711")], FROZEN_NOW)
    draft = ReportDraft(
        title="Follow-up", text="x", published=FROZEN_NOW, incident_ids=("ucdp:4711",)
    )
    analyst = people["joc-analyst"].principal
    with writing(engine) as conn:
        report = exchange.create_report(
            conn, analyst, draft, Release(Tlp.AMBER, frozenset({"krg"})), FROZEN_NOW
        )
        row = objects.latest(conn, _viewer(people, "krg-analyst"), report)
        assert row is not None
        (incident,) = [r for r in row.ref_ids if r.startswith("incident--")]
        with pytest.raises(NotFound, match="ucdp:999"):
            bad = ReportDraft(title="x", text="", published=FROZEN_NOW, incident_ids=("ucdp:999",))
            exchange.create_report(conn, analyst, bad, Release(Tlp.AMBER), FROZEN_NOW)
    assert _sees(engine, _viewer(people, "krg-analyst"), incident)
    assert not _sees(engine, _viewer(people, "jcc-analyst"), incident)
    with writing(engine) as conn:
        exchange.mark(conn, analyst, report, Release(Tlp.AMBER, frozenset({"jcc"})), LATER)
    assert _sees(engine, _viewer(people, "jcc-analyst"), incident)
    assert not _sees(engine, _viewer(people, "krg-analyst"), incident)


def _stub(bodies: list[dict[str, Any]], at: Any) -> dict[str, Any]:
    stub = dict(bodies[1])
    stub["revoked"] = True
    stub["modified"] = stix.stix_time(at)
    return stub


def test_tombstones_are_idempotent_and_remembered(
    engine: Engine, people: dict[str, Account]
) -> None:
    report = "report--6f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e"
    definition = _krg_report(FROZEN_NOW)[0]
    stub = _signed(_stub(_krg_report(FROZEN_NOW), LATER))
    first = _receive(engine, [definition, stub])  # before the object itself: remembered
    again = _receive(engine, [definition, stub])  # the same tombstone through another relay
    assert first.rejected == again.rejected == 0
    late_copy = _receive(engine, _krg_report(FROZEN_NOW))
    assert late_copy.results[1].outcome is Outcome.STALE
    assert not _sees(engine, _viewer(people, "joc-watch"), report)


def test_a_restriction_tombstone_spares_partners_still_entitled(
    engine: Engine, people: dict[str, Account]
) -> None:
    report = "report--6f1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e"
    _receive(engine, _krg_report(LATER))  # we already hold the new (restricted) version
    restricted_for_others = _signed(
        _stub(_krg_report(FROZEN_NOW), LATER - timedelta(microseconds=1))
    )
    result = _receive(engine, [_krg_report(FROZEN_NOW)[0], restricted_for_others])
    assert result.withdrawn == 0
    assert _sees(engine, _viewer(people, "joc-watch"), report)


def test_statistics_can_be_refreshed_on_both_backends(engine: Engine) -> None:
    with writing(engine) as conn:
        objects.analyze(conn)
