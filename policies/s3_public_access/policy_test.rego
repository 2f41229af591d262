package portal.s3_public_access

import rego.v1

plan(rc) := {"plan": {"resource_changes": rc}, "context": {"tier": "dev"}}

rc(address, type, after) := {"address": address, "type": type, "change": {"actions": ["create"], "after": after}}

closed_block := {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

test_closed_block_passes if {
	count(violations(plan([rc("module.b.aws_s3_bucket_public_access_block.this", "aws_s3_bucket_public_access_block", closed_block)]))) == 0
}

test_open_block_denied if {
	after := object.union(closed_block, {"restrict_public_buckets": false})
	vs := violations(plan([rc("aws_s3_bucket_public_access_block.x", "aws_s3_bucket_public_access_block", after)]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_s3_bucket_public_access_block.x"
}

test_public_acl_denied if {
	vs := violations(plan([rc("aws_s3_bucket_acl.x", "aws_s3_bucket_acl", {"acl": "public-read"})]))
	count(vs) == 1
}

test_private_acl_passes if {
	count(violations(plan([rc("aws_s3_bucket_acl.x", "aws_s3_bucket_acl", {"acl": "private"})]))) == 0
}

test_all_users_grant_denied if {
	acp := [{"grant": [{"permission": "READ", "grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}]}]}]
	count(violations(plan([rc("aws_s3_bucket_acl.x", "aws_s3_bucket_acl", {"access_control_policy": acp})]))) == 1
}

test_public_bucket_policy_denied if {
	policy := json.marshal({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})
	count(violations(plan([rc("aws_s3_bucket_policy.x", "aws_s3_bucket_policy", {"policy": policy})]))) == 1
}

test_conditional_bucket_policy_passes if {
	statement := {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
	policy := json.marshal({"Statement": statement})
	count(violations(plan([rc("aws_s3_bucket_policy.x", "aws_s3_bucket_policy", {"policy": policy})]))) == 0
}

test_deleted_block_ignored if {
	r := {"address": "aws_s3_bucket_public_access_block.x", "type": "aws_s3_bucket_public_access_block", "change": {"actions": ["delete"], "after": null}}
	count(violations(plan([r]))) == 0
}
