package portal.sg_open_ingress

import rego.v1

plan(rc) := {"plan": {"resource_changes": rc}, "context": {"tier": "dev"}}

ingress(address, protocol, from, to, cidr) := {
	"address": address,
	"type": "aws_vpc_security_group_ingress_rule",
	"change": {"actions": ["create"], "after": {"ip_protocol": protocol, "from_port": from, "to_port": to, "cidr_ipv4": cidr}},
}

test_https_from_world_passes if {
	count(violations(plan([ingress("aws_vpc_security_group_ingress_rule.web[\"443\"]", "tcp", 443, 443, "0.0.0.0/0")]))) == 0
}

test_http_from_world_passes if {
	count(violations(plan([ingress("aws_vpc_security_group_ingress_rule.web[\"80\"]", "tcp", 80, 80, "0.0.0.0/0")]))) == 0
}

test_ssh_from_world_denied if {
	vs := violations(plan([ingress("aws_vpc_security_group_ingress_rule.ssh[\"0.0.0.0/0\"]", "tcp", 22, 22, "0.0.0.0/0")]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_vpc_security_group_ingress_rule.ssh[\"0.0.0.0/0\"]"
	contains(v.msg, "port 22")
}

test_ssh_from_office_passes if {
	count(violations(plan([ingress("aws_vpc_security_group_ingress_rule.ssh[\"203.0.113.0/24\"]", "tcp", 22, 22, "203.0.113.0/24")]))) == 0
}

test_all_traffic_from_world_denied if {
	r := {"address": "aws_vpc_security_group_ingress_rule.all", "type": "aws_vpc_security_group_ingress_rule", "change": {"actions": ["create"], "after": {"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}}}
	count(violations(plan([r]))) == 1
}

test_range_including_web_denied if {
	count(violations(plan([ingress("aws_vpc_security_group_ingress_rule.r", "tcp", 80, 443, "0.0.0.0/0")]))) == 1
}

test_ipv6_world_denied if {
	r := {"address": "aws_vpc_security_group_ingress_rule.v6", "type": "aws_vpc_security_group_ingress_rule", "change": {"actions": ["create"], "after": {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_ipv6": "::/0"}}}
	count(violations(plan([r]))) == 1
}

test_inline_security_group_denied if {
	r := {"address": "aws_security_group.db", "type": "aws_security_group", "change": {"actions": ["update"], "after": {"ingress": [{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}]}}}
	count(violations(plan([r]))) == 1
}

test_legacy_rule_denied_and_egress_ignored if {
	ing := {"address": "aws_security_group_rule.rdp", "type": "aws_security_group_rule", "change": {"actions": ["create"], "after": {"type": "ingress", "protocol": "tcp", "from_port": 3389, "to_port": 3389, "cidr_blocks": ["0.0.0.0/0"]}}}
	eg := {"address": "aws_security_group_rule.out", "type": "aws_security_group_rule", "change": {"actions": ["create"], "after": {"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}}}
	vs := violations(plan([ing, eg]))
	count(vs) == 1
	some v in vs
	v.resource == "aws_security_group_rule.rdp"
}
