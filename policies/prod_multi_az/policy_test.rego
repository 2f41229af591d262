package portal.prod_multi_az

import rego.v1

plan(tier, rc) := {"plan": {"resource_changes": rc}, "context": {"tier": tier}}

db(multi_az) := {"address": "module.database.aws_db_instance.this", "type": "aws_db_instance", "change": {"actions": ["create"], "after": {"multi_az": multi_az}}}

test_multi_az_passes if {
	count(violations(plan("prod", [db(true)]))) == 0
}

test_single_az_warned_in_prod if {
	vs := violations(plan("prod", [db(false)]))
	count(vs) == 1
	some v in vs
	v.resource == "module.database.aws_db_instance.this"
}

test_single_az_fine_in_staging if {
	count(violations(plan("staging", [db(false)]))) == 0
}
