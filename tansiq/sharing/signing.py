"""Ed25519 signatures inside STIX objects: keys as text, the canonical form, the extension.

Each partner node has one Ed25519 key pair (made by `tansiq init`, kept in its database). Its
partners pin the public key and check signatures against the pin, never against a key that
arrives with the signed object. Today tombstones are signed (tansiq.sharing.tombstones), so
that nobody who can post or relay can forge a withdrawal.

**Canonical form.** What is signed is the object without the signature extension (and without
`extensions` at all when that was its only member), serialised by orjson with
`OPT_SORT_KEYS`: keys sorted at every depth, no whitespace, UTF-8, numbers as orjson writes
them. Both ends parse the JSON and serialise it again, so key order and spacing on the wire do
not matter, while any changed value (one byte of `modified`, of the id) breaks the signature.

**Extension** (`stix.SIGNATURE_EXTENSION_ID`, docs/stix-extensions.md#signature):
`signer` (the signing partner's identity id) and `signature`; optionally `relayed_by` and
`relay_signature`, when a node passes on the originator's signature and vouches for the object
itself too. Both signatures cover the same canonical form.

**Keys as text**: `ed25519:` and the base64url (unpadded) of the 32 raw public key bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tansiq.errors import BadSignature, InvalidInput
from tansiq.sharing.stix import SIGNATURE_EXTENSION_ID

KEY_PREFIX: Final = "ed25519:"
_KEY_BYTES: Final = 32
_SIGNATURE_BYTES: Final = 64


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict base64url without padding; binascii.Error for anything else."""
    if not text.isascii() or "=" in text:
        raise binascii.Error("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """This node's private key. `secret()` is what the database keeps; never print it."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_secret(cls, text: str) -> SigningKey:
        try:
            raw = _unb64(text)
        except (binascii.Error, ValueError):
            raise InvalidInput("the node's stored signing key is damaged") from None
        if len(raw) != _KEY_BYTES:
            raise InvalidInput("the node's stored signing key is damaged")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def secret(self) -> str:
        return _b64(self.private.private_bytes_raw())

    def public(self) -> str:
        """The public key as text, for partners to pin."""
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return KEY_PREFIX + _b64(raw)

    def sign(self, data: bytes) -> str:
        return _b64(self.private.sign(data))


def public_key(text: str) -> Ed25519PublicKey:
    """A public key from its text form; InvalidInput saying what is wrong with it."""
    if not isinstance(text, str) or not text.startswith(KEY_PREFIX):
        raise InvalidInput(f"a public key looks like {KEY_PREFIX}<base64url>, not {text!r:.60}")
    try:
        raw = _unb64(text.removeprefix(KEY_PREFIX))
    except (binascii.Error, ValueError):
        raise InvalidInput(f"public key {text!r:.60} is not base64url") from None
    if len(raw) != _KEY_BYTES:
        raise InvalidInput(f"public key {text!r:.60} is not 32 bytes: it is not an Ed25519 key")
    return Ed25519PublicKey.from_public_bytes(raw)


def check_public_key(text: str) -> str:
    """`text` if it is a well-formed public key (see `public_key`)."""
    public_key(text)
    return text


@dataclass(frozen=True, slots=True)
class Signature:
    """Who signed (a partner's identity id) and the signature (base64url)."""

    signer: str
    value: str


def unsigned(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without the signature extension (a shallow copy when it had one)."""
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict) or SIGNATURE_EXTENSION_ID not in extensions:
        return obj
    rest = {k: v for k, v in extensions.items() if k != SIGNATURE_EXTENSION_ID}
    copy = {k: v for k, v in obj.items() if k != "extensions"}
    if rest:
        copy["extensions"] = rest
    return copy


def canonical(obj: dict[str, Any]) -> bytes:
    """The bytes a signature covers: see the module docstring."""
    return orjson.dumps(unsigned(obj), option=orjson.OPT_SORT_KEYS)


def digest(canonical_form: bytes) -> str:
    """SHA-256 of a canonical form, hex: how a relay recognises a body it holds a signature of."""
    return hashlib.sha256(canonical_form).hexdigest()


def signed(obj: dict[str, Any], first: Signature, relay: Signature | None = None) -> dict[str, Any]:
    """A copy of `obj` carrying these signatures (and no other signature extension)."""
    body = unsigned(obj)
    extension = {"extension_type": "property-extension", "signer": first.signer}
    extension["signature"] = first.value
    if relay is not None:
        extension["relayed_by"] = relay.signer
        extension["relay_signature"] = relay.value
    extensions = dict(body.get("extensions") or {})
    extensions[SIGNATURE_EXTENSION_ID] = extension
    return {**body, "extensions": extensions}


def signatures(obj: dict[str, Any]) -> list[Signature]:
    """The signatures an object carries, first the signer's, then the relay's; [] if none.

    Raises BadSignature for an extension of the wrong shape (nothing is trusted from it).
    """
    extensions = obj.get("extensions")
    found = extensions.get(SIGNATURE_EXTENSION_ID) if isinstance(extensions, dict) else None
    if found is None:
        return []
    if not isinstance(found, dict):
        raise BadSignature(f"{obj.get('id')}: the signature extension is not a JSON object")
    pairs = [("signer", "signature"), ("relayed_by", "relay_signature")]
    out = []
    for who, what in pairs:
        signer, value = found.get(who), found.get(what)
        if signer is None and value is None and who != "signer":
            continue
        if not isinstance(signer, str) or not isinstance(value, str):
            raise BadSignature(f"{obj.get('id')}: the signature extension needs {who} and {what}")
        out.append(Signature(signer, value))
    return out


def verifies(canonical_form: bytes, signature: Signature, key: str) -> bool:
    """Whether `signature` is `key`'s over these bytes (False for a malformed signature)."""
    try:
        raw = _unb64(signature.value)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != _SIGNATURE_BYTES:
        return False
    try:
        public_key(key).verify(raw, canonical_form)
    except InvalidSignature:
        return False
    return True
