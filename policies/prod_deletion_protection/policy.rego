package portal.prod_deletion_protection

import rego.v1

flag_for := {
	"aws_db_instance": "deletion_protection",
	"aws_rds_cluster": "deletion_protection",
	"aws_docdb_cluster": "deletion_protection",
	"aws_neptune_cluster": "deletion_protection",
	"aws_dynamodb_table": "deletion_protection_enabled",
	"aws_lb": "enable_deletion_protection",
}

changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

# The scope in policy.yaml limits this to prod; the tier check keeps the Rego honest on its own.
violations(inp) := {v |
	inp.context.tier == "prod"
	some r in changed(inp)
	flag := flag_for[r.type]
	object.get(r.change.after, flag, null) != true
	v := {"msg": sprintf("%s: %s must be true in prod", [r.address, flag]), "resource": r.address}
}
