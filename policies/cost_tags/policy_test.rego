package portal.cost_tags

import rego.v1

plan(rc) := {"plan": {"resource_changes": rc}, "context": {"tier": "dev"}}

rc(address, after) := {"address": address, "mode": "managed", "type": "aws_sqs_queue", "change": {"actions": ["create"], "after": after}}

test_default_tags_pass if {
	count(violations(plan([rc("aws_sqs_queue.q", {"tags": null, "tags_all": {"CostCentre": "cc-1", "Team": "payments"}})]))) == 0
}

test_missing_cost_centre_denied if {
	vs := violations(plan([rc("aws_sqs_queue.q", {"tags": {"Team": "payments"}, "tags_all": {"Team": "payments"}})]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_sqs_queue.q"
	v.msg == "aws_sqs_queue.q: missing cost tags CostCentre"
}

test_empty_value_denied if {
	count(violations(plan([rc("aws_sqs_queue.q", {"tags_all": {"CostCentre": "", "Team": "payments"}})]))) == 1
}

test_unknown_tags_all_uses_own_tags if {
	count(violations(plan([rc("aws_sqs_queue.q", {"tags": {"Name": "q"}})]))) == 1
	count(violations(plan([rc("aws_sqs_queue.q", {"tags": {"CostCentre": "cc", "Team": "t"}})]))) == 0
}

test_untagged_null_denied if {
	count(violations(plan([rc("aws_sqs_queue.q", {"tags": null, "tags_all": null})]))) == 1
}

test_untaggable_resource_ignored if {
	r := {"address": "aws_iam_role_policy.p", "mode": "managed", "type": "aws_iam_role_policy", "change": {"actions": ["create"], "after": {"policy": "{}"}}}
	count(violations(plan([r]))) == 0
}

test_data_sources_and_deletes_ignored if {
	d := {"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "change": {"actions": ["read"], "after": {"tags": {}}}}
	del := {"address": "aws_sqs_queue.old", "mode": "managed", "type": "aws_sqs_queue", "change": {"actions": ["delete"], "after": null}}
	count(violations(plan([d, del]))) == 0
}
