"""The gate in front of Streamlit: one browser cannot empty everyone's caches; metrics need the token;
host-config tells someone not signed in nothing of the deployment; a link opened before signing in is where
the provider's return lands."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from itsdangerous import URLSafeTimedSerializer
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.gate import METRICS_TOKEN_VARIABLE, NEXT_COOKIE, Gate, page_to_return_to, refused_backmsg
from tests.servers import streamlit_server

COOKIE_SECRET = "a test cookie secret that is long enough"
# An origin only this deployment's configuration names (a city portal that embeds the app).
PORTAL = "https://portal.city.example"

# Streamlit recomputes the cache_memory_bytes metric at most this often (starlette_routes).
METRICS_REFRESH_SECONDS = 5.5
SCRIPT_TIMEOUT_SECONDS = 60


def cached_functions(base: str, token: str | None = None) -> int:
    """How many cached functions hold data, from the server's own metrics."""
    request = urllib.request.Request(f"{base}/_stcore/metrics",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return sum(line.startswith("cache_memory_bytes{") for line in text.splitlines())


def in_own_loop(coroutine) -> None:
    """Run a coroutine to its end in a thread of its own (the browser tests' driver may own this thread's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def run_then_clear_cache(base: str) -> None:
    """One websocket session runs the page, then sends Streamlit's clear-cache message."""
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as socket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        await socket.send(rerun.SerializeToString())
        deadline = time.monotonic() + SCRIPT_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(socket.recv(), SCRIPT_TIMEOUT_SECONDS))
            if message.WhichOneof("type") == "script_finished":
                break
        clear = BackMsg()
        clear.clear_cache = True
        await socket.send(clear.SerializeToString())
        await asyncio.sleep(0.5)


@pytest.mark.parametrize(("entry", "survives"), [("app.py", False), ("deploy/server.py", True)])
def test_a_websocket_client_cannot_empty_the_shared_cache_behind_the_gate(sqlite_city_url, entry, survives):
    # app.py served bare is the control: it shows the clear-cache message does empty the cache.
    with streamlit_server(sqlite_city_url, f"gate-{entry.replace('/', '-')}", entry=entry) as base:
        in_own_loop(run_then_clear_cache(base))
        time.sleep(METRICS_REFRESH_SECONDS)
        assert (cached_functions(base) > 0) is survives


def test_metrics_answer_only_the_operators_token_once_sign_in_is_configured(sqlite_city_url, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:1/oauth2callback"\ncookie_secret = "x"\n'
                       'client_id = "c"\nclient_secret = "s"\n'
                       'server_metadata_url = "http://localhost:1/.well-known/openid-configuration"\n')
    with streamlit_server(sqlite_city_url, "gate-metrics", extra_args=("--secrets.files", str(secrets)),
                          environment={METRICS_TOKEN_VARIABLE: "operators-token"}) as base:
        with pytest.raises(urllib.error.HTTPError) as refused:
            cached_functions(base)
        assert refused.value.code == 404
        with pytest.raises(urllib.error.HTTPError):
            cached_functions(base, "a guess")
        assert cached_functions(base, "operators-token") >= 0
    with streamlit_server(sqlite_city_url, "gate-metrics-open") as base:
        assert cached_functions(base) >= 0, "the open demo (loopback only) keeps its metrics"


def test_only_the_clear_cache_message_is_refused():
    clear, rerun = BackMsg(), BackMsg()
    clear.clear_cache = True
    rerun.rerun_script.query_string = "lang=en"
    assert refused_backmsg(clear.SerializeToString()) == "clear_cache"
    assert refused_backmsg(rerun.SerializeToString()) is None
    assert refused_backmsg(b"\xff\xfe not a message") is None and refused_backmsg(None) is None


def sign_in_secrets(tmp_path) -> str:
    """An [auth] section (its provider is never reached: these tests do not sign in through it)."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[auth]\nredirect_uri = "http://localhost:1/oauth2callback"\n'
                       f'cookie_secret = "{COOKIE_SECRET}"\nclient_id = "c"\nclient_secret = "s"\n'
                       'server_metadata_url = "http://localhost:1/.well-known/openid-configuration"\n')
    return str(secrets)


def user_cookie(secret: str, logged_in: bool = True) -> str:
    """Streamlit's sign-in cookie as st.login writes it: JSON signed by itsdangerous, salted with its name."""
    payload = json.dumps({"email": "x@example.gov.cn", "sub": "sub-x", "origin": "http://localhost:1",
                          "is_logged_in": logged_in, "provider": "default"})
    return "_streamlit_user=" + URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(payload)


def host_config(base: str, path: str = "/_stcore/host-config", cookie: str | None = None) -> dict:
    request = urllib.request.Request(f"{base}{path}", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_host_config_tells_someone_not_signed_in_nothing_of_the_deployment(sqlite_city_url, tmp_path):
    origins = ("--client.allowedOrigins", PORTAL)
    with streamlit_server(sqlite_city_url, "gate-host-config",
                          extra_args=("--secrets.files", sign_in_secrets(tmp_path), *origins)) as base:
        for cookie in (None, user_cookie("another secret"), user_cookie(COOKIE_SECRET, logged_in=False),
                       "_streamlit_user=not-signed"):
            anonymous = host_config(base, cookie=cookie)
            assert anonymous["allowedOrigins"] == [] and anonymous["metricsUrl"] == "", cookie
            assert PORTAL not in json.dumps(anonymous)
        assert host_config(base, cookie=user_cookie(COOKIE_SECRET))["allowedOrigins"] == [PORTAL]
        # The probe a deep link makes under its own path is still not found: the frontend finds its root.
        with pytest.raises(urllib.error.HTTPError) as probe:
            host_config(base, "/requests/_stcore/host-config")
        assert probe.value.code == 404
    with streamlit_server(sqlite_city_url, "gate-host-config-open", extra_args=origins) as base:
        assert host_config(base)["allowedOrigins"] == [PORTAL], "the open demo (loopback only) is unchanged"


def test_no_other_site_may_drive_the_app_from_a_frame_as_shipped(sqlite_city_url, tmp_path):
    # Streamlit's default lets pages of *.streamlit.app (anyone's apps) that frame the app send it commands
    # (rerun, stop, change page, page links' base URL); the shipped .streamlit/config.toml names no origin.
    from streamlit.config import _DEFAULT_ALLOWED_MESSAGE_ORIGINS

    assert "https://*.streamlit.app" in _DEFAULT_ALLOWED_MESSAGE_ORIGINS, "the default this test guards against"
    with streamlit_server(sqlite_city_url, "gate-host-config-shipped",
                          extra_args=("--secrets.files", sign_in_secrets(tmp_path))) as base:
        assert host_config(base, cookie=user_cookie(COOKIE_SECRET))["allowedOrigins"] == []
        assert host_config(base)["allowedOrigins"] == []
    with streamlit_server(sqlite_city_url, "gate-host-config-shipped-open") as base:
        assert host_config(base)["allowedOrigins"] == []


@pytest.mark.parametrize(("referer", "expected"), [
    ("http://app.example/requests?area=420102&lang=zh", "/requests?area=420102&lang=zh"),
    ("http://app.example/grid-map", "/grid-map"),
    ("http://app.example/", None),
    ("http://elsewhere.example/requests", None),
    ("http://app.example//elsewhere.example/x", None),
    ("http://app.example/\\elsewhere.example", None),
    ("http://app.example/_stcore/health", None),
    ("http://app.example/auth/login?provider=x", None),
    ("http://app.example/oauth2callback?code=1", None),
    (None, None),
])
def test_only_a_page_of_this_server_is_remembered_for_after_sign_in(referer, expected):
    assert page_to_return_to(referer, "app.example") == expected


def run_gate(path: str, headers: dict[str, str], location: str = "/") -> list[tuple[bytes, bytes]]:
    """The response headers the gate sends for a request that Streamlit answers with a redirect."""
    async def streamlit(scope, receive, send):
        await send({"type": "http.response.start", "status": 302, "headers": [(b"location", location.encode())]})
        await send({"type": "http.response.body", "body": b""})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    gate = Gate(streamlit, sign_in=lambda: True, metrics_token=lambda: None, base_path=lambda: "")
    scope = {"type": "http", "path": path, "headers": [(name.encode(), value.encode())
                                                       for name, value in headers.items()]}
    in_own_loop(gate(scope, receive, send))
    return sent[0]["headers"]


def test_the_providers_return_lands_on_the_link_opened_before_sign_in():
    started = run_gate("/auth/login", {"host": "app.example", "referer": "http://app.example/requests?area=1%202"},
                       location="http://idp.example/authorize")
    assert (b"location", b"http://idp.example/authorize") in started
    cookie = next(value.decode() for name, value in started if name == b"set-cookie")
    assert cookie.startswith(f"{NEXT_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    returned = run_gate("/oauth2callback", {"host": "app.example", "cookie": f"{NEXT_COOKIE}={value}"})
    assert (b"location", b"/requests?area=1%202") in returned
    assert any(name == b"set-cookie" and b"Max-Age=0" in value for name, value in returned)
    # A cookie naming another host is ignored, and without one the root stays the root.
    for planted in ("//elsewhere.example/x", "http://elsewhere.example/x", "/\\elsewhere.example"):
        assert (b"location", b"/") in run_gate("/oauth2callback", {"cookie": f"{NEXT_COOKIE}={planted}"})
    assert (b"location", b"/") in run_gate("/oauth2callback", {})
    # Sign-in started from the root forgets any older link.
    fresh = run_gate("/auth/login", {"host": "app.example", "referer": "http://app.example/"})
    assert any(name == b"set-cookie" and b"Max-Age=0" in value for name, value in fresh)
