package portal.stateful_destroy

import rego.v1

plan(rc) := {"plan": {"resource_changes": rc}, "context": {"tier": "prod"}}

rc(address, type, actions, before) := {"address": address, "mode": "managed", "type": type, "change": {"actions": actions, "before": before, "after": null}}

test_table_destroy_denied if {
	vs := violations(plan([rc("module.table.aws_dynamodb_table.this", "aws_dynamodb_table", ["delete"], {"name": "t"})]))
	count(vs) == 1
	some v in vs
	v.resource == "module.table.aws_dynamodb_table.this"
	contains(v.msg, "destroys")
}

test_database_with_final_snapshot_passes if {
	count(violations(plan([rc("aws_rds_cluster.aurora", "aws_rds_cluster", ["delete"], {"skip_final_snapshot": false})]))) == 0
}

test_database_without_final_snapshot_denied if {
	count(violations(plan([rc("aws_rds_cluster.aurora", "aws_rds_cluster", ["delete"], {"skip_final_snapshot": true})]))) == 1
}

test_replace_denied if {
	vs := violations(plan([rc("aws_ebs_volume.data", "aws_ebs_volume", ["delete", "create"], {"final_snapshot": false})]))
	some v in vs
	contains(v.msg, "replaces")
}

test_stateless_destroy_and_updates_pass if {
	fn := rc("module.f.aws_lambda_function.this", "aws_lambda_function", ["delete"], {})
	upd := rc("aws_s3_bucket.b", "aws_s3_bucket", ["update"], {})
	count(violations(plan([fn, upd]))) == 0
}
