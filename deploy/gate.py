"""An ASGI gate in front of Streamlit: what one browser may not do to everyone else's sessions, and what an
anonymous client may not read.

- Streamlit's "clear cache" message (BackMsg clear_cache) empties the data cache of every session in the
  process; any websocket client can send it. The gate drops it: figures expire by their own TTL.
- `/_stcore/metrics` describes sessions and caches; once sign-in is configured it answers only a request
  carrying the operators' bearer token (CITYSCREEN_METRICS_TOKEN), and is not found for anyone else.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg

log = logging.getLogger("cityscreen.gate")
METRICS_TOKEN_VARIABLE = "CITYSCREEN_METRICS_TOKEN"
REFUSED_MESSAGES = frozenset({"clear_cache"})

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


class Gate:
    """ASGI middleware; `sign_in` says whether an identity provider is configured."""

    def __init__(self, app, sign_in: Callable[[], bool], metrics_token: Callable[[], str | None]):
        self.app = app
        self.sign_in = sign_in
        self.metrics_token = metrics_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._filtered(receive), send)
            return
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith("/_stcore/metrics") \
                and not self._metrics_allowed(scope):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"not found"})
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
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"authorization", b"").decode("latin-1")
        return hmac.compare_digest(offered, f"Bearer {token}")


def metrics_token_from_environment() -> str | None:
    return os.environ.get(METRICS_TOKEN_VARIABLE) or None
