# CW-AWS-VPC-002: no network ACL admits an administration port from the internet. Contract: docs/rules.md.
# Entries are evaluated lowest rule number first and the first one matching a packet decides, so an allow is
# harmless when a lower-numbered deny covers the same port and contains its whole source range.
package complywise.rules.cw_aws_vpc_002

import data.complywise.lib

admin_ports := data.params["CW-AWS-VPC-002"].admin_ports

covers(entry, port) if {
	entry.protocol in {"tcp", "all"}
	entry.from_port <= port
	port <= entry.to_port
}

source(entry) := entry.ipv4_cidr if is_string(entry.ipv4_cidr)

source(entry) := entry.ipv6_cidr if is_string(entry.ipv6_cidr)

denied_before(entries, allow, port) if {
	some deny in entries
	deny.action == "deny"
	deny.rule_number < allow.rule_number
	covers(deny, port)
	lib.cidr_contains(source(deny), source(allow))
}

exposed(r) if {
	entries := r.attributes.ingress_entries
	some entry in entries
	entry.action == "allow"
	some port in admin_ports
	covers(entry, port)
	lib.public_cidr(source(entry))
	not denied_before(entries, entry, port)
}

compliant(r) if {
	is_array(r.attributes.ingress_entries)
	not exposed(r)
}

undecidable(r) if not "ingress_entries" in object.keys(r.attributes)
