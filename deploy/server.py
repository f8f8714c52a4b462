"""The production entry point: `streamlit run deploy/server.py` serves app.py behind the gate (deploy/gate.py).

`make run` and every deployment start this file rather than app.py, so no browser can clear the shared caches
and the metrics need the operators' token once sign-in is configured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# `streamlit run deploy/server.py` puts deploy/ on the path, not the project that app.py imports from.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from deploy.collector import start_collector  # noqa: E402
from deploy.gate import Gate, metrics_token_from_environment  # noqa: E402


def _sign_in_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


start_collector()

# Each session runs app.py's main through deploy/session_script.py (no pages/ folder beside it: see there).
app = st.App(PROJECT_ROOT / "deploy" / "session_script.py", middleware=[
    Middleware(Gate, sign_in=_sign_in_configured, metrics_token=metrics_token_from_environment)])
