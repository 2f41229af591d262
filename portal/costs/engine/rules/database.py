"""Pricing rules for databases: DynamoDB tables, RDS instances, Aurora clusters and instances."""

from __future__ import annotations

from collections.abc import Mapping

from portal.costs.engine.estimator import HOURS_PER_MONTH, LineItem, Pricing, PricingRule, Resource
from portal.costs.engine.rules._common import (
    Unsupported,
    _block,
    _blocks,
    _flag,
    _has,
    _hours,
    _item,
    _n,
    _num,
    _source,
    _text,
    _use,
)


def dynamodb_table(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """PAY_PER_REQUEST read/write request units, or PROVISIONED capacity hours (table + GSIs);
    storage; point-in-time recovery on the table size when enabled. Usage: read_request_units,
    write_request_units, storage_gb. Free tier: 25 GB storage, 25 RCU and 25 WCU."""
    attributes = resource.attributes
    table_class = _text(attributes.get("table_class"), "STANDARD")
    if table_class != "STANDARD":
        raise Unsupported(resource, f"table class {table_class}")
    if _blocks(attributes, "replica"):
        raise Unsupported(resource, "global table replicas (replicated writes)")
    indexes = [index for index in _blocks(attributes, "global_secondary_index") if index]
    billing = _text(attributes.get("billing_mode"), "PROVISIONED")
    items = []
    if billing == "PAY_PER_REQUEST":
        writes, reads = _use(resource, "write_request_units"), _use(resource, "read_request_units")
        gsi_note = (
            f"; writes of items projected into the {len(indexes)} GSI(s) cost extra write units, "
            "counted only as far as the usage includes them"
            if indexes
            else ""
        )
        items += [
            _item(
                pricing,
                resource,
                "dynamodb.on_demand.write_request",
                writes,
                component="On-demand write request units",
                usage_based=True,
                assumption=f"{_n(writes)} WRU/month ({_source(resource, 'write_request_units')}){gsi_note}",
            ),
            _item(
                pricing,
                resource,
                "dynamodb.on_demand.read_request",
                reads,
                component="On-demand read request units",
                usage_based=True,
                assumption=f"{_n(reads)} RRU/month ({_source(resource, 'read_request_units')})",
            ),
        ]
    elif billing == "PROVISIONED":
        capacity = {
            "read": _num(attributes.get("read_capacity")),
            "write": _num(attributes.get("write_capacity")),
        }
        for index in indexes:
            if isinstance(index, Mapping):
                capacity["read"] += _num(index.get("read_capacity"))
                capacity["write"] += _num(index.get("write_capacity"))
        for kind, letter in (("write", "w"), ("read", "r")):
            items.append(
                pricing.item(
                    resource,
                    f"dynamodb.provisioned.{letter}cu_hour",
                    capacity[kind] * HOURS_PER_MONTH,
                    component=f"Provisioned {kind} capacity",
                    usage_based=False,
                    assumption=f"{_n(capacity[kind])} {letter.upper()}CU (table + GSIs) × 730 h",
                    free_quantity=25 * HOURS_PER_MONTH,
                )
            )
    else:
        raise Unsupported(resource, f"billing_mode {billing!r}")
    storage = _use(resource, "storage_gb")
    items.append(
        pricing.item(
            resource,
            "dynamodb.storage",
            storage,
            component="Storage",
            usage_based=True,
            assumption=f"{_n(storage)} GB table size ({_source(resource, 'storage_gb')})",
            free_quantity=25,
        )
    )
    if _flag(_block(attributes, "point_in_time_recovery").get("enabled")):
        items.append(
            pricing.item(
                resource,
                "dynamodb.pitr",
                storage,
                component="Point-in-time recovery",
                usage_based=True,
                assumption=f"continuous backups of the {_n(storage)} GB table",
            )
        )
    return items


def db_instance(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """RDS instance hours by engine × instance_class × multi_az; gp3 storage (allocated, or what
    the data grows to under max_allocated_storage) with IOPS/throughput above the included
    baseline; backup storage beyond the free allowance (the provisioned storage); the RDS-managed
    master password secret. Usage: hours, storage_gb, backup_storage_gb.
    Free tier (first 12 months): 750 h of a single-AZ micro instance and 20 GB."""
    attributes = resource.attributes
    engine = _text(attributes.get("engine"))
    instance_class = _text(attributes.get("instance_class"))
    if not engine or not instance_class:
        raise Unsupported(resource, "a DB instance without a known engine and instance_class")
    multi_az = _flag(attributes.get("multi_az"))
    placement = "multi_az" if multi_az else "single_az"
    hours, note = _hours(resource)
    micro = instance_class.endswith(".micro") and not multi_az
    items = [
        pricing.item(
            resource,
            f"rds.instance.{engine}.{instance_class}.{placement}",
            hours,
            component=f"Instance {instance_class} {engine} ({'Multi-AZ' if multi_az else 'Single-AZ'})",
            usage_based=False,
            assumption=note,
            free_quantity=750 if micro else 0,
        )
    ]
    storage_type = _text(attributes.get("storage_type"), "io1" if attributes.get("iops") else "gp2")
    if storage_type != "gp3":
        raise Unsupported(resource, f"RDS storage type {storage_type!r}")
    allocated = _num(attributes.get("allocated_storage"), 20)
    ceiling = max(allocated, _num(attributes.get("max_allocated_storage"), allocated))
    storage, storage_note = allocated, f"{_n(allocated)} GB allocated"
    if _has(resource, "storage_gb") and _use(resource, "storage_gb") > allocated:
        storage = min(_use(resource, "storage_gb"), ceiling)
        storage_note = (
            f"{_n(storage)} GB: the data ({_n(_use(resource, 'storage_gb'))} GB, usage profile) grows "
            f"the {_n(allocated)} GB allocation up to max_allocated_storage {_n(ceiling)} GB"
        )
    items.append(
        pricing.item(
            resource,
            f"rds.storage.gp3.{placement}",
            storage,
            component="gp3 storage",
            usage_based=False,
            assumption=storage_note,
            free_quantity=20 if micro else 0,
        )
    )
    base_iops, base_throughput = (12000, 500) if storage >= 400 else (3000, 125)
    iops, throughput = _num(attributes.get("iops"), 0), _num(attributes.get("storage_throughput"), 0)
    if iops > base_iops:
        items.append(
            pricing.item(
                resource,
                f"rds.storage.gp3.iops.{placement}",
                iops - base_iops,
                component="gp3 IOPS above the baseline",
                usage_based=False,
                assumption=f"{_n(iops)} IOPS, {_n(base_iops)} included",
            )
        )
    if throughput > base_throughput:
        items.append(
            pricing.item(
                resource,
                f"rds.storage.gp3.throughput.{placement}",
                throughput - base_throughput,
                component="gp3 throughput above the baseline",
                usage_based=False,
                assumption=f"{_n(throughput)} MB/s, {_n(base_throughput)} included",
            )
        )
    retention = _num(attributes.get("backup_retention_period"), 0)
    backup = _use(resource, "backup_storage_gb")
    items.append(
        pricing.item(
            resource,
            "rds.backup_storage",
            max(0.0, backup - storage),
            component="Backup storage beyond the free allowance",
            usage_based=True,
            assumption=(
                f"{_n(backup)} GB of backups ({_source(resource, 'backup_storage_gb')}, "
                f"{_n(retention)}-day retention); backups up to the {_n(storage)} GB provisioned are free"
            ),
        )
    )
    if _num(attributes.get("performance_insights_retention_period"), 7) > 7:
        raise Unsupported(resource, "Performance Insights retention beyond 7 days")
    if _flag(attributes.get("manage_master_user_password")):
        items.append(_managed_secret(resource, pricing))
    return items


def _managed_secret(resource: Resource, pricing: Pricing) -> LineItem:
    return pricing.item(
        resource,
        "secretsmanager.secret",
        1,
        component="Master password secret (Secrets Manager)",
        usage_based=False,
        assumption="manage_master_user_password: RDS keeps the password in a Secrets Manager secret",
    )


def rds_cluster(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """Aurora cluster storage and I/O (Standard; I/O-Optimized with storage_type aurora-iopt1 has
    no I/O charge), backup storage beyond the cluster size, the managed master secret. Compute
    is priced on the cluster's instances. Usage: storage_gb, io_requests, backup_storage_gb."""
    attributes = resource.attributes
    engine = _text(attributes.get("engine"), "aurora-mysql")
    if not engine.startswith("aurora"):
        raise Unsupported(resource, f"a Multi-AZ DB cluster of {engine}")
    if _text(attributes.get("engine_mode"), "provisioned") != "provisioned":
        raise Unsupported(resource, f"engine_mode {attributes.get('engine_mode')!r} (Serverless v1)")
    optimized = _text(attributes.get("storage_type")) == "aurora-iopt1"
    storage = _use(resource, "storage_gb")
    items = [
        pricing.item(
            resource,
            "aurora.storage.io_optimized" if optimized else "aurora.storage",
            storage,
            component="Aurora storage" + (" (I/O-Optimized)" if optimized else ""),
            usage_based=True,
            assumption=f"{_n(storage)} GB-month ({_source(resource, 'storage_gb')})",
        )
    ]
    if not optimized:
        io_requests = _use(resource, "io_requests")
        items.append(
            _item(
                pricing,
                resource,
                "aurora.io",
                io_requests,
                component="Aurora I/O requests",
                usage_based=True,
                assumption=f"{_n(io_requests)} I/O requests/month ({_source(resource, 'io_requests')})",
            )
        )
    if _has(resource, "backup_storage_gb"):
        backup = _use(resource, "backup_storage_gb")
        items.append(
            pricing.item(
                resource,
                "aurora.backup_storage",
                max(0.0, backup - storage),
                component="Backup storage beyond the cluster size",
                usage_based=True,
                assumption=f"{_n(backup)} GB of backups (usage profile); up to {_n(storage)} GB free",
            )
        )
    if _flag(attributes.get("manage_master_user_password")):
        items.append(_managed_secret(resource, pricing))
    return items


def rds_cluster_instance(resource: Resource, pricing: Pricing) -> list[LineItem]:
    """db.serverless: ACU-hours from usage (`acu_hours`, or `average_acu` × `hours`), at least
    min_capacity × 730 when the cluster never pauses (min_capacity > 0) and at most max_capacity
    × 730. The scaling configuration is the cluster's; a form entry copies it here as
    `serverlessv2_scaling_configuration`, a plan instance does not carry it (no clamping then).
    Provisioned Aurora classes are not in the catalog."""
    attributes = resource.attributes
    instance_class = _text(attributes.get("instance_class"))
    if instance_class != "db.serverless":
        raise Unsupported(resource, f"Aurora instance class {instance_class or '?'}")
    scaling = _block(attributes, "serverlessv2_scaling_configuration")
    min_acu = _num(scaling.get("min_capacity"), 0)
    max_acu = _num(scaling.get("max_capacity"), 0)
    if _has(resource, "acu_hours"):
        acu_hours = _use(resource, "acu_hours")
        average = acu_hours / HOURS_PER_MONTH
        note = f"{_n(acu_hours)} ACU-hours/month (usage profile: {_n(average)} ACU average × 730 h)"
    elif _has(resource, "average_acu"):
        hours = _use(resource, "hours", HOURS_PER_MONTH)
        acu_hours = _use(resource, "average_acu") * hours
        note = f"{_n(_use(resource, 'average_acu'))} ACU average × {_n(hours)} h (usage profile)"
    else:
        acu_hours = min_acu * HOURS_PER_MONTH
        note = f"no usage given: the minimum {_n(min_acu)} ACU × 730 h"
    if min_acu > 0 and acu_hours < min_acu * HOURS_PER_MONTH:
        acu_hours = min_acu * HOURS_PER_MONTH
        note += f"; raised to min_capacity {_n(min_acu)} ACU × 730 h: the cluster never pauses"
    elif min_acu == 0 and scaling:
        note += "; min_capacity 0: the cluster pauses when idle"
    if max_acu > 0 and acu_hours > max_acu * HOURS_PER_MONTH:
        acu_hours = max_acu * HOURS_PER_MONTH
        note += f"; capped at max_capacity {_n(max_acu)} ACU × 730 h"
    return [
        pricing.item(
            resource,
            "aurora.serverless_v2.acu_hour",
            acu_hours,
            component="Aurora Serverless v2 capacity",
            usage_based=True,
            assumption=note,
        )
    ]


RULES: dict[str, PricingRule] = {
    "aws_db_instance": db_instance,
    "aws_dynamodb_table": dynamodb_table,
    "aws_rds_cluster": rds_cluster,
    "aws_rds_cluster_instance": rds_cluster_instance,
}
