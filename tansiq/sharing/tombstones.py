"""Signed tombstones: every tombstone this node serves is signed by it, and a tombstone it
receives changes something only if a partner it trusts for it signed it.

**Serving** (`seal`) happens at serve time, on the TAXII `withdrawals` pages: they are small,
and each reader's tombstone is cut to what the reader may see (render_rows) before it is
signed, so the signature covers exactly the bytes the reader gets. A relay that holds the
originator's signature of that very body passes it on, as `signer`, and adds its own as
`relayed_by`; otherwise this node is the `signer`.

**Receiving** (`check`, then `keep`): a tombstone is applied only with a valid signature by the
pinned key of the delivering peer (the peer pulled from, named on import, or posting to the
inbox) or of the originator (or of the node hosting it: a sub-organisation's parent). Anything
else is refused with the reason and changes nothing. A verified originator's signature is kept
to be passed on.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.engine import Connection

from tansiq.domain.markings import identity_id, person_viewer
from tansiq.errors import BadSignature
from tansiq.sharing import signing, stix
from tansiq.sharing.signing import Signature, SigningKey
from tansiq.store import keys
from tansiq.store import signatures as kept_signatures
from tansiq.store.objects import StoredRow
from tansiq.store.partners import node_partner, partner_parents

Rendered = list[tuple[StoredRow, bytes]]


def seal(conn: Connection, key: SigningKey, rendered: Rendered) -> Rendered:
    """The tombstones as served: each body signed by this node (see the module docstring)."""
    if not rendered:
        return rendered
    here = identity_id(node_partner(conn))
    passed = kept_signatures.kept(conn, [(row.stix_id, row.version) for row, _ in rendered])
    out = []
    for row, body in rendered:
        obj = signing.unsigned(orjson.loads(body))
        form = signing.canonical(obj)
        own = Signature(here, key.sign(form))
        origin = passed.get((row.stix_id, row.version, signing.digest(form)))
        if origin is None or origin[0] == here:
            out.append((row, orjson.dumps(signing.signed(obj, own))))
        else:
            out.append((row, orjson.dumps(signing.signed(obj, Signature(*origin), own))))
    return out


def _vouchers(parents: dict[str, str | None], deliverer: str, originator: str) -> dict[str, str]:
    """Who may sign a tombstone of `originator`'s object delivered by `deliverer`, by identity
    id: the deliverer, the originator and the partners above it."""
    above = person_viewer(originator, parents).codes
    return {identity_id(code): code for code in {deliverer, *above}}


def check(conn: Connection, deliverer: str, obj: dict[str, Any], originator: str) -> Signature:
    """The signature that vouches for a received tombstone; BadSignature saying why none does."""
    found = signing.signatures(obj)
    parents = partner_parents(conn)
    vouchers = _vouchers(parents, deliverer, originator)
    names = " or ".join(sorted(set(vouchers.values())))
    if not found:
        raise BadSignature(f"{obj['id']}: unsigned tombstone; it must be signed by {names}")
    pins = keys.pinned(conn, vouchers.values())
    form = signing.canonical(obj)
    known = {identity_id(code): code for code in parents}
    problems = []
    for signature in found:
        code = vouchers.get(signature.signer)
        if code is None:
            who = known.get(signature.signer, signature.signer)
            problems.append(f"signed by {who}, who may not vouch for it (only {names} may)")
        elif code not in pins:
            problems.append(f"signed by {code}, whose key is not pinned here (tansiq peers key)")
        elif signing.verifies(form, signature, pins[code]):
            return signature
        else:
            problems.append(f"the signature by {code} does not verify with its pinned key")
    raise BadSignature(f"{obj['id']}: tombstone refused: {'; '.join(problems)}")


def keep(conn: Connection, obj: dict[str, Any], signature: Signature, originator: str) -> None:
    """Keep the originator's verified signature of a received tombstone, to pass it on."""
    above = person_viewer(originator, partner_parents(conn)).codes
    if signature.signer not in {identity_id(code) for code in above}:
        return
    version = stix.to_micros(stix.parse_stix_time(str(obj.get("modified", obj["created"]))))
    key = (str(obj["id"]), version, signing.digest(signing.canonical(obj)))
    kept_signatures.keep(conn, key, signature.signer, signature.value)
