"""A node's people in one call: partners joc, krg (with krg-asayish), jcc, and users of each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.domain.reports import Role
from tansiq.store.database import writing
from tansiq.store.partners import add_partner, set_node_partner
from tests.conftest import FROZEN_NOW

PARTNERS = (
    ("joc", "Joint Operations Command", None),
    ("krg", "Kurdistan Region Security Council", None),
    ("krg-asayish", "Asayish", "krg"),
    ("jcc", "Joint Coordination Centre", None),
)
USERS = (
    ("joc-analyst", "joc", Role.ANALYST),
    ("joc-watch", "joc", Role.WATCH),
    ("krg-analyst", "krg", Role.ANALYST),
    ("asayish-analyst", "krg-asayish", Role.ANALYST),
    ("jcc-analyst", "jcc", Role.ANALYST),
    ("krg-node", "krg", Role.PEER),
    ("jcc-node", "jcc", Role.PEER),
)


@dataclass(frozen=True)
class Account:
    principal: Principal
    token: str


def setup_node(engine: Engine, partner: str = "joc") -> dict[str, Account]:
    """Partners and users on a node owned by `partner`; the accounts by user name."""
    found = {}
    with writing(engine) as conn:
        for code, name, parent in PARTNERS:
            add_partner(conn, code, name, parent, FROZEN_NOW)
        set_node_partner(conn, partner)
        for name, code, role in USERS:
            user, token = accounts.create_user(conn, name, code, role, None, FROZEN_NOW)
            found[name] = Account(accounts.principal(conn, user), token)
    return found
