"""Resource types that cost nothing by themselves, with the reason shown on the estimate."""

from __future__ import annotations

_IAM = "IAM is free"
_SG = "security groups and their rules are free"
_S3_CONFIG = "bucket configuration is free; storage and requests are priced on the bucket"
_API = "API Gateway configuration is free; requests are priced on the API"
#: Types that cost nothing by themselves, with the reason shown on the estimate.
FREE_TYPES: dict[str, str] = {
    "null_resource": "local sandbox: no cloud resource",
    "aws_acm_certificate_validation": "certificate validation is free",
    "aws_api_gateway_account": "an account-level setting (the CloudWatch Logs role); free",
    "aws_api_gateway_base_path_mapping": _API,
    "aws_api_gateway_deployment": _API,
    "aws_api_gateway_domain_name": "regional custom domain names are free",
    "aws_api_gateway_integration": _API,
    "aws_api_gateway_method": _API,
    "aws_api_gateway_method_settings": _API + " (a cache is priced on the stage)",
    "aws_api_gateway_resource": _API,
    "aws_apigatewayv2_authorizer": _API + " (JWT authorizers are free)",
    "aws_apigatewayv2_integration": _API,
    "aws_apigatewayv2_route": _API,
    "aws_apigatewayv2_stage": _API,
    "aws_cloudfront_origin_access_control": "CloudFront configuration is free",
    "aws_cloudwatch_event_target": "targets are free; the invocations are priced on the target",
    "aws_cloudwatch_log_subscription_filter": "subscription filters are free; the destination is priced",
    "aws_db_parameter_group": "parameter groups are free",
    "aws_db_subnet_group": "subnet groups are free",
    "aws_default_security_group": _SG,
    "aws_ecs_cluster": "an ECS cluster is free (tasks are priced on their task definition; Container "
    "Insights metrics are not included)",
    "aws_eks_addon": "EKS add-ons are free; their pods are priced on the Fargate profile",
    "aws_flow_log": "the flow log itself is free; its log volume is priced on the destination log group",
    "aws_iam_instance_profile": _IAM,
    "aws_iam_openid_connect_provider": _IAM,
    "aws_iam_policy": _IAM,
    "aws_iam_role": _IAM,
    "aws_iam_role_policy": _IAM,
    "aws_iam_role_policy_attachment": _IAM,
    "aws_internet_gateway": "internet gateways are free (data transfer out is not estimated)",
    "aws_kms_alias": "aliases are free",
    "aws_lambda_function_url": "function URLs are free; requests are priced on the function",
    "aws_lambda_permission": "permissions are free",
    "aws_lb_listener": "listeners are free; capacity is priced on the load balancer (LCUs)",
    "aws_lb_target_group": "target groups are free",
    "aws_route53_record": "records are free; queries are priced on the hosted zone (alias queries are free)",
    "aws_route_table": "route tables are free",
    "aws_route_table_association": "route tables are free",
    "aws_s3_bucket_lifecycle_configuration": _S3_CONFIG + " (transitions are requests on the bucket)",
    "aws_s3_bucket_ownership_controls": _S3_CONFIG,
    "aws_s3_bucket_policy": _S3_CONFIG,
    "aws_s3_bucket_public_access_block": _S3_CONFIG,
    "aws_s3_bucket_server_side_encryption_configuration": _S3_CONFIG
    + " (SSE-KMS requests are priced on the key)",
    "aws_s3_bucket_versioning": _S3_CONFIG + " (old versions count in the bucket's storage)",
    "aws_secretsmanager_secret_version": "versions are free; the secret is priced",
    "aws_security_group": _SG,
    "aws_sns_topic_policy": "topic policies are free",
    "aws_sns_topic_subscription": "subscriptions are free; deliveries are priced on the topic",
    "aws_sqs_queue_redrive_allow_policy": "queue policies are free",
    "aws_subnet": "subnets are free",
    "aws_volume_attachment": "attachments are free; the volume is priced",
    "aws_vpc": "a VPC is free",
    "aws_vpc_security_group_egress_rule": _SG,
    "aws_vpc_security_group_ingress_rule": _SG,
    "aws_wafv2_web_acl_association": "associations are free; the web ACL is priced",
}
