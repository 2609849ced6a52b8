"""The object store's bulk write: the same rows and audiences as storing versions one by one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq.domain.markings import Marking, Tlp
from tansiq.sharing import stix
from tansiq.store import objects
from tansiq.store.database import reading, writing
from tansiq.store.schema import stix_objects
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

AMBER_KRG = Marking(Tlp.AMBER, "joc", frozenset({"krg"}))
GREEN = Marking(Tlp.GREEN, "joc")
RED_JCC = Marking(Tlp.RED, "joc", frozenset({"jcc", "krg"}))


def _version(stix_id: str, marking: Marking, minute: int = 0) -> objects.NewVersion:
    when = stix.stix_time(FROZEN_NOW.replace(minute=minute))
    body = {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": stix_id,
        "created": when,
        "modified": when,
        "name": stix_id[-4:],
    }
    return objects.NewVersion.of(body, stix.to_micros(FROZEN_NOW) + minute, marking)


def test_a_mixed_batch_gives_each_version_exactly_its_own_audience(engine: Engine) -> None:
    setup_node(engine)
    ids = [f"intrusion-set--00000000-0000-4000-8000-00000000000{i}" for i in range(6)]
    markings = [AMBER_KRG, AMBER_KRG, GREEN, AMBER_KRG, RED_JCC, RED_JCC]
    batch = [_version(i, m) for i, m in zip(ids, markings, strict=True)]
    batch.append(_version(ids[2], RED_JCC, minute=1))  # a newer version of one in the batch
    with writing(engine) as conn:
        outcomes = objects.put_many(conn, batch, stix.to_micros(FROZEN_NOW))
    assert outcomes == [objects.Outcome.CREATED] * 6 + [objects.Outcome.UPDATED]

    with reading(engine) as conn:
        o = stix_objects
        found = conn.execute(sa.select(o.c.pk, o.c.stix_id, o.c.latest).where(o.c.kind == "object"))
        rows = found.all()
        audiences = objects.audiences(conn, [pk for pk, _, _ in rows])
    latest = {stix_id: audiences[pk] for pk, stix_id, is_latest in rows if is_latest}
    older = [audiences[pk] for pk, _, is_latest in rows if not is_latest]
    expected = [m.audience() for m in markings]
    expected[2] = RED_JCC.audience()
    assert [latest[i] for i in ids] == expected
    assert older == [GREEN.audience()]  # widening leaves the older version as it was
