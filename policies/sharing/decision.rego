# METADATA
# title: Sharing decisions
# description: |
#   What each subscriber may see of one intelligence event. Default deny. A
#   subscriber receives an event only under a sharing agreement it holds (data,
#   not code), and only when no rule denies it. Every decision names the rules
#   that produced it and, when allowed, the legal basis relied on.
package takitini.sharing

# NZ Protective Security Requirements classifications, in ascending order.
levels := {
	"UNCLASSIFIED": 0,
	"IN_CONFIDENCE": 1,
	"SENSITIVE": 2,
	"RESTRICTED": 3,
	"CONFIDENTIAL": 4,
	"SECRET": 5,
	"TOP_SECRET": 6,
}

known_caveats := {
	"ORIGINATOR_CONTROL",
	"LAW_ENFORCEMENT_ONLY",
	"NO_COMMUNITY_RELEASE",
	"EMBARGO_UNTIL_CONCLUDED",
	"RELEASABLE_TO",
}

known_agencies := {"POLICE", "CUSTOMS", "MBIE", "MSD"}

known_event_types := {"police.organised_crime_noting"}

community_tiers := {"community_leader", "public"}

# --- Input checks: anything malformed is denied, never allowed by accident ---

string_fields := ["id", "event_type", "classification", "region", "activity", "source_agency"]

array_fields := ["caveats", "releasable_to", "subject_kinds"]

# Checks are user-defined rules, negated with `not`: a builtin called on an
# undefined reference is itself undefined, so `not is_string(input.x)` would be
# undefined (not true) for a missing field — or for a missing input, which is what
# the wasm runtime makes of a null one — and let it through.
has_input if is_object(input)

string_at(path) if is_string(object.get(input, path, null))

array_at(path) if is_array(object.get(input, path, null))

strings_at(path) if {
	array_at(path)
	every v in object.get(input, path, null) {
		is_string(v)
	}
}

boolean_at(path) if is_boolean(object.get(input, path, null))

input_errors contains "input" if not has_input

input_errors contains "subscriber_id" if not string_at(["subscriber_id"])

input_errors contains "event" if not is_object(object.get(input, "event", null))

input_errors contains sprintf("event.%s", [f]) if {
	some f in string_fields
	not string_at(["event", f])
}

input_errors contains sprintf("event.%s", [f]) if {
	some f in array_fields
	not strings_at(["event", f])
}

input_errors contains "event.has_personal_information" if not boolean_at(["event", "has_personal_information"])

input_valid if count(input_errors) == 0

event := input.event if input_valid

subscriber := data.takitini.subscribers[input.subscriber_id] if input_valid

# --- Rules that deny ---

deny contains "sharing.input_invalid" if not input_valid

deny contains "sharing.unknown_subscriber" if {
	input_valid
	not subscriber
}

deny contains "sharing.unknown_source_agency" if not known_agencies[event.source_agency]

deny contains "sharing.unknown_event_type" if not known_event_types[event.event_type]

deny contains "sharing.unknown_classification" if not levels[event.classification]

deny contains "sharing.unknown_caveat" if {
	some c in event.caveats
	not known_caveats[c]
}

# Subscriber data that cannot be judged (a clearance outside the PSR levels) fails closed.
deny contains "sharing.subscriber_misconfigured" if {
	subscriber
	not levels[subscriber.clearance]
}

deny contains "sharing.community_no_raw_events" if subscriber.tier in community_tiers

deny contains "sharing.classification_above_clearance" if levels[event.classification] > levels[subscriber.clearance]

deny contains "sharing.law_enforcement_only" if {
	"LAW_ENFORCEMENT_ONLY" in event.caveats
	not subscriber.law_enforcement
}

deny contains "sharing.no_community_release" if {
	"NO_COMMUNITY_RELEASE" in event.caveats
	subscriber.tier in community_tiers
}

deny contains "sharing.not_releasable_to_subscriber" if {
	"RELEASABLE_TO" in event.caveats
	not input.subscriber_id in event.releasable_to
}

# Until operation lifecycle is modelled, an embargoed event leaves no one.
deny contains "sharing.embargoed_until_concluded" if "EMBARGO_UNTIL_CONCLUDED" in event.caveats

deny contains "sharing.no_legal_basis_for_personal_information" if {
	event.has_personal_information
	some a in matching_agreements
	a.legal_basis == ""
}

# Default deny: no agreement covers this event for this subscriber.
deny contains "sharing.default_deny" if {
	subscriber
	count(matching_agreements) == 0
}

# --- Agreements that allow ---

matching_agreements contains a if {
	some a in subscriber.agreements
	a.source_agency == event.source_agency
	event.event_type in a.event_types
	activity_covered(a)
}

activity_covered(a) if not a.activities

activity_covered(a) if event.activity in a.activities

# The agreement relied on: the first by id, so the choice is deterministic.
agreement := [a | some id in sort([b.id | some b in matching_agreements]); some a in matching_agreements; a.id == id][0]

# --- The decision ---

decision := {
	"allow": true,
	"view": agreement.view,
	"redact": agreement_redactions,
	"reasons": [agreement.rule],
	"legal_basis": agreement.legal_basis,
} if {
	count(deny) == 0
	agreement
} else := {
	"allow": false,
	"view": "none",
	"redact": [],
	"reasons": sort(deny),
	"legal_basis": "",
}

agreement_redactions := sort(agreement.redact) if agreement.view == "redacted"

agreement_redactions := [] if agreement.view != "redacted"
