"""Start and stop the development OpenID Connect provider (deploy/oidc, panva's oidc-provider on Node.js).

Used by the tests and by `make signin-demo`; a city points Cityscreen at its own provider instead
(docs/security.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
READY_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class OidcUser:
    """A person the provider can sign in: `sub` is what the app keys roles by."""

    sub: str
    username: str
    password: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    pid: int

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def install_packages() -> None:
    """`npm ci` in deploy/oidc when its node_modules are missing (the npm registry only)."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("Node.js and npm are needed for the sign-in provider (apt-get install nodejs npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=PROVIDER_DIR, check=True)


@contextlib.contextmanager
def running_provider(work_dir: Path, port: int, users: list[OidcUser], redirect_uris: list[str],
                     client_id: str = "cityscreen", client_secret: str | None = None,
                     host: str = "localhost") -> Iterator[RunningProvider]:
    """Run the provider on loopback until the block ends; stopped by its process id."""
    install_packages()
    client_secret = client_secret or os.urandom(16).hex()
    issuer = f"http://{host}:{port}"
    config = {
        "issuer": issuer, "port": port,
        "clients": [{"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris,
                     "post_logout_redirect_uris": [uri.rsplit("/", 1)[0] + "/" for uri in redirect_uris]}],
        "users": [{key: value for key, value in vars(user).items() if value is not None} for user in users],
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    config_path = work_dir / "oidc-provider.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    config_path.chmod(0o600)
    log = open(work_dir / "oidc-provider.log", "w")  # noqa: SIM115 (closed when the provider stops)
    process = subprocess.Popen(["node", str(PROVIDER_DIR / "provider.mjs"), str(config_path)], cwd=PROVIDER_DIR,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        running = RunningProvider(issuer, client_id, client_secret, process.pid)
        _wait_until_ready(running, process)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _wait_until_ready(provider: RunningProvider, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited with {process.returncode}")
        try:
            with urllib.request.urlopen(provider.metadata_url, timeout=2) as response:
                if json.load(response).get("issuer") == provider.issuer:
                    return
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            time.sleep(0.2)
    raise RuntimeError(f"the OIDC provider did not answer at {provider.metadata_url}")


def auth_secrets(provider: RunningProvider, redirect_uri: str, cookie_secret: str) -> str:
    """The `[auth]` section of .streamlit/secrets.toml for this provider (what st.login reads)."""
    return (f'[auth]\nredirect_uri = "{redirect_uri}"\ncookie_secret = "{cookie_secret}"\n'
            f'client_id = "{provider.client_id}"\nclient_secret = "{provider.client_secret}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
            # oidc-provider refuses Streamlit's default prompt=select_account.
            '[auth.client_kwargs]\nprompt = "login"\nscope = "openid profile email"\n')
