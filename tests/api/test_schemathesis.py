"""schemathesis against the node's own OpenAPI document, logged in: no request it generates,
valid or not, gets a server error (issue 4: "no 5xx for any generated request").

Each operation of `/openapi.json` gets its own Hypothesis run of cases schemathesis draws from
the document (schemathesis's pytest plugin does not load under this pytest, so the operations
are walked here).
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import writing
from tansiq.store.incidents import upsert_incidents
from tests.conftest import FROZEN_NOW
from tests.factories import make_row
from tests.nodes import setup_node

pytestmark = pytest.mark.slow

EXAMPLES = 25
"""Cases per operation."""


def test_no_generated_request_gets_a_server_error(
    engine: Engine, settings: Settings, locator: AreaLocator
) -> None:
    token = setup_node(engine)["joc-analyst"].token
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", [make_row(date_start=date(2017, 3, 1))], FROZEN_NOW)
    app = create_app(settings, engine=engine, locator=locator, background_validation=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10, "the OpenAPI document lists the node's operations"
    failures = []
    for operation in operations:
        try:
            _no_server_error(operation.as_strategy(), token)
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n".join(failures)


def _no_server_error(cases: st.SearchStrategy[schemathesis.Case], token: str) -> None:
    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        where = f"{case.method} {case.formatted_path}"
        assert response.status_code < 500, f"{where}: {response.text[:300]}"

    check()
