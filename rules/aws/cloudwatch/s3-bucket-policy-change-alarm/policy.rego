# CW-AWS-CLOUDWATCH-011: changes to s3 bucket policies raise an alert (CIS AWS Foundations 4.8 / 3.8 (S3 bucket policy changes)). Contract: docs/rules.md.
package complywise.rules.cw_aws_cloudwatch_011

import data.complywise.lib

events := ["PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"]

# The normalised pattern p watches the events.
watches(p) if {
	every name in events {
		names_event(p, name)
	}
}

# The metric filter patterns of this evaluation (as written) that watch the events, each judged once on its
# normalised text (lib.normalized_filter_patterns); a rule without arguments, so OPA computes it once per
# evaluation and the (trail, filter) pairs below only look a pattern up.
watching_patterns contains pattern if {
	some pattern, p in lib.normalized_filter_patterns
	watches(p)
}

# The pattern tests eventName for exactly this name (CreateSecurityGroupRule does not name CreateSecurityGroup).
names_event(p, name) if {
	some end in [")", "|", "&", "}"]
	contains(p, concat("", ["$.eventname=", lower(name), end]))
}

# The key is present in the object (null included); an absent key is what the scanner could not read.
has_key(o, key) if {
	_ = o[key]
}

readable(r, attribute) if has_key(r.attributes, attribute)

# No trail delivers to a log group of this region: the chain is judged in the region that holds one.
not_applicable(r) if {
	readable(r, "trails")
	count(r.attributes.trails) == 0
}

# A multi-region trail that is logging delivers to a log group, a filter there watches the events, an alarm on
# the filter's metric has its actions on and notifies an SNS topic with at least one confirmed subscriber.
compliant(r) if {
	some t in r.attributes.trails
	t.is_multi_region == true
	t.is_logging == true
	some f in r.attributes.metric_filters
	f.log_group_name == t.log_group_name
	watching_patterns[f.filter_pattern]
	some m in f.metrics
	some a in r.attributes.alarms
	a.metric_name == m.metric_name
	a.namespace == m.metric_namespace
	a.actions_enabled == true
	some s in a.sns_topics
	s.subscriptions_confirmed > 0
}

# Undecidable when a link could not be read and the chain does not hold without it. The unread link is cheap to
# find and rare; the chain is costly, so it is searched here only when a link is missing.
undecidable(r) if {
	unread_link(r)
	not compliant(r)
}

unread_link(r) if {
	some attribute in ["trails", "metric_filters", "alarms"]
	not readable(r, attribute)
}

# A link that could not be read may be the one that completes the chain.
unread_link(r) if {
	some t in r.attributes.trails
	not has_key(t, "is_logging")
}

unread_link(r) if {
	some a in r.attributes.alarms
	some s in a.sns_topics
	not has_key(s, "subscriptions_confirmed")
}
