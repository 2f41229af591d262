"""Refresh the price catalog from the AWS Price List Query API (``boto3.client("pricing")``).

``get_products(ServiceCode=..., Filters=[...])`` returns ``PriceList``: JSON strings, each one product::

    {"product": {"sku": "...", "productFamily": "...", "attributes": {"regionCode": "us-east-1",
                 "usagetype": "BoxUsage:t4g.small", "instanceType": "t4g.small", ...}},
     "serviceCode": "AmazonEC2",
     "terms": {"OnDemand": {"<sku>.<offer>": {"effectiveDate": "...", "priceDimensions": {
         "<sku>.<offer>.<rate>": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0168"},
                                  "beginRange": "0", "endRange": "Inf", "description": "..."}}}}}}

:data:`PRICE_SPECS` says, for each catalog key, which service code and attribute filters find its
product and how to turn the product's on-demand price dimensions into a catalog price (``pick``).
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
from typing import Any, Literal

from portal.costs.catalog import (
    UNITS,
    CatalogError,
    PriceCatalog,
    catalog_files,
    load_catalog,
    validate_catalog_data,
)

__all__ = [
    "MANUAL_KEYS",
    "PRICE_SPECS",
    "FetchResult",
    "PriceListError",
    "PriceSpec",
    "build_filters",
    "fetch_entries",
    "fetch_report",
    "price_products",
    "usagetype_matches",
    "write_catalog",
]

log = logging.getLogger(__name__)

Pick = Literal["flat", "paid", "tiers"]
"""How to turn a product's on-demand price dimensions into a catalog price.

``flat``: one price (every dimension must have the same price).
``paid``: drop zero-priced dimensions (free allowances, which the catalog keeps in notes), then one
price, or tiers if several remain, with the first paid band extended down to 0.
``tiers``: every dimension is a tier, ordered by ``beginRange``.
"""

# USE1, USW2, EUC1, APS2, CAN1 ... (letters then a digit), EU (eu-west-1), or a region code (KMS).
_REGION_PREFIX_RE = re.compile(r"^(?:[A-Z]{2,3}[0-9]|EU|[a-z]{2}(?:-[a-z]+)+-[0-9])$")
_UNVERIFIED_RE = re.compile(r"\s*UNVERIFIED:.*$", re.DOTALL)


class PriceListError(RuntimeError):
    """A spec matched no product, several products with different prices, or unusable dimensions."""


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


def _spec(key: str, service_code: str, unit: str, source: str, **kwargs: Any) -> PriceSpec:
    if "filters" in kwargs:
        kwargs["filters"] = tuple(kwargs["filters"].items())
    return PriceSpec(key=key, service_code=service_code, unit=unit, source=source, **kwargs)


_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_APIGW = "https://aws.amazon.com/api-gateway/pricing/"
_DDB_OD = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_DDB_PROV = "https://aws.amazon.com/dynamodb/pricing/provisioned/"
_S3 = "https://aws.amazon.com/s3/pricing/"
_CF = "https://aws.amazon.com/cloudfront/pricing/"
_R53 = "https://aws.amazon.com/route53/pricing/"
_SM = "https://aws.amazon.com/secrets-manager/pricing/"
_KMS = "https://aws.amazon.com/kms/pricing/"
_SSM = "https://aws.amazon.com/systems-manager/pricing/"
_CW = "https://aws.amazon.com/cloudwatch/pricing/"
_SQS = "https://aws.amazon.com/sqs/pricing/"
_SNS = "https://aws.amazon.com/sns/pricing/"
_XRAY = "https://aws.amazon.com/xray/pricing/"
_WAF = "https://aws.amazon.com/waf/pricing/"
_CT = "https://aws.amazon.com/cloudtrail/pricing/"
_ECR = "https://aws.amazon.com/ecr/pricing/"
_EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/"
_EBS = "https://aws.amazon.com/ebs/pricing/"
_VPC = "https://aws.amazon.com/vpc/pricing/"
_PL = "https://aws.amazon.com/privatelink/pricing/"
_ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/"
_EKS = "https://aws.amazon.com/eks/pricing/"
_FG = "https://aws.amazon.com/fargate/pricing/"
_RDS = "https://aws.amazon.com/rds/postgresql/pricing/"
_AUR = "https://aws.amazon.com/rds/aurora/pricing/"

EC2_INSTANCE_TYPES = ("t4g.small", "t4g.medium", "t4g.large", "m7g.medium", "m7g.large", "m7g.xlarge")
RDS_INSTANCE_CLASSES = (
    "db.t3.micro",
    "db.t3.small",
    "db.t3.medium",
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
    "db.t4g.large",
    "db.m7g.large",
    "db.m7g.xlarge",
    "db.r7g.large",
    "db.r7g.xlarge",
)


def _build_specs() -> tuple[PriceSpec, ...]:
    s = _spec
    specs: list[PriceSpec] = [
        # Lambda: group + usagetype as used by public cost tools (x86 and arm are separate groups).
        s(
            "lambda.requests",
            "AWSLambda",
            "1M requests",
            _LAMBDA,
            usagetype="Request",
            scale=1e6,
            filters={"group": "AWS-Lambda-Requests"},
        ),
        s(
            "lambda.gb_second.x86_64",
            "AWSLambda",
            "GB-second",
            _LAMBDA,
            usagetype="Lambda-GB-Second",
            pick="tiers",
            filters={"group": "AWS-Lambda-Duration"},
        ),
        s(
            "lambda.gb_second.arm64",
            "AWSLambda",
            "GB-second",
            _LAMBDA,
            usagetype="Lambda-GB-Second-ARM",
            pick="tiers",
            filters={"group": "AWS-Lambda-Duration-ARM"},
        ),
        # API Gateway
        s(
            "apigateway.rest.requests",
            "AmazonApiGateway",
            "1M requests",
            _APIGW,
            usagetype="ApiGatewayRequest",
            pick="tiers",
            scale=1e6,
            filters={"productFamily": "API Calls"},
        ),
        s(
            "apigateway.http.requests",
            "AmazonApiGateway",
            "1M requests",
            _APIGW,
            usagetype="ApiGatewayHttpRequest",
            pick="tiers",
            scale=1e6,
            filters={"productFamily": "API Calls"},
        ),
        # DynamoDB (Standard table class; the -IA usagetypes are a different suffix)
        s(
            "dynamodb.on_demand.write_request",
            "AmazonDynamoDB",
            "1M WRU",
            _DDB_OD,
            usagetype="WriteRequestUnits",
            pick="paid",
            scale=1e6,
            filters={"productFamily": "Amazon DynamoDB PayPerRequest Throughput", "group": "DDB-WriteUnits"},
        ),
        s(
            "dynamodb.on_demand.read_request",
            "AmazonDynamoDB",
            "1M RRU",
            _DDB_OD,
            usagetype="ReadRequestUnits",
            pick="paid",
            scale=1e6,
            filters={"productFamily": "Amazon DynamoDB PayPerRequest Throughput", "group": "DDB-ReadUnits"},
        ),
        s(
            "dynamodb.provisioned.wcu_hour",
            "AmazonDynamoDB",
            "WCU-hour",
            _DDB_PROV,
            usagetype="WriteCapacityUnit-Hrs",
            pick="paid",
            filters={"productFamily": "Provisioned IOPS", "group": "DDB-WriteUnits"},
        ),
        s(
            "dynamodb.provisioned.rcu_hour",
            "AmazonDynamoDB",
            "RCU-hour",
            _DDB_PROV,
            usagetype="ReadCapacityUnit-Hrs",
            pick="paid",
            filters={"productFamily": "Provisioned IOPS", "group": "DDB-ReadUnits"},
        ),
        s(
            "dynamodb.storage",
            "AmazonDynamoDB",
            "GB-month",
            _DDB_OD,
            usagetype="TimedStorage-ByteHrs",
            pick="paid",
            filters={"productFamily": "Database Storage"},
        ),
        s(
            "dynamodb.pitr",
            "AmazonDynamoDB",
            "GB-month",
            _DDB_OD,
            usagetype="TimedPITRStorage-ByteHrs",
            pick="paid",
            filters={"productFamily": "Database Storage"},
        ),
        s(
            "dynamodb.backup",
            "AmazonDynamoDB",
            "GB-month",
            _DDB_OD,
            usagetype="TimedBackupStorage-ByteHrs",
            pick="paid",
            filters={"productFamily": "Amazon DynamoDB On-Demand Backup Storage"},
            verified=False,
        ),
        s(
            "dynamodb.restore",
            "AmazonDynamoDB",
            "GB",
            _DDB_OD,
            usagetype="RestoreDataSize-Bytes",
            pick="paid",
            filters={"productFamily": "Amazon DynamoDB Restore Data Size"},
            verified=False,
        ),
        s(
            "dynamodb.export_s3",
            "AmazonDynamoDB",
            "GB",
            _DDB_OD,
            usagetype="ExportDataSize-Bytes",
            pick="paid",
            verified=False,
        ),
        s(
            "dynamodb.streams.read_request",
            "AmazonDynamoDB",
            "100k requests",
            _DDB_OD,
            usagetype="Streams-Requests",
            pick="paid",
            scale=1e5,
            filters={"group": "DDB-StreamsReadRequests"},
            verified=False,
        ),
        # S3
        s(
            "s3.standard.storage",
            "AmazonS3",
            "GB-month",
            _S3,
            usagetype="TimedStorage-ByteHrs",
            pick="tiers",
            filters={"productFamily": "Storage", "volumeType": "Standard"},
            api_units=("GB-Mo",),
        ),
        s(
            "s3.standard_ia.storage",
            "AmazonS3",
            "GB-month",
            _S3,
            usagetype="TimedStorage-SIA-ByteHrs",
            filters={"productFamily": "Storage"},
        ),
        s(
            "s3.glacier_ir.storage",
            "AmazonS3",
            "GB-month",
            _S3,
            usagetype="TimedStorage-GIR-ByteHrs",
            filters={"productFamily": "Storage"},
            verified=False,
        ),
        s(
            "s3.requests.put",
            "AmazonS3",
            "1k requests",
            _S3,
            usagetype="Requests-Tier1",
            scale=1e3,
            filters={"productFamily": "API Request", "group": "S3-API-Tier1"},
        ),
        s(
            "s3.requests.get",
            "AmazonS3",
            "1k requests",
            _S3,
            usagetype="Requests-Tier2",
            scale=1e3,
            filters={"productFamily": "API Request", "group": "S3-API-Tier2"},
        ),
        s(
            "s3.lifecycle_transition.standard_ia",
            "AmazonS3",
            "1k requests",
            _S3,
            usagetype="Requests-SIA-Tier1",
            scale=1e3,
            verified=False,
        ),
        s(
            "s3.lifecycle_transition.glacier_ir",
            "AmazonS3",
            "1k requests",
            _S3,
            usagetype="Requests-GIR-Tier1",
            scale=1e3,
            verified=False,
        ),
        s("s3.retrieval.standard_ia", "AmazonS3", "GB", _S3, usagetype="Retrieval-SIA", verified=False),
        s("s3.retrieval.glacier_ir", "AmazonS3", "GB", _S3, usagetype="Retrieval-GIR", verified=False),
        # CloudFront: global; US-/EU- usagetype prefixes are edge locations.
        s(
            "cloudfront.data_transfer_out",
            "AmazonCloudFront",
            "GB",
            _CF,
            usagetype="US-DataTransfer-Out-Bytes",
            usagetype_exact=True,
            pick="tiers",
            global_service=True,
        ),
        s(
            "cloudfront.requests.https",
            "AmazonCloudFront",
            "10k requests",
            _CF,
            usagetype="US-Requests-Tier2-HTTPS",
            usagetype_exact=True,
            scale=1e4,
            global_service=True,
        ),
        s(
            "cloudfront.requests.https.europe",
            "AmazonCloudFront",
            "10k requests",
            _CF,
            usagetype="EU-Requests-Tier2-HTTPS",
            usagetype_exact=True,
            scale=1e4,
            global_service=True,
        ),
        s(
            "cloudfront.data_transfer_to_origin",
            "AmazonCloudFront",
            "GB",
            _CF,
            usagetype="US-DataTransfer-Out-OBytes",
            usagetype_exact=True,
            global_service=True,
        ),
        # Route 53: global.
        s(
            "route53.hosted_zone",
            "AmazonRoute53",
            "month",
            _R53,
            usagetype="HostedZone",
            pick="tiers",
            global_service=True,
        ),
        s(
            "route53.queries",
            "AmazonRoute53",
            "1M requests",
            _R53,
            usagetype="DNS-Queries",
            pick="tiers",
            scale=1e6,
            global_service=True,
        ),
        s(
            "route53.health_check",
            "AmazonRoute53",
            "month",
            _R53,
            usagetype="Health-Check-AWS",
            pick="paid",
            global_service=True,
        ),
        s(
            "route53.health_check.non_aws",
            "AmazonRoute53",
            "month",
            _R53,
            usagetype="Health-Check-NonAWS",
            global_service=True,
        ),
        # Secrets Manager, KMS, Systems Manager
        s(
            "secretsmanager.secret",
            "AWSSecretsManager",
            "month",
            _SM,
            usagetype="AWSSecretsManager-Secrets",
            pick="paid",
        ),
        s(
            "secretsmanager.api_calls",
            "AWSSecretsManager",
            "10k requests",
            _SM,
            usagetype="AWSSecretsManager-APIRequest",
            pick="paid",
            scale=1e4,
        ),
        s("kms.key", "awskms", "month", _KMS, usagetype="KMS-Keys", pick="paid"),
        s("kms.requests", "awskms", "10k requests", _KMS, usagetype="KMS-Requests", pick="paid", scale=1e4),
        s(
            "ssm.parameter.advanced",
            "AWSSystemsManager",
            "month",
            _SSM,
            usagetype="PS-Advanced-Param-Tier1",
            verified=False,
        ),
        # CloudWatch
        s(
            "cloudwatch.logs.ingest",
            "AmazonCloudWatch",
            "GB",
            _CW,
            usagetype="DataProcessing-Bytes",
            pick="paid",
        ),
        s(
            "cloudwatch.logs.ingest.infrequent_access",
            "AmazonCloudWatch",
            "GB",
            _CW,
            usagetype="DataProcessingIA-Bytes",
            pick="paid",
            verified=False,
        ),
        s(
            "cloudwatch.logs.vended_ingest",
            "AmazonCloudWatch",
            "GB",
            _CW,
            usagetype="VendedLog-Bytes",
            pick="paid",
        ),
        s(
            "cloudwatch.logs.storage",
            "AmazonCloudWatch",
            "GB-month",
            _CW,
            usagetype="TimedStorage-ByteHrs",
            pick="paid",
        ),
        s(
            "cloudwatch.logs.insights_scanned",
            "AmazonCloudWatch",
            "GB",
            _CW,
            usagetype="DataScanned-Bytes",
            pick="paid",
            verified=False,
        ),
        s(
            "cloudwatch.alarm.standard",
            "AmazonCloudWatch",
            "alarm-month",
            _CW,
            usagetype="CW:AlarmMonitorUsage",
            pick="paid",
        ),
        s(
            "cloudwatch.alarm.high_resolution",
            "AmazonCloudWatch",
            "alarm-month",
            _CW,
            usagetype="CW:HighResAlarmMonitorUsage",
            pick="paid",
            verified=False,
        ),
        s(
            "cloudwatch.dashboard",
            "AmazonCloudWatch",
            "month",
            _CW,
            usagetype="DashboardsUsageHour-Basic",
            pick="paid",
            verified=False,
        ),
        s(
            "cloudwatch.metrics.custom",
            "AmazonCloudWatch",
            "metric-month",
            _CW,
            usagetype="CW:MetricMonitorUsage",
            pick="paid",
        ),
        s(
            "cloudwatch.metrics.api_requests",
            "AmazonCloudWatch",
            "1k requests",
            _CW,
            usagetype="CW:Requests",
            pick="paid",
            scale=1e3,
        ),
        # Messaging and tracing
        s(
            "sqs.standard.requests",
            "AWSQueueService",
            "1M requests",
            _SQS,
            pick="paid",
            scale=1e6,
            filters={"productFamily": "API Request", "queueType": "Standard"},
        ),
        s(
            "sqs.fifo.requests",
            "AWSQueueService",
            "1M requests",
            _SQS,
            pick="paid",
            scale=1e6,
            filters={"productFamily": "API Request", "queueType": "FIFO (first-in, first-out)"},
            verified=False,
        ),
        s(
            "sns.requests",
            "AmazonSNS",
            "1M requests",
            _SNS,
            usagetype="Requests-Tier1",
            pick="paid",
            scale=1e6,
        ),
        s(
            "sns.email",
            "AmazonSNS",
            "100k notifications",
            _SNS,
            usagetype="DeliveryAttempts-SMTP",
            pick="paid",
            scale=1e5,
        ),
        s(
            "sns.http",
            "AmazonSNS",
            "100k notifications",
            _SNS,
            usagetype="DeliveryAttempts-HTTP",
            pick="paid",
            scale=1e5,
        ),
        s(
            "xray.traces_recorded",
            "AWSXRay",
            "1M traces",
            _XRAY,
            usagetype="XRay-TracesStored",
            pick="paid",
            scale=1e6,
        ),
        s(
            "xray.traces_retrieved",
            "AWSXRay",
            "1M traces",
            _XRAY,
            usagetype="XRay-TracesAccessed",
            pick="paid",
            scale=1e6,
        ),
        # WAF, CloudTrail, ECR
        s("waf.web_acl", "awswaf", "month", _WAF, usagetype="WebACLV2", verified=False),
        s("waf.rule", "awswaf", "month", _WAF, usagetype="RuleV2", verified=False),
        s(
            "waf.requests",
            "awswaf",
            "1M requests",
            _WAF,
            usagetype="RequestV2-Tier1",
            scale=1e6,
            verified=False,
        ),
        s(
            "cloudtrail.management_events.additional_copy",
            "AWSCloudTrail",
            "100k events",
            _CT,
            usagetype="PaidEventsRecorded",
            scale=1e5,
        ),
        s(
            "cloudtrail.data_events",
            "AWSCloudTrail",
            "100k events",
            _CT,
            usagetype="DataEventsRecorded",
            scale=1e5,
        ),
        s("ecr.storage", "AmazonECR", "GB-month", _ECR, usagetype="TimedStorage-ByteHrs", pick="paid"),
        # EBS, public IPv4, NAT, endpoints, data transfer, ALB
        s(
            "ebs.gp3.storage",
            "AmazonEC2",
            "GB-month",
            _EBS,
            usagetype="EBS:VolumeUsage.gp3",
            filters={"productFamily": "Storage", "volumeApiName": "gp3"},
            api_units=("GB-Mo",),
        ),
        s(
            "ebs.gp3.iops",
            "AmazonEC2",
            "IOPS-month",
            _EBS,
            usagetype="EBS:VolumeP-IOPS.gp3",
            pick="paid",
            filters={"volumeApiName": "gp3"},
        ),
        s(
            "ebs.gp3.throughput",
            "AmazonEC2",
            "MB/s-month",
            _EBS,
            usagetype="EBS:VolumeP-Throughput.gp3",
            pick="paid",
            filters={"volumeApiName": "gp3"},
            verified=False,
        ),
        s(
            "ebs.snapshot",
            "AmazonEC2",
            "GB-month",
            _EBS,
            usagetype="EBS:SnapshotUsage",
            filters={"productFamily": "Storage Snapshot"},
        ),
        s("ec2.public_ipv4", "AmazonVPC", "hour", _VPC, usagetype="PublicIPv4:InUseAddress", pick="paid"),
        s(
            "vpc.nat_gateway.hour",
            "AmazonEC2",
            "hour",
            _VPC,
            usagetype="NatGateway-Hours",
            filters={"productFamily": "NAT Gateway"},
        ),
        s(
            "vpc.nat_gateway.gb",
            "AmazonEC2",
            "GB",
            _VPC,
            usagetype="NatGateway-Bytes",
            filters={"productFamily": "NAT Gateway"},
        ),
        s(
            "vpc.interface_endpoint.hour",
            "AmazonVPC",
            "hour",
            _PL,
            usagetype="VpcEndpoint-Hours",
            filters={"productFamily": "VpcEndpoint"},
        ),
        s(
            "vpc.interface_endpoint.gb",
            "AmazonVPC",
            "GB",
            _PL,
            usagetype="VpcEndpoint-Bytes",
            pick="tiers",
            filters={"productFamily": "VpcEndpoint"},
        ),
        s(
            "data_transfer.out_to_internet",
            "AWSDataTransfer",
            "GB",
            _EC2,
            usagetype="DataTransfer-Out-Bytes",
            pick="paid",
            region_field="fromRegionCode",
            filters={"transferType": "AWS Outbound", "toLocation": "External"},
        ),
        s(
            "data_transfer.inter_az",
            "AWSDataTransfer",
            "GB",
            _EC2,
            usagetype="DataTransfer-Regional-Bytes",
            region_field="fromRegionCode",
            filters={"transferType": "IntraRegion"},
            verified=False,
        ),
        s(
            "elb.alb.hour",
            "AWSELB",
            "hour",
            _ELB,
            usagetype="LoadBalancerUsage",
            filters={"productFamily": "Load Balancer-Application"},
        ),
        s(
            "elb.alb.lcu_hour",
            "AWSELB",
            "LCU-hour",
            _ELB,
            usagetype="LCUUsage",
            filters={"productFamily": "Load Balancer-Application"},
        ),
        # EKS and Fargate
        s("eks.cluster.hour", "AmazonEKS", "hour", _EKS, usagetype="AmazonEKS-Hours:perCluster"),
        s(
            "eks.cluster.hour.extended",
            "AmazonEKS",
            "hour",
            _EKS,
            usagetype="AmazonEKS-Hours:extendedSupport",
            verified=False,
        ),
        s("fargate.vcpu_hour.x86_64", "AmazonECS", "vCPU-hour", _FG, usagetype="Fargate-vCPU-Hours:perCPU"),
        s("fargate.gb_hour.x86_64", "AmazonECS", "GB-hour", _FG, usagetype="Fargate-GB-Hours"),
        s(
            "fargate.vcpu_hour.arm64",
            "AmazonECS",
            "vCPU-hour",
            _FG,
            usagetype="Fargate-ARM-vCPU-Hours:perCPU",
        ),
        s("fargate.gb_hour.arm64", "AmazonECS", "GB-hour", _FG, usagetype="Fargate-ARM-GB-Hours"),
        s(
            "fargate.ephemeral_storage",
            "AmazonECS",
            "GB-hour",
            _FG,
            usagetype="Fargate-EphemeralStorage-GB-Hours",
        ),
        # RDS storage and backups; Aurora
        s(
            "rds.storage.gp3.single_az",
            "AmazonRDS",
            "GB-month",
            _RDS,
            usagetype="RDS:GP3-Storage",
            filters={"productFamily": "Database Storage"},
        ),
        s(
            "rds.storage.gp3.multi_az",
            "AmazonRDS",
            "GB-month",
            _RDS,
            usagetype="RDS:Multi-AZ-GP3-Storage",
            filters={"productFamily": "Database Storage"},
        ),
        s(
            "rds.storage.gp3.iops.single_az",
            "AmazonRDS",
            "IOPS-month",
            _RDS,
            usagetype="RDS:GP3-PIOPS",
            verified=False,
        ),
        s(
            "rds.storage.gp3.iops.multi_az",
            "AmazonRDS",
            "IOPS-month",
            _RDS,
            usagetype="RDS:Multi-AZ-GP3-PIOPS",
            verified=False,
        ),
        s(
            "rds.storage.gp3.throughput.single_az",
            "AmazonRDS",
            "MB/s-month",
            _RDS,
            usagetype="RDS:GP3-Throughput",
            verified=False,
        ),
        s(
            "rds.storage.gp3.throughput.multi_az",
            "AmazonRDS",
            "MB/s-month",
            _RDS,
            usagetype="RDS:Multi-AZ-GP3-Throughput",
            verified=False,
        ),
        s(
            "rds.backup_storage",
            "AmazonRDS",
            "GB-month",
            _RDS,
            usagetype="RDS:ChargedBackupUsage",
            filters={"productFamily": "Storage Snapshot"},
        ),
        s(
            "aurora.serverless_v2.acu_hour",
            "AmazonRDS",
            "ACU-hour",
            _AUR,
            usagetype="Aurora:ServerlessV2Usage",
            filters={"databaseEngine": "Aurora PostgreSQL"},
        ),
        s(
            "aurora.serverless_v2.acu_hour.io_optimized",
            "AmazonRDS",
            "ACU-hour",
            _AUR,
            usagetype="Aurora:ServerlessV2IOOptimizedUsage",
            filters={"databaseEngine": "Aurora PostgreSQL"},
        ),
        s("aurora.storage", "AmazonRDS", "GB-month", _AUR, usagetype="Aurora:StorageUsage"),
        s(
            "aurora.storage.io_optimized",
            "AmazonRDS",
            "GB-month",
            _AUR,
            usagetype="Aurora:IO-OptimizedStorageUsage",
        ),
        s("aurora.io", "AmazonRDS", "1M requests", _AUR, usagetype="Aurora:StorageIOUsage", scale=1e6),
        s(
            "aurora.backup_storage",
            "AmazonRDS",
            "GB-month",
            _AUR,
            usagetype="Aurora:BackupUsage",
            verified=False,
        ),
    ]
    for itype in EC2_INSTANCE_TYPES:
        specs.append(
            s(
                f"ec2.instance.{itype}",
                "AmazonEC2",
                "hour",
                _EC2,
                usagetype=f"BoxUsage:{itype}",
                api_units=("Hrs",),
                filters={
                    "instanceType": itype,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "licenseModel": "No License required",
                },
            )
        )
    for cls in RDS_INSTANCE_CLASSES:
        for suffix, option, usage in (
            ("single_az", "Single-AZ", "InstanceUsage"),
            ("multi_az", "Multi-AZ", "Multi-AZUsage"),
        ):
            specs.append(
                s(
                    f"rds.instance.postgres.{cls}.{suffix}",
                    "AmazonRDS",
                    "hour",
                    _RDS,
                    usagetype=f"{usage}:{cls}",
                    api_units=("Hrs",),
                    filters={
                        "productFamily": "Database Instance",
                        "instanceType": cls,
                        "databaseEngine": "PostgreSQL",
                        "deploymentOption": option,
                    },
                )
            )
    return tuple(specs)


PRICE_SPECS: tuple[PriceSpec, ...] = _build_specs()

#: Catalog keys with no Price List mapping, and why; write_catalog carries them over unchanged.
MANUAL_KEYS: Mapping[str, str] = {
    "acm.public_certificate": "free; not in the Price List",
    "budgets.budget": "free; not in the Price List",
    "budgets.action_enabled_budget": "AWS Budgets is not a Price List service code",
    "ssm.parameter.standard": "free; not in the Price List",
    "vpc.gateway_endpoint": "free; not in the Price List",
    "rds.performance_insights.free": "free at 7-day retention",
    "cloudtrail.management_events": "first copy is free; only additional copies are priced",
    "cloudfront.invalidation_paths": "usagetype not confirmed",
    "route53.health_check.optional_feature": "usagetype not confirmed",
    "route53.health_check.optional_feature.non_aws": "usagetype not confirmed",
    "eventbridge.scheduler.invocations": "service code and usagetype not confirmed",
    "eventbridge.custom_events": "service code and usagetype not confirmed",
    "data_transfer.inter_region": "one product per destination region; the catalog keeps the common rate",
}


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
            f"AWS Price List Query API (pricing:GetProducts) via portal.costs.pricelist: {api_count} entries "
            f"from the API, {len(merged) - api_count} carried over from catalog "
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
