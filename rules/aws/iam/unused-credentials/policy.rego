# CW-AWS-IAM-007: no console password or active key left unused. Contract: docs/rules.md.
package complywise.rules.cw_aws_iam_007

import data.complywise.lib

max_days := data.params["CW-AWS-IAM-007"].max_unused_days

# Age in days of the last use, or of the user when the credential was never used.
idle_days(_, last_used) := lib.age_days(last_used, data.scan.unix_seconds) if last_used != null

idle_days(r, null) := lib.age_days(r.attributes.create_date, data.scan.unix_seconds)

stale(r) if {
	r.attributes.console_access == true
	idle_days(r, r.attributes.password_last_used) > max_days
}

stale(r) if {
	some key in r.attributes.access_keys
	key.status == "Active"
	idle_days(r, key.last_used_date) > max_days
}

readable(r, attribute) if attribute in object.keys(r.attributes)

needed := ["console_access", "password_last_used", "access_keys", "create_date"]

compliant(r) if {
	every attribute in needed {
		readable(r, attribute)
	}
	not stale(r)
}

undecidable(r) if {
	not stale(r)
	some attribute in needed
	not readable(r, attribute)
}
