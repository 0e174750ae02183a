# CW-OKTA-POLICY-001: active password policies are strong. Contract: docs/rules.md.
package complywise.rules.cw_okta_policy_001

params := data.params["CW-OKTA-POLICY-001"]

not_applicable(r) if r.attributes.policy_type != "PASSWORD"

not_applicable(r) if r.attributes.status != "ACTIVE"

strong(p) if {
	p.min_length >= params.min_length
	p.exclude_username == true
	p.history_count >= params.history_count
	p.lockout_max_attempts > 0
	p.lockout_max_attempts <= params.max_lockout_attempts
}

compliant(r) if strong(r.attributes.password)

undecidable(r) if {
	some attribute in ["policy_type", "status", "password"]
	not attribute in object.keys(r.attributes)
}
