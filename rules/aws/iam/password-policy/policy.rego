# CW-AWS-IAM-003: the account password policy is strong enough. Contract: docs/rules.md.
package complywise.rules.cw_aws_iam_003

params := data.params["CW-AWS-IAM-003"]

# The policy setting that requires each character class a tenant may name in required_character_classes.
class_settings := {
	"lowercase": "require_lowercase_characters",
	"uppercase": "require_uppercase_characters",
	"numbers": "require_numbers",
	"symbols": "require_symbols",
}

# A null policy (read: none configured) is not strong: IAM then accepts 6-character passwords.
strong(policy) if {
	policy.minimum_password_length >= params.min_length
	every class in params.required_character_classes {
		policy[class_settings[class]] == true
	}
	policy.password_reuse_prevention >= params.reuse_prevention
}

compliant(r) if strong(r.attributes.password_policy)

undecidable(r) if not "password_policy" in object.keys(r.attributes)
