package portal.instance_size_limit

import rego.v1

plan(tier, rc) := {"plan": {"resource_changes": rc}, "context": {"tier": tier}}

server(type) := {"address": "aws_instance.server", "type": "aws_instance", "change": {"actions": ["create"], "after": {"instance_type": type}}}

db(class) := {"address": "module.database.aws_db_instance.this", "type": "aws_db_instance", "change": {"actions": ["update"], "after": {"instance_class": class}}}

test_small_in_dev_passes if {
	count(violations(plan("dev", [server("t4g.small"), db("db.t3.micro")]))) == 0
}

test_xlarge_in_dev_denied if {
	vs := violations(plan("dev", [server("m7g.xlarge")]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_instance.server"
}

test_xlarge_in_staging_passes if {
	count(violations(plan("staging", [server("m7g.xlarge")]))) == 0
}

test_database_class_in_prod if {
	count(violations(plan("prod", [db("db.m7g.large")]))) == 0
	count(violations(plan("prod", [db("db.r7g.16xlarge")]))) == 1
}

test_serverless_not_judged if {
	r := {"address": "aws_rds_cluster_instance.writer", "type": "aws_rds_cluster_instance", "change": {"actions": ["create"], "after": {"instance_class": "db.serverless"}}}
	count(violations(plan("dev", [r]))) == 0
}

test_node_group_types if {
	r := {"address": "aws_eks_node_group.n", "type": "aws_eks_node_group", "change": {"actions": ["create"], "after": {"instance_types": ["m5.large", "m5.4xlarge"]}}}
	count(violations(plan("dev", [r]))) == 1
}
