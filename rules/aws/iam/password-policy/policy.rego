# CW-AWS-IAM-003: the account password policy is strong enough. Contract: docs/rules.md.
package complywise.rules.cw_aws_iam_003

params := data.params["CW-AWS-IAM-003"]

classes := ["require_symbols", "require_numbers", "require_uppercase_characters", "require_lowercase_characters"]

# A null policy (read: none configured) is not strong: IAM then accepts 6-character passwords.
strong(policy) if {
	policy.minimum_password_length >= params.min_length
	every class in classes {
		policy[class] == true
	}
	policy.password_reuse_prevention >= params.reuse_prevention
}

compliant(r) if strong(r.attributes.password_policy)

undecidable(r) if not "password_policy" in object.keys(r.attributes)
