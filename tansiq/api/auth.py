"""Who is calling: a Bearer token, or HTTP Basic with a password or token.

`Token` is read like `Bearer`: taxii2-client's TokenAuth sends that scheme.

Every route that reads or writes marked objects depends on `caller`; a missing or wrong
credential is a 401 with a WWW-Authenticate challenge, and says nothing about what exists.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Connection

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.api.deps import read_conn
from tansiq.errors import Unauthorized


def authenticate(conn: Connection, header: str | None) -> Principal:
    """The principal for an Authorization header value, or Unauthorized."""
    scheme, _, value = (header or "").partition(" ")
    found: Principal | None = None
    if scheme.lower() in ("bearer", "token") and value:
        found = accounts.by_token(conn, value.strip())
    elif scheme.lower() == "basic" and value:
        name, secret = _basic(value.strip())
        found = accounts.by_password(conn, name, secret) if name else None
    if found is None:
        raise Unauthorized("send a valid API token (Authorization: Bearer ...) or Basic login")
    return found


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    name, _, secret = decoded.partition(":")
    return name, secret


def caller(request: Request, conn: Annotated[Connection, Depends(read_conn)]) -> Principal:
    return authenticate(conn, request.headers.get("authorization"))


Caller = Annotated[Principal, Depends(caller)]
