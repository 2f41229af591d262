"""The AWS Price List importer: ``specs.yaml`` (data) says where each catalog key's price is,
:mod:`.importer` reads the Price List API with it and writes a new dated catalog file."""

from portal.costs.engine.pricelist.importer import (
    FetchResult,
    PriceListError,
    build_filters,
    fetch_entries,
    fetch_report,
    price_products,
    usagetype_matches,
    write_catalog,
)
from portal.costs.engine.pricelist.specs import MANUAL_KEYS, PRICE_SPECS, PriceSpec, SpecsError, load_specs

__all__ = [
    "MANUAL_KEYS",
    "PRICE_SPECS",
    "FetchResult",
    "PriceListError",
    "PriceSpec",
    "SpecsError",
    "build_filters",
    "fetch_entries",
    "fetch_report",
    "load_specs",
    "price_products",
    "usagetype_matches",
    "write_catalog",
]
