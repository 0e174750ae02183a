# CW-AWS-IAM-003 with parameters other than the defaults the fixtures run with.
package complywise.rules.cw_aws_iam_003_test

import data.complywise.rules.cw_aws_iam_003

# Long and not reused, but with no character class required.
length_only := {"attributes": {"password_policy": {
	"minimum_password_length": 14,
	"require_symbols": false,
	"require_numbers": false,
	"require_uppercase_characters": false,
	"require_lowercase_characters": false,
	"password_reuse_prevention": 24,
}}}

defaults := {"min_length": 14, "reuse_prevention": 24, "required_character_classes": ["lowercase", "uppercase", "numbers", "symbols"]}

test_all_classes_by_default if {
	not cw_aws_iam_003.compliant(length_only) with data.params as {"CW-AWS-IAM-003": defaults}
}

test_no_class_required_accepts_a_length_only_policy if {
	cw_aws_iam_003.compliant(length_only) with data.params as {"CW-AWS-IAM-003": object.union(defaults, {"required_character_classes": []})}
}

test_one_class_required_is_still_checked if {
	not cw_aws_iam_003.compliant(length_only) with data.params as {"CW-AWS-IAM-003": object.union(defaults, {"required_character_classes": ["numbers"]})}
}
