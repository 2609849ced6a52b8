"""Ed25519 signatures inside STIX objects: what they cover, and what breaks them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from stix2validator import (  # type: ignore[import-untyped]
    ValidationOptions,
    validate_instance,
)

from tansiq.domain.markings import Marking, Tlp, identity_id
from tansiq.domain.reports import ReportDraft
from tansiq.errors import BadSignature, InvalidInput
from tansiq.sharing import signing, stix
from tansiq.sharing.signing import Signature, SigningKey
from tests.conftest import FROZEN_NOW

KEY = SigningKey.generate()
JOC = identity_id("joc")


def _tombstone() -> dict[str, Any]:
    """A report of joc's as its node tombstones it: its last version, revoked."""
    draft = ReportDraft(title="Checkpoint moved", text="north of Kirkuk", published=FROZEN_NOW)
    report = stix.report_objects(
        draft,
        report_id="report--2b7c5d3e-1a90-4d2f-8a51-6b0e4c1e9f0a",
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=Marking(Tlp.AMBER, "joc", frozenset({"krg"})),
    )[0]
    later = stix.stix_time(FROZEN_NOW + timedelta(hours=1))
    return {**report, "revoked": True, "modified": later}


def _signed(obj: dict[str, Any], key: SigningKey = KEY) -> dict[str, Any]:
    return signing.signed(obj, Signature(JOC, key.sign(signing.canonical(obj))))


def _verifies(obj: dict[str, Any], key: str = KEY.public()) -> bool:
    (signature,) = signing.signatures(obj)
    return signing.verifies(signing.canonical(obj), signature, key)


def test_a_signed_tombstone_verifies_with_the_signers_key() -> None:
    sealed = _signed(_tombstone())
    assert _verifies(sealed)
    extension = sealed["extensions"][stix.SIGNATURE_EXTENSION_ID]
    assert extension["extension_type"] == "property-extension"
    assert extension["signer"] == JOC


def test_it_still_carries_its_other_extensions_and_passes_the_validator() -> None:
    plain = _tombstone()
    sealed = _signed(plain)
    assert set(sealed["extensions"]) == {*plain.get("extensions", {}), stix.SIGNATURE_EXTENSION_ID}
    results = validate_instance(sealed, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]


def test_the_signature_extension_is_defined_in_every_bundle() -> None:
    definitions = {o["id"]: o for o in stix.extension_objects()}
    found = definitions[stix.SIGNATURE_EXTENSION_ID]
    assert found["extension_types"] == ["property-extension"]
    assert found["schema"].endswith("docs/stix-extensions.md#signature")


def _retimed(obj: dict[str, Any]) -> dict[str, Any]:
    """One byte of `modified` changed (a later second)."""
    modified = obj["modified"]
    second = int(modified[17:19])
    return {**obj, "modified": f"{modified[:17]}{(second + 1) % 60:02d}{modified[19:]}"}


def _renamed(obj: dict[str, Any]) -> dict[str, Any]:
    """One byte of the id changed: the tombstone of another object."""
    stix_id = obj["id"]
    last = "0" if stix_id[-1] != "0" else "1"
    return {**obj, "id": stix_id[:-1] + last}


@pytest.mark.parametrize("tamper", [_retimed, _renamed], ids=["modified", "id"])
def test_changing_one_byte_breaks_the_signature(tamper: Any) -> None:
    sealed = _signed(_tombstone())
    tampered = tamper(sealed)
    assert orjson.dumps(tampered) != orjson.dumps(sealed)
    assert not _verifies(tampered)


def test_another_key_does_not_verify() -> None:
    sealed = _signed(_tombstone())
    assert not _verifies(sealed, SigningKey.generate().public())
    forged = _signed(_tombstone(), SigningKey.generate())
    assert not _verifies(forged)


def test_the_canonical_form_ignores_key_order_and_spacing() -> None:
    plain = _tombstone()
    reordered = dict(reversed(list(plain.items())))
    assert list(reordered) != list(plain)
    assert signing.canonical(reordered) == signing.canonical(plain)
    wire = orjson.dumps(_signed(plain), option=orjson.OPT_INDENT_2)
    assert _verifies(dict(reversed(list(orjson.loads(wire).items()))))


def test_the_canonical_form_leaves_the_signature_out() -> None:
    plain = _tombstone()
    assert signing.canonical(_signed(plain)) == signing.canonical(plain)
    assert signing.unsigned(_signed(plain)) == plain
    bare = {k: v for k, v in plain.items() if k != "extensions"}
    assert "extensions" not in signing.unsigned(_signed(bare)), "no empty extensions left"


def test_a_relay_adds_its_signature_beside_the_originators() -> None:
    relay_key = SigningKey.generate()
    plain = _tombstone()
    form = signing.canonical(plain)
    first = Signature(JOC, KEY.sign(form))
    relay = Signature(identity_id("jcc"), relay_key.sign(form))
    both = signing.signed(plain, first, relay)
    assert signing.signatures(both) == [first, relay]
    assert signing.verifies(signing.canonical(both), relay, relay_key.public())


@pytest.mark.parametrize(
    "extension",
    [
        "a string",
        {"extension_type": "property-extension", "signer": JOC},
        {"extension_type": "property-extension", "signature": "abc"},
        {"extension_type": "property-extension", "signer": JOC, "signature": 7},
    ],
    ids=["not-an-object", "no-signature", "no-signer", "not-text"],
)
def test_a_malformed_signature_extension_is_refused(extension: Any) -> None:
    obj = {**_tombstone(), "extensions": {stix.SIGNATURE_EXTENSION_ID: extension}}
    with pytest.raises(BadSignature, match="signature extension"):
        signing.signatures(obj)


@pytest.mark.parametrize(
    "value",
    ["", "!!!", "A" * 86, KEY.sign(b"x")[:-4]],
    ids=["empty", "not-base64", "wrong-length", "truncated"],  # the key is random: fixed ids,
)  # so that every xdist worker collects the same tests
def test_a_malformed_signature_does_not_verify(value: str) -> None:
    assert not signing.verifies(b"x", Signature(JOC, value), KEY.public())


def test_public_keys_are_text_and_checked() -> None:
    text = KEY.public()
    assert text.startswith("ed25519:")
    assert len(text) == len("ed25519:") + 43  # 32 bytes, base64url without padding
    assert signing.check_public_key(text) == text
    assert SigningKey.from_secret(KEY.secret()).public() == text
    for bad in ("", "ed25519:", "rsa:" + text[8:], text[:-2], text + "AAAA", text + "="):
        with pytest.raises(InvalidInput):
            signing.check_public_key(bad)
