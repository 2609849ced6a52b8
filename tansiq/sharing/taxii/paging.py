"""Stateless keyset `next` tokens (INTEROP 1.6).

A token is `base64url(payload) "." base64url(mac)`: the payload holds the last row's
date_added (unique on the node, so no id is needed, and none leaks: the last row read may be
one the caller is not shown) and a hash of what the request selects (endpoint, collection, caller,
filters); the MAC is HMAC-SHA256 under a per-node secret. No server-side state and no expiry:
any worker serves the next page. A token that was altered, or that belongs to another request
(other filters, another collection or caller) is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any, Final

import orjson
from sqlalchemy.engine import Engine

from tansiq.app_state import per_app
from tansiq.sharing.taxii.errors import bad_request
from tansiq.store.partners import load_node_secret

SECRET_KEY: Final = "taxii_secret"
_MAC_BYTES: Final = 16


def node_key(state: Any, engine: Engine) -> bytes:
    """The node's token secret, read (or created) once per app and kept on `state`."""
    return per_app(state, "taxii_key", lambda: _load_key(engine))


def _load_key(engine: Engine) -> bytes:
    return load_node_secret(engine, SECRET_KEY, lambda: secrets.token_hex(32)).encode()


def selection_hash(*parts: object) -> str:
    """A short digest of everything a token is bound to."""
    return hashlib.sha256(orjson.dumps(list(parts))).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(key: bytes, selection: str, date_added: int) -> str:
    """The token for the page after the row added at `date_added` (unique on this node).

    It carries no object id: the last row read may be one the caller is not shown.
    """
    payload = orjson.dumps([date_added, selection])
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def resume(key: bytes, selection: str, token: str) -> int:
    """The date_added after which the next page starts; 400 for a bad or foreign token."""
    payload = _verified(key, token)
    try:
        date_added, bound = orjson.loads(payload)
    except (orjson.JSONDecodeError, ValueError, TypeError):
        raise bad_request("next: not a token this server issued") from None
    if bound != selection or not isinstance(date_added, int):
        raise bad_request("next: the token belongs to another request (other filters or path)")
    return date_added


def _verified(key: bytes, token: str) -> bytes:
    encoded, _, mac = token.partition(".")
    try:
        payload, signature = _unb64(encoded), _unb64(mac)
    except (binascii.Error, ValueError):
        raise bad_request("next: not a token this server issued") from None
    if not hmac.compare_digest(signature, _mac(key, payload)):
        raise bad_request("next: the token was altered or not issued by this server")
    return payload
