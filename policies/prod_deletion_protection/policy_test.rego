package portal.prod_deletion_protection

import rego.v1

plan(tier, rc) := {"plan": {"resource_changes": rc}, "context": {"tier": tier}}

rc(address, type, after) := {"address": address, "type": type, "change": {"actions": ["create"], "after": after}}

test_protected_database_passes if {
	count(violations(plan("prod", [rc("aws_rds_cluster.aurora", "aws_rds_cluster", {"deletion_protection": true})]))) == 0
}

test_unprotected_database_denied_in_prod if {
	vs := violations(plan("prod", [rc("module.database.aws_db_instance.this", "aws_db_instance", {"deletion_protection": false})]))
	count(vs) == 1
	some v in vs
	v.resource == "module.database.aws_db_instance.this"
}

test_unprotected_database_allowed_in_dev if {
	count(violations(plan("dev", [rc("module.database.aws_db_instance.this", "aws_db_instance", {"deletion_protection": false})]))) == 0
}

test_table_and_load_balancer if {
	t := rc("module.table.aws_dynamodb_table.this", "aws_dynamodb_table", {"deletion_protection_enabled": false})
	lb := rc("aws_lb.app", "aws_lb", {"enable_deletion_protection": false})
	count(violations(plan("prod", [t, lb]))) == 2
}
