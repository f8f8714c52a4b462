"""The gate in front of Streamlit: one browser cannot empty everyone's caches; metrics need the token."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.gate import METRICS_TOKEN_VARIABLE, refused_backmsg
from tests.servers import streamlit_server

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
