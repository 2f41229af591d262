package portal.instance_size_limit

import rego.v1

size_rank := {
	"nano": 0, "micro": 1, "small": 2, "medium": 3, "large": 4, "xlarge": 5,
	"2xlarge": 6, "4xlarge": 7, "8xlarge": 8, "12xlarge": 9, "16xlarge": 10,
	"24xlarge": 11, "32xlarge": 12, "48xlarge": 13, "metal": 14,
}

tier_limit := {"dev": "large", "staging": "2xlarge", "prod": "8xlarge"}

changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

attribute_for := {
	"aws_instance": "instance_type",
	"aws_launch_template": "instance_type",
	"aws_db_instance": "instance_class",
	"aws_rds_cluster_instance": "instance_class",
	"aws_elasticache_cluster": "node_type",
	"aws_elasticache_replication_group": "node_type",
}

# Every instance type a resource asks for, as a list.
types_of(r) := [t] if {
	t := r.change.after[attribute_for[r.type]]
	is_string(t)
}

types_of(r) := r.change.after.instance_types if r.type == "aws_eks_node_group"

size(instance_type) := s if {
	parts := split(instance_type, ".")
	s := parts[count(parts) - 1]
}

violations(inp) := {v |
	limit := tier_limit[inp.context.tier]
	some r in changed(inp)
	some t in types_of(r)
	rank := size_rank[size(t)]
	rank > size_rank[limit]
	v := {
		"msg": sprintf("%s: %s is above the %s tier's limit (%s)", [r.address, t, inp.context.tier, limit]),
		"resource": r.address,
	}
}
