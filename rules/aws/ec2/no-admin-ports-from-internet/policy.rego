# CW-AWS-EC2-001: no administration port open to the internet. Contract: docs/rules.md.
package complywise.rules.cw_aws_ec2_001

import data.complywise.lib

admin_ports := data.params["CW-AWS-EC2-001"].admin_ports

covers(rule, port) if {
	rule.protocol in {"tcp", "6", "all"}
	rule.from_port <= port
	port <= rule.to_port
}

from_internet(rule) if {
	some cidr in array.concat(object.get(rule, "ipv4_cidrs", []), object.get(rule, "ipv6_cidrs", []))
	lib.public_cidr(cidr)
}

exposed(r) if {
	some rule in r.attributes.ingress_rules
	some port in admin_ports
	covers(rule, port)
	from_internet(rule)
}

compliant(r) if {
	is_array(r.attributes.ingress_rules)
	not exposed(r)
}

undecidable(r) if not "ingress_rules" in object.keys(r.attributes)
