"""Pricing rules for object and image storage: S3 buckets, S3 replication, ECR repositories."""

from __future__ import annotations

from portal.costs.engine.estimator import LineItem, Pricing, PricingRule, Resource
from portal.costs.engine.rules._common import _has, _item, _n, _source, _usage_items, _use


def s3_bucket(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """S3 Standard storage (tiered), Standard-IA and Glacier Instant Retrieval storage, PUT and
    GET requests. Usage: storage_gb, standard_ia_gb, glacier_ir_gb, put_requests, get_requests.
    Free tier (first 12 months): 5 GB, 2,000 PUTs, 20,000 GETs."""
    storage = _use(resource, "storage_gb")
    items = [
        pricing.item(
            resource,
            "s3.standard.storage",
            storage,
            component="Standard storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
            free_quantity=5,
        )
    ]
    for name, key, label in (
        ("standard_ia_gb", "s3.standard_ia.storage", "Standard-IA storage"),
        ("glacier_ir_gb", "s3.glacier_ir.storage", "Glacier Instant Retrieval storage"),
    ):
        if _has(resource, name):
            quantity = _use(resource, name)
            items.append(
                pricing.item(
                    resource,
                    key,
                    quantity,
                    component=label,
                    usage_based=True,
                    assumption=f"{_n(quantity)} GB-month (usage profile)",
                )
            )
    items += _usage_items(
        resource,
        pricing,
        "requests/month (usage profile)",
        (
            ("put_requests", "s3.requests.put", "PUT/COPY/POST/LIST requests", 2_000),
            ("get_requests", "s3.requests.get", "GET requests", 20_000),
        ),
    )
    return items


def s3_bucket_replication_configuration(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Cross-region replication: inter-region transfer of the replicated GB and the PUTs into the
    destination. Usage: replicated_gb, put_requests. The replica's storage is on its bucket."""
    replicated = _use(resource, "replicated_gb")
    items = [
        pricing.item(
            resource,
            "data_transfer.inter_region",
            replicated,
            component="Replication transfer (inter-region)",
            usage_based=True,
            assumption=f"{_n(replicated)} GB/month replicated ({_source(resource, 'replicated_gb')})",
        )
    ]
    if _has(resource, "put_requests"):
        puts = _use(resource, "put_requests")
        items.append(
            _item(
                pricing,
                resource,
                "s3.requests.put",
                puts,
                component="Replica PUT requests",
                usage_based=True,
                assumption=f"{_n(puts)} objects replicated/month (usage profile)",
            )
        )
    return items


def ecr_repository(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Image storage. Usage: storage_gb. Transfer to services in the same region is free."""
    storage = _use(resource, "storage_gb")
    return [
        pricing.item(
            resource,
            "ecr.storage",
            storage,
            component="Image storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
        )
    ]


RULES: dict[str, PricingRule] = {
    "aws_ecr_repository": ecr_repository,
    "aws_s3_bucket": s3_bucket,
    "aws_s3_bucket_replication_configuration": s3_bucket_replication_configuration,
}
