package portal.cost_tags

import rego.v1

required_tags := ["CostCentre", "Team"]

writes(r) if "create" in r.change.actions

writes(r) if "update" in r.change.actions

# tags_all holds the provider's default_tags merged with the resource's own tags. A resource whose
# tags_all is only known after apply is judged on its own tags.
effective_tags(r) := r.change.after.tags_all if is_object(r.change.after.tags_all)

effective_tags(r) := r.change.after.tags if {
	not is_object(r.change.after.tags_all)
	is_object(r.change.after.tags)
}

effective_tags(r) := {} if {
	not is_object(r.change.after.tags_all)
	not is_object(r.change.after.tags)
	object.get(r.change.after, "tags_all", "absent") == null
}

missing(tags) := [t | some t in required_tags; object.get(tags, t, "") == ""]

violations(inp) := {v |
	some r in inp.plan.resource_changes
	r.mode == "managed"
	writes(r)
	tags := effective_tags(r)
	gaps := missing(tags)
	count(gaps) > 0
	# concat, not sprintf: rego-cpp 1.5.2 quotes a concat() result passed to sprintf's %s.
	v := {"msg": concat("", [r.address, ": missing cost tags ", concat(", ", gaps)]), "resource": r.address}
}
