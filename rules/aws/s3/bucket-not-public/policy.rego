# CW-AWS-S3-002: the bucket is not publicly accessible. Contract: docs/rules.md.
package complywise.rules.cw_aws_s3_002

block_settings := ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"]

# All four settings on. A null block (read: none configured) is not fully blocked.
fully_blocked(pab) if {
	every setting in block_settings {
		pab[setting] == true
	}
}

readable(r, attribute) if attribute in object.keys(r.attributes)

# Something the scanner did read already makes the bucket public, or able to become public.
exposed(r) if {
	readable(r, "public_access_block")
	not fully_blocked(r.attributes.public_access_block)
}

exposed(r) if r.attributes.policy_status.is_public == true

compliant(r) if {
	fully_blocked(r.attributes.public_access_block)
	r.attributes.policy_status.is_public == false
}

# An absent attribute means the scanner could not read it; unless what was read already fails the
# bucket, the rule cannot decide.
undecidable(r) if {
	not exposed(r)
	some attribute in ["public_access_block", "policy_status"]
	not readable(r, attribute)
}
