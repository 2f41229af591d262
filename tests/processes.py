"""Starts the real services tests depend on (redis-server, Celery workers) as child processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import redis

from workers.runner.waits import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


class RedisServer:
    """A throwaway redis-server on a free loopback port. restart() keeps its port and data dir."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; run `make system`")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.answers, 10, "redis-server")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def database_url(settings_dict: dict) -> str:
    """The URL a child process needs to reach the database the tests are using."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    if engine.endswith("postgresql"):
        user, password = settings_dict.get("USER", ""), settings_dict.get("PASSWORD", "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"no URL form for {engine}")


class CeleryWorker:
    """A real `celery -A portal.celery worker` process against the given Redis and database."""

    def __init__(
        self,
        *,
        redis_url: str,
        db_url: str,
        logfile: Path,
        queues: str = "celery,runs,drills,images",
        concurrency: int = 1,
        name: str = "test",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.redis_url, self.logfile, self.name = redis_url, logfile, name
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": db_url,
            "WORKER_HEARTBEAT_INTERVAL": "0.5",
            **(extra_env or {}),
        }
        self.argv = [
            str(VENV_BIN / "celery"),
            "-A",
            "portal.celery",
            "worker",
            "--loglevel=INFO",
            "-Q",
            queues,
            f"--concurrency={concurrency}",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.logfile, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        client = redis.Redis.from_url(self.redis_url)
        wait_until(
            lambda: (
                any(True for _ in client.scan_iter("portal:worker-heartbeat:*"))
                or self.proc.poll() is not None
            ),
            60,
            f"celery worker heartbeat (log: {self.logfile})",
        )
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"celery worker exited early; see {self.logfile}:\n{self.logfile.read_text()[-3000:]}"
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError):  # children of a killed main process
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None


class MotoServer:
    """A real moto server (AWS emulator) on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import urllib.request

        def answers() -> bool:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=0.5)  # noqa: S310 - loopback
                return True
            except OSError:
                return False

        wait_until(answers, 20, "moto_server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None


class RecoveryProcess:
    """The recovery process (`manage.py runs_recover`) against the given Redis and database."""

    def __init__(
        self, *, redis_url: str, db_url: str, logfile: Path, extra_env: dict[str, str] | None = None
    ):
        self.logfile = logfile
        self.env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": db_url, **(extra_env or {})}
        self.env.pop("CELERY_BROKER_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.logfile, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runs_recover"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def processes_running(argv: list[str]) -> list[int]:
    """Pids of live processes whose command line is exactly ``argv`` (zombies have none)."""
    wanted = "\0".join(argv).encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if handle.read() == wanted:
                    found.append(int(entry))
        except OSError:
            continue
    return found


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl from Debian's postgresql package) on a free
    loopback port, run as the postgres user when the tests run as root."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
        if not found:
            raise RuntimeError(
                "PostgreSQL is not installed; run `bash scripts/system-packages.sh postgresql`"
            )
        self.bin = found[-1].parent
        # Not under pytest's tmp_path: the postgres user must be able to reach the folder.
        self.data = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.as_postgres, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.data, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal"
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.data / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)
