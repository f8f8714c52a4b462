"""An ASGI gate in front of Streamlit: what one browser may not do to everyone else's sessions, what an
anonymous client may not read, and where a person lands after signing in.

- Streamlit's "clear cache" message (BackMsg clear_cache) empties the data cache of every session in the
  process; any websocket client can send it. The gate drops it: figures expire by their own TTL.
- `/_stcore/metrics` describes sessions and caches; once sign-in is configured it answers only a request
  carrying the operators' bearer token (CITYSCREEN_METRICS_TOKEN), and is not found for anyone else.
- `/_stcore/host-config` is read by Streamlit's frontend before it draws anything, the sign-in page included.
  Once sign-in is configured, someone not signed in gets a fixed answer with nothing of this deployment in
  it (no allowed origins, no metrics URL); the server's own answer goes only to a request carrying a valid
  sign-in cookie (Streamlit's `_streamlit_user`, signed with the `[auth]` cookie_secret).
- A link opened before signing in (/requests?area=…) is remembered when the sign-in starts (`/auth/login`,
  from the page's Referer, same origin only) and the provider's return (`/oauth2callback`), which Streamlit
  always sends to the app's root, is sent there instead.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import cookie_parser
from streamlit.proto.BackMsg_pb2 import BackMsg

log = logging.getLogger("cityscreen.gate")
METRICS_TOKEN_VARIABLE = "CITYSCREEN_METRICS_TOKEN"
REFUSED_MESSAGES = frozenset({"clear_cache"})
# Streamlit's sign-in cookie (streamlit/web/server/starlette/starlette_server_config.py USER_COOKIE_NAME).
USER_COOKIE = "_streamlit_user"
# Where a link opened before signing in pointed, kept from the start of the sign-in to the provider's return.
NEXT_COOKIE = "cityscreen_next"
NEXT_COOKIE_SECONDS = 600
NEXT_MAX_CHARS = 2000
# What Streamlit's frontend needs of host-config to draw a page: its own defaults, nothing of this deployment
# (streamlit/web/server/starlette/starlette_routes.py create_host_config_routes, with no origins).
ANONYMOUS_HOST_CONFIG = {
    "allowedOrigins": [],
    "useExternalAuthToken": False,
    "enableCustomParentMessages": False,
    "enforceDownloadInNewTab": False,
    "metricsUrl": "",
    "blockErrorDialogs": False,
    "resourceCrossOriginMode": None,
}
# Paths that are Streamlit's machinery, never a page to come back to.
NOT_A_PAGE = ("/_stcore", "/auth/", "/oauth2callback", "/media/", "/component/", "/app/static/")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def refused_backmsg(data: bytes | None) -> str | None:
    """The type of a websocket frame's BackMsg when the gate refuses it, else None (unparsable frames pass:
    Streamlit closes the connection on them itself)."""
    if not data:
        return None
    message = BackMsg()
    try:
        message.ParseFromString(data)
    except Exception:
        return None
    kind = message.WhichOneof("type")
    return kind if kind in REFUSED_MESSAGES else None


def streamlit_signed_in(cookies: dict[str, str]) -> bool:
    """True when the cookies carry Streamlit's sign-in cookie, signed with this server's cookie secret and
    saying the person is logged in (decoded by Streamlit's own functions, chunked cookies included)."""
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    if USER_COOKIE not in cookies:
        return False
    secret = get_cookie_secret()

    def decoded(name: str) -> bytes | None:
        value = cookies.get(name)
        return None if value is None else decode_signed_value(secret, name, value.encode("latin-1"))

    try:
        payload = json.loads(get_cookie_with_chunks(decoded, USER_COOKIE) or b"null")
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("is_logged_in") is True


def page_to_return_to(referer: str | None, host: str | None) -> str | None:
    """The path and query of a same-origin page (the Referer of a sign-in), or None for anything else."""
    if not referer or not host:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.netloc != host:
        return None
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return target if safe_page_path(target) else None


def safe_page_path(target: str) -> bool:
    """A path on this server (never another host: no '//' or backslash), a page rather than machinery."""
    return (0 < len(target) <= NEXT_MAX_CHARS and target.isascii() and target.startswith("/")
            and not target.startswith("//") and "\\" not in target
            and not any(character < " " for character in target)
            and target != "/" and not any(part in target.split("?")[0] for part in NOT_A_PAGE))


def _base_path() -> str:
    """Streamlit's server.baseUrlPath as '' or '/base'."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _cookies(scope: Scope) -> dict[str, str]:
    header = dict(scope.get("headers") or []).get(b"cookie", b"")
    return cookie_parser(header.decode("latin-1"))


def _header(scope: Scope, name: bytes) -> str | None:
    value = dict(scope.get("headers") or []).get(name)
    return None if value is None else value.decode("latin-1")


class Gate:
    """ASGI middleware; `sign_in` says whether an identity provider is configured."""

    def __init__(self, app, sign_in: Callable[[], bool], metrics_token: Callable[[], str | None],
                 signed_in: Callable[[dict[str, str]], bool] = streamlit_signed_in,
                 base_path: Callable[[], str] = _base_path):
        self.app = app
        self.sign_in = sign_in
        self.metrics_token = metrics_token
        self.signed_in = signed_in
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._filtered(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.rstrip("/").endswith("/_stcore/metrics") and not self._metrics_allowed(scope):
            await _answer(send, 404, b"text/plain; charset=utf-8", b"not found")
            return
        if not self.sign_in():
            await self.app(scope, receive, send)
            return
        base = self.base_path()
        if path == f"{base}/_stcore/host-config" and not self.signed_in(_cookies(scope)):
            await _answer(send, 200, b"application/json", json.dumps(ANONYMOUS_HOST_CONFIG).encode(),
                          [(b"cache-control", b"no-cache")])
            return
        if path == f"{base}/auth/login":
            target = page_to_return_to(_header(scope, b"referer"), _header(scope, b"host"))
            await self.app(scope, receive, _remembering(send, target, base))
            return
        if path == f"{base}/oauth2callback":
            target = unquote(_cookies(scope).get(NEXT_COOKIE, ""))
            await self.app(scope, receive, _returning(send, target if safe_page_path(target) else None, base))
            return
        await self.app(scope, receive, send)

    def _filtered(self, receive: Receive) -> Receive:
        async def next_message() -> Message:
            while True:
                message = await receive()
                refused = message["type"] == "websocket.receive" and refused_backmsg(message.get("bytes"))
                if not refused:
                    return message
                log.warning("dropped a %s message from a websocket client", refused)
        return next_message

    def _metrics_allowed(self, scope: Scope) -> bool:
        if not self.sign_in():
            return True  # the open demo listens on loopback only
        token = self.metrics_token()
        if not token:
            return False
        offered = _header(scope, b"authorization") or ""
        return hmac.compare_digest(offered, f"Bearer {token}")


async def _answer(send: Send, status: int, content_type: bytes, body: bytes,
                  headers: list[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


def _next_cookie(base: str, value: str, max_age: int) -> tuple[bytes, bytes]:
    return (b"set-cookie", f"{NEXT_COOKIE}={value}; Path={base or '/'}; HttpOnly; SameSite=Lax; "
                           f"Max-Age={max_age}".encode("latin-1"))


def _remembering(send: Send, target: str | None, base: str) -> Send:
    """Send the sign-in's redirect to the provider with a cookie holding the page to come back to."""
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            cookie = _next_cookie(base, quote(target, safe="/?&="), NEXT_COOKIE_SECONDS) \
                if target else _next_cookie(base, "", 0)
            message = {**message, "headers": [*message.get("headers", []), cookie]}
        await send(message)
    return sending


def _returning(send: Send, target: str | None, base: str) -> Send:
    """Send the provider's return, which Streamlit points at the root, to the remembered page instead."""
    root = {f"{base}/".encode(), (base or "/").encode()}

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and target:
            headers = list(message.get("headers", []))
            if message["status"] in (302, 303, 307) and any(
                    name.lower() == b"location" and value in root for name, value in headers):
                headers = [(name, target.encode("latin-1") if name.lower() == b"location" else value)
                           for name, value in headers]
            message = {**message, "headers": [*headers, _next_cookie(base, "", 0)]}
        await send(message)
    return sending


def metrics_token_from_environment() -> str | None:
    return os.environ.get(METRICS_TOKEN_VARIABLE) or None
