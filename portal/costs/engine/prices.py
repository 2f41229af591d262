"""The AWS price catalog: dated JSON files, validated and looked up by (key, region).

The shipped files are in ``portal/costs/prices/`` (:data:`PRICES_DIR`); the portal reads the
directory named by its ``PRICE_CATALOG_DIR`` setting and passes it in.

A catalog file looks like::

    {"catalog_version": "2026-11-21", "currency": "USD", "generated_by": "...",
     "prices": [{"key": "lambda.requests", "service": "AWS Lambda", "description": "Requests",
                 "region": "us-east-1", "unit": "1M requests", "usd": 0.2, "tiers": null,
                 "source": "https://aws.amazon.com/lambda/pricing/", "source_date": "2025-06-01",
                 "notes": ""}]}

``usd`` is the price of one ``unit``; for a tiered entry it is the first tier's price and ``tiers``
lists ``{"from": qty, "to": qty | null, "usd": price}`` in the same unit, starting at 0, contiguous,
ascending and open-ended (the last ``to`` is null). Free allowances (the Lambda free tier, the first
25 GB of DynamoDB storage, ...) are described in ``notes`` and are not part of the price.

Optional per-entry fields: ``origin`` (``hand-curated`` by default, ``price-list-api`` or
``carried-over`` for files written by :mod:`portal.costs.engine.pricelist`) and ``sku`` (the
Price List SKU).

Nothing here imports Django; the estimator and the price-list refresher both build on it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CATALOG_FILE_RE",
    "ORIGINS",
    "PRICES_DIR",
    "UNITS",
    "UNVERIFIED_MARK",
    "CatalogError",
    "PriceCatalog",
    "PriceEntry",
    "Tier",
    "UnknownPrice",
    "catalog_files",
    "entries_by_key",
    "latest_catalog_path",
    "load_catalog",
    "parse_catalog",
    "validate_catalog_data",
]

#: The catalog files shipped with the portal (data, next to the engine package).
PRICES_DIR = Path(__file__).resolve().parent.parent / "prices"
CATALOG_FILE_RE = re.compile(r"^aws-(\d{4}-\d{2}-\d{2})\.json$")

#: Every unit a price may be quoted in, mapped to (base unit, how many base units one unit is).
#: An estimator converts its raw quantities with this table instead of guessing from the text.
UNITS: Mapping[str, tuple[str, float]] = {
    "hour": ("hour", 1),
    "day": ("day", 1),
    "month": ("month", 1),
    "GB": ("GB", 1),
    "GB-month": ("GB-month", 1),
    "GB-second": ("GB-second", 1),
    "GB-hour": ("GB-hour", 1),
    "vCPU-hour": ("vCPU-hour", 1),
    "ACU-hour": ("ACU-hour", 1),
    "LCU-hour": ("LCU-hour", 1),
    "WCU-hour": ("WCU-hour", 1),
    "RCU-hour": ("RCU-hour", 1),
    "IOPS-month": ("IOPS-month", 1),
    "MB/s-month": ("MB/s-month", 1),
    "alarm-month": ("alarm-month", 1),
    "metric-month": ("metric-month", 1),
    "1k requests": ("request", 1_000),
    "10k requests": ("request", 10_000),
    "1M requests": ("request", 1_000_000),
    "1M WRU": ("write request unit", 1_000_000),
    "1M RRU": ("read request unit", 1_000_000),
    "100k requests": ("request", 100_000),
    "100k events": ("event", 100_000),
    "1M events": ("event", 1_000_000),
    "100k notifications": ("notification", 100_000),
    "1M traces": ("trace", 1_000_000),
    "1M invocations": ("invocation", 1_000_000),
    "1k paths": ("path", 1_000),
}

#: How a catalog entry's notes mark a price that still needs confirming against its source.
UNVERIFIED_MARK = "UNVERIFIED:"

ORIGINS = frozenset({"hand-curated", "price-list-api", "carried-over"})

_REQUIRED_FIELDS: Mapping[str, type | tuple[type, ...]] = {
    "key": str,
    "service": str,
    "description": str,
    "region": str,
    "unit": str,
    "usd": (int, float),
    "tiers": (list, type(None)),
    "source": str,
    "source_date": str,
    "notes": str,
}
_OPTIONAL_FIELDS: Mapping[str, type | tuple[type, ...]] = {"origin": str, "sku": str}
_TOP_LEVEL_FIELDS = ("catalog_version", "currency", "generated_by", "prices")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]*(\.[a-z0-9][a-z0-9_]*)+$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_SOURCE_RE = re.compile(r"^https://[a-z0-9.-]+\.(amazon\.com|amazonaws\.com|aws)/\S*$")


class CatalogError(ValueError):
    """A catalog file is malformed; ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[str], *, origin: str = "catalog") -> None:
        self.problems = list(problems)
        shown = "\n  - ".join(self.problems[:25])
        more = f"\n  ... and {len(self.problems) - 25} more" if len(self.problems) > 25 else ""
        super().__init__(f"{origin}: {len(self.problems)} problem(s):\n  - {shown}{more}")


class UnknownPrice(LookupError):
    """No price for a (key, region) pair; the message lists close keys or the regions that have it."""

    def __init__(self, key: str, region: str, *, suggestions: Sequence[str], regions: Sequence[str]) -> None:
        self.key = key
        self.region = region
        self.suggestions = list(suggestions)
        self.regions = list(regions)
        if self.regions:
            detail = f"the key exists only for regions: {', '.join(self.regions)}"
        elif self.suggestions:
            detail = f"close matches: {', '.join(self.suggestions)}"
        else:
            detail = "no similar keys in the catalog"
        super().__init__(f"no price for {key!r} in {region!r}; {detail}")

    def __str__(self) -> str:  # LookupError would repr() the message, quoting it.
        return str(self.args[0])


@dataclass(frozen=True)
class Tier:
    """One price band: quantities in [start, end) cost ``usd`` per unit; ``end`` None is open-ended."""

    start: float
    end: float | None
    usd: float


@dataclass(frozen=True)
class PriceEntry:
    key: str
    service: str
    description: str
    region: str
    unit: str
    usd: float
    tiers: tuple[Tier, ...] | None
    source: str
    source_date: dt.date
    notes: str = ""
    origin: str = "hand-curated"
    sku: str | None = None

    @property
    def unit_size(self) -> float:
        """How many base units (requests, events, ...) one ``unit`` is: 1e6 for "1M requests"."""
        return UNITS[self.unit][1]

    @property
    def is_free(self) -> bool:
        return self.usd == 0 and not self.tiers

    @property
    def verified(self) -> bool:
        """False for a figure the curator could not confirm against its source: the catalog
        marks those with "UNVERIFIED:" in the notes, followed by why."""
        return UNVERIFIED_MARK not in self.notes

    @property
    def unverified_reason(self) -> str:
        """The note after "UNVERIFIED:" (empty for a verified price)."""
        if self.verified:
            return ""
        return self.notes.split(UNVERIFIED_MARK, 1)[1].strip() or "not confirmed against its source"

    def cost(self, quantity: float) -> float:
        """USD for ``quantity`` (in this entry's unit) in one billing period, walking the tiers."""
        if quantity < 0 or math.isnan(quantity):
            raise ValueError(f"{self.key}: quantity must be a non-negative number, got {quantity!r}")
        if not self.tiers:
            return quantity * self.usd
        total = 0.0
        for tier in self.tiers:
            if quantity <= tier.start:
                break
            upper = quantity if tier.end is None else min(quantity, tier.end)
            total += (upper - tier.start) * tier.usd
        return total

    def cost_of(self, base_quantity: float) -> float:
        """USD for a quantity in base units, e.g. 2_500_000 requests for a "1M requests" price."""
        return self.cost(base_quantity / self.unit_size)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "service": self.service,
            "description": self.description,
            "region": self.region,
            "unit": self.unit,
            "usd": self.usd,
            "tiers": (
                [{"from": _num(t.start), "to": _num(t.end), "usd": t.usd} for t in self.tiers]
                if self.tiers
                else None
            ),
            "source": self.source,
            "source_date": self.source_date.isoformat(),
            "notes": self.notes,
        }
        if self.origin != "hand-curated":
            data["origin"] = self.origin
        if self.sku:
            data["sku"] = self.sku
        return data


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class PriceCatalog:
    version: dt.date
    currency: str
    generated_by: str
    entries: tuple[PriceEntry, ...]
    path: Path | None = None
    _index: dict[tuple[str, str], PriceEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {(e.key, e.region): e for e in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[PriceEntry]:
        return iter(self.entries)

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def get(self, key: str, region: str) -> PriceEntry | None:
        return self._index.get((key, region))

    def price(self, key: str, region: str) -> PriceEntry:
        """The entry for ``key`` in ``region``; :class:`UnknownPrice` names close matches if absent."""
        entry = self._index.get((key, region))
        if entry is not None:
            return entry
        regions = sorted({e.region for e in self.entries if e.key == key})
        keys = sorted({e.key for e in self.entries})
        suggestions = [] if regions else difflib.get_close_matches(key, keys, n=5, cutoff=0.6)
        if not regions and not suggestions:
            prefix = key.split(".", 1)[0] + "."
            suggestions = [k for k in keys if k.startswith(prefix)][:5]
        raise UnknownPrice(key, region, suggestions=suggestions, regions=regions)

    def keys(self) -> list[str]:
        return sorted({e.key for e in self.entries})

    def regions(self) -> list[str]:
        return sorted({e.region for e in self.entries})

    def for_region(self, region: str) -> list[PriceEntry]:
        return [e for e in self.entries if e.region == region]

    def to_dict(self) -> dict[str, Any]:
        return {
            "catalog_version": self.version.isoformat(),
            "currency": self.currency,
            "generated_by": self.generated_by,
            "prices": [e.to_dict() for e in self.entries],
        }


# ------------------------------------------------------------------------------------------ validation


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _tier_problems(where: str, tiers: list[Any], usd: object) -> list[str]:
    problems: list[str] = []
    if not tiers:
        return [f"{where}: tiers is an empty list (use null for a flat price)"]
    previous_end: float | None = 0.0
    for i, tier in enumerate(tiers):
        here = f"{where}: tier {i}"
        if not isinstance(tier, dict) or set(tier) != {"from", "to", "usd"}:
            problems.append(f"{here}: must be an object with exactly from, to, usd")
            return problems
        start, end, price = tier["from"], tier["to"], tier["usd"]
        if not _is_number(start) or start < 0:
            problems.append(f"{here}: from must be a non-negative number")
            return problems
        if end is not None and not _is_number(end):
            problems.append(f"{here}: to must be a number or null")
            return problems
        if not _is_number(price) or price < 0:
            problems.append(f"{here}: usd must be a non-negative number")
        if previous_end is None:
            problems.append(f"{here}: follows an open-ended tier")
        elif start != previous_end:
            what = (
                "first tier must start at 0"
                if i == 0
                else f"starts at {start}, previous ends at {previous_end}"
            )
            problems.append(f"{here}: tiers not contiguous ({what})")
        if end is not None and end <= start:
            problems.append(f"{here}: to ({end}) must be greater than from ({start})")
        previous_end = end
    if previous_end is not None:
        problems.append(f"{where}: last tier must be open-ended (to: null)")
    first = tiers[0]
    if isinstance(first, dict) and _is_number(usd) and _is_number(first.get("usd")) and first["usd"] != usd:
        problems.append(f"{where}: usd ({usd}) must equal the first tier's usd ({first['usd']})")
    return problems


def _entry_problems(i: int, raw: object) -> list[str]:
    if not isinstance(raw, dict):
        return [f"prices[{i}]: must be an object"]
    label = raw.get("key") if isinstance(raw.get("key"), str) else "?"
    where = f"prices[{i}] ({label} / {raw.get('region', '?')})"
    problems: list[str] = []
    for name, kind in _REQUIRED_FIELDS.items():
        if name not in raw:
            problems.append(f"{where}: missing field {name!r}")
        elif not isinstance(raw[name], kind) or isinstance(raw[name], bool):
            problems.append(f"{where}: field {name!r} has the wrong type ({type(raw[name]).__name__})")
    for name, kind in _OPTIONAL_FIELDS.items():
        if name in raw and not isinstance(raw[name], kind):
            problems.append(f"{where}: field {name!r} has the wrong type ({type(raw[name]).__name__})")
    unknown = set(raw) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if problems:
        return problems

    if not _KEY_RE.match(raw["key"]):
        problems.append(f"{where}: key must be dotted lowercase words, e.g. lambda.requests")
    if not _REGION_RE.match(raw["region"]):
        problems.append(f"{where}: region {raw['region']!r} is not a region code like us-east-1")
    if raw["unit"] not in UNITS:
        problems.append(f"{where}: unknown unit {raw['unit']!r} (known: {', '.join(UNITS)})")
    if not _is_number(raw["usd"]) or raw["usd"] < 0:
        problems.append(f"{where}: usd must be a non-negative number, got {raw['usd']!r}")
    if raw["tiers"] is not None:
        problems.extend(_tier_problems(where, raw["tiers"], raw["usd"]))
    if not raw["source"].strip():
        problems.append(f"{where}: source is empty; every price needs the pricing page it came from")
    elif not _SOURCE_RE.match(raw["source"]):
        problems.append(f"{where}: source {raw['source']!r} is not an AWS https URL")
    if _parse_date(raw["source_date"]) is None:
        problems.append(f"{where}: source_date {raw['source_date']!r} is not a YYYY-MM-DD date")
    if not raw["service"].strip() or not raw["description"].strip():
        problems.append(f"{where}: service and description must not be empty")
    if "origin" in raw and raw["origin"] not in ORIGINS:
        problems.append(f"{where}: origin must be one of {', '.join(sorted(ORIGINS))}")
    return problems


def validate_catalog_data(data: object) -> list[str]:
    """Every problem with a decoded catalog document; an empty list means it is valid."""
    if not isinstance(data, dict):
        return ["catalog must be a JSON object"]
    problems: list[str] = []
    for name in _TOP_LEVEL_FIELDS:
        if name not in data:
            problems.append(f"missing top-level field {name!r}")
    unknown = set(data) - set(_TOP_LEVEL_FIELDS)
    if unknown:
        problems.append(f"unknown top-level field(s) {', '.join(sorted(unknown))}")
    if "catalog_version" in data and _parse_date(data["catalog_version"]) is None:
        problems.append(f"catalog_version {data['catalog_version']!r} is not a YYYY-MM-DD date")
    if "currency" in data and data["currency"] != "USD":
        problems.append(f"currency must be USD, got {data['currency']!r}")
    if "generated_by" in data and (not isinstance(data["generated_by"], str) or not data["generated_by"]):
        problems.append("generated_by must be a non-empty string")
    prices = data.get("prices")
    if "prices" in data and not isinstance(prices, list):
        problems.append("prices must be a list")
        return problems
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(prices or []):
        problems.extend(_entry_problems(i, raw))
        if isinstance(raw, dict) and isinstance(raw.get("key"), str) and isinstance(raw.get("region"), str):
            pair = (raw["key"], raw["region"])
            if pair in seen:
                problems.append(
                    f"prices[{i}]: duplicate ({pair[0]}, {pair[1]}), first at prices[{seen[pair]}]"
                )
            else:
                seen[pair] = i
    return problems


def _entry_from_raw(raw: Mapping[str, Any]) -> PriceEntry:
    tiers = raw["tiers"]
    source_date = _parse_date(raw["source_date"])
    assert source_date is not None  # validated before
    return PriceEntry(
        key=raw["key"],
        service=raw["service"],
        description=raw["description"],
        region=raw["region"],
        unit=raw["unit"],
        usd=float(raw["usd"]),
        tiers=(
            tuple(
                Tier(float(t["from"]), None if t["to"] is None else float(t["to"]), float(t["usd"]))
                for t in tiers
            )
            if tiers
            else None
        ),
        source=raw["source"],
        source_date=source_date,
        notes=raw["notes"],
        origin=raw.get("origin", "hand-curated"),
        sku=raw.get("sku"),
    )


def parse_catalog(data: object, *, path: Path | None = None) -> PriceCatalog:
    """Validate a decoded catalog document and build a :class:`PriceCatalog`; raises CatalogError."""
    problems = validate_catalog_data(data)
    if problems:
        raise CatalogError(problems, origin=str(path) if path else "catalog")
    assert isinstance(data, dict)
    version = _parse_date(data["catalog_version"])
    assert version is not None
    return PriceCatalog(
        version=version,
        currency=data["currency"],
        generated_by=data["generated_by"],
        entries=tuple(_entry_from_raw(raw) for raw in data["prices"]),
        path=path,
    )


# ------------------------------------------------------------------------------------------ loading


def catalog_files(directory: Path | None = None) -> list[Path]:
    """Catalog files (``aws-YYYY-MM-DD.json``) in ``directory``, oldest first."""
    directory = PRICES_DIR if directory is None else directory
    found = [p for p in directory.glob("aws-*.json") if CATALOG_FILE_RE.match(p.name)]
    return sorted(found, key=lambda p: p.name)


def latest_catalog_path(directory: Path | None = None) -> Path:
    files = catalog_files(directory)
    if not files:
        raise FileNotFoundError(f"no aws-YYYY-MM-DD.json catalog in {directory or PRICES_DIR}")
    return files[-1]


def load_catalog(path: Path | str | None = None) -> PriceCatalog:
    """Load and validate a catalog file; by default the newest one in :data:`PRICES_DIR`."""
    target = latest_catalog_path() if path is None else Path(path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogError([f"not valid JSON: {exc}"], origin=str(target)) from exc
    catalog = parse_catalog(data, path=target)
    match = CATALOG_FILE_RE.match(target.name)
    if match and match.group(1) != catalog.version.isoformat():
        raise CatalogError(
            [f"file name date {match.group(1)} differs from catalog_version {catalog.version}"],
            origin=str(target),
        )
    return catalog


def entries_by_key(entries: Iterable[PriceEntry]) -> dict[str, list[PriceEntry]]:
    grouped: dict[str, list[PriceEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.key, []).append(entry)
    return grouped
