# CW-AZURE-NETWORK-001: no administration port open to the internet. Contract: docs/rules.md.
package complywise.rules.cw_azure_network_001

import data.complywise.lib

admin_ports := data.params["CW-AZURE-NETWORK-001"].admin_ports

# Service tags and wildcards that mean "anywhere".
internet_sources := {"*", "Internet", "Any", "any", "internet"}

from_internet(rule) if {
	some source in rule.source_address_prefixes
	source in internet_sources
}

from_internet(rule) if {
	some source in rule.source_address_prefixes
	lib.public_cidr(source)
}

opens(rule, port) if {
	rule.direction == "Inbound"
	rule.access == "Allow"
	rule.protocol in {"Tcp", "*"}
	some range in rule.destination_port_ranges
	range.from <= port
	port <= range.to
}

exposed(r) if {
	some rule in r.attributes.security_rules
	some port in admin_ports
	opens(rule, port)
	from_internet(rule)
}

compliant(r) if {
	is_array(r.attributes.security_rules)
	not exposed(r)
}

undecidable(r) if not "security_rules" in object.keys(r.attributes)
