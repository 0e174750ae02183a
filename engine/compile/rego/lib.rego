# Helpers shared by every compiled rule; part of the engine. A change here changes the bundle revision.
package complywise.lib

# lookup(obj, path) is {"value": v} when the value at path can be read in obj, and undefined when it cannot.
# An absent key means the scanner could not read it (the rule cannot decide); a null on the way means it
# was read as "not configured", so the whole path reads as null.
lookup(obj, path) := {"value": v} if {
	v := object.get(obj, path, missing_marker)
	v != missing_marker
}

lookup(obj, path) := {"value": null} if {
	count(path) > 1
	some i in numbers.range(1, count(path) - 1)
	object.get(obj, array.slice(path, 0, i), missing_marker) == null
}

missing_marker := {"complywise.lib.missing": true}
