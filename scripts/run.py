"""Starts the local portal: Redis, a Celery worker, Celery beat, the recovery process and the web server.

`make run` prepares the virtualenv, the Terraform mirror, the database and the demo data, then
execs this script. Every child runs in its own process group, so Ctrl-C (or any child dying)
stops all of them, and nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
VENV_BIN = Path(sys.executable).parent
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "8000"))


def say(message: str) -> None:
    print(f"run: {message}", flush=True)


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class Supervisor:
    """Owns the child processes; stop() ends each process group, newest first."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(DATA / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append((name, proc))
        say(f"started {name} (pid {proc.pid}), log in data/logs/{name}.log")

    def dead(self) -> str | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time; killing it")
            # Kill whatever is left in the group (runserver's reloader child, worker children).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        say("stopped everything")


def ensure_redis(sup: Supervisor) -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(url):
        say(f"Redis already answers at {url}; using it")
        return url
    parsed = urlparse(url)
    if parsed.hostname not in {"127.0.0.1", "localhost"}:
        raise SystemExit(
            f"run: REDIS_URL {url} does not answer, and it is not local, so it cannot be started here"
        )
    server = shutil.which("redis-server")
    if server is None:
        say("redis-server is not installed; installing it from Debian packages")
        subprocess.run(["bash", str(ROOT / "scripts" / "system-packages.sh")], check=True)
        server = shutil.which("redis-server")
        if server is None:
            raise SystemExit("run: could not install redis-server; install it and run again")
    (DATA / "redis").mkdir(parents=True, exist_ok=True)
    port = str(parsed.port or 6379)
    sup.start(
        "redis",
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            port,
            "--dir",
            str(DATA / "redis"),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--daemonize",
            "no",
        ],
    )
    for _ in range(50):
        if redis_answers(url):
            say(f"started a local Redis ({server}) on 127.0.0.1:{port}")
            return url
        time.sleep(0.1)
    raise RuntimeError("Redis did not start; see data/logs/redis.log")


def aws_credentials_configured() -> bool:
    """Whether boto3 would find real AWS credentials (environment, profile, files, a role)."""
    keys = (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
    )
    if any(os.environ.get(key) for key in keys):
        return True
    home = Path.home() / ".aws"
    return (home / "credentials").exists() or (home / "config").exists()


def ensure_aws_emulator(sup: Supervisor, env: dict[str, str]) -> None:
    """Starts moto as a stand-in AWS for DR drills, only when no AWS credentials are configured
    and never in production; workers reach it through AWS_ENDPOINT_URL."""
    if os.environ.get("PORTAL_ENV") == "production" or aws_credentials_configured():
        say("AWS credentials (or an endpoint) are configured; drills use them, no local AWS emulator")
        return
    moto = VENV_BIN / "moto_server"
    if not moto.exists():
        say("moto_server is not installed; drills against AWS blueprints need AWS credentials")
        return
    port = os.environ.get("AWS_EMULATOR_PORT", "5005")
    sup.start("aws-emulator", [str(moto), "-H", "127.0.0.1", "-p", port])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=0.5)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the local AWS emulator did not start; see data/logs/aws-emulator.log")
    env.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "emulator",
            "AWS_SECRET_ACCESS_KEY": "emulator-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            # moto never advances the latest restorable time; a short canary wait keeps the demo fast.
            "DRILL_CANARY_WAIT_S": env.get("DRILL_CANARY_WAIT_S", "2"),
            "DRILL_POLL_INTERVAL_S": env.get("DRILL_POLL_INTERVAL_S", "0.5"),
        }
    )
    subprocess.run([sys.executable, "manage.py", "dr", "demo"], cwd=ROOT, env=env, check=True)
    say(f"started a local AWS emulator (moto) at {url} for DR drills")


def portal_urls(env: dict[str, str]) -> None:
    """Points the workers' Terraform state backend (PORTAL_INTERNAL_URL) and the links in
    notifications (PORTAL_BASE_URL) at this web server unless they are set: with another PORT, the
    settings' :8000 default would send state to whatever else listens there."""
    for name in ("PORTAL_INTERNAL_URL", "PORTAL_BASE_URL"):
        env.setdefault(name, f"http://{HOST}:{PORT}")


def wait_for_web(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/login/", timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the web server did not answer; see data/logs/web.log")


def main() -> int:
    (DATA / "logs").mkdir(parents=True, exist_ok=True)
    sup = Supervisor()
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        env = os.environ.copy()
        portal_urls(env)
        env["REDIS_URL"] = ensure_redis(sup)
        ensure_aws_emulator(sup, env)
        celery = [str(VENV_BIN / "celery"), "-A", "portal.celery"]
        sup.start(
            "worker",
            [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-Q",
                "celery,runs,drills,images",
                "-n",
                "local@%h",
            ],
            env,
        )
        sup.start(
            "beat", [*celery, "beat", "--loglevel=INFO", "--schedule", str(DATA / "celerybeat-schedule")], env
        )
        sup.start("recovery", [sys.executable, "manage.py", "runs_recover"], env)
        sup.start("web", [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"], env)
        wait_for_web()
        print(
            f"\n  Portal: http://{HOST}:{PORT}/   health: http://{HOST}:{PORT}/healthz\n"
            "  Demo logins (password demo-pass-123):\n"
            "    alice  requester, Payments      bob   approver, Payments\n"
            "    carol  requester, Analytics     dave  approver, Analytics\n"
            "    erin   platform admin\n"
            + (
                "  DR demo: Environments → emulator-api (local AWS emulator) → Run drill now\n"
                if env.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1")
                else ""
            )
            + "  Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while not stopping:
            problem = sup.dead()
            if problem:
                say(f"{problem}; stopping the rest")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        sup.stop()


if __name__ == "__main__":
    sys.exit(main())
