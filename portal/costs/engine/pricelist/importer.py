"""Refresh the price catalog from the AWS Price List Query API (``boto3.client("pricing")``).

``get_products(ServiceCode=..., Filters=[...])`` returns ``PriceList``: JSON strings, each one product::

    {"product": {"sku": "...", "productFamily": "...", "attributes": {"regionCode": "us-east-1",
                 "usagetype": "BoxUsage:t4g.small", "instanceType": "t4g.small", ...}},
     "serviceCode": "AmazonEC2",
     "terms": {"OnDemand": {"<sku>.<offer>": {"effectiveDate": "...", "priceDimensions": {
         "<sku>.<offer>.<rate>": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0168"},
                                  "beginRange": "0", "endRange": "Inf", "description": "..."}}}}}}

:data:`~portal.costs.engine.pricelist.specs.PRICE_SPECS` (data, in ``specs.yaml``) says, for each
catalog key, which service code and attribute filters find its product and how to turn the
product's on-demand price dimensions into a catalog price (``pick``).
``usagetype`` values carry a region prefix (``USW2-``, ``EU-``, ``us-east-1-``; often none in
us-east-1), so specs name the usagetype without it and products are matched on that suffix.

Specs with ``verified=False`` use attribute values that could not be confirmed from public sources
when written; :func:`fetch_report` reports what they fail to match instead of guessing, and
:func:`write_catalog` then carries the previous figure over, marked as such.

The Price List API is served from us-east-1 (also ap-south-1 and eu-central-1), whatever region the
prices are for: ``boto3.client("pricing", region_name="us-east-1")``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.costs.engine.pricelist.specs import PRICE_SPECS, PriceSpec
from portal.costs.engine.prices import (
    UNITS,
    CatalogError,
    PriceCatalog,
    catalog_files,
    load_catalog,
    validate_catalog_data,
)

__all__ = [
    "FetchResult",
    "PriceListError",
    "build_filters",
    "fetch_entries",
    "fetch_report",
    "price_products",
    "usagetype_matches",
    "write_catalog",
]

log = logging.getLogger(__name__)

# USE1, USW2, EUC1, APS2, CAN1 ... (letters then a digit), EU (eu-west-1), or a region code (KMS).
_REGION_PREFIX_RE = re.compile(r"^(?:[A-Z]{2,3}[0-9]|EU|[a-z]{2}(?:-[a-z]+)+-[0-9])$")
_UNVERIFIED_RE = re.compile(r"\s*UNVERIFIED:.*$", re.DOTALL)


class PriceListError(RuntimeError):
    """A spec matched no product, several products with different prices, or unusable dimensions."""


# ------------------------------------------------------------------------------------------ matching


def usagetype_matches(usagetype: str, wanted: str, *, exact: bool = False) -> bool:
    """True if ``usagetype`` is ``wanted`` with at most a region prefix (USW2-, EU-, us-east-1-)."""
    if usagetype == wanted:
        return True
    if exact or not usagetype.endswith("-" + wanted):
        return False
    return bool(_REGION_PREFIX_RE.match(usagetype[: -len(wanted) - 1]))


def build_filters(spec: PriceSpec, region: str | None) -> list[dict[str, str]]:
    """The ``Filters`` argument for ``get_products`` (region None for a global service)."""
    filters = [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in spec.filters]
    if region is not None and not spec.global_service:
        filters.insert(0, {"Type": "TERM_MATCH", "Field": spec.region_field, "Value": region})
    if spec.usagetype:
        kind = "EQUALS" if spec.usagetype_exact else "CONTAINS"
        filters.append({"Type": kind, "Field": "usagetype", "Value": spec.usagetype})
    return filters


def _sig(value: float) -> float:
    """Round away binary noise from scaling (0.0000002 * 1e6 = 0.19999999999999998)."""
    return float(f"{value:.12g}")


def _range(value: object) -> float | None:
    if value in (None, "", "Inf"):
        return None
    return float(str(value))


@dataclass(frozen=True)
class _Priced:
    usd: float
    tiers: tuple[tuple[float, float | None, float], ...] | None
    sku: str
    effective: dt.date | None


def _price_product(spec: PriceSpec, doc: Mapping[str, Any]) -> _Priced:
    sku = str(doc.get("product", {}).get("sku", "?"))
    on_demand = doc.get("terms", {}).get("OnDemand", {})
    if len(on_demand) != 1:
        raise PriceListError(f"{spec.key}: sku {sku} has {len(on_demand)} OnDemand terms, expected 1")
    term = next(iter(on_demand.values()))
    effective: dt.date | None = None
    if isinstance(term.get("effectiveDate"), str):
        effective = dt.date.fromisoformat(term["effectiveDate"][:10])
    dims: list[tuple[float, float | None, float, str]] = []
    for dim in term.get("priceDimensions", {}).values():
        unit = str(dim.get("unit", ""))
        if spec.api_units and unit not in spec.api_units:
            raise PriceListError(f"{spec.key}: sku {sku} is priced per {unit!r}, expected {spec.api_units}")
        usd = dim.get("pricePerUnit", {}).get("USD")
        if usd is None:
            raise PriceListError(f"{spec.key}: sku {sku} has a dimension without a USD price")
        begin = _range(dim.get("beginRange", "0")) or 0.0
        dims.append((begin, _range(dim.get("endRange")), float(usd), unit))
    if not dims:
        raise PriceListError(f"{spec.key}: sku {sku} has no price dimensions")
    dims.sort(key=lambda d: d[0])
    if spec.pick == "paid":
        dims = [d for d in dims if d[2] > 0] or dims[-1:]
        first = dims[0]
        dims[0] = (0.0, first[1], first[2], first[3])
    if len({d[2] for d in dims}) == 1:
        return _Priced(_sig(dims[0][2] * spec.scale), None, sku, effective)
    if spec.pick == "flat":
        raise PriceListError(f"{spec.key}: sku {sku} has {len(dims)} differently priced dimensions")
    tiers: list[tuple[float, float | None, float]] = []
    for i, (begin, end, usd, _unit) in enumerate(dims):
        if i == 0 and begin != 0:
            raise PriceListError(f"{spec.key}: sku {sku} tiers start at {begin}, not 0")
        if tiers and tiers[-1][1] != begin:
            raise PriceListError(f"{spec.key}: sku {sku} tiers are not contiguous at {begin}")
        tiers.append((begin, end, usd))
    if tiers[-1][1] is not None:
        raise PriceListError(f"{spec.key}: sku {sku} last tier ends at {tiers[-1][1]}, not Inf")
    scaled = tuple(
        (_sig(b / spec.scale), None if e is None else _sig(e / spec.scale), _sig(u * spec.scale))
        for b, e, u in tiers
    )
    return _Priced(scaled[0][2], scaled, sku, effective)


def price_products(spec: PriceSpec, region: str, products: Iterable[str | Mapping[str, Any]]) -> _Priced:
    """Pick the product(s) matching ``spec`` among ``PriceList`` items and price them."""
    matched: list[Mapping[str, Any]] = []
    for item in products:
        doc: Mapping[str, Any] = json.loads(item) if isinstance(item, str) else item
        attrs = doc.get("product", {}).get("attributes", {})
        if not spec.global_service and attrs.get(spec.region_field, region) != region:
            continue
        if any(attrs.get(name) != value for name, value in spec.filters if name != "productFamily"):
            continue
        family = dict(spec.filters).get("productFamily")
        if family is not None and doc.get("product", {}).get("productFamily", family) != family:
            continue
        if spec.usagetype and not usagetype_matches(
            str(attrs.get("usagetype", "")), spec.usagetype, exact=spec.usagetype_exact
        ):
            continue
        matched.append(doc)
    where = "global" if spec.global_service else region
    if not matched:
        raise PriceListError(f"{spec.key} ({where}): no product matched")
    priced = [_price_product(spec, doc) for doc in matched]
    distinct = {(p.usd, p.tiers) for p in priced}
    if len(distinct) > 1:
        skus = ", ".join(sorted(p.sku for p in priced))
        raise PriceListError(f"{spec.key} ({where}): {len(matched)} products with different prices ({skus})")
    return min(priced, key=lambda p: p.sku)


# ------------------------------------------------------------------------------------------ fetching


@dataclass
class FetchResult:
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _template_catalog(template: PriceCatalog | None) -> PriceCatalog | None:
    if template is not None:
        return template
    try:
        return load_catalog()
    except (FileNotFoundError, CatalogError):
        return None


def _entry(
    spec: PriceSpec, region: str, priced: _Priced, template: PriceCatalog | None, today: dt.date
) -> dict[str, Any]:
    base = template.get(spec.key, region) if template is not None else None
    old_notes = _UNVERIFIED_RE.sub("", base.notes).strip() if base is not None else ""
    effective = priced.effective or today
    provenance = (
        f"From the AWS Price List API ({spec.service_code}, sku {priced.sku}, effective {effective})."
    )
    return {
        "key": spec.key,
        "service": base.service if base is not None else spec.service_code,
        "description": base.description if base is not None else spec.key,
        "region": region,
        "unit": spec.unit,
        "usd": priced.usd,
        "tiers": (
            [{"from": _int(b), "to": None if e is None else _int(e), "usd": u} for b, e, u in priced.tiers]
            if priced.tiers
            else None
        ),
        "source": spec.source,
        "source_date": effective.isoformat(),
        "notes": f"{old_notes} {provenance}".strip(),
        "origin": "price-list-api",
        "sku": priced.sku,
    }


def _int(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _products(client: Any, spec: PriceSpec, region: str | None) -> list[str]:
    paginator = client.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=spec.service_code,
        Filters=build_filters(spec, region),
        FormatVersion="aws_v1",
        PaginationConfig={"PageSize": 100},
    )
    items: list[str] = []
    for page in pages:
        items.extend(page.get("PriceList", []))
    return items


def fetch_report(
    client: Any,
    regions: Sequence[str],
    specs: Sequence[PriceSpec] | None = None,
    *,
    template: PriceCatalog | None = None,
    today: dt.date | None = None,
) -> FetchResult:
    """Query the Price List API for every spec and region; problems are collected, not raised.

    ``client`` is ``boto3.client("pricing", region_name="us-east-1")`` (or a stubbed one).
    ``template`` (default: the newest catalog in ``prices/``) supplies service names, descriptions
    and notes for the entries, so a refresh keeps the hand-written explanations.
    """
    today = today or dt.date.today()
    template = _template_catalog(template)
    result = FetchResult()
    for spec in PRICE_SPECS if specs is None else specs:
        if spec.unit not in UNITS:
            result.problems.append(f"{spec.key}: unknown catalog unit {spec.unit!r}")
            continue
        targets: list[str | None] = [None] if spec.global_service else list(regions)
        for target in targets:
            try:
                priced = price_products(spec, target or "global", _products(client, spec, target))
            except PriceListError as exc:
                hint = " (attribute values unverified)" if not spec.verified else ""
                result.problems.append(f"{exc}{hint}")
                continue
            for region in regions if target is None else [target]:
                result.entries.append(_entry(spec, region, priced, template, today))
    for problem in result.problems:
        log.warning("price list: %s", problem)
    return result


def fetch_entries(
    client: Any,
    regions: Sequence[str],
    specs: Sequence[PriceSpec] | None = None,
    *,
    template: PriceCatalog | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Catalog entries (dicts in the catalog file's shape) for ``regions`` from the Price List API."""
    return fetch_report(client, regions, specs, template=template, today=today).entries


# ------------------------------------------------------------------------------------------ writing


def write_catalog(
    entries: Sequence[Mapping[str, Any]],
    directory: Path | str,
    version: dt.date | str,
    *,
    previous: PriceCatalog | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``aws-<version>.json`` into ``directory`` from ``entries``.

    Entries of the previous catalog (default: the newest file in ``directory`` dated before
    ``version``) that the API did not return are kept, marked ``origin: carried-over`` with a note,
    so a partial refresh never loses a price. The result is validated before anything is written.
    """
    directory = Path(directory)
    version_str = version.isoformat() if isinstance(version, dt.date) else version
    target = directory / f"aws-{version_str}.json"
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; catalogs are immutable once written (pass overwrite=True)")
    if previous is None:
        older = [p for p in catalog_files(directory) if p.name < target.name]
        previous = load_catalog(older[-1]) if older else None

    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        fresh[(str(entry["key"]), str(entry["region"]))] = dict(entry)
    merged: list[dict[str, Any]] = []
    if previous is not None:
        for old in previous.entries:
            pair = (old.key, old.region)
            if pair in fresh:
                merged.append(fresh.pop(pair))
                continue
            carried = old.to_dict()
            was = old.origin if old.origin != "carried-over" else "carried over before"
            note = (
                f"Not returned by the Price List API for catalog {version_str}; carried over from "
                f"catalog {previous.version} ({was})."
            )
            if old.origin == "carried-over":
                carried["notes"] = re.sub(r"\s*Not returned by the Price List API.*$", "", carried["notes"])
            carried["notes"] = f"{carried['notes']} {note}".strip()
            carried["origin"] = "carried-over"
            merged.append(carried)
    merged.extend(fresh[pair] for pair in sorted(fresh))

    api_count = sum(1 for e in merged if e.get("origin") == "price-list-api")
    data = {
        "catalog_version": version_str,
        "currency": "USD",
        "generated_by": (
            "AWS Price List Query API (pricing:GetProducts) via portal.costs.engine.pricelist: "
            f"{api_count} entries from the API, {len(merged) - api_count} carried over from catalog "
            f"{previous.version if previous else 'none'}"
        ),
        "prices": merged,
    }
    problems = validate_catalog_data(data)
    if problems:
        raise CatalogError(problems, origin=str(target))
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
