# Account baseline, applied once per AWS account and region by the platform team (not by a
# blueprint): the CloudWatch Logs role API Gateway uses for REST API execution and access logs.
# It is a per-region account setting (one value, no owner), so environments must not manage it:
# two environments would overwrite each other and destroying one would leave the setting pointing
# at a deleted role. Blueprints whose REST API stage logs declare the prerequisite
# `apigateway-cloudwatch-role` in blueprint.yaml; `blueprints check` enforces that.
# See docs/blueprints.md, "Account prerequisites".

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  name               = var.role_name
  description        = "API Gateway pushes REST API logs to CloudWatch Logs (account setting)"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = aws_iam_role.cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}
