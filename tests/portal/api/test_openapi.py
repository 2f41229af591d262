"""The OpenAPI 3 document: it validates, lists every route, and every operation in it is in the
permission matrix."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from openapi_spec_validator import validate

from portal.api.urls import api_patterns
from tests.portal.api.matrix import API, API_CASES

NOT_OPERATIONS = {"openapi-json", "openapi-view", "api-root", "not-found"}


def test_the_document_validates_and_lists_every_route(client, db):
    response = client.get(f"{API}/openapi.json")  # anonymous: the description is public
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    routes = {
        API + "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern)).rstrip("/")
        for p in api_patterns
        if p.name not in NOT_OPERATIONS
    }
    assert routes and routes <= set(document["paths"]), routes - set(document["paths"])
    # Every operation says what its errors look like, and is authenticated.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (method, path)
            assert operation["security"], (method, path)
    schemes = document["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"http", "apiKey"}


def test_every_operation_is_in_the_permission_matrix(client, world):
    document = client.get(f"{API}/openapi.json").json()
    called = {(case.method, urlsplit(case.url(world)).path) for case in API_CASES.values()}
    missing = []
    for path, operations in document["paths"].items():
        pattern = re.compile(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$")
        for method in operations:
            if not any(m == method and pattern.match(url) for m, url in called):
                missing.append((method, path))
    assert missing == [], "operations missing from tests/portal/api/matrix.py"


def test_rendered_docs_load_the_document(client, db):
    html = client.get(f"{API}/docs").content.decode()
    assert "openapi.json" in html
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn." not in html  # served here, offline
