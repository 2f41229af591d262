package portal.s3_public_access

import rego.v1

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

block_flags := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

# Resources the plan creates or updates.
changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

open_blocks(changes) := {v |
	some r in changes
	r.type in {"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"}
	some flag in block_flags
	object.get(r.change.after, flag, null) != true
	v := {"msg": sprintf("%s: %s is not true, so the bucket can be made public", [r.address, flag]), "resource": r.address}
}

canned_acls(changes) := {v |
	some r in changes
	r.type in {"aws_s3_bucket_acl", "aws_s3_bucket"}
	object.get(r.change.after, "acl", null) in public_acls
	v := {"msg": sprintf("%s: the ACL %q makes the bucket public", [r.address, r.change.after.acl]), "resource": r.address}
}

granted_acls(changes) := {v |
	some r in changes
	r.type == "aws_s3_bucket_acl"
	some acp in object.get(r.change.after, "access_control_policy", [])
	some grant in acp.grant
	some grantee in grant.grantee
	object.get(grantee, "uri", "") in public_groups
	v := {"msg": sprintf("%s: grants %s to %s", [r.address, grant.permission, grantee.uri]), "resource": r.address}
}

public_principal(p) if p == "*"

public_principal(p) if p.AWS == "*"

public_principal(p) if "*" in p.AWS

statements(doc) := doc.Statement if is_array(doc.Statement)

statements(doc) := [doc.Statement] if is_object(doc.Statement)

open_policies(changes) := {v |
	some r in changes
	r.type == "aws_s3_bucket_policy"
	is_string(r.change.after.policy)
	some statement in statements(json.unmarshal(r.change.after.policy))
	statement.Effect == "Allow"
	public_principal(statement.Principal)
	not statement.Condition
	v := {"msg": sprintf("%s: the bucket policy allows any principal (\"*\") without a condition", [r.address]), "resource": r.address}
}

# The changed resources are listed once and handed to each check.
violations(inp) := found if {
	changes := changed(inp)
	found := ((open_blocks(changes) | canned_acls(changes)) | granted_acls(changes)) | open_policies(changes)
}
