# CW-AWS-RDS-003: backups kept long enough, and deletion protection on. Contract: docs/rules.md.
package complywise.rules.cw_aws_rds_003

min_days := data.params["CW-AWS-RDS-003"].min_backup_retention_days

readable(r, attribute) if attribute in object.keys(r.attributes)

# Something that was read already fails the instance.
weak(r) if r.attributes.backup_retention_period < min_days

weak(r) if r.attributes.deletion_protection == false

compliant(r) if {
	r.attributes.backup_retention_period >= min_days
	r.attributes.deletion_protection == true
}

undecidable(r) if {
	not weak(r)
	some attribute in ["backup_retention_period", "deletion_protection"]
	not readable(r, attribute)
}
