# CW-AWS-DATA-001: a data store carries a data classification tag from the scheme. Contract: docs/rules.md.
# Rego rather than the DSL: the tag key to look up is a parameter, and DSL paths are fixed.
package complywise.rules.cw_aws_data_001

params := data.params["CW-AWS-DATA-001"]

allowed := {lower(v) | some v in params.allowed_values}

compliant(r) if {
	value := r.attributes.tags[params.tag_key]
	is_string(value)
	lower(value) in allowed
}

# The tags could not be read (the call was refused): the label may be there.
undecidable(r) if not "tags" in object.keys(r.attributes)
