# CW-AWS-IAM-008: roles trusted by other accounts require sts:ExternalId. Contract: docs/rules.md.
package complywise.rules.cw_aws_iam_008

readable(r, attribute) if attribute in object.keys(r.attributes)

# A principal outside the role's own account: "*", a bare account id or an ARN naming another account.
foreign(_, principal) if principal == "*"

foreign(r, principal) if {
	principal != "*"
	not contains(principal, r.account)
}

trusts_foreign(r) if {
	some principal in r.attributes.trusted_aws_principals
	foreign(r, principal)
}

not_applicable(r) if r.attributes.service_linked == true

not_applicable(r) if {
	readable(r, "trusted_aws_principals")
	not trusts_foreign(r)
}

compliant(r) if r.attributes.trust_requires_external_id == true

undecidable(r) if not readable(r, "trusted_aws_principals")

undecidable(r) if not readable(r, "trust_requires_external_id")
