"""The local production topology on one machine's loopback: a PostgreSQL primary and a streaming replica,
N app processes (`streamlit run deploy/server.py`) and nginx in front of them.

Usage: python -m deploy.cluster start [--apps 2] [--first-port 8600] | stop | status
       python -m deploy.cluster nginx-site --upstream HOST:PORT ...   (for a real server)
(`make cluster` / `make cluster-stop`). Everything lives under var/cluster/ (--root): data directories, logs, pid
files, the generated nginx configuration. `start` is idempotent: it starts what is not running, loads the demo
city into the primary when it is empty, and with another --apps starts or stops app processes and reloads nginx.
`stop` stops, by process id, everything `start` started. docs/deploy.md maps each piece onto real servers.

Long module: the whole life of one topology (its folders and ports, PostgreSQL, the app processes, nginx, stop and
status) in one file an operator can read top to bottom; the nginx site itself is a template in deploy/nginx/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deploy.health import wait_healthy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = PROJECT_ROOT / "var" / "cluster"
NGINX_TEMPLATES = Path(__file__).resolve().parent / "nginx"
MAINTENANCE_PAGE = "cityscreen-maintenance.html"
DATABASE = "cityscreen"
REPLICATION_SLOT = "cityscreen_replica"
# The first of the loopback ports: nginx, the primary, the replica, then one per app process.
DEFAULT_FIRST_PORT = 8600
DEFAULT_APPS = 2
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15
# initdb refuses to run as root: as root, PostgreSQL runs as this operating-system user (Debian's packages make it).
POSTGRES_OS_USER = "postgres"


class ClusterError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass
class Ports:
    """The loopback ports of one topology, fixed when it is first started (kept in state.json)."""

    nginx: int
    primary: int
    replica: int
    apps: list[int] = field(default_factory=list)

    @classmethod
    def from_first(cls, first: int, apps: int) -> Ports:
        return cls(first, first + 1, first + 2, [first + 3 + index for index in range(apps)])


@dataclass(frozen=True)
class Layout:
    """Where everything of one topology lives."""

    root: Path

    @property
    def primary(self) -> Path:
        return self.root / "primary"

    @property
    def replica(self) -> Path:
        return self.root / "replica"

    @property
    def sockets(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def nginx(self) -> Path:
        return self.root / "nginx"

    @property
    def city(self) -> Path:
        return self.root / "city"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def cookie_secret(self) -> Path:
        return self.root / "cookie_secret"

    def app_pid(self, index: int) -> Path:
        return self.pids / f"app-{index}.pid"


def postgres_url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"


def postgres_bin() -> Path:
    """The newest PostgreSQL server binaries Debian installed (or $CITYSCREEN_PG_BIN)."""
    configured = os.environ.get("CITYSCREEN_PG_BIN")
    candidates = [Path(configured)] if configured else sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name) if
        path.parent.name.isdigit() else 0, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_basebackup").exists():
            return candidate
    raise ClusterError("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found under "
                       "/usr/lib/postgresql/*/bin: run `make cluster-packages` as root (Debian's postgresql), "
                       "or set CITYSCREEN_PG_BIN")


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None)
    if not found:
        raise ClusterError("nginx not found: run `make cluster-packages` as root (Debian's nginx)")
    return found


def _as_postgres(command: list[str]) -> list[str]:
    """The command run as the PostgreSQL operating-system user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", POSTGRES_OS_USER, "--", *command]


def _run(command: list[str], what: str, timeout: float = START_TIMEOUT_SECONDS) -> str:
    """Run a command to its end; a failure raises ClusterError with what it printed."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise ClusterError(f"{what}: no answer after {timeout:.0f} s ({' '.join(command)})") from error
    if done.returncode != 0:
        raise ClusterError(f"{what} failed ({' '.join(command)}):\n{(done.stderr or done.stdout).strip()}")
    return done.stdout


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int | None, expected: str) -> bool:
    """True when the process exists and its command line contains `expected` (a reused pid is not ours)."""
    if not pid:
        return False
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return expected in command_line


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def stop_pid(pid: int, name: str, sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal one process by its id and wait for it to end (SIGKILL after STOP_TIMEOUT_SECONDS)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        time.sleep(0.1)
    if Path(f"/proc/{pid}").exists() and _state_of(pid) != "Z":
        print(f"{name} (pid {pid}) did not stop within {STOP_TIMEOUT_SECONDS} s: killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _state_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return ""


class Cluster:
    """One topology under `root`; `apps` app processes; `scale` of the demo city loaded when the primary is empty
    (or the input files in `city_dir`)."""

    def __init__(self, root: Path = DEFAULT_ROOT, first_port: int | None = None, apps: int | None = None,
                 scale: str = "demo", city_dir: Path | None = None, secrets_file: Path | None = None):
        self.layout = Layout(Path(root).resolve())
        self.scale = scale
        self.city_dir = city_dir
        # Every app process reads the same secrets ([auth] and its cookie_secret): a signed-in browser moved to
        # another process stays signed in. Default: the project's .streamlit/secrets.toml, as Streamlit reads it.
        self.secrets_file = secrets_file
        saved = self._saved_ports()
        count = apps if apps is not None else (len(saved.apps) if saved else DEFAULT_APPS)
        if count < 1:
            raise ClusterError("--apps must be at least 1")
        if saved and first_port not in (None, saved.nginx):
            raise ClusterError(f"{self.layout.root} was set up with ports from {saved.nginx}; stop it and remove "
                               f"the folder to use {first_port}")
        base = saved.nginx if saved else (first_port or DEFAULT_FIRST_PORT)
        self.ports = Ports.from_first(base, count)

    # --- state -------------------------------------------------------------------------------------------
    def _saved_ports(self) -> Ports | None:
        try:
            return Ports(**json.loads(self.layout.state.read_text())["ports"])
        except FileNotFoundError:
            return None

    def _save_state(self) -> None:
        self.layout.state.write_text(json.dumps({"ports": asdict(self.ports)}, indent=2) + "\n")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.nginx}/"

    @property
    def primary_url(self) -> str:
        return postgres_url(self.ports.primary)

    @property
    def replica_url(self) -> str:
        return postgres_url(self.ports.replica)

    # --- start -------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start whatever is not running; print the URL."""
        bin_dir, nginx = postgres_bin(), nginx_binary()
        if not self.layout.state.exists():
            wanted = [self.ports.nginx, self.ports.primary, self.ports.replica, *self.ports.apps]
            taken = [port for port in wanted if port_in_use(port)]
            if taken:
                raise ClusterError(f"loopback port(s) {', '.join(map(str, taken))} of {wanted[0]}-{wanted[-1]} are "
                                   "taken by other programs: choose another range with --first-port "
                                   "(make cluster CLUSTER_FIRST_PORT=...)")
        self._prepare_folders()
        self._save_state()
        self._start_postgres(self.layout.primary, self.ports.primary, "primary", bin_dir, self._init_primary)
        self._create_database()
        self._load_city()
        self._start_postgres(self.layout.replica, self.ports.replica, "replica", bin_dir, self._make_replica)
        self._wait_streaming()
        self._reconcile_apps()
        self._start_nginx(nginx)
        self._wait_answering()
        print(f"Cityscreen: {self.url}  (primary {self.primary_url}, replica {self.replica_url}; "
              f"`make cluster-stop` stops it)")

    def _prepare_folders(self) -> None:
        layout = self.layout
        for folder in (layout.root, layout.logs, layout.pids, layout.nginx, layout.nginx / "temp", layout.sockets):
            folder.mkdir(parents=True, exist_ok=True)
        # The PostgreSQL user must reach its data directories and write its socket and logs.
        layout.root.chmod(0o755)
        if os.geteuid() == 0:
            user = pwd.getpwnam(POSTGRES_OS_USER)
            for folder in (layout.sockets, layout.logs):
                os.chown(folder, user.pw_uid, user.pw_gid)
            layout.logs.chmod(0o755)
            probe = subprocess.run(_as_postgres(["test", "-w", str(layout.sockets)]), check=False)
            if probe.returncode != 0:
                raise ClusterError(f"the {POSTGRES_OS_USER} user cannot reach {layout.sockets}: every folder above "
                                   f"{layout.root} must be searchable by others (chmod o+x), or use --root")
        if not layout.cookie_secret.exists():
            layout.cookie_secret.write_text(secrets.token_hex(32))
            layout.cookie_secret.chmod(0o600)

    def _postgres_running(self, data: Path, bin_dir: Path) -> bool:
        if not (data / "PG_VERSION").exists():
            return False
        return subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "status", "-D", str(data)]),
                              capture_output=True, check=False).returncode == 0

    def _start_postgres(self, data: Path, port: int, name: str, bin_dir: Path, create) -> None:
        if self._postgres_running(data, bin_dir):
            print(f"{name}: running on 127.0.0.1:{port}")
            return
        if port_in_use(port):
            raise ClusterError(f"{name}: port {port} is taken by another program (start with --first-port)")
        if not (data / "PG_VERSION").exists():
            create(data, bin_dir)
        _run(_as_postgres([str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                           "-l", str(self.layout.logs / f"{name}.log")]), f"starting the {name}")
        print(f"{name}: started on 127.0.0.1:{port}")

    def _settings(self, port: int) -> str:
        return (f"\n# Cityscreen's local topology (deploy/cluster.py)\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{self.layout.sockets}'\nmax_connections = 200\n"
                "wal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n"
                # A replica answering a dashboard query delays replay up to this long rather than cancel it.
                "max_standby_streaming_delay = 5s\nhot_standby_feedback = on\n")

    def _init_primary(self, data: Path, bin_dir: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        self._own(data)
        _run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                           "-E", "UTF8", "--locale=C.UTF-8"]), "initdb of the primary")
        with open(data / "postgresql.conf", "a") as config:
            config.write(self._settings(self.ports.primary))
        print(f"primary: created in {data}")

    def _make_replica(self, data: Path, bin_dir: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        self._own(data)
        self._drop_slot()
        _run(_as_postgres([str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports.primary),
                           "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast",
                           "-C", "-S", REPLICATION_SLOT]), "pg_basebackup of the replica")
        with open(data / "postgresql.conf", "a") as config:
            config.write(self._settings(self.ports.replica))
        print(f"replica: copied from the primary with pg_basebackup into {data}")

    def _own(self, data: Path) -> None:
        data.chmod(0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam(POSTGRES_OS_USER)
            os.chown(data, user.pw_uid, user.pw_gid)

    def _admin(self, port: int):
        from data_access.db import create_db_engine

        return create_db_engine(f"postgresql://postgres@127.0.0.1:{port}/postgres")

    def _drop_slot(self) -> None:
        """A replica made again needs its slot afresh (the old one would hold WAL for a copy that is gone)."""
        engine = self._admin(self.ports.primary)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
                    (REPLICATION_SLOT,))
                connection.commit()
        finally:
            engine.dispose()

    def _create_database(self) -> None:
        engine = self._admin(self.ports.primary).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                if connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).first():
                    return
                connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
        finally:
            engine.dispose()

    def _load_city(self) -> None:
        """The demo city (or the given input files) into the primary when it holds none."""
        from data_access import migrate
        from data_access.db import create_db_engine, has_data
        from data_access.ingest import load_directory

        engine = create_db_engine(self.primary_url)
        try:
            if has_data(engine):
                migrate.upgrade(engine)
                return
            started = time.monotonic()
            if self.city_dir:
                print(f"primary: loading {self.city_dir}")
                load_directory(self.city_dir, engine)
            else:
                from sample_data.generate import generate_city

                print(f"primary: generating and loading the {self.scale} city (once)")
                with tempfile.TemporaryDirectory(prefix="cityscreen-cluster-") as directory:
                    generate_city(directory, scale=self.scale)
                    load_directory(directory, engine)
            print(f"primary: city loaded in {time.monotonic() - started:.0f} s")
        finally:
            engine.dispose()

    def _wait_streaming(self) -> None:
        engine = self._admin(self.ports.replica)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while True:
                with engine.connect() as connection:
                    status = connection.exec_driver_sql("SELECT status FROM pg_stat_wal_receiver").scalar()
                if status == "streaming":
                    return
                if time.monotonic() > deadline:
                    raise ClusterError(f"the replica is not streaming from the primary (status {status!r}); "
                                       f"see {self.layout.logs / 'replica.log'}")
                time.sleep(0.5)
        finally:
            engine.dispose()

    # --- app processes -----------------------------------------------------------------------------------
    def app_pids(self) -> dict[int, int]:
        """Running app processes by their number (1..), from the pid files."""
        running = {}
        for path in sorted(self.layout.pids.glob("app-*.pid")):
            index = int(path.stem.removeprefix("app-"))
            pid = read_pid(path)
            if pid_alive(pid, "deploy/server.py"):
                running[index] = pid
        return running

    def _reconcile_apps(self) -> None:
        running = self.app_pids()
        for index, pid in sorted(running.items()):
            if index > len(self.ports.apps):
                stop_pid(pid, f"app {index}")
                self.layout.app_pid(index).unlink(missing_ok=True)
                print(f"app {index}: stopped (pid {pid})")
        started = []
        for index, port in enumerate(self.ports.apps, start=1):
            if index in running:
                print(f"app {index}: running on 127.0.0.1:{port} (pid {running[index]})")
                continue
            if port_in_use(port):
                raise ClusterError(f"app {index}: port {port} is taken by another program")
            started.append((index, port, self._start_app(index, port)))
        for index, port, process in started:
            self._wait_healthy(index, port, process)
            print(f"app {index}: started on 127.0.0.1:{port} (pid {process.pid})")

    def app_environment(self) -> dict[str, str]:
        """What every app process gets: the primary and read URLs and one cookie secret for all (XSRF tokens
        and Streamlit's own cookies must verify in whichever process a browser lands)."""
        from data_access.db import DATABASE_URL_VARIABLE, READ_DATABASE_URL_VARIABLE

        return {**os.environ, DATABASE_URL_VARIABLE: self.primary_url, READ_DATABASE_URL_VARIABLE: self.replica_url,
                "STREAMLIT_SERVER_COOKIE_SECRET": self.layout.cookie_secret.read_text().strip()}

    def _start_app(self, index: int, port: int) -> subprocess.Popen:
        log = open(self.layout.logs / f"app-{index}.log", "a")  # noqa: SIM115 (the child keeps it)
        with log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "deploy/server.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
                 "false", "--server.fileWatcherType", "none",
                 *(("--secrets.files", str(self.secrets_file)) if self.secrets_file else ())],
                cwd=PROJECT_ROOT, env=self.app_environment(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        self.layout.app_pid(index).write_text(f"{process.pid}\n")
        return process

    def _wait_healthy(self, index: int, port: int, process: subprocess.Popen) -> None:
        if not wait_healthy(f"http://127.0.0.1:{port}", START_TIMEOUT_SECONDS, process):
            raise ClusterError(f"app {index} did not start; see {self.layout.logs / f'app-{index}.log'}")

    # --- nginx -------------------------------------------------------------------------------------------
    def nginx_pid(self) -> int | None:
        pid = read_pid(self.layout.nginx / "nginx.pid")
        return pid if pid_alive(pid, "nginx") else None

    def _write_nginx_config(self) -> Path:
        layout = self.layout
        html = layout.nginx / "html"
        html.mkdir(exist_ok=True)
        shutil.copy(NGINX_TEMPLATES / MAINTENANCE_PAGE, html / MAINTENANCE_PAGE)
        html.chmod(0o755)
        (html / MAINTENANCE_PAGE).chmod(0o644)
        (layout.nginx / "cityscreen.conf").write_text(nginx_site(
            [f"127.0.0.1:{port}" for port in self.ports.apps], f"127.0.0.1:{self.ports.nginx}", "localhost", html))
        # As root the master switches its workers to Debian's www-data (they only read the page and proxy).
        user = "user www-data;" if os.geteuid() == 0 else "# not root: workers run as the starting user"
        main = (NGINX_TEMPLATES / "local-nginx.conf.template").read_text()
        for key, value in {"@PREFIX@": str(layout.nginx), "@LOGS@": str(layout.logs), "@USER@": user}.items():
            main = main.replace(key, value)
        path = layout.nginx / "nginx.conf"
        path.write_text(main)
        return path

    def _start_nginx(self, nginx: str) -> None:
        config = self._write_nginx_config()
        command = [nginx, "-p", str(self.layout.nginx), "-e", str(self.layout.logs / "nginx-error.log"),
                   "-c", str(config)]
        _run([*command, "-t", "-q"], "checking the nginx configuration")
        pid = self.nginx_pid()
        if pid:
            os.kill(pid, signal.SIGHUP)  # reload: new upstream list, no connection dropped
            print(f"nginx: configuration reloaded on {self.url} (pid {pid})")
            return
        if port_in_use(self.ports.nginx):
            raise ClusterError(f"nginx: port {self.ports.nginx} is taken by another program")
        _run(command, "starting nginx")
        deadline = time.monotonic() + 10
        while not self.nginx_pid():
            if time.monotonic() > deadline:
                raise ClusterError(f"nginx did not start; see {self.layout.logs / 'nginx-error.log'}")
            time.sleep(0.1)
        print(f"nginx: started on {self.url} (pid {self.nginx_pid()})")

    def _wait_answering(self) -> None:
        """Until nginx reaches an app process (after an outage nginx skips a process for its fail_timeout)."""
        if not wait_healthy(self.url, 30, interval_seconds=0.5):
            raise ClusterError(f"nginx does not reach the app processes; see {self.layout.logs}")

    # --- stop and status ---------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop nginx, the app processes, the replica and the primary, each by its process id."""
        if not self.layout.root.exists():
            print(f"nothing to stop: {self.layout.root} does not exist")
            return
        pid = self.nginx_pid()
        if pid:
            stop_pid(pid, "nginx", signal.SIGQUIT)
            print(f"nginx: stopped (pid {pid})")
        self.stop_apps()
        bin_dir = postgres_bin()
        for name, data in (("replica", self.layout.replica), ("primary", self.layout.primary)):
            if self._postgres_running(data, bin_dir):
                postmaster = read_pid(data / "postmaster.pid")
                _run(_as_postgres([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"]),
                     f"stopping the {name}")
                print(f"{name}: stopped (pid {postmaster})")
        print("stopped")

    def stop_apps(self) -> None:
        """Stop every app process by its pid (the next start starts them afresh)."""
        for index, pid in sorted(self.app_pids().items()):
            stop_pid(pid, f"app {index}")
            print(f"app {index}: stopped (pid {pid})")
        for path in self.layout.pids.glob("app-*.pid"):
            path.unlink()

    def status(self) -> dict:
        """What runs, on which port, with which pid; the replica's state."""
        bin_dir = postgres_bin()
        report: dict = {"url": self.url, "nginx": self.nginx_pid(), "apps": {}}
        for name, data, port in (("primary", self.layout.primary, self.ports.primary),
                                 ("replica", self.layout.replica, self.ports.replica)):
            report[name] = read_pid(data / "postmaster.pid") if self._postgres_running(data, bin_dir) else None
            report[f"{name}_port"] = port
        running = self.app_pids()
        for index, port in enumerate(self.ports.apps, start=1):
            report["apps"][index] = {"port": port, "pid": running.get(index)}
        if report["replica"]:
            engine = self._admin(self.ports.replica)
            try:
                with engine.connect() as connection:
                    report["replication"] = connection.exec_driver_sql(
                        "SELECT status FROM pg_stat_wal_receiver").scalar()
            finally:
                engine.dispose()
        return report


def nginx_site(upstreams: list[str], listen: str, server_name: str, maintenance_root: Path,
               secure_cookie: bool = False) -> str:
    """The site configuration (deploy/nginx/cityscreen.conf.template) for these app processes."""
    servers = "\n".join(f"    server {upstream} max_fails=1 fail_timeout=10s;" for upstream in upstreams)
    text = (NGINX_TEMPLATES / "cityscreen.conf.template").read_text()
    for key, value in {"@UPSTREAM_SERVERS@": servers, "@LISTEN@": listen, "@SERVER_NAME@": server_name,
                       "@MAINTENANCE_ROOT@": str(maintenance_root),
                       "@COOKIE_FLAGS@": "; Secure" if secure_cookie else ""}.items():
        text = text.replace(key, value)
    return text


def _print_status(report: dict) -> None:
    print(f"url      {report['url']}  nginx pid {report['nginx'] or '-'}")
    for name in ("primary", "replica"):
        print(f"{name:8} 127.0.0.1:{report[f'{name}_port']}  pid {report[name] or '- (stopped)'}")
    if "replication" in report:
        print(f"replica  {report['replication'] or 'not streaming'}")
    for index, app in report["apps"].items():
        print(f"app {index:<4} 127.0.0.1:{app['port']}  pid {app['pid'] or '- (stopped)'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status"):
        command = commands.add_parser(name)
        command.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where everything lives (var/cluster)")
    start = commands.choices["start"]
    start.add_argument("--apps", type=int, default=None, help=f"app processes (default {DEFAULT_APPS}, or as before)")
    start.add_argument("--first-port", type=int, default=None,
                       help=f"nginx's port; the primary, the replica and the apps take the next ones "
                            f"(default {DEFAULT_FIRST_PORT})")
    start.add_argument("--scale", default="demo", help="the generated city loaded into an empty primary")
    start.add_argument("--city", type=Path, default=None, help="load these input files instead of generating")
    start.add_argument("--secrets", type=Path, default=None,
                       help="the app processes' secrets file (default: .streamlit/secrets.toml)")
    site = commands.add_parser("nginx-site", help="print the nginx site configuration for a real server")
    site.add_argument("--upstream", action="append", required=True, help="HOST:PORT of an app process (repeat)")
    site.add_argument("--listen", default="80")
    site.add_argument("--server-name", default="_")
    site.add_argument("--maintenance-root", default="/var/www/cityscreen")
    site.add_argument("--secure-cookie", action="store_true", help="behind TLS: the route cookie is Secure")
    arguments = parser.parse_args(argv)
    if arguments.command == "nginx-site":
        print(nginx_site(arguments.upstream, arguments.listen, arguments.server_name,
                         Path(arguments.maintenance_root), arguments.secure_cookie), end="")
        return 0
    try:
        if arguments.command == "start":
            Cluster(arguments.root, arguments.first_port, arguments.apps, arguments.scale, arguments.city,
                    arguments.secrets).start()
        elif arguments.command == "stop":
            Cluster(arguments.root).stop()
        else:
            _print_status(Cluster(arguments.root).status())
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
