"""portalctl commands. Table output for people; `--json` prints the API's JSON for scripts.

Exit codes are listed in portalctl/client.py (EXIT_*) and in the README.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from portalctl import __version__
from portalctl.client import (
    EXIT_OK,
    EXIT_RUN_CANCELLED,
    EXIT_RUN_FAILED,
    EXIT_RUN_TIMED_OUT,
    EXIT_USAGE,
    Client,
    CliError,
    load_config,
)

RUN_EXIT = {
    "succeeded": EXIT_OK,
    "failed": EXIT_RUN_FAILED,
    "cancelled": EXIT_RUN_CANCELLED,
    "timed_out": EXIT_RUN_TIMED_OUT,
}


class Output:
    """Where results go: tables for people, JSON for scripts."""

    def __init__(self, as_json: bool, out: TextIO, err: TextIO) -> None:
        self.as_json, self.out, self.err = as_json, out, err

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """Progress for people; on stderr, so --json output stays one JSON document."""
        print(text, file=self.err, flush=True)

    def json(self, data: Any) -> None:
        print(json.dumps(data, indent=2, sort_keys=True, default=str), file=self.out, flush=True)

    def listing(self, data: dict[str, Any], columns: Sequence[tuple[str, str]]) -> None:
        """A page of a list endpoint: as it came for scripts, its items as a table for people."""
        if self.as_json:
            self.json(data)
        else:
            self.table(data["items"], columns)

    def table(self, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
        cells = [[_text(row.get(key)) for key, _ in columns] for row in rows]
        widths = [max([len(title), *(len(c[i]) for c in cells)]) for i, (_, title) in enumerate(columns)]
        self.line("  ".join(title.upper().ljust(w) for (_, title), w in zip(columns, widths, strict=True)))
        for row in cells:
            self.line("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if not rows:
            self.line("(none)")

    def fields(self, pairs: Sequence[tuple[str, Any]]) -> None:
        width = max(len(label) for label, _ in pairs)
        for label, value in pairs:
            self.line(f"{label.ljust(width)}  {_text(value)}")


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _pairs(values: Sequence[str]) -> dict[str, Any]:
    """`--set k=v` values; a value that parses as JSON (numbers, true/false, lists) is sent typed."""
    result: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise CliError(f"--set takes key=value, got {item!r}.", EXIT_USAGE)
        key, raw = item.split("=", 1)
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, dict):
            value = raw
        result[key.strip()] = value
    return result


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    inputs = _pairs(args.set or [])
    for name in ("name", "tier", "region"):
        if getattr(args, name, None):
            inputs[name] = getattr(args, name)
    return inputs


# -- Commands ------------------------------------------------------------------------------------


def cmd_whoami(client: Client, args: argparse.Namespace, out: Output) -> int:
    me = client.get("/me")
    if out.as_json:
        out.json(me)
        return EXIT_OK
    token = me.get("token") or {}
    out.fields(
        [
            ("User", me["username"]),
            ("Platform admin", me["platform_admin"]),
            ("Teams", ", ".join(f"{t['team']} ({t['role']})" for t in me["teams"]) or "-"),
            ("Token", f"{token.get('name')} ({'read-only' if token.get('read_only') else 'read-write'})"),
        ]
    )
    return EXIT_OK


def cmd_blueprints(client: Client, args: argparse.Namespace, out: Output) -> int:
    data = client.get("/blueprints", limit=100)
    out.listing(
        data,
        [
            ("slug", "Blueprint"),
            ("latest_version", "Version"),
            ("runtime", "Runtime"),
            ("title", "Title"),
        ],
    )
    return EXIT_OK


def cmd_schema(client: Client, args: argparse.Namespace, out: Output) -> int:
    version = args.version or client.get(f"/blueprints/{args.blueprint}")["latest_version"]
    out.json(client.get(f"/blueprints/{args.blueprint}/versions/{version}/schema"))
    return EXIT_OK


def cmd_estimate(client: Client, args: argparse.Namespace, out: Output) -> int:
    body = {
        "version": args.version,
        "inputs": _inputs(args),
        "usage_profile": args.usage_profile,
        "free_tier": args.free_tier,
    }
    data = client.post(f"/blueprints/{args.blueprint}/estimate", body)
    if out.as_json:
        out.json(data)
        return EXIT_OK
    estimate = data["estimate"]
    out.line(
        f"{data['blueprint']} {data['version']} ({data['tier']}): "
        f"${estimate['total_monthly_usd']:,.2f} a month ({estimate['coverage']['summary']})"
    )
    items = [
        {**item, "monthly": f"${item.get('monthly_usd') or 0:,.2f}"}
        for item in estimate.get("line_items", [])
    ]
    if items:
        out.table(items, [("address", "Resource"), ("monthly", "Monthly"), ("status", "Priced")])
    return EXIT_OK


def _show_request(req: dict[str, Any], out: Output) -> None:
    plan = req.get("plan") or {}
    out.fields(
        [
            ("Request", f"#{req['id']} ({req['kind']})"),
            ("State", req["state_label"]),
            ("Environment", f"{req['environment_name']} ({req['team']}, {req['tier']})"),
            ("Blueprint", f"{req['blueprint']} {req['version']}"),
            ("Requester", req["requester"]),
            ("Monthly cost", req.get("monthly_cost_usd")),
        ]
    )
    if plan:
        out.fields(
            [
                ("Plan run", f"#{plan['run']} ({plan['status']})"),
                ("Plan", f"+{plan['add']} ~{plan['change']} -{plan['destroy']}"),
                ("Plan sha256", plan["plan_sha256"] or "-"),
            ]
        )
    decision = req.get("decision")
    if decision and decision.get("needs"):
        out.line("Needs: " + "; ".join(decision["needs"]))


def cmd_request_create(client: Client, args: argparse.Namespace, out: Output) -> int:
    body = {
        "blueprint": args.blueprint,
        "version": args.version,
        "team": args.team,
        "inputs": _inputs(args),
        "reason": args.reason or "",
        "environment": args.environment,
    }
    req = client.post("/requests", body)
    if out.as_json:
        out.json(req)
    else:
        out.line(f"Request #{req['id']} drafted. Submit it with: portalctl request submit {req['id']}")
    return EXIT_OK


def cmd_request_submit(client: Client, args: argparse.Namespace, out: Output) -> int:
    step = client.post(f"/requests/{args.id}/submit")
    if out.as_json and not args.follow:
        out.json(step)
        return EXIT_OK
    out.note(f"Request #{args.id} submitted; plan run #{step['run']} queued.")
    if args.follow:
        return follow_run(client, step["run"], out, args.interval)
    out.line(f"Follow the plan with: portalctl runs logs {step['run']} --follow")
    return EXIT_OK


def cmd_request_show(client: Client, args: argparse.Namespace, out: Output) -> int:
    req = client.get(f"/requests/{args.id}")
    if out.as_json:
        out.json(req)
    else:
        _show_request(req, out)
    return EXIT_OK


def cmd_requests(client: Client, args: argparse.Namespace, out: Output) -> int:
    data = client.get("/approvals" if args.command == "approvals" else "/requests", limit=args.limit)
    out.listing(
        data,
        [
            ("id", "ID"),
            ("kind", "Kind"),
            ("state", "State"),
            ("environment_name", "Environment"),
            ("team", "Team"),
            ("tier", "Tier"),
            ("requester", "Requester"),
            ("monthly_cost_usd", "$/month"),
        ],
    )
    return EXIT_OK


def _decide(client: Client, args: argparse.Namespace, out: Output, decision: str) -> int:
    req = client.get(f"/requests/{args.id}")
    plan = req.get("plan") or {}
    shown = plan.get("plan_sha256") or None
    if not out.as_json:
        _show_request(req, out)
    if args.plan_sha256 and shown and args.plan_sha256 != shown:
        out.note(f"Note: you gave plan {args.plan_sha256[:12]}…; the request's plan is {shown[:12]}….")
    body: dict[str, Any] = {
        "decision": decision,
        "comment": args.comment or "",
        # The hash the caller saw (or named) goes back, so a re-plan in between is refused (409).
        "plan_sha256": args.plan_sha256 or shown,
        "acknowledge_warnings": getattr(args, "acknowledge_warnings", False),
        "acknowledged": getattr(args, "acknowledge", None) or [],
    }
    if decision == "approve" and getattr(args, "break_glass", None):
        body["decision"], body["break_glass_reason"] = "break_glass", args.break_glass
    if not args.yes and sys.stdin.isatty():
        answer = input(f"{decision.capitalize()} plan {shown or '-'} of request #{args.id}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            out.note("Nothing done.")
            return EXIT_OK
    step = client.post(f"/requests/{args.id}/decide", body)
    if out.as_json and not getattr(args, "follow", False):
        out.json(step)
        return EXIT_OK
    state = step["request"]["state_label"]
    out.note(f"Request #{args.id}: {decision}d plan {(shown or '-')[:12]}…; now {state}.")
    if getattr(args, "follow", False) and step.get("run"):
        return follow_run(client, step["run"], out, args.interval)
    if step.get("run"):
        out.line(f"Follow it with: portalctl runs logs {step['run']} --follow")
    return EXIT_OK


def cmd_approve(client: Client, args: argparse.Namespace, out: Output) -> int:
    return _decide(client, args, out, "approve")


def cmd_reject(client: Client, args: argparse.Namespace, out: Output) -> int:
    return _decide(client, args, out, "reject")


def cmd_envs(client: Client, args: argparse.Namespace, out: Output) -> int:
    data = client.get("/environments", status=args.status, tier=args.tier, name=args.name, limit=args.limit)
    out.listing(
        data,
        [
            ("id", "ID"),
            ("name", "Name"),
            ("team", "Team"),
            ("blueprint", "Blueprint"),
            ("version", "Version"),
            ("tier", "Tier"),
            ("status", "Status"),
            ("drift_status", "Drift"),
            ("monthly_cost_usd", "$/month"),
        ],
    )
    return EXIT_OK


def cmd_destroy(client: Client, args: argparse.Namespace, out: Output) -> int:
    confirm = args.confirm
    if confirm is None:
        if not sys.stdin.isatty():
            raise CliError("--confirm NAME is required: type the environment's name.", EXIT_USAGE)
        confirm = input(f"Type the name of environment #{args.environment} to confirm its destroy: ")
    step = client.post(
        f"/environments/{args.environment}/destroy",
        {"confirm_name": confirm, "reason": args.reason, "submit": not args.no_submit},
    )
    if out.as_json and not args.follow:
        out.json(step)
        return EXIT_OK
    req = step["request"]
    done = f"submitted: destroy plan run #{step['run']}" if step.get("run") else "drafted"
    out.note(f"Destroy request #{req['id']} {done}.")
    if args.follow and step.get("run"):
        return follow_run(client, step["run"], out, args.interval)
    return EXIT_OK


def cmd_runs_list(client: Client, args: argparse.Namespace, out: Output) -> int:
    data = client.get("/runs", kind=args.kind, status=args.status, limit=args.limit)
    out.listing(
        data,
        [
            ("id", "ID"),
            ("kind", "Kind"),
            ("status", "Status"),
            ("environment", "Env"),
            ("request", "Request"),
            ("created_by", "By"),
            ("created_at", "Created"),
        ],
    )
    return EXIT_OK


def cmd_runs_show(client: Client, args: argparse.Namespace, out: Output) -> int:
    run = client.get(f"/runs/{args.run}")
    if out.as_json:
        out.json(run)
    else:
        out.fields(
            [
                ("Run", f"#{run['id']} ({run['kind']})"),
                ("Status", run["status"]),
                ("Environment", run["environment"]),
                ("Request", run["request"]),
                ("Started", run["started_at"]),
                ("Finished", run["finished_at"]),
                ("Error", run["error"] or "-"),
            ]
        )
    return EXIT_OK


def cmd_runs_cancel(client: Client, args: argparse.Namespace, out: Output) -> int:
    run = client.post(f"/runs/{args.run}/cancel")
    if out.as_json:
        out.json(run)
    else:
        out.line(f"Cancel requested for run #{run['id']} ({run['status']}).")
    return EXIT_OK


def follow_run(
    client: Client,
    run_id: int,
    out: Output,
    interval: float = 1.0,
    after: int = 0,
    follow: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Prints the run's log from `after`; with `follow`, until the run ends, then answers the
    run's outcome as an exit code (0 succeeded, 10 failed, 11 cancelled, 12 timed out)."""
    while True:
        data = client.get(f"/runs/{run_id}/log", after=after, limit=1000)
        for line in data["lines"]:
            if out.as_json:
                print(json.dumps(line, default=str), file=out.out, flush=True)  # one JSON object a line
            else:
                out.line(line["message"])
        after = data["next_after"]
        if data["finished"]:
            status = data["status"]
            out.note(f"Run #{run_id} {status}.")
            return RUN_EXIT.get(status, EXIT_RUN_FAILED)
        if not follow:
            return EXIT_OK
        if not data["lines"]:
            sleep(interval)


def cmd_runs_logs(client: Client, args: argparse.Namespace, out: Output) -> int:
    return follow_run(client, args.run, out, args.interval, after=args.after, follow=args.follow)


# -- Parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portalctl",
        description="The infra portal from the command line. Reads PORTAL_URL and PORTAL_TOKEN "
        "(or ~/.config/portalctl/config.toml with `url` and `token`).",
    )
    parser.add_argument("--version", action="version", version=f"portalctl {__version__}")
    parser.add_argument("--url", help="The portal's address (overrides PORTAL_URL).")
    parser.add_argument("--token", help="A personal access token (overrides PORTAL_TOKEN).")
    parser.add_argument("--json", action="store_true", help="Print JSON for scripts instead of tables.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Any, help_text: str, into: Any = commands) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = into.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    def follow_options(sub: argparse.ArgumentParser, what: str) -> None:
        sub.add_argument("--follow", "-f", action="store_true", help=f"Stream {what}'s log until it ends.")
        sub.add_argument("--interval", type=float, default=1.0, help="Seconds between polls (default 1).")

    def input_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--name", help="Environment name.")
        sub.add_argument("--tier", help="dev, staging or prod.")
        sub.add_argument("--region", help="AWS region (AWS blueprints).")
        sub.add_argument(
            "--set", action="append", metavar="KEY=VALUE", help="A blueprint input (repeatable)."
        )
        sub.add_argument("--version", dest="version", help="A published version (default: the latest).")

    command("whoami", cmd_whoami, "Who the token belongs to.")
    command("blueprints", cmd_blueprints, "List the catalog's blueprints.")
    sub = command("schema", cmd_schema, "A blueprint version's inputs as JSON Schema.")
    sub.add_argument("blueprint")
    sub.add_argument("--version")

    sub = command("estimate", cmd_estimate, "The monthly cost of a blueprint with these inputs.")
    sub.add_argument("blueprint")
    input_options(sub)
    sub.add_argument("--usage-profile", default="medium", choices=("small", "medium", "large"))
    sub.add_argument("--free-tier", action="store_true")

    request = command("request", None, "Create, submit or show a request.")
    request_commands = request.add_subparsers(dest="request_command", required=True, metavar="ACTION")
    sub = command("create", cmd_request_create, "Draft a request.", request_commands)
    sub.add_argument("blueprint")
    input_options(sub)
    sub.add_argument("--team", help="Team name or id (needed if you are in several).")
    sub.add_argument("--reason", help="Why you need it.")
    sub.add_argument("--environment", type=int, help="Update this environment (id) instead of creating one.")
    sub = command("submit", cmd_request_submit, "Submit a draft: queues its plan.", request_commands)
    sub.add_argument("id", type=int)
    follow_options(sub, "the plan")
    sub = command(
        "show", cmd_request_show, "Show a request, its plan and what it still needs.", request_commands
    )
    sub.add_argument("id", type=int)

    for name in ("requests", "approvals"):
        sub = command(
            name,
            cmd_requests,
            "Your teams' requests." if name == "requests" else "What waits for your decision.",
        )
        sub.add_argument("--limit", type=int, default=50)

    for name, handler in (("approve", cmd_approve), ("reject", cmd_reject)):
        sub = command(name, handler, f"{name.capitalize()} a request's current plan (its hash is sent back).")
        sub.add_argument("id", type=int)
        sub.add_argument("--comment", "-m", required=name == "reject", help="Comment (a reason to reject).")
        sub.add_argument(
            "--plan-sha256", help="The plan hash you reviewed; refused if the plan changed since."
        )
        sub.add_argument("--yes", "-y", action="store_true", help="Do not ask for confirmation.")
        if name == "approve":
            sub.add_argument(
                "--acknowledge-warnings", action="store_true", help="Acknowledge every policy warning."
            )
            sub.add_argument(
                "--acknowledge", action="append", metavar="POLICY", help="Acknowledge this warned policy."
            )
            sub.add_argument("--break-glass", metavar="REASON", help="Platform admins: approve alone.")
            follow_options(sub, "the apply")

    sub = command("envs", cmd_envs, "List environments.")
    sub.add_argument("--status")
    sub.add_argument("--tier")
    sub.add_argument("--name", help="Name contains.")
    sub.add_argument("--limit", type=int, default=50)

    sub = command(
        "destroy", cmd_destroy, "Ask to destroy an environment (plans the destroy; needs approval)."
    )
    sub.add_argument("environment", type=int)
    sub.add_argument(
        "--confirm", metavar="NAME", help="The environment's name, to confirm (asked if omitted)."
    )
    sub.add_argument("--reason", required=True, help="Why it should be destroyed (recorded).")
    sub.add_argument("--no-submit", action="store_true", help="Only draft the destroy request.")
    follow_options(sub, "the destroy plan")

    runs = command("runs", None, "List runs, show one, stream its log, cancel it.")
    run_commands = runs.add_subparsers(dest="runs_command", required=True, metavar="ACTION")
    sub = command("list", cmd_runs_list, "List runs.", run_commands)
    sub.add_argument("--kind")
    sub.add_argument("--status")
    sub.add_argument("--limit", type=int, default=50)
    sub = command("show", cmd_runs_show, "Show a run.", run_commands)
    sub.add_argument("run", type=int)
    sub = command("logs", cmd_runs_logs, "Print a run's log; --follow streams it to the end.", run_commands)
    sub.add_argument("run", type=int)
    sub.add_argument("--after", type=int, default=0, help="Start after this line number.")
    follow_options(sub, "the run")
    sub = command("cancel", cmd_runs_cancel, "Cancel a queued or running run.", run_commands)
    sub.add_argument("run", type=int)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    output = Output(args.json, out, err)
    try:
        client = Client(load_config(args.url, args.token))
        return int(args.handler(client, args, output))
    except CliError as exc:
        if args.json:
            error = {"code": exc.code, "message": exc.message, "fields": exc.fields, "status": exc.status}
            print(json.dumps({"error": error}), file=err)
        else:
            print(f"portalctl: {exc.message}", file=err)
            for field, message in exc.fields.items():
                print(f"  {field}: {message}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
