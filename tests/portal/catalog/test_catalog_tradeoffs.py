"""The blueprint page lists the accepted checkov trade-offs and the account prerequisites."""

import pytest
from django.urls import reverse

from portal.catalog.models import Blueprint
from portal.catalog.selectors import blueprint_accepted_skips
from portal.catalog.services import blueprints_sync


@pytest.fixture
def catalog(db):
    blueprints_sync()
    return {b.slug: b for b in Blueprint.objects.select_related("latest_version")}


def test_detail_page_lists_skips_with_reasons_and_prerequisites(client, catalog, requester):
    client.force_login(requester)
    version = catalog["serverless-api"].latest_version
    skips = blueprint_accepted_skips(version)
    # The blueprint's own skips and those of the modules it uses (rest_api, lambda_function, ...).
    assert {"CKV_AWS_59", "CKV_AWS_116", "CKV_AWS_18"} <= {s["check_id"] for s in skips}
    assert all(len(s["reason"]) >= 12 for s in skips)

    html = client.get(reverse("catalog:detail", args=["serverless-api"])).content.decode()
    assert "Accepted trade-offs" in html and "Account prerequisites" in html
    assert "apigateway-cloudwatch-role" in html
    assert "<code>CKV_AWS_59</code>" in html and "<code>aws_api_gateway_method.any</code>" in html
    assert "the app authenticates requests itself" in html

    sandbox = client.get(reverse("catalog:detail", args=["local-sandbox"])).content.decode()
    assert "Accepted trade-offs" not in sandbox and "Account prerequisites" not in sandbox
