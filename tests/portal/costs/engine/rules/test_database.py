"""Pricing rules for databases: RDS, Aurora and DynamoDB."""

from __future__ import annotations

from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    RDS_MICRO,
    approx,
    component,
    price,
    usd,
)


def test_db_instance_single_az_micro_and_gp3(catalog: PriceCatalog) -> None:
    result = price(catalog, "aws_db_instance", RDS_MICRO)
    instance = 730 * usd(catalog, "rds.instance.postgres.db.t4g.micro.single_az")
    storage = 20 * usd(catalog, "rds.storage.gp3.single_az")
    assert component(result, "Instance db.t4g.micro postgres (Single-AZ)") == approx(instance)
    assert instance == approx(11.68)  # $0.016 × 730 h
    assert component(result, "gp3 storage") == approx(storage)
    assert storage == approx(2.30)  # 20 GB × $0.115
    assert component(result, "Backup storage beyond the free allowance") == 0
    assert result.fixed_monthly_usd == approx(instance + storage)


def test_db_instance_multi_az_storage_growth_backups_and_managed_secret(catalog: PriceCatalog) -> None:
    attributes = {**RDS_MICRO, "multi_az": True, "manage_master_user_password": True}
    result = price(catalog, "aws_db_instance", attributes, {"storage_gb": 150, "backup_storage_gb": 130})
    assert component(result, "Instance db.t4g.micro postgres (Multi-AZ)") == approx(
        730 * usd(catalog, "rds.instance.postgres.db.t4g.micro.multi_az")
    )
    # 150 GB of data grows the 20 GB allocation, but only up to max_allocated_storage 100 GB.
    assert component(result, "gp3 storage") == approx(100 * usd(catalog, "rds.storage.gp3.multi_az"))
    # Backups up to the provisioned 100 GB are free; 30 GB are billed.
    assert component(result, "Backup storage beyond the free allowance") == approx(
        30 * usd(catalog, "rds.backup_storage")
    )
    assert component(result, "Master password secret (Secrets Manager)") == approx(0.4)


def test_db_instance_gp2_default_and_other_engines_are_unpriced(catalog: PriceCatalog) -> None:
    gp2 = price(catalog, "aws_db_instance", {k: v for k, v in RDS_MICRO.items() if k != "storage_type"})
    assert gp2.coverage.unpriced == 1 and "'gp2'" in gp2.line_items[0].assumption
    mysql = price(catalog, "aws_db_instance", {**RDS_MICRO, "engine": "mysql"})
    assert mysql.coverage.unpriced == 1
    assert "rds.instance.mysql.db.t4g.micro.single_az" in mysql.line_items[0].assumption


def test_aurora_serverless_acu_hours(catalog: PriceCatalog) -> None:
    writer = {"instance_class": "db.serverless", "engine": "aurora-postgresql"}
    acu = usd(catalog, "aurora.serverless_v2.acu_hour")
    result = price(catalog, "aws_rds_cluster_instance", writer, {"acu_hours": 365})
    assert component(result, "Aurora Serverless v2 capacity") == approx(0.5 * 730 * acu)
    average = price(catalog, "aws_rds_cluster_instance", writer, {"average_acu": 2, "hours": 100})
    assert component(average, "Aurora Serverless v2 capacity") == approx(200 * acu)


def test_aurora_respects_min_capacity_when_it_never_pauses_and_caps_at_max(catalog: PriceCatalog) -> None:
    acu = usd(catalog, "aurora.serverless_v2.acu_hour")

    def scaled(min_acu: float, max_acu: float, acu_hours: float) -> float:
        attributes = {
            "instance_class": "db.serverless",
            "serverlessv2_scaling_configuration": [{"min_capacity": min_acu, "max_capacity": max_acu}],
        }
        result = price(catalog, "aws_rds_cluster_instance", attributes, {"acu_hours": acu_hours})
        return component(result, "Aurora Serverless v2 capacity")

    assert scaled(0, 4, 90) == approx(90 * acu)  # min 0: pauses, pays what it uses
    assert scaled(0.5, 4, 90) == approx(0.5 * 730 * acu)  # never pauses: at least 0.5 ACU all month
    assert scaled(0.5, 1, 1460) == approx(1 * 730 * acu)  # cannot use more than max 1 ACU


def test_aurora_cluster_storage_io_and_io_optimized(catalog: PriceCatalog) -> None:
    usage = {"storage_gb": 20, "io_requests": 5_000_000}
    standard = price(catalog, "aws_rds_cluster", {"engine": "aurora-postgresql"}, usage)
    assert component(standard, "Aurora storage") == approx(20 * usd(catalog, "aurora.storage"))
    assert component(standard, "Aurora I/O requests") == approx(5 * usd(catalog, "aurora.io"))
    optimized = price(
        catalog, "aws_rds_cluster", {"engine": "aurora-postgresql", "storage_type": "aurora-iopt1"}, usage
    )
    assert [i.component for i in optimized.line_items] == ["Aurora storage (I/O-Optimized)"]
    provisioned = price(catalog, "aws_rds_cluster_instance", {"instance_class": "db.r6g.large"})
    assert provisioned.coverage.unpriced == 1


def test_dynamodb_on_demand_storage_and_pitr(catalog: PriceCatalog) -> None:
    attributes = {"billing_mode": "PAY_PER_REQUEST", "point_in_time_recovery": [{"enabled": True}]}
    usage = {"write_request_units": 1_000_000, "read_request_units": 4_000_000, "storage_gb": 10}
    result = price(catalog, "aws_dynamodb_table", attributes, usage)
    assert component(result, "On-demand write request units") == approx(
        usd(catalog, "dynamodb.on_demand.write_request")
    )
    assert component(result, "On-demand read request units") == approx(
        4 * usd(catalog, "dynamodb.on_demand.read_request")
    )
    assert component(result, "Storage") == approx(10 * usd(catalog, "dynamodb.storage"))
    assert component(result, "Point-in-time recovery") == approx(10 * usd(catalog, "dynamodb.pitr"))
    no_pitr = price(catalog, "aws_dynamodb_table", {"billing_mode": "PAY_PER_REQUEST"}, usage)
    assert "Point-in-time recovery" not in [i.component for i in no_pitr.line_items]
    # The first 25 GB of storage are free with the free tier.
    assert component(price(catalog, "aws_dynamodb_table", attributes, usage, free_tier=True), "Storage") == 0


def test_dynamodb_provisioned_capacity_hours_include_gsis(catalog: PriceCatalog) -> None:
    attributes = {
        "read_capacity": 5,
        "write_capacity": 5,
        "global_secondary_index": [{"name": "GSI1", "read_capacity": 5, "write_capacity": 5}],
    }
    result = price(catalog, "aws_dynamodb_table", attributes)  # the provider's default billing_mode
    assert component(result, "Provisioned read capacity") == approx(
        10 * 730 * usd(catalog, "dynamodb.provisioned.rcu_hour")
    )
    assert component(result, "Provisioned write capacity") == approx(
        10 * 730 * usd(catalog, "dynamodb.provisioned.wcu_hour")
    )
