package portal.storage_encryption

import rego.v1

changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

flag_for := {
	"aws_db_instance": "storage_encrypted",
	"aws_rds_cluster": "storage_encrypted",
	"aws_ebs_volume": "encrypted",
}

databases_and_volumes(changes) := {v |
	some r in changes
	flag := flag_for[r.type]
	object.get(r.change.after, flag, null) != true
	v := {"msg": sprintf("%s: %s is not true (unencrypted storage)", [r.address, flag]), "resource": r.address}
}

# An explicitly unencrypted block device; one left unknown until apply follows the account default.
instance_disks(changes) := {v |
	some r in changes
	r.type == "aws_instance"
	some kind in ["root_block_device", "ebs_block_device"]
	some disk in object.get(r.change.after, kind, [])
	object.get(disk, "encrypted", true) != true
	v := {"msg": sprintf("%s: a %s is not encrypted", [r.address, kind]), "resource": r.address}
}

template_disks(changes) := {v |
	some r in changes
	r.type == "aws_launch_template"
	some mapping in object.get(r.change.after, "block_device_mappings", [])
	some ebs in object.get(mapping, "ebs", [])
	not object.get(ebs, "encrypted", "") in {true, "true"}
	v := {"msg": sprintf("%s: block device %v is not encrypted", [r.address, mapping.device_name]), "resource": r.address}
}

# The changed resources are listed once and handed to each check.
violations(inp) := found if {
	changes := changed(inp)
	found := (databases_and_volumes(changes) | instance_disks(changes)) | template_disks(changes)
}
