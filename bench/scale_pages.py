"""Page benchmarks at scale: server time (p95) and query count of every list page (first page and
page 50, at 50 and 100 rows), home and each detail page, as a platform admin and as a requester,
and the peak memory of a process serving the largest page.

`bench_scale_pages` (registered in bench.BENCHMARKS) keeps one scratch database per scale (see
bench/scale.py) and measures in child processes, so the portal's own database is never touched:

1. the 10-environment baseline (`small`): the query count of every page;
2. the chosen scale (BENCH_SCALE or `python -m bench --scale`, default `full`): build it when its
   marker is missing, then time every page with django.test.Client (BENCH_PAGE_RUNS requests
   each, after one warm-up request; a list's page 1 and page 50 in turn, so that a passing load
   weighs on both alike) and count its queries;
3. a fresh process that serves only the largest page (by HTML size) BENCH_MEMORY_RUNS times and
   reports its peak RSS, as a web worker would.

Page 50 is reached by following the page's own "Next" links from page 1, as a user would (a list
with fewer pages gives its last one, and `.reached` says which page that was).
Targets (issue 13): every page < 150 ms p95; page 50 within 1.5x of page 1; the same query count
as at 10 environments; peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from typing import Any

from bench.scale import ADMIN, REQUESTER, SMALL, Scale, scale_named

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "50"))
MEMORY_RUNS = int(os.environ.get("BENCH_MEMORY_RUNS", "5"))
TIMEOUT_S = 7200.0
DEEP_PAGE = 50
LISTS = {
    "environments": "/environments/",
    "requests": "/requests/",
    "runs": "/runs/",
    "images": "/runs/images/",
    "audit": "/audit/",
    "approvals": "/requests/approvals/",
    "dr": "/dr/",  # the estate DR page: every active environment with its drill status
}
ADMIN_ONLY = {"audit", "dr"}  # a requester is refused these pages
USERS = {"admin": ADMIN, "requester": REQUESTER}
NEXT_LINK = re.compile(r'<a href="([^"]*)" rel="next"')
PAGE_NUMBER = re.compile(r"Page (\d+)")


# --------------------------------------------------------------------------------------------------
# The parent side: scratch databases and child processes.


def scratch_database_url(scale: Scale) -> str:
    """The scratch database of `scale`, next to the portal's own: a SQLite file in the data
    folder, or a database named after the portal's on the same PostgreSQL server."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        folder = Path(settings.DATA_DIR) / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / f'scale-{scale.name}.sqlite3'}"
    name = f"{db['NAME']}_scale_{scale.name.replace('.', '_')}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def scratch_database_drop(url: str) -> None:
    """Removes a scratch database that holds a partial build."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from django.db import connection

    name = url.rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')


PARTIAL_BUILD = 3  # the child's exit code when the scratch database holds a partial build


def _child(url: str, *args: str) -> tuple[int, dict[str, float | str]]:
    # DEBUG off, as a production web worker runs (DEBUG keeps every query in memory).
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "DEBUG": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.scale_pages", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=TIMEOUT_S,
    )
    figures: dict[str, float | str] = {}
    for line in proc.stdout.splitlines():
        name, _, value = line.strip().partition(" ")
        try:
            figures[name] = float(value) if "." in value else int(value)
        except ValueError:
            figures[name] = value
    return proc.returncode, figures


def _measure(scale_name: str, *args: str) -> dict[str, float | str]:
    url = scratch_database_url(scale_named(scale_name))
    code, figures = _child(url, "measure", "--scale", scale_name, *args)
    if code == PARTIAL_BUILD:
        scratch_database_drop(url)
        code, figures = _child(url, "measure", "--scale", scale_name, *args)
    if code != 0:
        raise RuntimeError(f"the page benchmark at scale {scale_name} failed (exit code {code}); see above")
    return figures


def bench_scale_pages(scale_name: str | None = None) -> dict[str, float | str]:
    scale_name = scale_name or os.environ.get("BENCH_SCALE", "full")
    scale = scale_named(scale_name)
    from django.conf import settings

    figures: dict[str, float | str] = {
        "scale.database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1],
        "scale.name": scale.name,
    }
    small = _measure(SMALL.name, "--runs", "1")
    started = time.monotonic()
    full = _measure(scale_name)
    figures["scale.build_and_measure_s"] = round(time.monotonic() - started, 1)
    largest = str(full.pop("scale.largest_page"))
    figures.update(full)
    mismatched = []
    for name, value in full.items():
        if name.endswith(".queries"):
            baseline = small.get(name)
            figures[f"{name}_at_10_envs"] = baseline if baseline is not None else "n/a"
            if baseline is not None and baseline != value:
                mismatched.append(name.removesuffix(".queries"))
    for name in list(full):
        if ".page50x" in name and name.endswith(".p95_ms"):
            first = full.get(name.replace(".page50x", ".page1x"))
            if first:
                figures[name.replace(".p95_ms", ".ratio_to_page1")] = round(
                    float(full[name]) / float(first), 2
                )
    p95 = {name: float(value) for name, value in full.items() if name.endswith(".p95_ms")}
    figures["scale.pages_measured"] = len(p95)
    figures["scale.pages_over_150ms"] = sum(value >= 150 for value in p95.values())
    figures["scale.slowest_page_p95_ms"] = max(p95.values(), default=0)
    figures["scale.query_count_mismatches"] = len(mismatched)
    if mismatched:
        figures["scale.query_count_mismatched_pages"] = ",".join(mismatched)
    code, memory = _child(scratch_database_url(scale), "memory", "--url", largest)
    if code != 0:
        raise RuntimeError(f"the memory benchmark failed (exit code {code}); see above")
    figures["scale.largest_page"] = largest
    figures.update(memory)
    return figures


# --------------------------------------------------------------------------------------------------
# The child side: runs with DATABASE_URL pointing at the scratch database.


def _pages(client: Any, user: str) -> list[tuple[str, str]]:
    """(figure name, URL) of every page this user is measured on."""
    from portal.environments.models import Environment
    from portal.requests.models import EnvironmentRequest, RequestState
    from portal.runs.models import Run

    environment = Environment.objects.filter(team__slug="scale-00").order_by("created_at", "pk").first()
    waiting = (
        EnvironmentRequest.objects.filter(team__slug="scale-00", state=RequestState.AWAITING_APPROVAL)
        .order_by("pk")
        .first()
    )
    run = Run.objects.filter(environment=environment).order_by("pk").first()
    assert environment is not None and waiting is not None and run is not None
    pages: list[tuple[str, str]] = [("home", "/")]
    for name, url in LISTS.items():
        if name in ADMIN_ONLY and user != "admin":
            continue
        for size in (50, 100):
            first = f"{url}?per_page={size}"
            pages.append((f"{name}.page1x{size}", first))
            pages.append((f"{name}.page50x{size}", _deep_page(client, first)))
    pages += [
        ("environment_detail", f"/environments/{environment.pk}/"),
        ("request_detail", f"/requests/{waiting.pk}/"),
        ("run_detail", f"/runs/{run.pk}/"),
        ("blueprint_detail", f"/catalog/{environment.blueprint_version.blueprint.slug}/"),
    ]
    return pages


def _deep_page(client: Any, url: str) -> str:
    """The URL of page 50 (or of the last page) reached by following the "Next" links."""
    path = url.split("?", 1)[0]
    for _ in range(DEEP_PAGE - 1):
        html = client.get(url).content.decode()
        found = NEXT_LINK.search(html)
        if not found:
            break
        href = unescape(found.group(1))
        if re.fullmatch(r"\?(?:[^&]*&)*page=\d+(?:&[^&]*)*", href) and "cursor=" not in href:
            return path + re.sub(r"(?<!\w)page=\d+", f"page={DEEP_PAGE}", href)  # plain page numbers: jump
        url = path + href
    return url


def _time_pages(client: Any, urls: list[str], runs: int) -> list[tuple[float, int, int, int]]:
    """For each URL: p95 in ms, query count, HTML bytes and page number shown. The URLs are
    requested in turn (page 1, page 50, page 1, ...), so their ratio is not skewed by a passing
    load that fell on one of them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.timing import percentile, timed_in_turn

    shape = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        shown = PAGE_NUMBER.search(response.content.decode())
        # len(queries) now: the captured list is read from the connection's log when asked
        shape.append((len(queries), len(response.content), int(shown.group(1)) if shown else 0))
    samples = timed_in_turn([lambda url=url: client.get(url) for url in urls], runs)
    return [(round(percentile(own, 95), 1), *page) for own, page in zip(samples, shape, strict=True)]


def measure(scale: Scale, runs: int) -> dict[str, float | str]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    figures: dict[str, float | str] = {}
    largest = ("", 0)
    for label, username in USERS.items():
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        pages = dict(_pages(client, label))
        # each deep page is timed together with its first page; every other page alone
        groups = [
            [name, name.replace(".page1x", ".page50x")] if ".page1x" in name else [name]
            for name in pages
            if ".page50x" not in name
        ]
        for group in groups:
            for name, (p95, queries, size, shown) in zip(
                group, _time_pages(client, [pages[name] for name in group], runs), strict=True
            ):
                prefix = f"scale.{label}.{name}"
                figures[f"{prefix}.p95_ms"] = p95
                figures[f"{prefix}.queries"] = queries
                if ".page50x" in name:
                    figures[f"{prefix}.reached"] = shown
                if size > largest[1]:
                    largest = (f"{username} {pages[name]}", size)
                print(
                    f"  {prefix}: {p95} ms p95, {queries} queries, {size // 1024} KB",
                    file=sys.stderr,
                    flush=True,
                )
    figures["scale.largest_page"] = largest[0]
    figures["scale.largest_page_kb"] = largest[1] // 1024
    return figures


def memory(target: str, runs: int) -> dict[str, float | str]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    username, url = target.split(" ", 1)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for _ in range(runs):
        assert client.get(url).status_code == 200
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"scale.memory.rss_before_mb": round(before, 1), "scale.memory.peak_rss_mb": round(peak, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_pages")
    parser.add_argument("mode", choices=["measure", "memory"])
    parser.add_argument("--scale", default="full")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    from bench import setup_django

    setup_django()
    if args.mode == "memory":
        figures = memory(args.url, MEMORY_RUNS)
    else:
        from django.core.management import call_command

        from bench.scale import scale_build, scale_built
        from portal.environments.models import Environment

        scale = scale_named(args.scale)
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        if not scale_built(scale) and Environment.objects.exists():
            sys.exit(PARTIAL_BUILD)
        if scale_build(
            scale,
            progress=lambda message: print(f"scale {scale.name}: {message}", file=sys.stderr, flush=True),
        ):
            print(f"scale.build_s {time.monotonic() - started:.1f}")
            from django.db import connection

            if connection.vendor == "postgresql":  # what autovacuum does soon after a bulk load
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
        figures = measure(scale, args.runs)
    for name, value in figures.items():
        print(f"{name} {value}", flush=True)


if __name__ == "__main__":
    main()
