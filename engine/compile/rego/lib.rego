# Helpers shared by every compiled rule; part of the engine. A change here changes the bundle revision.
# Everything here uses builtins the WebAssembly target implements, so `opa eval` and the engine agree.
package complywise.lib

# The value operators of the DSL. Each is a predicate on a value that was read (never on a missing one);
# a value of the wrong type simply does not satisfy it.
in_list(v, xs) if {
	some x in xs
	x == v
}

has(v, x) if {
	is_array(v)
	some e in v
	e == x
}

has(v, x) if {
	is_string(v)
	is_string(x)
	contains(v, x)
}

prefixed(v, x) if {
	is_string(v)
	startswith(v, x)
}

matches(v, pattern) if {
	is_string(v)
	regex.match(pattern, v)
}

compare(a, "equals", b) if {
	is_number(a)
	a == b
}

compare(a, "gt", b) if {
	is_number(a)
	a > b
}

compare(a, "gte", b) if {
	is_number(a)
	a >= b
}

compare(a, "lt", b) if {
	is_number(a)
	a < b
}

compare(a, "lte", b) if {
	is_number(a)
	a <= b
}

# size(v): the number of items of a list or object, or of characters of a string.
size(v) := count(v) if is_array(v)

size(v) := count(v) if is_object(v)

size(v) := count(v) if is_string(v)

# length_is / age_is: the measure compared, undefined (so `not` holds) when v cannot be measured. A nested
# call would be bound outside `not` by the compiler, so the measuring happens in here.
length_is(v, op, x) if compare(size(v), op, x)

age_is(v, now, op, x) if compare(age_days(v, now), op, x)

# items(v): the elements a quantifier ranges over; a null list (not configured) has none.
items(v) := v if is_array(v)

items(null) := []

is_list(v) if is_array(v)

is_list(null)

# Addresses: IPv4 with octets 0-255 and an optional /0-32, or IPv6 with an optional /0-128. Checked first, so
# net.* never sees a malformed string (which would be an error in one evaluator and undefined in the other).
ipv4_pattern := `^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(/([0-9]|[12][0-9]|3[0-2]))?$`

ipv6_pattern := `^[0-9a-fA-F:]*:[0-9a-fA-F:]*(/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?$`

address(v) if {
	is_string(v)
	regex.match(ipv4_pattern, v)
}

address(v) if {
	is_string(v)
	regex.match(ipv6_pattern, v)
}

cidr_contains(v, x) if {
	address(v)
	contains(v, "/")
	address(x)
	net.cidr_contains(v, x)
}

# Address space that is not reachable from the internet: private, loopback, link-local, shared (CGNAT),
# unique-local and the documentation ranges.
non_public_ranges := [
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
	"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "fc00::/7", "fe80::/10", "::1/128",
]

# public_cidr(v): v is an address or block of which some part is reachable from the internet.
public_cidr(v) if {
	address(v)
	not non_public(v)
}

non_public(v) if {
	some range in non_public_ranges
	net.cidr_contains(range, v)
}

# Time without time.* (absent from the WebAssembly target): the engine hands in data.timestamp_index, the
# seconds of every timestamp at a date-time attribute of the chunk (engine/timestamps.ts, which computes them
# exactly as below), so that this is one lookup. Any other string (no index, as in `opa test` and `opa eval`,
# a literal, an attribute not declared date-time) is parsed here with substring and to_number (no regex: the
# wasm regex engine is slow per call) and turned into seconds since the epoch with the days-from-civil
# algorithm (H. Hinnant), in plain arithmetic. Fractions of a second are ignored.
unix_seconds(ts) := secs if {
	secs := data.timestamp_index[ts]
} else := secs if {
	is_string(ts)
	count(ts) >= 20
	substring(ts, 4, 1) == "-"
	substring(ts, 7, 1) == "-"
	upper(substring(ts, 10, 1)) == "T"
	substring(ts, 13, 1) == ":"
	substring(ts, 16, 1) == ":"
	offset := zone_offset(zone_of(substring(ts, 19, -1)))
	y := digits(substring(ts, 0, 4))
	m := digits(substring(ts, 5, 2))
	d := digits(substring(ts, 8, 2))
	h := digits(substring(ts, 11, 2))
	mi := digits(substring(ts, 14, 2))
	s := digits(substring(ts, 17, 2))
	in_calendar(y, m, d, h, mi, s)
	days := days_from_civil(y, m, d)
	secs := ((((days * 86400) + (h * 3600)) + (mi * 60)) + s) - offset
}

# Fields in their ranges (a leap second allowed; a day past the month's end is not caught), and a year from 1:
# out of range, the floor divisions below would see negative numbers, which `opa eval` and the wasm target
# round differently.
in_calendar(y, m, d, h, mi, s) if {
	y >= 1
	m >= 1
	m <= 12
	d >= 1
	d <= 31
	h <= 23
	mi <= 59
	s <= 60
}

# zone_of(".123Z") = "Z": what follows the seconds, without a fraction.
zone_of(rest) := rest if not startswith(rest, ".")

zone_of(rest) := zone if {
	startswith(rest, ".")
	zone := trim_left(substring(rest, 1, -1), "0123456789")
	count(zone) < count(rest) - 1
}

# digits("09") = 9, defined only for a non-empty run of decimal digits; prefixing a 1 keeps to_number away
# from leading zeros.
digits(s) := to_number(concat("", ["1", s])) - power_of_ten(count(s)) if {
	count(s) > 0
	trim(s, "0123456789") == ""
}

power_of_ten(2) := 100

power_of_ten(4) := 10000

zone_offset(z) := 0 if upper(z) == "Z"

zone_offset(z) := sign * ((digits(substring(z, 1, 2)) * 3600) + (digits(substring(z, 4, 2)) * 60)) if {
	count(z) == 6
	substring(z, 3, 1) == ":"
	sign := zone_sign(substring(z, 0, 1))
}

zone_sign("+") := 1

zone_sign("-") := -1

days_from_civil(y0, m, d) := days if {
	y := y0 - floor((14 - m) / 12)
	era := floor(y / 400)
	yoe := y - (era * 400)
	doy := (floor(((153 * ((m + 9) % 12)) + 2) / 5) + d) - 1
	doe := (((yoe * 365) + floor(yoe / 4)) - floor(yoe / 100)) + doy
	days := ((era * 146097) + doe) - 719468
}

# age_days(ts, now): days from the timestamp to `now` (seconds since the epoch), with fractions.
age_days(ts, now) := (now - unix_seconds(ts)) / 86400

# The CloudWatch Logs metric filter patterns of the trail-monitoring resources being evaluated, each by its text
# as written: the text without blanks or quotes, in lower case, so `{ ($.eventName = "X") }` reads
# `{($.eventname=x)}` and patterns written in any of CloudWatch Logs' styles compare alike. A rule without
# arguments, so OPA computes it once per evaluation and every metric-filter rule shares it, instead of
# normalising a pattern again for each trail it is paired with.
normalized_filter_patterns[pattern] := normalized_filter_pattern(pattern) if {
	some r in data.inventory["aws.cloudwatch.trail_monitoring"]
	some f in r.attributes.metric_filters
	pattern := f.filter_pattern
}

normalized_filter_pattern(pattern) := lower(replace(replace(replace(replace(pattern, " ", ""), "\t", ""), "\n", ""), "\"", ""))
