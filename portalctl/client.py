"""A small JSON client for the portal API (standard library only)."""

from __future__ import annotations

import json
import os
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_PREFIX = "/api/v1"
USER_AGENT = "portalctl/0.1"

# Exit codes (README, "portalctl"): scripts can branch on them.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_UNAUTHENTICATED = 4
EXIT_FORBIDDEN = 5
EXIT_NOT_FOUND = 6
EXIT_INVALID = 7
EXIT_CONFLICT = 8
EXIT_SERVER = 9
EXIT_RUN_FAILED = 10
EXIT_RUN_CANCELLED = 11
EXIT_RUN_TIMED_OUT = 12

STATUS_EXIT = {
    400: EXIT_INVALID,
    401: EXIT_UNAUTHENTICATED,
    403: EXIT_FORBIDDEN,
    404: EXIT_NOT_FOUND,
    409: EXIT_CONFLICT,
}


class CliError(Exception):
    """An error to print (to stderr) before exiting with `exit_code`."""

    def __init__(
        self,
        message: str,
        exit_code: int,
        *,
        code: str = "",
        fields: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.exit_code, self.code, self.fields, self.status = (
            message,
            exit_code,
            code,
            fields or {},
            status,
        )


@dataclass
class Config:
    url: str
    token: str


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "portalctl" / "config.toml"


def load_config(url: str | None = None, token: str | None = None) -> Config:
    """Options first, then PORTAL_URL / PORTAL_TOKEN, then the config file (`url`, `token`)."""
    stored: dict[str, Any] = {}
    path = config_path()
    if path.exists():
        try:
            stored = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CliError(f"Cannot read {path}: {exc}", EXIT_CONFIG) from exc
    url = url or os.environ.get("PORTAL_URL") or stored.get("url")
    token = token or os.environ.get("PORTAL_TOKEN") or stored.get("token")
    if not url:
        raise CliError(
            f"No portal address: set PORTAL_URL (e.g. http://127.0.0.1:8000) or `url` in {path}.", EXIT_CONFIG
        )
    if not token:
        raise CliError(
            f"No token: create one at {url.rstrip('/')}/profile/tokens/ and set PORTAL_TOKEN "
            f"or `token` in {path}.",
            EXIT_CONFIG,
        )
    return Config(url=str(url).rstrip("/"), token=str(token))


class Client:
    def __init__(self, config: Config, timeout: float = 30.0) -> None:
        self.config, self.timeout = config, timeout

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        url = f"{self.config.url}{API_PREFIX}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {self.config.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise _api_error(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CliError(f"Cannot reach {self.config.url}: {reason}", EXIT_SERVER) from None
        return json.loads(payload) if payload else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {})


def _api_error(exc: urllib.error.HTTPError) -> CliError:
    raw = exc.read()
    try:
        error = json.loads(raw)["error"]
        message, code, fields = error["message"], error.get("code", ""), error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        message, code, fields = f"HTTP {exc.code}: {raw[:200].decode(errors='replace')}", "", {}
    exit_code = STATUS_EXIT.get(exc.code, EXIT_SERVER)
    return CliError(message, exit_code, code=code, fields=fields, status=exc.code)
