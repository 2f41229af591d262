"""The harness of the run-engine benchmark (`python -m bench --only run_engine`).

bench.run_engine.bench_run_engine runs this module (`python -m bench.run_engine_harness`) as a
child process and reads the
`name value` lines it prints on stdout; progress goes to stderr. The script builds a throwaway
portal in a temp dir and never touches the developer's database, Redis or run folders:

* a fresh SQLite file (migrated by `manage.py migrate` in a subprocess), RUNS_WORK_DIR and
  TF_PLUGIN_CACHE_DIR in the temp dir;
* its own redis-server, a gunicorn web server (for Terraform's HTTP state backend) and two Celery
  worker processes with concurrency 1, all on free loopback ports;
* TERRAFORM_BIN is a small bash shim that runs the real Terraform and appends the start and end
  time, subcommand and folder of each call to a file, so the bench knows when Terraform ran.

Then this process itself points Django at the same database (the env vars are set before
django.setup()) and calls bench.run_engine.measure_run_engine. Every child runs in its own
process group and is stopped in a finally block (SIGTERM, then SIGKILL); each also gets
PR_SET_PDEATHSIG, so even a kill -9 of this script stops them. The temp dir is removed at the end.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.run_engine import RECOVERY_TIMEOUT_S
from workers.runner.waits import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORKERS = 2  # worker processes, each with --concurrency=1


def say(message: str) -> None:
    print(f"bench run_engine: {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when this script dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class Supervisor:
    """Owns the child processes, each in its own process group; stop() ends them newest first."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.children.append((name, proc))
        return proc

    def stop_one(self, name: str, sig: signal.Signals) -> None:
        """Stops one child's whole process group with ``sig`` and forgets it."""
        for entry in list(self.children):
            if entry[0] == name:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(entry[1].pid, sig)
                entry[1].wait(timeout=60)
                self.children.remove(entry)

    def check_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see its log below")

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop within 20 s; killing it")
            with contextlib.suppress(ProcessLookupError):  # what is left of the group
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.children = []

    def log_tails(self, lines: int = 30) -> str:
        out = []
        for log in sorted(self.log_dir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name} (last {len(tail)} lines)\n" + "\n".join(tail))
        return "\n".join(out)


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def web_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/login/", timeout=1)  # noqa: S310 - our own loopback server
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it serves
    except OSError:
        return False
    return True


def write_terraform_shim(path: Path, real_binary: str, log: Path) -> None:
    """TERRAFORM_BIN for the bench: runs Terraform and appends "<start> <end> <subcommand> <cwd>"
    (epoch seconds) to log, so the bench knows when each Terraform process ran.

    Bash's $EPOCHREALTIME needs no fork, so the shim costs a bash start-up and one exec (~2-3 ms)
    per command, paid by the portal's runs and the raw baseline alike. The shim stays Terraform's
    parent to write the end time; signals still reach Terraform, which is in the process group
    the runner signals, and setpriv makes Terraform get SIGTERM if the shim dies (the runner gives
    the shim the same parent-death signal), so a dying worker still stops its Terraform.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("setpriv (util-linux) is needed by the bench's Terraform shim")
    path.write_text(
        "#!/bin/bash\n"
        "start=$EPOCHREALTIME\n"
        f'{shlex.quote(setpriv)} --pdeathsig TERM -- {shlex.quote(real_binary)} "$@"\n'
        "rc=$?\n"
        f'printf \'%s %s %s %s\\n\' "$start" "$EPOCHREALTIME" "${{1:--}}" "$PWD" >> {shlex.quote(str(log))}\n'
        'exit "$rc"\n'
    )
    path.chmod(0o755)


def main() -> int:
    def on_signal(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-run-engine-"))
    (tmp / "logs").mkdir()
    sup = Supervisor(tmp / "logs")
    try:
        cli_config = os.environ.get("TERRAFORM_CLI_CONFIG", str(ROOT / "data" / "terraform" / "terraformrc"))
        if not Path(cli_config).is_file():
            raise RuntimeError(
                f"{cli_config} is missing; build the offline provider mirror with `make mirror`"
            )
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise RuntimeError("redis-server is not installed; run `make system`")
        real_terraform = os.environ.get("TERRAFORM_BIN") or str(VENV_BIN / "terraform")
        times_file = tmp / "terraform-times.log"
        shim = tmp / "terraform"
        write_terraform_shim(shim, real_terraform, times_file)

        redis_url = f"redis://127.0.0.1:{free_port()}/0"
        web_port = free_port()
        web_url = f"http://127.0.0.1:{web_port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}",
            "PORTAL_DATA_DIR": str(tmp / "data"),
            "REDIS_URL": redis_url,
            "PORTAL_INTERNAL_URL": web_url,
            "RUNS_WORK_DIR": str(tmp / "runs"),
            "TF_PLUGIN_CACHE_DIR": str(tmp / "plugin-cache"),
            "TERRAFORM_CLI_CONFIG": cli_config,
            "TERRAFORM_BIN": str(shim),
            "STATE_BACKEND": "http",  # the portal's own state backend, served by the gunicorn above
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "WORKER_HEARTBEAT_INTERVAL": "0.5",
            # The recovery process's timeout, short so the recovery figure comes quickly.
            "RUN_HEARTBEAT_TIMEOUT_S": str(RECOVERY_TIMEOUT_S),
            "RUN_REQUEUE_AFTER_S": "3600",
        }
        env.pop("CELERY_BROKER_URL", None)  # it would override REDIS_URL

        say(f"scratch dir {tmp}; migrating a fresh SQLite database")
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.stdout[-2000:]}\n{migrate.stderr[-2000:]}")

        port = redis_url.rsplit(":", 1)[1].split("/")[0]
        (tmp / "redis").mkdir()
        sup.start(
            "redis",
            [redis_server, "--bind", "127.0.0.1", "--port", port, "--dir", str(tmp / "redis"), "--save", ""],
            env,
        )
        wait_until(lambda: redis_answers(redis_url), 15, "redis-server")
        # gunicorn as in the Dockerfile (3 sync workers); Terraform's state calls are short.
        sup.start(
            "web",
            [
                str(VENV_BIN / "gunicorn"),
                "portal.wsgi:application",
                f"--bind=127.0.0.1:{web_port}",
                "--workers=3",
                "--timeout=60",
            ],
            env,
        )
        for index in range(1, WORKERS + 1):
            sup.start(
                f"worker{index}",
                [
                    str(VENV_BIN / "celery"),
                    "--app=portal.celery",
                    "worker",
                    "--loglevel=INFO",
                    "--queues=runs",
                    "--concurrency=1",
                    f"--hostname=bench{index}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env,
            )
        sup.start("recovery", [sys.executable, "manage.py", "runs_recover"], env)
        wait_until(lambda: web_answers(web_url), 60, "the web server")

        import redis

        client = redis.Redis.from_url(redis_url)

        def workers_up() -> bool:
            sup.check_alive()
            return len(list(client.scan_iter("portal:worker-heartbeat:*"))) >= WORKERS

        wait_until(workers_up, 90, f"{WORKERS} Celery worker heartbeats")
        say(f"redis {redis_url}, web {web_url}, {WORKERS} workers x concurrency 1 are up")

        # This process now uses the same throwaway database and Redis.
        os.environ.update(env)
        os.environ.pop("CELERY_BROKER_URL", None)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from bench.run_engine import measure_run_engine

        def leave_one_worker() -> None:
            sup.stop_one(f"worker{WORKERS}", signal.SIGTERM)
            for index in range(2, WORKERS):
                sup.stop_one(f"worker{index}", signal.SIGTERM)

        figures = measure_run_engine(
            times_file=times_file,
            scratch=tmp / "raw",
            check_alive=sup.check_alive,
            progress=say,
            leave_one_worker=leave_one_worker,
            kill_last_worker=lambda: sup.stop_one("worker1", signal.SIGKILL),
            # Smaller counts for a quick try of the harness; `make bench` uses the defaults.
            **{
                key: int(os.environ[var])
                for key, var in (("runs", "BENCH_RUNS"), ("overhead_rounds", "BENCH_OVERHEAD_ROUNDS"))
                if os.environ.get(var)
            },
        )
        for name, value in figures.items():
            print(f"{name} {value}", flush=True)
        return 0
    except BaseException:
        with contextlib.suppress(Exception):
            say("failed; log tails follow\n" + sup.log_tails())
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish cleaning up even on a second Ctrl-C
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sup.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
