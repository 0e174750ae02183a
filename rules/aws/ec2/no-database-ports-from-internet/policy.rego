# CW-AWS-EC2-009: no database port open to the internet. Contract: docs/rules.md.
package complywise.rules.cw_aws_ec2_009

import data.complywise.lib

database_ports := data.params["CW-AWS-EC2-009"].database_ports

# The rule admits the port: TCP or every protocol, and the port inside its range.
admits(rule, port) if {
	rule.protocol in {"tcp", "6", "all"}
	rule.from_port <= port
	port <= rule.to_port
}

public_source(rule) if {
	some cidr in array.concat(object.get(rule, "ipv4_cidrs", []), object.get(rule, "ipv6_cidrs", []))
	lib.public_cidr(cidr)
}

exposed(r) if {
	some rule in r.attributes.ingress_rules
	public_source(rule)
	some port in database_ports
	admits(rule, port)
}

compliant(r) if {
	is_array(r.attributes.ingress_rules)
	not exposed(r)
}

undecidable(r) if not "ingress_rules" in object.keys(r.attributes)
