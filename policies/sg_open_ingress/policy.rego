package portal.sg_open_ingress

import rego.v1

world := {"0.0.0.0/0", "::/0"}

web_ports := {80, 443}

changed(inp) := [r |
	some r in inp.plan.resource_changes
	some action in r.change.actions
	action in {"create", "update"}
]

# Port 80 alone or 443 alone; "all protocols" (-1) and ranges open more than the web.
web_only(rule) if {
	lower(sprintf("%v", [rule.protocol])) in {"tcp", "6"}
	rule.from_port == rule.to_port
	rule.from_port in web_ports
}

# ICMP has no ports; it is not what this policy guards.
port_protocol(rule) if lower(sprintf("%v", [rule.protocol])) in {"tcp", "6", "udp", "17", "-1", "all"}

finding(address, rule, cidr) := {
	"msg": sprintf("%s: ingress from %s on %s", [address, cidr, port_text(rule)]),
	"resource": address,
}

port_text(rule) := "all ports" if lower(sprintf("%v", [rule.protocol])) in {"-1", "all"}

port_text(rule) := sprintf("%v port %v", [rule.protocol, rule.from_port]) if {
	not lower(sprintf("%v", [rule.protocol])) in {"-1", "all"}
	rule.from_port == rule.to_port
}

port_text(rule) := sprintf("%v ports %v-%v", [rule.protocol, rule.from_port, rule.to_port]) if {
	not lower(sprintf("%v", [rule.protocol])) in {"-1", "all"}
	rule.from_port != rule.to_port
}

vpc_rules(changes) := {v |
	some r in changes
	r.type == "aws_vpc_security_group_ingress_rule"
	a := r.change.after
	some key in ["cidr_ipv4", "cidr_ipv6"]
	cidr := object.get(a, key, null)
	cidr in world
	rule := {"protocol": a.ip_protocol, "from_port": object.get(a, "from_port", null), "to_port": object.get(a, "to_port", null)}
	port_protocol(rule)
	not web_only(rule)
	v := finding(r.address, rule, cidr)
}

legacy_rules(changes) := {v |
	some r in changes
	r.type == "aws_security_group_rule"
	a := r.change.after
	a.type == "ingress"
	some key in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in object.get(a, key, [])
	cidr in world
	rule := {"protocol": a.protocol, "from_port": a.from_port, "to_port": a.to_port}
	port_protocol(rule)
	not web_only(rule)
	v := finding(r.address, rule, cidr)
}

inline_rules(changes) := {v |
	some r in changes
	r.type == "aws_security_group"
	some a in object.get(r.change.after, "ingress", [])
	some key in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in object.get(a, key, [])
	cidr in world
	rule := {"protocol": a.protocol, "from_port": a.from_port, "to_port": a.to_port}
	port_protocol(rule)
	not web_only(rule)
	v := finding(r.address, rule, cidr)
}

# The changed resources are listed once and handed to each check.
violations(inp) := found if {
	changes := changed(inp)
	found := (vpc_rules(changes) | legacy_rules(changes)) | inline_rules(changes)
}
