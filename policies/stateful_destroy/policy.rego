package portal.stateful_destroy

import rego.v1

stateful_types := {
	"aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster",
	"aws_dynamodb_table", "aws_s3_bucket", "aws_ebs_volume", "aws_efs_file_system",
	"aws_elasticache_cluster", "aws_elasticache_replication_group",
	"aws_opensearch_domain", "aws_elasticsearch_domain",
}

deleted(inp) := [r |
	some r in inp.plan.resource_changes
	r.mode == "managed"
	"delete" in r.change.actions
]

keeps_snapshot(r) if {
	r.type in {"aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster"}
	r.change.before.skip_final_snapshot == false
}

keeps_snapshot(r) if {
	r.type == "aws_ebs_volume"
	r.change.before.final_snapshot == true
}

verb(r) := "replaces" if "create" in r.change.actions

verb(r) := "destroys" if not "create" in r.change.actions

violations(inp) := {v |
	some r in deleted(inp)
	r.type in stateful_types
	not keeps_snapshot(r)
	v := {"msg": sprintf("%s: the plan %s this %s without a final snapshot", [r.address, verb(r), r.type]), "resource": r.address}
}
