package portal.prod_multi_az

import rego.v1

flag_for := {
	"aws_db_instance": "multi_az",
	"aws_elasticache_replication_group": "multi_az_enabled",
}

changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

violations(inp) := {v |
	inp.context.tier == "prod"
	some r in changed(inp)
	flag := flag_for[r.type]
	object.get(r.change.after, flag, null) != true
	v := {"msg": sprintf("%s: single-AZ in prod (%s is not true)", [r.address, flag]), "resource": r.address}
}
