"""A real outage: the wall talks to PostgreSQL through a loopback proxy, which the test cuts and restores."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from sqlalchemy.engine import make_url

from data_access.db import create_db_engine
from data_access.ingest import load_directory
from tests.browser.conftest import ARTIFACTS, streamlit_server, wait_for_app
from tests.conftest import TEST_SCHEMAS, drop_engine, make_empty_engine, postgres_url


class LoopbackProxy:
    """Forwards 127.0.0.1:port to the database; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener: socket.socket | None = None
        self.open_sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def restore(self) -> None:
        """Listen again on the same port."""
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(32)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listener and every forwarded connection: the database is unreachable."""
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
            self.listener.close()
            self.listener = None
        with self.lock:
            for connection in self.open_sockets:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self.open_sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open_sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()


@pytest.fixture
def proxied_postgres(city_dir, tmp_path):
    """The test city in a fresh PostgreSQL schema, and a proxy in front of the server."""
    engine = make_empty_engine("postgresql", tmp_path)
    load_directory(city_dir, engine)
    schema_name = TEST_SCHEMAS[id(engine)]
    server = make_url(postgres_url())
    proxy = LoopbackProxy(server.host or "127.0.0.1", server.port or 5432)
    proxy.restore()
    url = server.set(port=proxy.port).render_as_string(hide_password=False)
    url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema_name}"
    yield url, proxy
    proxy.cut()
    drop_engine(engine)


def test_the_wall_survives_an_unreachable_database(browser, proxied_postgres):
    url, proxy = proxied_postgres
    with streamlit_server(url, "streamlit-outage") as base:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(f"{base}/?mode=wall&refresh=2")
        wait_for_app(page)
        page.evaluate("window.__sameDocument = true")
        tiles = page.locator("[data-testid='wall-tile']").first.inner_text()
        proxy.cut()
        page.wait_for_selector("[data-testid='wall-stale']", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stAlert']").count() == 0
        assert page.locator("[data-testid='wall-tile']").first.inner_text() == tiles
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "wall-outage.png"))
        proxy.restore()
        page.wait_for_selector("[data-testid='wall-stale']", state="detached", timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True
        context.close()


def test_a_slow_database_turns_into_a_stale_badge(browser, proxied_postgres):
    url, _proxy = proxied_postgres
    blocker = create_db_engine(url)
    with streamlit_server(url, "streamlit-slow") as base:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        page.goto(f"{base}/?mode=wall&refresh=2")
        wait_for_app(page)
        connection = blocker.connect()
        transaction = connection.begin()
        # Every wall query now waits on this lock: the database is up but far too slow.
        connection.exec_driver_sql("LOCK TABLE work_orders IN ACCESS EXCLUSIVE MODE")
        try:
            page.wait_for_selector("[data-testid='wall-stale']", timeout=30_000)
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stAlert']").count() == 0
        finally:
            transaction.rollback()
            connection.close()
        page.wait_for_selector("[data-testid='wall-stale']", state="detached", timeout=30_000)
        context.close()
    blocker.dispose()
