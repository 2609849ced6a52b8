"""Signed tombstones on a joc node, both backends: which received tombstones change something,
and how the tombstones this node serves are signed (its own, and relayed ones)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy.engine import Engine

from tansiq.domain.markings import Marking, Tlp, Viewer, identity_id
from tansiq.domain.reports import ReportDraft
from tansiq.sharing import exchange, keys, signing, stix, tombstones
from tansiq.sharing.exchange import Release, Source
from tansiq.sharing.signing import Signature, SigningKey
from tansiq.store import objects
from tansiq.store.database import reading, writing
from tansiq.store.objects import Query
from tests.conftest import FROZEN_NOW
from tests.factories import sign_as
from tests.nodes import Account, setup_node

LATER = FROZEN_NOW + timedelta(hours=1)
REPORT = "report--9a1c1b0e-5d1e-4c1c-9d1e-2f1c1b0e5d1e"
KRG_KEY = SigningKey.generate()
JCC_KEY = SigningKey.generate()


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    """A joc node that has pinned krg's and jcc's keys (not joc's own: it needs none)."""
    found = setup_node(engine)
    with writing(engine) as conn:
        keys.pin(conn, "krg", KRG_KEY.public(), FROZEN_NOW, "test")
        keys.pin(conn, "jcc", JCC_KEY.public(), FROZEN_NOW, "test")
    return found


def _report(origin: str = "krg", to: frozenset[str] = frozenset({"joc"})) -> list[dict[str, Any]]:
    """A report of `origin`'s released to `to`, with its marking definition."""
    draft = ReportDraft(title="Checkpoint moved", text="north of Kirkuk", published=FROZEN_NOW)
    bodies = stix.report_objects(
        draft,
        report_id=REPORT,
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=Marking(Tlp.AMBER, origin, to),
    )
    definition = stix.releasability_marking(to)
    assert definition is not None
    return [definition, *bodies]


def _tombstone(origin: str = "krg", to: frozenset[str] = frozenset({"joc"})) -> dict[str, Any]:
    """The report as its node tombstones it (`modified` always to the microsecond)."""
    stamp = LATER.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {**_report(origin, to)[1], "revoked": True, "modified": stamp}


def _receive(engine: Engine, bodies: list[Any], source: Source) -> exchange.ReceiveSummary:
    with writing(engine) as conn:
        return exchange.receive(conn, source, bodies, LATER)


def _held(engine: Engine, viewer: Viewer) -> bool:
    with reading(engine) as conn:
        return objects.latest(conn, viewer, REPORT) is not None


FROM_KRG = Source("krg", "krg", relay=True)
FROM_JCC = Source("jcc", "jcc", relay=True)


@pytest.mark.parametrize(
    ("seal", "source", "reason"),
    [
        (lambda t: t, FROM_KRG, "unsigned tombstone; it must be signed by krg"),
        (
            lambda t: sign_as(t, "krg", SigningKey.generate()),
            FROM_KRG,
            "the signature by krg does not verify with its pinned key",
        ),
        (lambda t: sign_as(t, "jcc", JCC_KEY), FROM_KRG, "signed by jcc, who may not vouch"),
        (lambda t: sign_as(t, "joc", KRG_KEY), FROM_KRG, "signed by joc, who may not vouch"),
        (
            lambda t: sign_as(t, "krg-asayish", KRG_KEY),
            FROM_JCC,
            "signed by krg-asayish, who may not vouch for it (only jcc or krg may)",
        ),
        (
            lambda t: sign_as(t, "krg-asayish", KRG_KEY),
            Source("krg-asayish", "krg-asayish", relay=True),
            "signed by krg-asayish, whose key is not pinned here",
        ),
    ],
    ids=["unsigned", "forged", "a-third-partner", "ourselves", "sub-org", "unpinned"],
)
def test_a_tombstone_nobody_trusted_signed_changes_nothing(
    engine: Engine, people: dict[str, Account], seal: Any, source: Source, reason: str
) -> None:
    _receive(engine, _report(), FROM_KRG)
    result = _receive(engine, [seal(_tombstone())], source)
    assert (result.withdrawn, result.rejected) == (0, 1)
    assert reason in (result.results[0].message or ""), result.results[0].message
    assert _held(engine, people["joc-watch"].principal.viewer), "the report must stay"
    with reading(engine) as conn:
        assert objects.tombstones_for(conn, REPORT) == []


def test_a_tombstone_of_an_object_not_held_is_checked_too(
    engine: Engine, people: dict[str, Account]
) -> None:
    """A withdrawal that arrives before the object is remembered only when signed: else a
    forged one could keep the real object out."""
    forged = _receive(engine, [sign_as(_tombstone(), "krg", JCC_KEY)], FROM_KRG)
    assert forged.rejected == 1
    assert _receive(engine, _report(), FROM_KRG).created == 1
    assert _held(engine, people["joc-watch"].principal.viewer)


def test_the_originators_signature_withdraws(engine: Engine, people: dict[str, Account]) -> None:
    _receive(engine, _report(), FROM_KRG)
    result = _receive(engine, [sign_as(_tombstone(), "krg", KRG_KEY)], FROM_KRG)
    assert (result.withdrawn, result.rejected) == (1, 0)
    assert not _held(engine, people["joc-watch"].principal.viewer)


def test_a_relays_own_signature_withdraws(engine: Engine, people: dict[str, Account]) -> None:
    """jcc lost sight of krg's report and passes that on, signed by itself alone."""
    _receive(engine, _report(), FROM_KRG)
    result = _receive(engine, [sign_as(_tombstone(), "jcc", JCC_KEY)], FROM_JCC)
    assert (result.withdrawn, result.rejected) == (1, 0)


def test_a_sub_organisations_tombstone_is_signed_by_its_partners_node(
    engine: Engine, people: dict[str, Account]
) -> None:
    _receive(engine, _report("krg-asayish"), FROM_KRG)
    stone = sign_as(_tombstone("krg-asayish"), "krg", KRG_KEY)
    assert _receive(engine, [stone], FROM_JCC).withdrawn == 1


def test_the_originators_signature_is_enough_whoever_delivers_it(
    engine: Engine, people: dict[str, Account]
) -> None:
    _receive(engine, _report(), FROM_KRG)
    from_a_file = Source("joc", "file:withdrawals.json", relay=True)
    result = _receive(engine, [sign_as(_tombstone(), "krg", KRG_KEY)], from_a_file)
    assert (result.withdrawn, result.rejected) == (1, 0)


def test_a_partner_posting_to_the_inbox_must_sign_its_tombstones(
    engine: Engine, people: dict[str, Account]
) -> None:
    _receive(engine, _report(), FROM_KRG)
    posted = Source("krg", None, "krg-node")
    unsigned = _receive(engine, [_tombstone()], posted)
    assert unsigned.rejected == 1
    assert "unsigned tombstone" in (unsigned.results[0].message or "")
    signed = _receive(engine, [sign_as(_tombstone(), "krg", KRG_KEY)], posted)
    assert signed.withdrawn == 1


def test_the_nodes_own_users_withdraw_without_a_signature(
    engine: Engine, people: dict[str, Account]
) -> None:
    analyst = people["joc-analyst"].principal
    with writing(engine) as conn:
        summary = exchange.publish(conn, analyst, _report("joc", frozenset({"krg"})), FROZEN_NOW)
        assert summary.created == 1
        done = exchange.publish(conn, analyst, [_tombstone("joc", frozenset({"krg"}))], LATER)
    assert done.withdrawn == 1


# --- serving --------------------------------------------------------------------------------------

JOC_KEY = SigningKey.generate()


def _served(engine: Engine, viewer: Viewer) -> list[dict[str, Any]]:
    """The tombstones this node serves the viewer, as the TAXII withdrawals collection does."""
    with reading(engine) as conn:
        rows = objects.page(conn, viewer, Query(kind="tombstone", limit=100)).rows
        sealed = tombstones.seal(conn, JOC_KEY, exchange.render_rows(conn, viewer, rows))
    return [orjson.loads(body) for _, body in sealed]


def _checked(stone: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each signature's signer and whether it verifies with that partner's key."""
    by_identity = {identity_id(c): k for c, k in (("joc", JOC_KEY), ("krg", KRG_KEY))}
    form = signing.canonical(stone)
    return [
        (s.signer, signing.verifies(form, s, by_identity[s.signer].public()))
        for s in signing.signatures(stone)
    ]


def test_this_node_signs_the_tombstones_of_its_own_objects(
    engine: Engine, people: dict[str, Account]
) -> None:
    analyst = people["joc-analyst"].principal
    draft = ReportDraft(title="Raid", text="x", published=FROZEN_NOW)
    with writing(engine) as conn:
        report = exchange.create_report(
            conn, analyst, draft, Release(Tlp.AMBER, frozenset({"krg"})), FROZEN_NOW
        )
        exchange.withdraw(conn, analyst, report, LATER)
    (stone,) = _served(engine, people["krg-node"].principal.viewer)
    assert stone["id"] == report
    assert stone["revoked"] is True
    assert _checked(stone) == [(identity_id("joc"), True)]


def test_a_relay_passes_the_originators_signature_on_with_its_own(
    engine: Engine, people: dict[str, Account]
) -> None:
    """krg's report reached joc and jcc through joc: krg's signature of the withdrawal reaches
    jcc through joc, beside joc's."""
    both = frozenset({"joc", "jcc"})
    _receive(engine, _report("krg", both), FROM_KRG)
    result = _receive(engine, [sign_as(_tombstone("krg", both), "krg", KRG_KEY)], FROM_KRG)
    assert result.withdrawn == 1
    (stone,) = _served(engine, people["jcc-node"].principal.viewer)
    assert _checked(stone) == [(identity_id("krg"), True), (identity_id("joc"), True)]
    extension = stone["extensions"][stix.SIGNATURE_EXTENSION_ID]
    assert extension["relayed_by"] == identity_id("joc")


def test_a_relay_signs_alone_what_the_originator_did_not_sign(
    engine: Engine, people: dict[str, Account]
) -> None:
    """Signed by jcc (the deliverer), not by krg: joc vouches for it itself."""
    both = frozenset({"joc", "jcc"})
    _receive(engine, _report("krg", both), FROM_KRG)
    _receive(engine, [sign_as(_tombstone("krg", both), "jcc", JCC_KEY)], FROM_JCC)
    (stone,) = _served(engine, people["jcc-node"].principal.viewer)
    assert _checked(stone) == [(identity_id("joc"), True)]


def test_a_kept_signature_goes_only_with_the_body_it_signs(
    engine: Engine, people: dict[str, Account]
) -> None:
    with writing(engine) as conn:
        tombstones.keep(
            conn,
            _tombstone(),
            Signature(identity_id("krg"), KRG_KEY.sign(b"another body")),
            "krg",
        )
        rows = [(_row(_tombstone()), orjson.dumps({**_tombstone(), "name": "changed"}))]
        (sealed,) = tombstones.seal(conn, JOC_KEY, rows)
    assert _checked(orjson.loads(sealed[1])) == [(identity_id("joc"), True)]


def _row(body: dict[str, Any]) -> objects.StoredRow:
    return objects.StoredRow(
        pk=0,
        stix_id=body["id"],
        stix_type=body["type"],
        version=stix.to_micros(stix.parse_stix_time(body["modified"])),
        date_added=0,
        originator="krg",
        tlp=Tlp.AMBER,
        body=orjson.dumps(body).decode(),
        ref_ids=(),
        peer="krg",
        name=None,
    )
