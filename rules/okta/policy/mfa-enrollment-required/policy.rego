# CW-OKTA-POLICY-002: MFA enrollment requires a strong authenticator. Contract: docs/rules.md.
package complywise.rules.cw_okta_policy_002

not_applicable(r) if r.attributes.policy_type != "MFA_ENROLL"

not_applicable(r) if r.attributes.status != "ACTIVE"

# Factors that can be intercepted (SIM swap, voicemail) do not count as strong.
weak_factors := {"phone_number", "sms", "call", "voice"}

compliant(r) if {
	some factor in r.attributes.mfa_enroll_factors
	factor.enroll == "REQUIRED"
	not factor.key in weak_factors
}

undecidable(r) if {
	some attribute in ["policy_type", "status", "mfa_enroll_factors"]
	not attribute in object.keys(r.attributes)
}
