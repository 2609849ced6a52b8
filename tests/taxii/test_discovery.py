"""Discovery, the API root, credentials, media types and error bodies, over raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tansiq.sharing.taxii import reading
from tests.taxii.conftest import INTEL_URL, PASSWORD, ROOT, TAXII, Node, basic


def assert_taxii_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """A TAXII error resource with the real status, as TAXII JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII
    body: dict[str, Any] = response.json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


@pytest.mark.parametrize("path", ["/taxii2/", "/taxii2"])
def test_discovery_names_the_exchange_root(node: Node, path: str) -> None:
    response = node.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["title"]
    assert body["default"] == ROOT
    assert body["api_roots"] == [ROOT]


@pytest.mark.parametrize("path", [ROOT, ROOT.rstrip("/")])
def test_api_root_has_versions_and_max_content_length(node: Node, path: str) -> None:
    response = node.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["title"]
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] == 10 * 1024 * 1024


def test_a_slashless_path_is_served_not_redirected(node: Node) -> None:
    response = node.client.get(
        INTEL_URL + "objects", headers=node.headers("joc-analyst"), follow_redirects=False
    )
    assert response.status_code == 200


BAD_CREDENTIALS = [
    None,
    "Bearer tq_not-a-token",
    "Basic " + "bm90LWJhc2U2NA",
    basic("joc-approver", "wrong password!"),
    basic("nobody", PASSWORD),
    "Digest username=joc-analyst",
]


@pytest.mark.parametrize("path", ["/taxii2/", INTEL_URL + "objects/", "/taxii2/nowhere/"])
def test_missing_or_bad_credentials_are_401_with_a_challenge(node: Node, path: str) -> None:
    for authorization in BAD_CREDENTIALS:
        headers = {"Accept": TAXII}
        if authorization is not None:
            headers["Authorization"] = authorization
        for method in ("GET", "POST", "DELETE"):
            response = node.client.request(method, path, headers=headers)
            assert_taxii_error(response, 401)
            challenge = response.headers["www-authenticate"]
            assert 'Basic realm="tansiq"' in challenge
            assert 'Bearer realm="tansiq"' in challenge


@pytest.mark.parametrize(
    "authorization",
    [lambda n: basic("joc-approver", PASSWORD), lambda n: basic("joc-analyst", n.token)],
    ids=["password", "token"],
)
def test_basic_takes_a_password_or_a_token(node: Node, authorization: Any) -> None:
    account = node.people["joc-analyst"]
    headers = {"Accept": TAXII, "Authorization": authorization(account)}
    assert node.client.get("/taxii2/", headers=headers).status_code == 200


def test_taxii_and_lenient_accept_headers_are_served(node: Node) -> None:
    for accept in [
        TAXII,
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "*/*",
        "application/json",
        "application/json, text/plain, */*",
        "text/html;q=0.9, application/taxii+json;version=2.1",
    ]:
        headers = {**node.headers("joc-analyst"), "Accept": accept}
        response = node.client.get(INTEL_URL + "objects/", headers=headers)
        assert response.status_code == 200, accept
        assert response.headers["content-type"] == TAXII


def test_other_accept_headers_are_406(node: Node) -> None:
    for path in ["/taxii2/", ROOT, INTEL_URL, INTEL_URL + "objects/", f"{ROOT}status/x/"]:
        for accept in [
            "text/html",
            "application/taxii+json;version=2.0",
            "application/xml",
            "",
            "*/*;q=0",
        ]:
            headers = {**node.headers("joc-analyst"), "Accept": accept}
            assert_taxii_error(node.client.get(path, headers=headers), 406)


def test_unknown_paths_are_taxii_404s(node: Node) -> None:
    for path in [
        "/taxii2/nowhere/",
        "/taxii2/exchange/nowhere",
        "/taxii2/other-root/collections/",
        f"{INTEL_URL}objects/x/y/z/",
        f"{ROOT}status/",
    ]:
        assert_taxii_error(node.get(path), 404)


def test_wrong_methods_are_taxii_405s(node: Node) -> None:
    for method, path in [
        ("POST", "/taxii2/"),
        ("PUT", INTEL_URL + "objects/"),
        ("DELETE", ROOT),
        ("PATCH", ROOT),
        ("POST", INTEL_URL + "manifest"),
    ]:
        response = node.client.request(method, path, headers=node.headers("joc-analyst"))
        assert_taxii_error(response, 405)
        assert response.headers["allow"]


def test_a_crash_is_a_taxii_500_that_hides_the_cause(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reading, "objects_page", broken)
    response = node.get(INTEL_URL + "objects/")
    body = assert_taxii_error(response, 500)
    assert "secret internals" not in response.text
    assert body["error_id"]


def test_other_routes_keep_problem_json(node: Node) -> None:
    response = node.client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
