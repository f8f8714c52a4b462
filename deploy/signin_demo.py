"""`make signin-demo`: the dashboard with sign-in, on one machine — a real OpenID Connect provider on loopback,
demo users of every role in the demo city, and a wall key. Ctrl-C stops everything it started.

Usage: python -m deploy.signin_demo [--port 8501] [--provider-port 9400]
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from data_access import access, migrate
from data_access.areas import read_areas
from data_access.db import DEFAULT_DATABASE_URL, create_db_engine, has_data
from data_access.roles import Viewer
from data_access.scope import AreaScope
from deploy.oidc_provider import OidcUser, auth_secrets, running_provider

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = PROJECT_ROOT / "var" / "signin-demo"
SETUP = Viewer("cli:signin-demo", "admin")


def demo_people(district: str, street: str) -> list[tuple[OidcUser, str | None, str | None]]:
    """(provider user, role in the app or None for a stranger, area) for each demo person."""
    return [
        (OidcUser("demo-leader", "leader", "leader-demo", "刘主任 (Leader)"), "leader", None),
        (OidcUser("demo-staff", "staff", "staff-demo", "王芳 (Area staff)"), "staff", district),
        (OidcUser("demo-handler", "handler", "handler-demo", "李强 (Case handler)"), "case_handler", street),
        (OidcUser("demo-guest", "guest", "guest-demo", "访问团 (Guest)"), "guest", None),
        (OidcUser("demo-admin", "admin", "admin-demo", "系统管理员 (Administrator)"), "admin", None),
        (OidcUser("demo-stranger", "stranger", "stranger-demo", "陌生人 (no role)"), None, None),
    ]


def demo_areas(engine) -> tuple[str, str]:
    """The demo staff's district and the demo case handler's street in it (the first of each)."""
    district = read_areas(engine, "district", with_geometry=False)["code"].iloc[0]
    street = read_areas(engine, "street", AreaScope.of(district), with_geometry=False)["code"].iloc[0]
    return district, street


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--provider-port", type=int, default=9400)
    arguments = parser.parse_args(argv)
    engine = create_db_engine(DEFAULT_DATABASE_URL)
    if not has_data(engine):
        print("the demo database is empty: run `make demo-db` first", file=sys.stderr)
        return 2
    migrate.upgrade(engine)
    people = demo_people(*demo_areas(engine))
    for user, role, area in people:
        if role is not None:
            access.assign_role(engine, SETUP, user.sub, role, area, user.name)
    wall_token = access.create_wall_key(engine, SETUP, "sign-in demo wall")
    engine.dispose()

    app_url = f"http://localhost:{arguments.port}"
    redirect_uri = f"{app_url}/oauth2callback"
    with running_provider(WORK_DIR, arguments.provider_port, [user for user, _, _ in people],
                          [redirect_uri]) as provider:
        secrets_path = WORK_DIR / "secrets.toml"
        secrets_path.write_text(auth_secrets(provider, redirect_uri, secrets.token_urlsafe(32)), encoding="utf-8")
        secrets_path.chmod(0o600)
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "deploy/server.py", "--server.address", "127.0.0.1",
             "--server.port", str(arguments.port), "--server.headless", "true",
             "--secrets.files", str(secrets_path)], cwd=PROJECT_ROOT)
        print(f"\nCityscreen with sign-in: {app_url}  (identity provider: {provider.issuer})")
        for user, role, area in people:
            print(f"  {user.username:9} / {user.password:14} {role or 'no role':13} {area or ''}")
        print(f"  wall display: {app_url}/?mode=wall&key={wall_token}\nCtrl-C stops the app and the provider.")
        try:
            while app.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            with contextlib.suppress(ProcessLookupError):
                app.send_signal(signal.SIGTERM)
            app.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
