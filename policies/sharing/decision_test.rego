package takitini.sharing_test

import data.takitini.sharing

# --- Helper constructors: each test reads as one sentence about who may see what ---

noting(activity) := {
	"id": "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
	"source_agency": "POLICE",
	"event_type": "police.organised_crime_noting",
	"classification": "RESTRICTED",
	"caveats": ["LAW_ENFORCEMENT_ONLY"],
	"releasable_to": [],
	"region": "EASTERN",
	"activity": activity,
	"subject_kinds": ["PERSON", "ORGANISATION"],
	"has_personal_information": true,
}

drug_noting := noting("DRUG_SUPPLY")

with_field(event, key, value) := object.union(event, {key: value})

view_for(subscriber_id, event) := d if {
	d := sharing.decision with input as {"subscriber_id": subscriber_id, "event": event}
}

denied_because(subscriber_id, event, reason) if {
	d := view_for(subscriber_id, event)
	d.allow == false
	d.view == "none"
	reason in d.reasons
}

# --- Customs and Police drug-supply notings ---

test_customs_receives_police_drug_supply_noting_in_full if {
	d := view_for("customs", drug_noting)
	d.allow
	d.view == "full"
	d.redact == []
	d.reasons == ["sharing.customs_police_drug_supply"]
	startswith(d.legal_basis, "Privacy Act 2020, IPP 11(e)(i)")
}

test_customs_does_not_receive_violence_noting if denied_because("customs", noting("VIOLENCE_STANDOVER"), "sharing.default_deny")

test_customs_does_not_receive_money_laundering_noting if denied_because("customs", noting("MONEY_LAUNDERING"), "sharing.default_deny")

test_customs_denied_above_its_clearance if denied_because("customs", with_field(drug_noting, "classification", "SECRET"), "sharing.classification_above_clearance")

test_customs_receives_in_confidence_noting if view_for("customs", with_field(drug_noting, "classification", "IN_CONFIDENCE")).allow

test_customs_denied_when_releasable_to_others_only if {
	e := object.union(drug_noting, {"caveats": ["RELEASABLE_TO"], "releasable_to": ["mbie"]})
	denied_because("customs", e, "sharing.not_releasable_to_subscriber")
}

test_customs_allowed_when_named_releasable if {
	e := object.union(drug_noting, {"caveats": ["RELEASABLE_TO"], "releasable_to": ["customs"]})
	view_for("customs", e).allow
}

test_embargoed_noting_goes_nowhere if denied_because("customs", with_field(drug_noting, "caveats", ["EMBARGO_UNTIL_CONCLUDED"]), "sharing.embargoed_until_concluded")

# --- Partners without agreements ---

test_msd_has_no_agreement_for_police_notings if denied_because("msd", drug_noting, "sharing.default_deny")

test_mbie_denied_law_enforcement_only_noting if denied_because("mbie", drug_noting, "sharing.law_enforcement_only")

# --- Community tiers never receive raw events ---

test_community_leader_never_receives_raw_events if denied_because("community-eastern", drug_noting, "sharing.community_no_raw_events")

test_public_never_receives_raw_events if denied_because("public", drug_noting, "sharing.community_no_raw_events")

test_community_denied_unclassified_event_too if {
	e := object.union(drug_noting, {"classification": "UNCLASSIFIED", "caveats": []})
	denied_because("community-eastern", e, "sharing.community_no_raw_events")
}

test_no_community_release_caveat_named if denied_because("public", with_field(drug_noting, "caveats", ["NO_COMMUNITY_RELEASE"]), "sharing.no_community_release")

# --- Unknowns and malformed input are denied with a reason ---

test_unknown_subscriber_denied if denied_because("inland-revenue", drug_noting, "sharing.unknown_subscriber")

test_unknown_event_type_denied if denied_because("customs", with_field(drug_noting, "event_type", "police.gossip"), "sharing.unknown_event_type")

test_unknown_caveat_denied if denied_because("customs", with_field(drug_noting, "caveats", ["EYES_ONLY"]), "sharing.unknown_caveat")

test_unknown_classification_denied if denied_because("customs", with_field(drug_noting, "classification", "HUSH"), "sharing.unknown_classification")

test_unknown_source_agency_denied if denied_because("customs", with_field(drug_noting, "source_agency", "SPECTRE"), "sharing.unknown_source_agency")

test_missing_event_denied if denied_because("customs", null, "sharing.input_invalid")

test_missing_field_denied if denied_because("customs", object.remove(drug_noting, ["classification"]), "sharing.input_invalid")

test_wrong_type_denied if denied_because("customs", with_field(drug_noting, "caveats", "LAW_ENFORCEMENT_ONLY"), "sharing.input_invalid")

test_non_string_array_element_denied if denied_because("customs", with_field(drug_noting, "subject_kinds", [1]), "sharing.input_invalid")

test_non_boolean_personal_information_flag_denied if denied_because("customs", with_field(drug_noting, "has_personal_information", "yes"), "sharing.input_invalid")

test_missing_subscriber_id_denied if {
	d := sharing.decision with input as {"event": drug_noting}
	d.allow == false
	d.reasons == ["sharing.input_invalid"]
}

test_empty_input_denied if {
	d := sharing.decision with input as {}
	d.allow == false
	d.reasons == ["sharing.input_invalid"]
}

test_missing_input_denied if {
	d := sharing.decision with input as null
	d.reasons == ["sharing.input_invalid"]
}

test_input_errors_name_the_fields if {
	errors := sharing.input_errors with input as {"subscriber_id": 7, "event": object.remove(drug_noting, ["region"])}
	errors == {"subscriber_id", "event.region"}
}

# --- Agreements are data ---

test_new_partner_is_a_data_change if {
	ird := {
		"tier": "partner_agency", "law_enforcement": true, "clearance": "RESTRICTED",
		"agreements": [{
			"id": "ird-laundering", "rule": "sharing.ird_money_laundering", "source_agency": "POLICE",
			"event_types": ["police.organised_crime_noting"], "activities": ["MONEY_LAUNDERING"],
			"view": "redacted", "redact": ["subjects[*].person.phone_numbers", "subjects[*].person.full_name"],
			"legal_basis": "Tax Administration Act 1994, s 18E",
		}],
	}
	d := sharing.decision with input as {"subscriber_id": "ird", "event": noting("MONEY_LAUNDERING")}
		with data.takitini.subscribers.ird as ird
	d.allow
	d.view == "redacted"
	d.redact == ["subjects[*].person.full_name", "subjects[*].person.phone_numbers"]
	d.reasons == ["sharing.ird_money_laundering"]
}

test_agreement_without_activities_covers_every_activity if {
	sub := {"tier": "partner_agency", "law_enforcement": true, "clearance": "RESTRICTED", "agreements": [{
		"id": "all", "rule": "sharing.all_notings", "source_agency": "POLICE",
		"event_types": ["police.organised_crime_noting"], "view": "full", "redact": [], "legal_basis": "basis",
	}]}
	d := sharing.decision with input as {"subscriber_id": "x", "event": noting("FIREARMS")} with data.takitini.subscribers.x as sub
	d.allow
}

test_personal_information_needs_a_legal_basis if {
	sub := {"tier": "partner_agency", "law_enforcement": true, "clearance": "RESTRICTED", "agreements": [{
		"id": "nobasis", "rule": "sharing.nobasis", "source_agency": "POLICE",
		"event_types": ["police.organised_crime_noting"], "view": "full", "redact": [], "legal_basis": "",
	}]}
	d := sharing.decision with input as {"subscriber_id": "x", "event": drug_noting} with data.takitini.subscribers.x as sub
	d.allow == false
	"sharing.no_legal_basis_for_personal_information" in d.reasons
}

test_misconfigured_subscriber_fails_closed if {
	sub := {"tier": "partner_agency", "law_enforcement": true, "clearance": "ULTRA", "agreements": data.takitini.subscribers.customs.agreements}
	d := sharing.decision with input as {"subscriber_id": "x", "event": drug_noting} with data.takitini.subscribers.x as sub
	d.allow == false
	"sharing.subscriber_misconfigured" in d.reasons
}

test_every_denial_gives_every_reason if {
	d := view_for("public", with_field(drug_noting, "classification", "SECRET"))
	d.reasons == ["sharing.classification_above_clearance", "sharing.community_no_raw_events", "sharing.default_deny", "sharing.law_enforcement_only"]
}
