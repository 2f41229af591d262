"""The Price List specifications: which product holds each catalog key's price, as data.

``specs.yaml`` (next to this file) lists one :class:`PriceSpec` per catalog key, plus ``matrices``
that write one spec for many instance types, and the ``manual_keys`` that have no Price List
mapping. It is checked against ``specs.schema.json`` (JSON Schema) and a few rules a schema cannot
say (known source names, unique keys) when loaded; a broken file fails at import with every
problem listed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

__all__ = ["MANUAL_KEYS", "PRICE_SPECS", "SPECS_FILE", "Pick", "PriceSpec", "SpecsError", "load_specs"]

SPECS_FILE = Path(__file__).resolve().parent / "specs.yaml"
SCHEMA_FILE = Path(__file__).resolve().parent / "specs.schema.json"

Pick = Literal["flat", "paid", "tiers"]
"""How to turn a product's on-demand price dimensions into a catalog price.

``flat``: one price (every dimension must have the same price).
``paid``: drop zero-priced dimensions (free allowances, which the catalog keeps in notes), then one
price, or tiers if several remain, with the first paid band extended down to 0.
``tiers``: every dimension is a tier, ordered by ``beginRange``.
"""


class SpecsError(ValueError):
    """The specifications file is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str], *, origin: str) -> None:
        self.problems = list(problems)
        super().__init__(f"{origin}: {len(self.problems)} problem(s):\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True)
class PriceSpec:
    """How to find one catalog key's price in the Price List.

    filters: TERM_MATCH (field, value) pairs sent to the API besides the region.
    usagetype: the usagetype without its region prefix; ``usagetype_exact`` compares it whole
        (CloudFront's ``US-``/``EU-`` prefixes are edge locations, not regions).
    pick: see :data:`Pick`.
    scale: multiplies the API price per unit into the catalog unit and divides the API's ranges,
        e.g. 1e6 for a per-request API price quoted per "1M requests".
    api_units: if given, the dimensions' ``unit`` must be one of these (guards ``scale``).
    global_service: priced once without a region filter and copied to every region.
    region_field: the attribute holding the region code (``fromRegionCode`` for data transfer).
    verified: False when the attribute values could not be confirmed from public sources.
    """

    key: str
    service_code: str
    unit: str
    source: str
    filters: tuple[tuple[str, str], ...] = ()
    usagetype: str | None = None
    usagetype_exact: bool = False
    pick: Pick = "flat"
    scale: float = 1.0
    api_units: tuple[str, ...] = ()
    global_service: bool = False
    region_field: str = "regionCode"
    verified: bool = True


def _fill(value: Any, names: Mapping[str, Any]) -> Any:
    """Replaces ``{name}`` / ``{name[field]}`` in every string inside ``value``."""
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    return value


def _expand(matrix: Mapping[str, Sequence[Any]], template: Mapping[str, Any]) -> list[dict[str, Any]]:
    axes = list(matrix)
    return [
        _fill(dict(template), dict(zip(axes, combination, strict=True)))
        for combination in itertools.product(*(matrix[axis] for axis in axes))
    ]


def _spec(raw: Mapping[str, Any], sources: Mapping[str, str]) -> PriceSpec:
    return PriceSpec(
        key=raw["key"],
        service_code=raw["service_code"],
        unit=raw["unit"],
        source=sources[raw["source"]],
        filters=tuple((str(name), str(value)) for name, value in raw.get("filters", {}).items()),
        usagetype=raw.get("usagetype"),
        usagetype_exact=raw.get("usagetype_exact", False),
        pick=raw.get("pick", "flat"),
        scale=float(raw.get("scale", 1.0)),
        api_units=tuple(raw.get("api_units", ())),
        global_service=raw.get("global_service", False),
        region_field=raw.get("region_field", "regionCode"),
        verified=raw.get("verified", True),
    )


def load_specs(path: Path = SPECS_FILE) -> tuple[tuple[PriceSpec, ...], dict[str, str]]:
    """The specs and the manual keys of a specifications file; raises SpecsError if it is invalid."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        raise SpecsError(problems, origin=str(path))
    raw_specs: list[dict[str, Any]] = list(data["specs"])
    for index, block in enumerate(data["matrices"]):
        try:
            raw_specs += _expand(block["matrix"], block["spec"])
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(f"matrices/{index}: the spec names a value the matrix lacks ({exc})")
    seen: set[str] = set()
    for raw in raw_specs:
        if raw["source"] not in data["sources"]:
            problems.append(
                f"{raw['key']}: unknown source {raw['source']!r} (known: {', '.join(data['sources'])})"
            )
        if raw["key"] in seen:
            problems.append(f"{raw['key']}: specified twice")
        seen.add(raw["key"])
    for key in data["manual_keys"]:
        if key in seen:
            problems.append(f"{key}: both a spec and a manual key")
    if problems:
        raise SpecsError(problems, origin=str(path))
    specs = tuple(_spec(raw, data["sources"]) for raw in raw_specs)
    return specs, dict(data["manual_keys"])


PRICE_SPECS: tuple[PriceSpec, ...]
MANUAL_KEYS: Mapping[str, str]
#: Every catalog key's Price List specification, and the catalog keys with no mapping (and why).
PRICE_SPECS, MANUAL_KEYS = load_specs()
