"""The local production topology (deploy/cluster.py): idempotent start, nginx's maintenance page when no app
process answers, stop by process id, and a short load through nginx served by more than one process."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.load_test import LoadModel, read_sample_areas, run_round
from deploy.cluster import nginx_site, pid_alive, port_in_use

pytestmark = pytest.mark.cluster


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return ""


def test_start_again_changes_nothing_that_runs(cluster):
    before = cluster.status()
    cluster.start()
    after = cluster.status()
    assert after == before
    assert before["replication"] == "streaming"
    assert all(app["pid"] for app in before["apps"].values()) and before["nginx"] and before["primary"]


def test_a_browser_gets_a_route_cookie_once_and_the_app_through_nginx(cluster):
    status, body, headers = _get(cluster.url)
    assert status == 200 and "<html" in body.lower()
    assert headers["Set-Cookie"].startswith("cityscreen_route=") and "HttpOnly" in headers["Set-Cookie"]
    assert headers["Content-Security-Policy"] == "frame-ancestors 'self'" and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["X-Content-Type-Options"] == "nosniff"
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    request = urllib.request.Request(cluster.url + "_stcore/health", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"ok"
        assert not any(value.startswith("cityscreen_route=") for value in response.headers.get_all("Set-Cookie") or [])


def test_with_no_app_process_nginx_serves_the_maintenance_page_in_both_languages(cluster):
    cluster.stop_apps()
    try:
        status, body, headers = _get(cluster.url + "requests?lang=en")
        assert status == 502
        assert "系统维护中" in body and "Cityscreen is being updated" in body
        assert headers["Retry-After"] == "10"
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    finally:
        cluster.start()
    status, body, _headers = _get(cluster.url)
    assert status == 200 and "系统维护中" not in body


def test_stop_stops_every_process_it_started_by_its_id_and_start_brings_them_back(cluster):
    status = cluster.status()
    pids = [status["nginx"], status["primary"], status["replica"], *(app["pid"] for app in status["apps"].values())]
    ports = [cluster.ports.nginx, cluster.ports.primary, cluster.ports.replica, *cluster.ports.apps]
    cluster.stop()
    try:
        assert not [pid for pid in pids if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"], status
        assert not any(port_in_use(port) for port in ports)
        assert not list(cluster.layout.pids.glob("*.pid"))
        cluster.stop()  # nothing left: says so, fails not
    finally:
        cluster.start()
    assert all(pid_alive(app["pid"], "deploy/server.py") for app in cluster.status()["apps"].values())


def test_the_site_configuration_lists_every_upstream_with_passive_health_checks():
    site = nginx_site(["10.0.0.5:8501", "10.0.0.6:8501"], "443 ssl", "screen.example", Path("/srv/m"), True)
    assert "server 10.0.0.5:8501 max_fails=1 fail_timeout=10s;" in site
    assert "server 10.0.0.6:8501 max_fails=1 fail_timeout=10s;" in site
    assert "hash $cityscreen_route consistent;" in site and "; Secure" in site and "@" not in site


def test_a_short_load_through_nginx_has_no_errors_and_more_than_one_process_serves(cluster):
    model = LoadModel(staff=10, walls=2, seconds=30, think=3.0, refresh=3, page_timeout=60, seed=3)
    areas = read_sample_areas(cluster.primary_url, per_level=4)
    apps = {index: (pid, cluster.ports.apps[index - 1]) for index, pid in cluster.app_pids().items()}
    # The browser tests' driver may own this thread's event loop: the load runs in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(run_round, cluster.url.rstrip("/"), model, areas, apps, len(apps), 1).result()
    summary = result.summary()
    assert summary["errors"] == 0, [(run.name, run.error) for run in result.errors]
    assert summary["pages"] >= model.staff and summary["wall_refreshes"] >= 2 * (model.seconds // model.refresh) - 4
    served = [server for server in result.servers if server.sessions > 0 and server.cpu_seconds > 0.5]
    assert len(served) > 1, summary
