"""`GET /api/node`: which partner this node belongs to, and the key its tombstones are signed with.

Public on purpose, like a certificate: a partner's `tansiq sync` asks it before pulling, to pin
the key on first use or to refuse a key that changed, and an administrator can compare it with
what `tansiq node key` printed. It tells nothing that a signed tombstone does not.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Connection

from tansiq.api.deps import read_conn
from tansiq.sharing.keys import app_node_key
from tansiq.sharing.signing import SigningKey
from tansiq.store.partners import node_partner

router = APIRouter(tags=["node"])


def _signing_key(request: Request) -> SigningKey:
    return app_node_key(request.app.state, request.app.state.engine)


@router.get("/api/node")
def node(
    key: Annotated[SigningKey, Depends(_signing_key)],
    conn: Annotated[Connection, Depends(read_conn)],
) -> dict[str, str]:
    """The node's partner code and public signing key; 503 before `tansiq init --partner`."""
    return {"partner": node_partner(conn), "public_key": key.public()}
