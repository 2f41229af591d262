package portal.storage_encryption

import rego.v1

plan(rc) := {"plan": {"resource_changes": rc}, "context": {"tier": "prod"}}

rc(address, type, after) := {"address": address, "type": type, "change": {"actions": ["create"], "after": after}}

test_encrypted_database_passes if {
	count(violations(plan([rc("module.database.aws_db_instance.this", "aws_db_instance", {"storage_encrypted": true})]))) == 0
}

test_unencrypted_database_denied if {
	vs := violations(plan([rc("module.database.aws_db_instance.this", "aws_db_instance", {"storage_encrypted": false})]))
	count(vs) == 1
	some v in vs
	v.resource == "module.database.aws_db_instance.this"
}

test_cluster_without_flag_denied if {
	count(violations(plan([rc("aws_rds_cluster.aurora", "aws_rds_cluster", {"engine": "aurora-postgresql"})]))) == 1
}

test_unencrypted_volume_denied if {
	count(violations(plan([rc("aws_ebs_volume.data", "aws_ebs_volume", {"encrypted": false, "size": 30})]))) == 1
}

test_encrypted_volume_passes if {
	count(violations(plan([rc("aws_ebs_volume.data", "aws_ebs_volume", {"encrypted": true, "size": 30})]))) == 0
}

test_instance_root_disk if {
	good := rc("aws_instance.a", "aws_instance", {"root_block_device": [{"encrypted": true}], "ebs_block_device": []})
	bad := rc("aws_instance.b", "aws_instance", {"root_block_device": [{"encrypted": false}], "ebs_block_device": []})
	vs := violations(plan([good, bad]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_instance.b"
}

test_launch_template_disk_denied if {
	lt := rc("aws_launch_template.t", "aws_launch_template", {"block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{"encrypted": "false"}]}]})
	count(violations(plan([lt]))) == 1
}
