"""The development OIDC provider is a standard one: discovery, its own login form, the code flow, signed tokens."""

from __future__ import annotations

import re
import socket
import urllib.parse

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from deploy.oidc_provider import OidcUser, running_provider

USERS = [OidcUser("sub-leader-1", "leader", "correct horse", "刘主任", "leader@example.org")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    redirect_uri = f"http://localhost:{free_port()}/oauth2callback"
    with running_provider(tmp_path_factory.mktemp("oidc"), free_port(), USERS, [redirect_uri]) as running:
        yield running, redirect_uri


def authorize(client: httpx.Client, issuer: str, client_id: str, redirect_uri: str) -> httpx.Response:
    """Start the code flow and follow the provider's redirects to its login form."""
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
                                    "scope": "openid profile email", "state": "s1", "nonce": "n1",
                                    "prompt": "login"})
    return client.get(f"{issuer}/auth?{query}", follow_redirects=True)


def submit_login(client: httpx.Client, issuer: str, form_page: httpx.Response, username: str, password: str):
    action = re.search(r'action="([^"]+)"', form_page.text).group(1)
    return client.post(f"{issuer}{action}", data={"username": username, "password": password})


def test_a_user_signs_in_through_the_login_form_and_gets_a_signed_id_token(provider):
    running, redirect_uri = provider
    metadata = httpx.get(running.metadata_url).json()
    assert metadata["issuer"] == running.issuer and "authorization_code" in metadata["grant_types_supported"]
    with httpx.Client() as client:
        form = authorize(client, running.issuer, running.client_id, redirect_uri)
        assert 'name="password"' in form.text
        wrong = submit_login(client, running.issuer, form, "leader", "wrong")
        assert wrong.status_code == 200 and "Wrong username or password" in wrong.text
        response = submit_login(client, running.issuer, wrong, "leader", "correct horse")
        # Through the provider's own redirects (resume, consent) to the app's callback, which is not followed.
        while response.status_code in (302, 303) and not response.headers["location"].startswith(redirect_uri):
            response = client.get(urllib.parse.urljoin(running.issuer, response.headers["location"]))
        location = urllib.parse.urlparse(response.headers["location"])
        query = dict(urllib.parse.parse_qsl(location.query))
        assert query["state"] == "s1" and "code" in query
        tokens = httpx.post(metadata["token_endpoint"], data={"grant_type": "authorization_code", "code": query["code"],
                                                              "redirect_uri": redirect_uri},
                            auth=(running.client_id, running.client_secret)).json()
    keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    claims = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (running.issuer, running.client_id, "n1")
    assert (claims["sub"], claims["name"], claims["email"]) == ("sub-leader-1", "刘主任", "leader@example.org")


def test_an_unknown_client_or_redirect_is_refused(provider):
    running, redirect_uri = provider
    with httpx.Client() as client:
        response = authorize(client, running.issuer, running.client_id, "http://localhost:1/elsewhere")
        assert response.status_code == 400 and "redirect_uri" in response.text
        response = authorize(client, running.issuer, "not-a-client", redirect_uri)
        assert response.status_code == 400


def test_the_sign_in_demo_puts_its_case_handler_in_a_street_of_its_staffs_district(loaded_engine, city_dir):
    from deploy.signin_demo import demo_areas
    from tests import expected

    district, street = demo_areas(loaded_engine)
    assert district == min(expected.areas(city_dir, "district")["code"])
    streets = expected.areas(city_dir, "street")["code"]
    assert street == min(streets[streets.str.startswith(district)])
