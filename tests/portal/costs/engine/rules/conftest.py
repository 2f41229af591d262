"""The catalog every pricing rule test prices against: the newest shipped file."""

import pytest

from portal.costs.engine.prices import PriceCatalog, load_catalog


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return load_catalog()
