# METADATA
# title: Sharing decisions
# description: |
#   What one subscriber may see of one intelligence event. Default deny: a
#   subscriber receives an event only under a sharing agreement it holds in
#   data.takitini.subscribers (data, not code), and only when no rule denies it.
#   The decision always has a value. It names the agreement rule that allowed,
#   or every rule that denied, and when allowed the legal basis relied on.
package takitini.sharing

# --- Vocabulary ---------------------------------------------------------------

# NZ Protective Security Requirements classifications, lowest first.
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

# Each known event type and the activities its events may carry ("" for none).
# A new event type is a contract change (proto and policy together), so it lives here.
event_activities := {"police.organised_crime_noting": {
	"DRUG_SUPPLY",
	"VIOLENCE_STANDOVER",
	"FIREARMS",
	"MONEY_LAUNDERING",
}}

# The 12 Police districts, the regions events and subscribers are placed in.
districts := {
	"NORTHLAND",
	"WAITEMATA",
	"AUCKLAND_CITY",
	"COUNTIES_MANUKAU",
	"WAIKATO",
	"BAY_OF_PLENTY",
	"EASTERN",
	"CENTRAL",
	"WELLINGTON",
	"TASMAN",
	"CANTERBURY",
	"SOUTHERN",
}

tiers := {"partner_agency", "community_leader", "public", "oversight"}

# Tiers that never receive a raw event; they get de-identified briefings instead.
community_tiers := {"community_leader", "public"}

# Views an agreement may grant ("none" is what a denial gets).
agreement_views := {"full", "redacted", "aggregate_only"}

# The fields of an agreement. Any other is a typo that could widen it (a misspelt
# "activities" would cover every activity), so it makes the subscriber misconfigured.
agreement_fields := {"id", "rule", "source_agency", "event_types", "activities", "view", "redact", "legal_basis"}

# --- Input: anything malformed is denied, never allowed by accident ------------

event_string_fields := ["id", "source_agency", "event_type", "classification", "region", "activity"]

event_array_fields := ["caveats", "releasable_to", "subject_kinds"]

# Each check is a positive rule, negated with `not`. A builtin called on an
# undefined value is undefined, not false, so `not is_string(input.x)` would be
# undefined (not true) for a missing field, or for a missing input (which is what
# the wasm runtime makes of a null one), and the error would go unrecorded.
object_input if is_object(input)

object_at(path) if is_object(object.get(input, path, null))

string_at(path) if is_string(object.get(input, path, null))

strings_at(path) if strings(object.get(input, path, null))

boolean_at(path) if is_boolean(object.get(input, path, null))

strings(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

input_errors contains "input" if not object_input

input_errors contains "subscriber_id" if not string_at(["subscriber_id"])

input_errors contains "event" if not object_at(["event"])

input_errors contains concat(".", ["event", f]) if {
	some f in event_string_fields
	not string_at(["event", f])
}

input_errors contains concat(".", ["event", f]) if {
	some f in event_array_fields
	not strings_at(["event", f])
}

input_errors contains "event.has_personal_information" if not boolean_at(["event", "has_personal_information"])

input_valid if count(input_errors) == 0

# Defined only for valid input, so no rule below adds to sharing.input_invalid.
event := input.event if input_valid

# --- Subscriber: a record in the registry; one that cannot be judged fails closed

subscriber := data.takitini.subscribers[input.subscriber_id] if input_valid

subscriber_valid if {
	is_object(subscriber)
	tiers[subscriber.tier]
	is_number(levels[subscriber.clearance])
	is_boolean(subscriber.law_enforcement)
	strings(subscriber.regions)
	every r in subscriber.regions {
		region_valid(r)
	}
	is_array(subscriber.agreements)
	every a in subscriber.agreements {
		agreement_valid(a)
	}
	count({a.id | some a in subscriber.agreements}) == count(subscriber.agreements)
}

region_valid("*")

region_valid(r) if districts[r]

# Every disclosure records its basis, so an agreement without one is not an agreement.
agreement_valid(a) if {
	is_object(a)
	count({k | some k, _ in a; not agreement_fields[k]}) == 0
	is_string(a.id)
	is_string(a.rule)
	startswith(a.rule, "sharing.")
	known_agencies[a.source_agency]
	strings(a.event_types)
	activities_valid(a)
	agreement_views[a.view]
	strings(a.redact)
	is_string(a.legal_basis)
	a.legal_basis != ""
}

# No activities: the agreement covers every activity of its event types.
activities_valid(a) if object.get(a, "activities", null) == null

activities_valid(a) if strings(a.activities)

# The subscriber the rules below judge: known and well-formed.
viewer := subscriber if subscriber_valid

# --- Rules that deny ------------------------------------------------------------

deny contains "sharing.input_invalid" if not input_valid

deny contains "sharing.unknown_subscriber" if {
	input_valid
	not subscriber
}

deny contains "sharing.subscriber_misconfigured" if {
	subscriber
	not subscriber_valid
}

deny contains "sharing.unknown_source_agency" if {
	event
	not known_agencies[event.source_agency]
}

deny contains "sharing.unknown_event_type" if {
	event
	not event_activities[event.event_type]
}

deny contains "sharing.unknown_activity" if {
	activities := event_activities[event.event_type]
	not event.activity in activities
}

deny contains "sharing.unknown_classification" if {
	event
	not levels[event.classification]
}

deny contains "sharing.unknown_caveat" if {
	some c in event.caveats
	not known_caveats[c]
}

deny contains "sharing.community_no_raw_events" if viewer.tier in community_tiers

deny contains "sharing.classification_above_clearance" if levels[event.classification] > levels[viewer.clearance]

deny contains "sharing.outside_subscriber_regions" if {
	viewer
	not "*" in viewer.regions
	not event.region in viewer.regions
}

deny contains "sharing.law_enforcement_only" if {
	"LAW_ENFORCEMENT_ONLY" in event.caveats
	viewer.law_enforcement == false
}

deny contains "sharing.no_community_release" if {
	"NO_COMMUNITY_RELEASE" in event.caveats
	viewer.tier in community_tiers
}

deny contains "sharing.not_releasable_to_subscriber" if {
	"RELEASABLE_TO" in event.caveats
	viewer
	not releasable_to_viewer
}

# RELEASABLE_TO names subscribers by id, or partner agencies by agency code.
releasable_to_viewer if input.subscriber_id in event.releasable_to

releasable_to_viewer if viewer.agency in event.releasable_to

# Operation lifecycle is not modelled yet, so an embargoed event goes to no one.
deny contains "sharing.embargoed_until_concluded" if "EMBARGO_UNTIL_CONCLUDED" in event.caveats

# Default deny: no agreement the subscriber holds covers this event.
deny contains "sharing.default_deny" if {
	viewer
	count(matching_agreements) == 0
}

# ORIGINATOR_CONTROL needs no rule of its own: an agreement matches only events
# from its own source agency, so every release is one the originator agreed to.

# --- Agreements that allow --------------------------------------------------------

matching_agreements contains a if {
	some a in viewer.agreements
	a.source_agency == event.source_agency
	event.event_type in a.event_types
	covers_activity(a, event.activity)
}

covers_activity(a, _) if object.get(a, "activities", null) == null

covers_activity(a, activity) if activity in a.activities

# The agreement relied on when several match: the first by id, so the choice is stable.
agreement := [a | some a in matching_agreements; a.id == min({b.id | some b in matching_agreements})][0]

redactions := sort(agreement.redact) if agreement.view == "redacted"

else := []

# Every rule that denied; never empty, so a denial always says why.
denial_reasons := sort(deny) if count(deny) > 0

else := ["sharing.default_deny"]

# --- The decision: always a value -------------------------------------------------

decision := {
	"allow": true,
	"view": agreement.view,
	"redact": redactions,
	"reasons": [agreement.rule],
	"legal_basis": agreement.legal_basis,
} if {
	count(deny) == 0
	agreement
} else := {
	"allow": false,
	"view": "none",
	"redact": [],
	"reasons": denial_reasons,
	"legal_basis": "",
}
