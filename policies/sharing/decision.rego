# METADATA
# title: Sharing decisions
# description: |
#   What one subscriber may see of one intelligence event. Default deny: a
#   subscriber receives an event only under a sharing agreement it holds in
#   data.takitini.subscribers (data, not code), and only when no rule denies it.
#   The decision always has a value. It names the agreement rule that allowed,
#   or every rule that denied; when allowed, the legal basis relied on and the
#   exact field paths to remove before delivery. A link alert (two agencies'
#   records about the same subject) is decided by the record rules themselves,
#   applied to each linked record's facts: see "Link alerts" below.
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

# The four agencies, COMMUNITY: community leaders, whose submissions the briefing
# service publishes (an observation, a support need, feedback on a briefing) as
# events like any agency's, on their own topic; and LINKAGE: the mesh's linkage
# service, whose link alerts are events on their own topic too.
known_agencies := {"POLICE", "CUSTOMS", "MBIE", "MSD", "COMMUNITY", "LINKAGE"}

# Agencies an agreement may release events of. No agreement covers a link alert:
# an alert is released by the agreements of the two records it links, or not at all.
agreement_agencies := known_agencies - {"LINKAGE"}

drugs := {"METHAMPHETAMINE", "COCAINE", "MDMA"}

commodities := drugs | {"PRECURSORS", "FIREARMS", "COUNTERFEIT_GOODS"}

# What a leader's observation concerns (CommunitySubmission.topic): the agreements route by it.
submission_topics := {"DRUG_SUPPLY", "FIREARMS", "GANG_ACTIVITY", "EXPLOITATION", "FINANCIAL_HARM", "OTHER"}

# The deterministic rules a link alert is raised by (LinkAlert.rule, as the alert's
# activity): the kind of subject each links, and the fields of that subject whose
# equality it asserts (paths under subjects[n]). A subscriber whose view of a linked
# record removes any of them could not see the match for itself, so is not told it.
link_rules := {
	"IDENTITY_DOCUMENT": {"kind": "PERSON", "fields": ["person.documents"]},
	"COMPANY_REGISTRATION": {"kind": "ORGANISATION", "fields": ["organisation.registration_number"]},
	"VEHICLE_PLATE": {"kind": "VEHICLE", "fields": ["vehicle.plate"]},
	"NAME_AND_DATE_OF_BIRTH": {"kind": "PERSON", "fields": ["person.full_name", "person.aliases", "person.date_of_birth"]},
}

# An operation's lifecycle: planning -> active (covert) -> resolution (arrests) -> concluded.
operation_phases := {"PLANNING", "ACTIVE", "RESOLUTION", "CONCLUDED"}

# From resolution on, a de-identified account of an operation may leave law enforcement.
released_phases := {"RESOLUTION", "CONCLUDED"}

# Every event type the mesh carries (the proto's payload oneof): the agency that
# publishes it, the payload's field name in the envelope (where redaction paths into
# the payload start), the activities its events may carry (the crime activity of a
# noting, the commodity of a seizure, consignment or wastewater reading; "" for none)
# and the operation phases they may carry ("" for none). A new event type is a
# contract change (proto and policy together), so it lives here.
event_types := {
	"police.organised_crime_noting": {
		"agency": "POLICE",
		"payload": "police_noting",
		"activities": {"DRUG_SUPPLY", "VIOLENCE_STANDOVER", "FIREARMS", "MONEY_LAUNDERING"},
		"phases": {""},
	},
	"police.operation_update": {
		"agency": "POLICE",
		"payload": "police_operation_update",
		"activities": {""},
		"phases": operation_phases,
	},
	"police.firearms_seizure": {
		"agency": "POLICE",
		"payload": "police_firearms_seizure",
		"activities": {""},
		"phases": {""},
	},
	"police.wastewater_indicator": {
		"agency": "POLICE",
		"payload": "police_wastewater_indicator",
		"activities": drugs,
		"phases": {""},
	},
	# Financial intelligence: the FIU's summaries of suspicious activity reports
	# (AML/CFT Act 2009), Criminal Proceeds (Recovery) Act 2009 orders, and scams
	# reported by the public. None carries an activity: agreements cover each type whole.
	"police.fiu_suspicious_activity": {
		"agency": "POLICE",
		"payload": "police_fiu_suspicious_activity",
		"activities": {""},
		"phases": {""},
	},
	"police.asset_restraint": {
		"agency": "POLICE",
		"payload": "police_asset_restraint",
		"activities": {""},
		"phases": {""},
	},
	"police.scam_report": {
		"agency": "POLICE",
		"payload": "police_scam_report",
		"activities": {""},
		"phases": {""},
	},
	# A coarse "support may be needed" notice before an operation's arrests, for the
	# agencies that support whānau (district, ISO week, counts, support needed): no
	# operation, place, date or person exists in it. See "Support advance notices" below.
	"police.support_advance_notice": {
		"agency": "POLICE",
		"payload": "police_support_advance_notice",
		"activities": {""},
		"phases": {""},
	},
	# Requests for information between agencies and their answers: one pair per agency,
	# released to the agency addressed (a request) or the agency that asked (a response)
	# only. See "Requests for information" below.
	"police.information_request": information_type("POLICE", "information_request"),
	"police.information_response": information_type("POLICE", "information_response"),
	"customs.information_request": information_type("CUSTOMS", "information_request"),
	"customs.information_response": information_type("CUSTOMS", "information_response"),
	"mbie.information_request": information_type("MBIE", "information_request"),
	"mbie.information_response": information_type("MBIE", "information_response"),
	"msd.information_request": information_type("MSD", "information_request"),
	"msd.information_response": information_type("MSD", "information_response"),
	"customs.border_seizure": {
		"agency": "CUSTOMS",
		"payload": "customs_border_seizure",
		"activities": commodities,
		"phases": {""},
	},
	"customs.suspicious_consignment": {
		"agency": "CUSTOMS",
		"payload": "customs_suspicious_consignment",
		"activities": (commodities | {""}),
		"phases": {""},
	},
	"mbie.exploitation_complaint": {
		"agency": "MBIE",
		"payload": "mbie_exploitation_complaint",
		"activities": {""},
		"phases": {""},
	},
	"mbie.trafficking_indicator": {
		"agency": "MBIE",
		"payload": "mbie_trafficking_indicator",
		"activities": {""},
		"phases": {""},
	},
	"msd.whanau_support_referral": {
		"agency": "MSD",
		"payload": "msd_whanau_support_referral",
		"activities": {""},
		"phases": {""},
	},
	"msd.community_resilience_report": {
		"agency": "MSD",
		"payload": "msd_community_resilience_report",
		"activities": {""},
		"phases": {""},
	},
	"police.regional_assessment": {
		"agency": "POLICE",
		"payload": "regional_assessment",
		"activities": {""},
		"phases": {""},
	},
	# A leader's submission: an observation's activity is its topic; a support need
	# and briefing feedback have none (the proto's SUBMISSION_TOPIC_UNSPECIFIED).
	"community.observation": {
		"agency": "COMMUNITY",
		"payload": "community_submission",
		"activities": submission_topics,
		"phases": {""},
	},
	"community.support_need": {
		"agency": "COMMUNITY",
		"payload": "community_submission",
		"activities": {""},
		"phases": {""},
	},
	"community.briefing_feedback": {
		"agency": "COMMUNITY",
		"payload": "community_submission",
		"activities": {""},
		"phases": {""},
	},
	# A link between two agencies' records: its activity is the rule that made it.
	"linkage.link_alert": {
		"agency": "LINKAGE",
		"payload": "link_alert",
		"activities": object.keys(link_rules),
		"phases": {""},
	},
}

information_type(agency, payload) := {"agency": agency, "payload": payload, "activities": {""}, "phases": {""}}

# Requests for information and their responses: addressed by the event, never by an agreement.
information_event_types := {t | some t, spec in event_types; spec.payload in {"information_request", "information_response"}}

# The agencies a request may be addressed to, and a response be for.
information_agencies := {"POLICE", "CUSTOMS", "MBIE", "MSD"}

# Leaders' submissions: to the agencies that act on them, never to a community tier.
submission_event_types := {t | some t, spec in event_types; spec.agency == "COMMUNITY"}

# Link alerts: decided on the records they link, never to a community tier.
link_alert_event_types := {t | some t, spec in event_types; spec.agency == "LINKAGE"}

# Support advance notices: to the agencies that support whānau as a de-identified
# notice only, never held back by an operation's embargo, never to a community tier.
advance_notice_event_types := {"police.support_advance_notice"}

# Written assessments an agency prepares for a region's leaders: released to a
# community tier only with the originating agency's recorded approval.
assessment_event_types := {"police.regional_assessment"}

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

# Subjects: a person has a role ("UNSPECIFIED" when none is recorded); organisations,
# vehicles and empty subjects (kind "") have none.
person_roles := {"UNSPECIFIED", "PERSON_OF_INTEREST", "ASSOCIATE", "VICTIM", "EXPLOITED_WORKER", "WITNESS"}

tiers := {"partner_agency", "foreign_partner", "community_leader", "public", "oversight"}

# Tiers that never receive a raw event: aggregate-only views (for briefings) and
# de-identified notices only.
community_tiers := {"community_leader", "public"}

# Views an agreement may grant ("none" is what a denial gets).
agreement_views := {"full", "redacted", "aggregate_only"}

# Views a foreign partner's agreement may grant: record level only. Aggregates are for
# domestic community briefings, de-identified notices for domestic support.
foreign_views := {"full", "redacted"}

# Welfare intelligence about tamariki, rangatahi and their whānau (MSD's whānau-support
# referrals, with their children counts, and community-resilience programme reports):
# it never leaves New Zealand.
welfare_event_types := {"msd.whanau_support_referral", "msd.community_resilience_report"}

# The fields of an agreement. Any other is a typo that could widen it (a misspelt
# "activities" would cover every activity), so it makes the subscriber misconfigured.
agreement_fields := {
	"id", "rule", "source_agency", "event_types", "activities", "operation_phases",
	"view", "redact", "de_identified", "purpose", "legal_basis",
}

# Derived views (aggregate-only, de-identified notices) carry none of the record's
# content, so the markings on that content (classification, LAW_ENFORCEMENT_ONLY) do
# not hold them back, up to this classification; above it they need clearance.
derived_view_ceiling := "RESTRICTED"

# --- Redaction catalogue: what an agreement's redact categories remove ---------
#
# Agreements name categories; decisions carry the exact protobuf field paths
# (snake_case, `[*]` for every element, `[n]` for one) that the exchange's one
# applier removes. Paths are emitted only where the event has something there.

# Everything about a person but the pseudonymous subject_id, role and minor flag.
identity_fields := ["full_name", "aliases", "date_of_birth", "address", "phone_numbers", "documents"]

# Categories that cover every person in the event, and the person fields they remove.
person_field_categories := {
	"people": ["full_name", "aliases", "date_of_birth"],
	"addresses": ["address"],
	"phone_numbers": ["phone_numbers"],
	"document_numbers": ["documents"],
}

# Persons whose identity is withheld whole by "victims_and_exploited_workers".
protected_roles := {"VICTIM", "EXPLOITED_WORKER"}

# Free text that may name people, by event type (payload fields).
narrative_fields := {
	"police.organised_crime_noting": ["summary"],
	"police.operation_update": ["summary"],
	# A leader's own words, and the place they name (a town, or a street, a house).
	"community.observation": ["text", "locality"],
	"community.support_need": ["text", "locality"],
	"community.briefing_feedback": ["text", "locality"],
}

# Fields that would identify an operation, a case, a place or a group, by event type
# (payload fields). A de-identified notice removes them with the envelope's
# operation_ref and source_record_id.
operational_fields := {
	"police.organised_crime_noting": ["group_name", "locality", "reporting_unit"],
	"police.operation_update": ["code_name", "target_group", "localities", "arrests", "charges"],
	"police.firearms_seizure": ["locality", "linked_group"],
	# The High Court file that names the respondents' case.
	"police.asset_restraint": ["court_file_ref"],
	# The reporter's town: in a small place, with an age band and a loss, it identifies them.
	"police.scam_report": ["locality"],
	"customs.border_seizure": ["case_ref", "consignee_subject_id"],
	"customs.suspicious_consignment": ["consignment_ref", "consignee_subject_id"],
	"mbie.exploitation_complaint": ["complaint_ref", "employer_subject_id", "locality"],
	"mbie.trafficking_indicator": ["case_ref", "related_complaint_ref"],
	"msd.whanau_support_referral": ["referral_batch_ref", "provider"],
	# The acknowledgement reference, and whose leaders sent it.
	"community.observation": ["reference", "organisation", "subscriber_id"],
	"community.support_need": ["reference", "organisation", "subscriber_id"],
	"community.briefing_feedback": ["reference", "organisation", "subscriber_id"],
}

# Also a wasm entrypoint, through vocabulary.rego.
redaction_categories := object.keys(person_field_categories) | {
	"vehicles",
	"victims_and_exploited_workers",
	"children",
	"subjects",
	"narrative",
	"operational_detail",
}

# What a de-identified notice must remove: every subject, all free text, and
# everything that identifies the operation or case.
deidentifying_categories := {"subjects", "narrative", "operational_detail"}

# --- Input: anything malformed is denied, never allowed by accident ------------

event_string_fields := ["id", "source_agency", "event_type", "classification", "region", "activity", "operation_ref", "operation_phase"]

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

# The event's subjects in envelope order: {kind, role, minor}, no identities.
subjects_at(path) if {
	xs := object.get(input, path, null)
	is_array(xs)
	every s in xs {
		subject_shaped(s)
	}
}

subject_shaped(s) if {
	is_object(s)
	is_string(s.kind)
	is_string(s.role)
	is_boolean(s.minor)
}

strings(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

input_errors contains "input" if not object_input

input_errors contains "subscriber_id" if not string_at(["subscriber_id"])

input_errors contains "event" if not object_at(["event"])

input_errors contains concat(".", ["event", f]) if some f in projection_errors(["event"])

# The fields of the event projection at this path that are missing or of the wrong
# type: the event's, and each record's a link alert links (the same shape).
projection_errors(at) := (({f | some f in event_string_fields; not string_at(array.concat(at, [f]))} | {f |
	some f in event_array_fields
	not strings_at(array.concat(at, [f]))
}) | {f | f := "subjects"; not subjects_at(array.concat(at, [f]))}) | {f |
	f := "has_personal_information"
	not boolean_at(array.concat(at, [f]))
}

# The countries the agency releases the event to ("RELEASABLE TO AUS"): ISO 3166-1
# alpha-3 codes. Absent (or null) is none: the event never leaves New Zealand. Present,
# it must be a list of strings.
input_errors contains "event.releasable_to_countries" if {
	object.get(object.get(input, "event", {}), "releasable_to_countries", null) != null
	not strings_at(["event", "releasable_to_countries"])
}

# An assessment's release approval, where the event has one: absent (or null) when
# the agency has not approved it; present, it must be well formed.
input_errors contains "event.release_approval" if {
	object.get(object.get(input, "event", {}), "release_approval", null) != null
	not approval_shaped(input.event.release_approval)
}

approval_shaped(a) if {
	is_object(a)
	count({k | some k, _ in a; not k in {"approver_role", "approval_ref", "approved_at"}}) == 0
	is_string(a.approver_role)
	is_string(a.approval_ref)
	is_string(a.approved_at)
}

# A request's or response's counterpart (the agency addressed, or the agency that asked)
# and the legal basis it relies on: present exactly for those event types, well formed,
# never the source agency itself.
information_input if object.get(object.get(input, "event", {}), "event_type", "") in information_event_types

input_errors contains "event.information_exchange" if {
	information_input
	not information_exchange_shaped(object.get(input.event, "information_exchange", null))
}

input_errors contains "event.information_exchange" if {
	not information_input
	object.get(object.get(input, "event", {}), "information_exchange", null) != null
}

information_exchange_shaped(x) if {
	is_object(x)
	count({k | some k, _ in x; not k in {"counterpart", "legal_basis"}}) == 0
	x.counterpart in information_agencies
	x.counterpart != input.event.source_agency
	is_string(x.legal_basis)
	x.legal_basis != ""
}

# A link alert's records: exactly two event projections, as the exchange makes of any
# event, each with the position of the subject linked (subject_index), of different
# agencies, neither itself a link alert. Only an alert has them.
alert_input if object.get(object.get(input, "event", {}), "event_type", "") in link_alert_event_types

input_errors contains "event.linked" if {
	alert_input
	not linked_pair
}

input_errors contains "event.linked" if {
	not alert_input
	object.get(object.get(input, "event", {}), "linked", null) != null
}

linked_pair if {
	is_array(input.event.linked)
	count(input.event.linked) == 2
}

# Two records of one agency are not a link between agencies.
input_errors contains "event.linked" if {
	alert_input
	linked_pair
	input.event.linked[0].source_agency == input.event.linked[1].source_agency
}

input_errors contains linked_field(i, "") if {
	alert_input
	some i in linked_positions
	not object_at(["event", "linked", i])
}

input_errors contains linked_field(i, f) if {
	alert_input
	some i in linked_positions
	object_at(["event", "linked", i])
	some f in projection_errors(["event", "linked", i])
}

input_errors contains linked_field(i, "subject_index") if {
	alert_input
	some i in linked_positions
	object_at(["event", "linked", i])
	not linked_subject_index_valid(input.event.linked[i])
}

# Neither record is itself a link alert, nor claims to be one.
input_errors contains linked_field(i, "event_type") if {
	alert_input
	some i in linked_positions
	input.event.linked[i].event_type in link_alert_event_types
}

input_errors contains linked_field(i, "source_agency") if {
	alert_input
	some i in linked_positions
	input.event.linked[i].source_agency == "LINKAGE"
}

input_errors contains linked_field(i, "linked") if {
	alert_input
	some i in linked_positions
	object.get(input.event.linked[i], "linked", null) != null
}

linked_positions contains i if {
	is_array(input.event.linked)
	some i, _ in input.event.linked
}

linked_field(i, "") := concat("", ["event.linked[", format_int(i, 10), "]"])

linked_field(i, f) := concat("", ["event.linked[", format_int(i, 10), "].", f]) if f != ""

# The position of a subject the record has.
linked_subject_index_valid(r) if {
	some j, _ in r.subjects
	j == r.subject_index
}

input_valid if count(input_errors) == 0

# Defined only for valid input, so no rule below adds to sharing.input_invalid.
# No rule reads event.id beyond its type: decisions do not depend on it, which is
# what lets the loader evaluate once per distinct projection of an event.
event := input.event if input_valid

event_type := event_types[event.event_type]

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
	strings(subscriber.purposes)
	is_array(subscriber.agreements)
	every a in subscriber.agreements {
		agreement_valid(a, subscriber.purposes)
	}
	count({a.id | some a in subscriber.agreements}) == count(subscriber.agreements)
	country_valid(subscriber)
	every a in subscriber.agreements {
		tier_agreement_valid(subscriber.tier, a)
	}
}

# A foreign partner has its country (ISO 3166-1 alpha-3, upper case, never New
# Zealand's); no other subscriber has one.
country_valid(s) if {
	s.tier != "foreign_partner"
	object.get(s, "country", null) == null
}

country_valid(s) if {
	s.tier == "foreign_partner"
	is_string(s.country)
	regex.match(`^[A-Z]{3}$`, s.country)
	s.country != "NZL"
}

# A foreign partner's agreement states why (a purpose) and on what basis (a legal
# basis, as every agreement does), grants a record-level view, and covers nothing that
# never leaves New Zealand ("Foreign partners" below).
tier_agreement_valid(tier, _) if tier != "foreign_partner"

tier_agreement_valid("foreign_partner", a) if {
	is_string(a.purpose)
	a.purpose != ""
	a.view in foreign_views
	not a.de_identified == true
	every t in a.event_types {
		not t in never_leaves_new_zealand
	}
}

region_valid("*")

region_valid(r) if districts[r]

# Every disclosure records its basis, so an agreement without one is not an agreement.
agreement_valid(a, purposes) if {
	is_object(a)
	count({k | some k, _ in a; not agreement_fields[k]}) == 0
	is_string(a.id)
	is_string(a.rule)
	startswith(a.rule, "sharing.")
	agreement_agencies[a.source_agency]
	strings(a.event_types)
	every t in a.event_types {
		event_types[t].agency == a.source_agency
	}
	activities_valid(a)
	phases_valid(a)
	agreement_views[a.view]
	strings(a.redact)
	every c in a.redact {
		redaction_categories[c]
	}
	de_identification_valid(a)
	advance_notice_agreement_valid(a)
	not covers_information(a)
	purpose_valid(a, purposes)
	is_string(a.legal_basis)
	a.legal_basis != ""
}

# No activities: the agreement covers every activity of its event types. Each one
# listed must be an activity of one of them, so a misspelling cannot pass unseen.
activities_valid(a) if object.get(a, "activities", null) == null

activities_valid(a) if {
	strings(a.activities)
	every x in a.activities {
		some t in a.event_types
		x in event_types[t].activities
	}
}

# No operation phases: the agreement covers events in any phase (or none).
phases_valid(a) if object.get(a, "operation_phases", null) == null

phases_valid(a) if {
	strings(a.operation_phases)
	every p in a.operation_phases {
		operation_phases[p]
	}
}

# A de-identified agreement grants a redacted view that removes every subject, all
# free text and all operational detail: the policy checks that, not the data's word.
de_identification_valid(a) if object.get(a, "de_identified", false) == false

de_identification_valid(a) if {
	a.de_identified == true
	a.view == "redacted"
	every c in deidentifying_categories {
		c in a.redact
	}
}

# An agreement covering a support advance notice grants the de-identified notice and
# nothing else (the exchange delivers it as a SupportNotice built by allow-list), and
# covers no other event type: an agreement for the notice can never carry an
# operation's other events with it.
advance_notice_agreement_valid(a) if {
	not covers_advance_notice(a)
}

advance_notice_agreement_valid(a) if {
	covers_advance_notice(a)
	a.de_identified == true
	every t in a.event_types {
		t in advance_notice_event_types
	}
}

# No agreement covers a request or a response: each is released by its addressing
# alone, to one agency, on the legal basis it states ("Requests for information").
covers_information(a) if {
	some t in a.event_types
	t in information_event_types
}

covers_advance_notice(a) if {
	some t in a.event_types
	t in advance_notice_event_types
}

# A purpose, where given, is one the subscriber is registered for.
purpose_valid(a, _) if object.get(a, "purpose", null) == null

purpose_valid(a, purposes) if {
	is_string(a.purpose)
	a.purpose in purposes
}

# The subscriber the rules below judge: known and well-formed.
viewer := subscriber if subscriber_valid

# --- Rules that deny, whatever the agreement ---------------------------------------

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
	not event_type
}

deny contains "sharing.event_type_not_from_source_agency" if {
	known_agencies[event.source_agency]
	event_type.agency != event.source_agency
}

deny contains "sharing.unknown_activity" if {
	event_type
	not event.activity in event_type.activities
}

deny contains "sharing.unknown_operation_phase" if {
	event_type
	not event.operation_phase in event_type.phases
}

deny contains "sharing.unknown_classification" if {
	event
	not levels[event.classification]
}

deny contains "sharing.unknown_region" if {
	event
	not region_known
}

region_known if districts[event.region]

# A link alert's records may lie in two districts: its envelope then names none (its
# records' own regions are judged).
region_known if {
	link_alert
	event.region == "UNSPECIFIED"
}

deny contains "sharing.unknown_caveat" if {
	some c in event.caveats
	not known_caveats[c]
}

deny contains "sharing.unknown_subject" if {
	some s in event.subjects
	not subject_known(s)
}

subject_known(s) if {
	s.kind == "PERSON"
	person_roles[s.role]
}

# An organisation, a vehicle, or a subject with no entity set (kind "", which holds
# nothing but keeps the positions of the ones after it).
subject_known(s) if {
	s.kind in {"ORGANISATION", "VEHICLE", ""}
	s.role == ""
	s.minor == false
}

deny contains "sharing.outside_subscriber_regions" if {
	viewer
	not "*" in viewer.regions
	not event.region in viewer.regions
}

# Not even in aggregates.
deny contains "sharing.no_community_release" if {
	"NO_COMMUNITY_RELEASE" in event.caveats
	viewer.tier in community_tiers
}

# A leader's submission goes to the agencies that act on it and never to a community
# tier — not even in aggregate, whatever agreement a record holds (a second lock behind
# the NO_COMMUNITY_RELEASE the briefing marks every submission with, and behind there
# being no such agreement). Keyed on the publisher and on the event type's agency, so
# neither a submission claimed by an agency nor an agency event claimed by COMMUNITY
# slips past it.
deny contains "sharing.community_submission_not_for_community" if {
	submission
	viewer.tier in community_tiers
}

submission if event.source_agency == "COMMUNITY"

submission if event.event_type in submission_event_types

# A link alert goes to partners that may see both records it links, never to a
# community tier — whatever agreement a record holds and whatever its records allow
# (a community tier is shown no record, only derived views, so none could qualify;
# this is the lock that holds if that ever changes). Keyed on the publisher and on
# the event type's agency, as for submissions.
deny contains "sharing.link_alert_not_for_community" if {
	about_link
	viewer.tier in community_tiers
}

about_link if event.source_agency == "LINKAGE"

about_link if event.event_type in link_alert_event_types

# An agency's assessment reaches a community tier only with the agency's recorded
# approval: a role and a reference, not empty, and an RFC 3339 time (by its shape:
# the adapters check it is a plausible date; the wasm runtime has no time builtins).
deny contains "sharing.assessment_not_approved" if {
	event.event_type in assessment_event_types
	viewer.tier in community_tiers
	not release_approved
}

release_approved if {
	a := event.release_approval
	a.approver_role != ""
	a.approval_ref != ""
	regex.match(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`, a.approved_at)
}

deny contains "sharing.not_releasable_to_subscriber" if {
	"RELEASABLE_TO" in event.caveats
	viewer
	not releasable_to_viewer
}

# RELEASABLE_TO names subscribers by id, or partner agencies by agency code.
releasable_to_viewer if input.subscriber_id in event.releasable_to

releasable_to_viewer if viewer.agency in event.releasable_to

# The originator's embargo holds until the operation is concluded. Only an operation
# update carries its operation's phase, so anything else so marked goes to no one —
# but a support advance notice, which exists to go before the operation and carries
# nothing of it (see "Support advance notices" below).
deny contains "sharing.embargoed_until_concluded" if {
	"EMBARGO_UNTIL_CONCLUDED" in event.caveats
	event.operation_phase != "CONCLUDED"
	not advance_notice
}

# Operational security: nothing about an operation leaves law enforcement before its
# resolution. An event that names an operation but not its phase (a noting linked to
# one, a seizure made in one) is treated as before resolution.
deny contains "sharing.operational_embargo" if {
	about_operation
	not event.operation_phase in released_phases
	viewer.law_enforcement == false
}

# --- Support advance notices ---------------------------------------------------------
#
# Before arrests, Police may tell the agencies that support whānau that children and
# families in a district are likely to need support in an ISO week (the Ōpōtiki lesson:
# tamariki left to fend for themselves during the raids). The notice is the exception
# to operational security because it carries nothing of the operation: no operation
# reference, code name, place below the district, date or person. So neither embargo
# rule holds it back — the originator's EMBARGO_UNTIL_CONCLUDED does not apply to the
# type, and the operational embargo, keyed on an operation reference, finds none; instead:
# - it is denied to everyone if it names an operation or a subject (it never should:
#   the adapter's mapping sets neither, so such an event is malformed or forged);
# - only a de-identified agreement that covers no other event type may release it
#   (advance_notice_agreement_valid), and the exchange delivers it as a SupportNotice
#   built by allow-list, never as the event;
# - never to a community tier, whatever agreement it holds (Police also mark it
#   NO_COMMUNITY_RELEASE by default, a floor the record cannot lower).
# The embargo rules above are unchanged for every other event: a notice releases
# nothing else of the operation it precedes.

advance_notice if event.event_type in advance_notice_event_types

deny contains "sharing.advance_notice_names_operation" if {
	advance_notice
	event.operation_ref != ""
}

deny contains "sharing.advance_notice_names_operation" if {
	advance_notice
	count(event.subjects) > 0
}

deny contains "sharing.advance_notice_not_for_community" if {
	advance_notice
	viewer.tier in community_tiers
}

about_operation if event.operation_ref != ""

about_operation if event.event_type == "police.operation_update"

# ORIGINATOR_CONTROL needs no rule of its own: an agreement matches only events
# from its own source agency, so every release is one the originator agreed to.

# --- Foreign partners ----------------------------------------------------------------
#
# International partners (served over STIX/TAXII by the exchange). Stricter default:
# nothing leaves New Zealand unless an agreement the partner holds covers the event
# (with a purpose and a legal basis, which the registry check requires of each), the
# agency has marked the event releasable to the partner's country (its
# releasable_to_countries), and every other rule passes as for a partner agency
# (clearance, LAW_ENFORCEMENT_ONLY, RELEASABLE_TO, EMBARGO_UNTIL_CONCLUDED, unknown
# vocabulary, ...). Two rules are stricter than at home: nothing about an operation
# before its resolution leaves, law enforcement or not; and some things never leave,
# whatever is marked or agreed: leaders' submissions, link alerts, support advance
# notices, requests for information and their responses, and anything about the
# welfare of tamariki (MSD's welfare intelligence, and any event about a minor).

foreign if viewer.tier == "foreign_partner"

# What no foreign partner may receive, whatever agreement it holds (nor may one cover it).
never_leaves_new_zealand := (((submission_event_types | link_alert_event_types) | advance_notice_event_types) | information_event_types) | welfare_event_types

# The countries the originator released the event to; none when the marking is absent.
releasable_countries := c if {
	c := object.get(event, "releasable_to_countries", null)
	c != null
} else := []

deny contains "sharing.not_releasable_to_country" if {
	foreign
	not viewer.country in releasable_countries
}

# Operational security abroad: nothing about an operation before its resolution leaves
# New Zealand, even to law enforcement (at home, law enforcement may see it).
deny contains "sharing.operational_embargo" if {
	foreign
	about_operation
	not event.operation_phase in released_phases
}

deny contains "sharing.community_submission_not_for_foreign_partner" if {
	foreign
	submission
}

deny contains "sharing.link_alert_not_for_foreign_partner" if {
	foreign
	about_link
}

deny contains "sharing.advance_notice_not_for_foreign_partner" if {
	foreign
	advance_notice
}

deny contains "sharing.information_exchange_not_for_foreign_partner" if {
	foreign
	information_exchange
}

deny contains "sharing.minors_welfare_not_for_foreign_partner" if {
	foreign
	about_minors_welfare
}

about_minors_welfare if event.event_type in welfare_event_types

about_minors_welfare if {
	some s in event.subjects
	s.minor == true
}

# --- Agreements --------------------------------------------------------------------

# The agreements the subscriber holds that cover this event.
matching_agreements contains a if {
	some a in viewer.agreements
	a.source_agency == event.source_agency
	event.event_type in a.event_types
	covers_activity(a, event.activity)
	covers_phase(a, event.operation_phase)
}

# --- Requests for information ------------------------------------------------------
#
# An agency asks another for information about a subject or a matter, and the other
# answers or refuses, through the mesh. A request is released in full to the agency it
# is addressed to only, a response to the agency that asked only, each on the legal
# basis the event states (the requester's provision; the responder's). The addressing
# stands in for an agreement: a partner agency whose agency code is the event's
# counterpart holds it, nobody else, and no registry agreement may cover these types.
# Every other rule still applies (classification against clearance, law-enforcement
# only, releasable-to, the operational embargo, regions): an agency marks a request
# for what the addressee may receive.

information_exchange if event.event_type in information_event_types

matching_agreements contains information_agreement if {
	information_exchange
	addressed_to_viewer
}

addressed_to_viewer if {
	viewer.tier == "partner_agency"
	viewer.agency == event.information_exchange.counterpart
}

information_agreement := {
	"id": "information-exchange",
	"rule": information_rule[event_type.payload],
	"source_agency": event.source_agency,
	"event_types": [event.event_type],
	"view": "full",
	"redact": [],
	"purpose": "information_exchange",
	"legal_basis": event.information_exchange.legal_basis,
}

information_rule := {
	"information_request": "sharing.information_request_to_addressee",
	"information_response": "sharing.information_response_to_requester",
}

deny contains "sharing.not_addressed_to_subscriber" if {
	information_exchange
	viewer
	not addressed_to_viewer
}

covers_activity(a, _) if object.get(a, "activities", null) == null

covers_activity(a, activity) if activity in a.activities

covers_phase(a, _) if object.get(a, "operation_phases", null) == null

covers_phase(a, phase) if phase in a.operation_phases

# Rules that hold back the view an agreement grants (or, with no agreement, `null`,
# any view): each names a reason.
agreement_rules := {
	"sharing.classification_above_clearance",
	"sharing.law_enforcement_only",
	"sharing.community_no_raw_events",
	"sharing.purpose_required",
}

held_back(a) := {r | some r in agreement_rules; holds_back(a, r)}

holds_back(a, "sharing.classification_above_clearance") if {
	levels[event.classification] > levels[viewer.clearance]
	not derived_within_ceiling(a)
}

holds_back(a, "sharing.law_enforcement_only") if {
	"LAW_ENFORCEMENT_ONLY" in event.caveats
	viewer.law_enforcement == false
	not derived(a)
}

# Community tiers never receive a raw event: only aggregate-only views and
# de-identified notices.
holds_back(a, "sharing.community_no_raw_events") if {
	viewer.tier in community_tiers
	not derived(a)
}

# Personal information is disclosed only for a stated purpose (and, as for every
# disclosure, on a legal basis).
holds_back(a, "sharing.purpose_required") if {
	discloses_personal_information(a)
	object.get(a, "purpose", null) == null
}

# A view that carries none of the record's content.
derived(a) if a.view == "aggregate_only"

derived(a) if a.de_identified == true

derived_within_ceiling(a) if {
	derived(a)
	levels[event.classification] <= levels[derived_view_ceiling]
}

discloses_personal_information(a) if {
	event.has_personal_information
	a.view in {"full", "redacted"}
	not a.de_identified == true
}

# With no agreement covering the event, the rules that would hold back any view.
deny contains "sharing.default_deny" if {
	viewer
	count(matching_agreements) == 0
}

deny contains r if {
	viewer
	count(matching_agreements) == 0
	some r in held_back(null)
}

# With agreements covering it but every one held back, every reason they were.
deny contains r if {
	count(usable_agreements) == 0
	some a in matching_agreements
	some r in held_back(a)
}

usable_agreements contains a if {
	some a in matching_agreements
	count(held_back(a)) == 0
}

# The agreement relied on when several may be: the first by id, so the choice is stable.
agreement := [a | some a in usable_agreements; a.id == min({b.id | some b in usable_agreements})][0]

# --- Redactions: the exact paths the agreement's categories remove from this event

# The paths a category removes from this event; undefined where it has nothing to
# remove. Computed only for the categories the agreement relied on names.
category_paths(c) := {concat("", ["subjects[*].person.", f]) | some f in person_field_categories[c]} if {
	person_field_categories[c]
	has_subject("PERSON")
}

category_paths("vehicles") := {"subjects[*].vehicle.plate"} if has_subject("VEHICLE")

category_paths("victims_and_exploited_workers") := persons_paths({i |
	some i, s in event.subjects
	s.kind == "PERSON"
	s.role in protected_roles
})

category_paths("children") := persons_paths({i |
	some i, s in event.subjects
	s.kind == "PERSON"
	s.minor == true
})

category_paths("subjects") := {"subjects"} if count(event.subjects) > 0

category_paths("narrative") := {concat(".", [event_type.payload, f]) | some f in narrative_fields[event.event_type]}

category_paths("operational_detail") := envelope_operational_paths | {concat(".", [event_type.payload, f]) | some f in operational_fields[event.event_type]}

envelope_operational_paths := {"operation_ref", "source_record_id"} if event.operation_ref != ""

else := {"source_record_id"}

has_subject(kind) if {
	some s in event.subjects
	s.kind == kind
}

# Every identity field of the persons at these positions.
persons_paths(positions) := {concat("", ["subjects[", format_int(i, 10), "].person.", f]) |
	some i in positions
	some f in identity_fields
}

redactions := sort({p | some c in agreement.redact; some p in category_paths(c)}) if agreement.view == "redacted"

else := []

# Every rule that denied; never empty, so a denial always says why.
denial_reasons := sort(deny) if count(deny) > 0

else := ["sharing.default_deny"]

# --- The decision: always a value -------------------------------------------------

# A link alert is decided on the records it links (below); every other event by the rules above.
decision := alert_decision if link_alert

else := record_decision

record_decision := {
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

# --- Link alerts: decided by the record rules, on each linked record --------------
#
# A link alert says that two agencies' records concern the same person, company or
# vehicle. It reveals to a subscriber only what the subscriber may already see of
# both records: it is allowed only where the record rules above, applied to each
# linked record's facts exactly as to a record of that type, give the subscriber a
# record-level view (full or redacted; not aggregate-only, not a de-identified
# notice) that keeps the linked subject (not the "subjects" category, nor the fields
# the rule links by: "people" for a name and date of birth, "document_numbers" for an
# identity document, "vehicles" for a plate, or a victim's or child's whole identity).
# The subscriber's own agency's record counts as seen: it holds it already. The legal
# bases relied on are both records' agreements'. The alert's envelope is checked for
# its vocabulary only; its markings are the linkage service's summary of the records',
# whose own markings are what is judged.

link_alert if event.event_type in link_alert_event_types

# Envelope reasons that apply to an alert: malformed input, the subscriber, the vocabulary, and the community lock.
alert_envelope_reasons := {
	"sharing.input_invalid",
	"sharing.unknown_subscriber",
	"sharing.subscriber_misconfigured",
	"sharing.unknown_source_agency",
	"sharing.unknown_event_type",
	"sharing.event_type_not_from_source_agency",
	"sharing.unknown_activity",
	"sharing.unknown_operation_phase",
	"sharing.unknown_classification",
	"sharing.unknown_region",
	"sharing.unknown_caveat",
	"sharing.unknown_subject",
	"sharing.link_alert_not_for_community",
	"sharing.link_alert_not_for_foreign_partner",
}

# What a linked record's facts would be decided, and the agreement that decision rests
# on (null when none): evaluated `with input.event as` the record, so it is the record
# rules' own answer.
record_sight := {"decision": record_decision, "agreement": relied_on}

relied_on := a if a := agreement

else := null

# How the subscriber sees each linked record, in the alert's order.
linked_sights := [linked_sight(r) | some r in event.linked] if viewer

linked_sight(r) := {"record": r, "own": true} if own_record(r)

else := object.union(sight, {"record": r, "own": false}) if {
	sight := record_sight with input.event as r
}

# A partner agency's own record: its originator holds it, so the alert discloses nothing of it.
own_record(r) if {
	viewer.tier == "partner_agency"
	viewer.agency == r.source_agency
}

# Why a linked record is not seen at record level with its linked subject; empty when it is.
withheld(s) := set() if s.own

else := {x | some x in s.decision.reasons} if not s.decision.allow

else := {"sharing.linked_view_not_record_level"} if not record_level(s.agreement)

else := {"sharing.linked_subject_withheld"} if linked_subject_removed(s.record, s.decision.redact)

else := set()

record_level(a) if {
	a.view in {"full", "redacted"}
	not a.de_identified == true
}

# The view removes the linked subject, or a field the rule links by, of every subject or of this one.
linked_subject_removed(_, paths) if "subjects" in paths

linked_subject_removed(r, paths) if {
	some f in link_rules[event.activity].fields
	some p in paths
	p in {concat("", ["subjects[*].", f]), concat("", ["subjects[", format_int(r.subject_index, 10), "].", f])}
}

alert_deny contains r if {
	some r in deny
	r in alert_envelope_reasons
}

# The subject at the linked position is not of the kind the rule links.
alert_deny contains "sharing.link_subject_mismatch" if {
	some r in event.linked
	r.subjects[r.subject_index].kind != link_rules[event.activity].kind
}

alert_deny contains "sharing.linked_record_withheld" if {
	some s in linked_sights
	count(withheld(s)) > 0
}

# Per record: sharing.linked.<agency>.<why>, e.g. sharing.linked.police.default_deny.
alert_deny contains concat(".", ["sharing.linked", linked_segment(s.record), trim_prefix(x, "sharing.")]) if {
	some s in linked_sights
	some x in withheld(s)
}

linked_segment(r) := lower(r.source_agency) if known_agencies[r.source_agency]

else := "unknown_agency"

# The rule and the legal basis each record is seen under.
sight_rule(s) := "sharing.link_alert_own_record" if s.own

else := s.agreement.rule

# "[POLICE police.organised_crime_noting] <basis>": each part names the record it is for.
sight_basis(s) := concat("", ["[", s.record.source_agency, " ", s.record.event_type, "] ", own_record_basis]) if s.own

else := concat("", ["[", s.record.source_agency, " ", s.record.event_type, "] ", s.decision.legal_basis])

own_record_basis := "the subscriber's own agency's record, which it holds already (nothing of it disclosed)"

alert_denial_reasons := sort(alert_deny) if count(alert_deny) > 0

else := ["sharing.default_deny"]

alert_decision := {
	"allow": true,
	"view": "full",
	"redact": [],
	"reasons": array.concat(["sharing.link_alert_records_visible"], [sight_rule(s) | some s in linked_sights]),
	"legal_basis": concat("; ", [sight_basis(s) | some s in linked_sights]),
} if {
	count(linked_sights) == 2
	count(alert_deny) == 0
} else := {
	"allow": false,
	"view": "none",
	"redact": [],
	"reasons": alert_denial_reasons,
	"legal_basis": "",
}
