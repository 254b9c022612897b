package takitini.sharing_test

import data.takitini.sharing

# --- Helper constructors: each test reads as one sentence about who may see what

# A Police organised-crime noting about one activity: RESTRICTED, law-enforcement
# only, Eastern district, about a person and an organisation.
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

# A drug-supply noting anyone could be shown if an agreement allowed it.
plain_noting := object.union(drug_noting, {"classification": "UNCLASSIFIED", "caveats": []})

with_fields(event, fields) := object.union(event, fields)

classified(event, level) := with_fields(event, {"classification": level})

caveated(event, caveats) := with_fields(event, {"caveats": caveats})

releasable_to(event, names) := with_fields(event, {"caveats": array.concat(event.caveats, ["RELEASABLE_TO"]), "releasable_to": names})

in_region(event, region) := with_fields(event, {"region": region})

without(event, field) := object.remove(event, [field])

# A registered subscriber's record, to vary in a test.
viewer(id) := data.takitini.subscribers[id]

# A partner agency (law enforcement, RESTRICTED, every region) holding the agreements.
partner(agreements) := {
	"name": "Candidate partner",
	"tier": "partner_agency",
	"agency": "CUSTOMS",
	"law_enforcement": true,
	"clearance": "RESTRICTED",
	"regions": ["*"],
	"delivery_topic": "takitini.deliver.candidate.v1",
	"agreements": agreements,
}

# An agreement for Police notings about the activities, granting a full view.
agreement(id, activities) := {
	"id": id,
	"rule": concat("", ["sharing.", id]),
	"source_agency": "POLICE",
	"event_types": ["police.organised_crime_noting"],
	"activities": activities,
	"view": "full",
	"redact": [],
	"legal_basis": "Privacy Act 2020, IPP 11(1)(e)(i)",
}

# What a registered subscriber is shown.
decision(subscriber_id, event) := d if {
	d := sharing.decision with input as {"subscriber_id": subscriber_id, "event": event}
}

# What a subscriber record not (yet) in the registry would be shown.
decision_as(record, event) := d if {
	d := sharing.decision with input as {"subscriber_id": "candidate", "event": event}
		with data.takitini.subscribers.candidate as record
}

# What any input, well-formed or not, is decided.
decision_on(value) := d if {
	d := sharing.decision with input as value
}

allowed(d) if {
	d.allow == true
	d.view != "none"
	d.legal_basis != ""
}

denied(d, reason) if {
	d.allow == false
	d.view == "none"
	d.redact == []
	d.legal_basis == ""
	reason in d.reasons
}

# --- Customs receives Police drug-supply notings --------------------------------

test_customs_sees_police_drug_supply_noting if allowed(decision("customs", drug_noting))

test_customs_sees_drug_supply_noting_in_full if {
	d := decision("customs", drug_noting)
	d.view == "full"
	d.redact == []
}

test_customs_allow_names_the_agreement_rule if decision("customs", drug_noting).reasons == ["sharing.customs_police_drug_supply"]

test_customs_allow_states_the_legal_basis if startswith(decision("customs", drug_noting).legal_basis, "Privacy Act 2020, IPP 11(1)(e)(i)")

test_customs_sees_unclassified_drug_noting if allowed(decision("customs", plain_noting))

test_customs_sees_drug_noting_at_its_clearance if allowed(decision("customs", classified(drug_noting, "RESTRICTED")))

test_customs_denied_confidential_noting if denied(decision("customs", classified(drug_noting, "CONFIDENTIAL")), "sharing.classification_above_clearance")

test_customs_denied_top_secret_noting if denied(decision("customs", classified(drug_noting, "TOP_SECRET")), "sharing.classification_above_clearance")

test_customs_denied_violence_standover_noting if denied(decision("customs", noting("VIOLENCE_STANDOVER")), "sharing.default_deny")

test_customs_denied_firearms_noting if denied(decision("customs", noting("FIREARMS")), "sharing.default_deny")

test_customs_denied_money_laundering_noting if denied(decision("customs", noting("MONEY_LAUNDERING")), "sharing.default_deny")

test_customs_agreement_covers_police_events_only if denied(decision("customs", with_fields(drug_noting, {"source_agency": "MBIE"})), "sharing.default_deny")

test_customs_sees_law_enforcement_only_noting if allowed(decision("customs", caveated(drug_noting, ["LAW_ENFORCEMENT_ONLY"])))

test_customs_sees_originator_controlled_noting if allowed(decision("customs", caveated(drug_noting, ["ORIGINATOR_CONTROL"])))

test_customs_sees_noting_released_to_it_by_id if allowed(decision("customs", releasable_to(drug_noting, ["customs"])))

test_customs_sees_noting_released_to_its_agency if allowed(decision("customs", releasable_to(drug_noting, ["MBIE", "CUSTOMS"])))

test_customs_denied_noting_released_to_others if denied(decision("customs", releasable_to(drug_noting, ["mbie"])), "sharing.not_releasable_to_subscriber")

test_customs_denied_noting_released_to_no_one if denied(decision("customs", releasable_to(drug_noting, [])), "sharing.not_releasable_to_subscriber")

test_customs_sees_noting_from_any_district if allowed(decision("customs", in_region(drug_noting, "SOUTHERN")))

test_customs_sees_no_community_release_noting if allowed(decision("customs", caveated(drug_noting, ["NO_COMMUNITY_RELEASE"])))

test_embargoed_noting_goes_to_no_one if denied(decision("customs", caveated(drug_noting, ["EMBARGO_UNTIL_CONCLUDED"])), "sharing.embargoed_until_concluded")

test_customs_with_higher_clearance_would_see_secret_noting if {
	allowed(decision_as(with_fields(viewer("customs"), {"clearance": "SECRET"}), classified(drug_noting, "SECRET")))
}

# --- Partner agencies without agreements ------------------------------------------

test_msd_denied_police_noting_by_default if denied(decision("msd", plain_noting), "sharing.default_deny")

test_mbie_denied_police_noting_by_default if denied(decision("mbie", plain_noting), "sharing.default_deny")

test_mbie_denied_law_enforcement_only_noting if denied(decision("mbie", drug_noting), "sharing.law_enforcement_only")

test_msd_denied_noting_above_in_confidence if denied(decision("msd", classified(plain_noting, "SENSITIVE")), "sharing.classification_above_clearance")

test_msd_denied_gives_every_reason if {
	decision("msd", drug_noting).reasons == [
		"sharing.classification_above_clearance",
		"sharing.default_deny",
		"sharing.law_enforcement_only",
	]
}

test_non_law_enforcement_partner_denied_law_enforcement_only_even_with_agreement if {
	record := with_fields(partner([agreement("all_notings", ["DRUG_SUPPLY"])]), {"law_enforcement": false})
	denied(decision_as(record, drug_noting), "sharing.law_enforcement_only")
}

test_oversight_tier_denied_raw_events_by_default if {
	record := with_fields(partner([]), {"tier": "oversight"})
	denied(decision_as(record, plain_noting), "sharing.default_deny")
}

# --- Community tiers never receive raw events -------------------------------------

test_community_leader_never_sees_raw_events if denied(decision("community-eastern", drug_noting), "sharing.community_no_raw_events")

test_community_leader_denied_unclassified_noting_from_own_region if {
	denied(decision("community-eastern", in_region(plain_noting, "EASTERN")), "sharing.community_no_raw_events")
}

test_community_leader_denied_even_under_an_agreement if {
	record := with_fields(viewer("community-eastern"), {"agreements": [agreement("briefing", ["DRUG_SUPPLY"])]})
	d := decision_as(record, plain_noting)
	d.reasons == ["sharing.community_no_raw_events"]
}

test_public_never_sees_raw_events if denied(decision("public", drug_noting), "sharing.community_no_raw_events")

test_public_denied_even_under_an_agreement if {
	record := with_fields(viewer("public"), {"agreements": [agreement("open_data", ["DRUG_SUPPLY"])]})
	denied(decision_as(record, plain_noting), "sharing.community_no_raw_events")
}

test_community_leader_denied_event_outside_its_region if {
	denied(decision("community-eastern", in_region(plain_noting, "SOUTHERN")), "sharing.outside_subscriber_regions")
}

test_community_leader_in_region_not_denied_for_region if {
	d := decision("community-eastern", in_region(plain_noting, "EASTERN"))
	not "sharing.outside_subscriber_regions" in d.reasons
}

test_regional_partner_denied_event_outside_its_regions if {
	record := with_fields(partner([agreement("drugs", ["DRUG_SUPPLY"])]), {"regions": ["NORTHLAND", "COUNTIES_MANUKAU"]})
	denied(decision_as(record, drug_noting), "sharing.outside_subscriber_regions")
}

test_regional_partner_sees_event_in_its_regions if {
	record := with_fields(partner([agreement("drugs", ["DRUG_SUPPLY"])]), {"regions": ["NORTHLAND", "EASTERN"]})
	allowed(decision_as(record, drug_noting))
}

test_no_community_release_named_for_community if {
	denied(decision("public", caveated(plain_noting, ["NO_COMMUNITY_RELEASE"])), "sharing.no_community_release")
}

# --- Unknown and malformed input is denied with a reason --------------------------

test_unknown_subscriber_denied if denied(decision("inland-revenue", drug_noting), "sharing.unknown_subscriber")

test_unknown_subscriber_gives_only_that_reason if decision("inland-revenue", plain_noting).reasons == ["sharing.unknown_subscriber"]

test_empty_subscriber_id_is_unknown if denied(decision("", drug_noting), "sharing.unknown_subscriber")

test_unknown_event_type_denied if denied(decision("customs", with_fields(drug_noting, {"event_type": "police.gossip"})), "sharing.unknown_event_type")

test_unknown_caveat_denied if denied(decision("customs", caveated(drug_noting, ["EYES_ONLY"])), "sharing.unknown_caveat")

test_unknown_caveat_among_known_ones_denied if {
	denied(decision("customs", caveated(drug_noting, ["LAW_ENFORCEMENT_ONLY", "EYES_ONLY"])), "sharing.unknown_caveat")
}

test_unknown_classification_denied if denied(decision("customs", classified(drug_noting, "HUSH")), "sharing.unknown_classification")

test_unspecified_classification_denied if denied(decision("customs", classified(drug_noting, "UNSPECIFIED")), "sharing.unknown_classification")

test_unknown_source_agency_denied if denied(decision("customs", with_fields(drug_noting, {"source_agency": "SPECTRE"})), "sharing.unknown_source_agency")

test_unknown_activity_denied if denied(decision("customs", noting("ARSON")), "sharing.unknown_activity")

test_noting_without_activity_denied if denied(decision("customs", noting("")), "sharing.unknown_activity")

test_missing_event_denied if denied(decision("customs", null), "sharing.input_invalid")

test_event_not_an_object_denied if denied(decision("customs", "noting"), "sharing.input_invalid")

test_missing_classification_denied if denied(decision("customs", without(drug_noting, "classification")), "sharing.input_invalid")

test_missing_caveats_denied if denied(decision("customs", without(drug_noting, "caveats")), "sharing.input_invalid")

test_missing_personal_information_flag_denied if denied(decision("customs", without(drug_noting, "has_personal_information")), "sharing.input_invalid")

test_caveats_not_an_array_denied if denied(decision("customs", caveated(drug_noting, "LAW_ENFORCEMENT_ONLY")), "sharing.input_invalid")

test_non_string_subject_kind_denied if denied(decision("customs", with_fields(drug_noting, {"subject_kinds": [1]})), "sharing.input_invalid")

test_non_boolean_personal_information_flag_denied if {
	denied(decision("customs", with_fields(drug_noting, {"has_personal_information": "yes"})), "sharing.input_invalid")
}

test_missing_subscriber_id_denied if denied(decision_on({"event": drug_noting}), "sharing.input_invalid")

test_numeric_subscriber_id_denied if denied(decision_on({"subscriber_id": 7, "event": drug_noting}), "sharing.input_invalid")

test_empty_input_denied if denied(decision_on({}), "sharing.input_invalid")

test_null_input_denied if denied(decision_on(null), "sharing.input_invalid")

test_string_input_denied if denied(decision_on("customs"), "sharing.input_invalid")

test_malformed_input_gives_only_that_reason if decision_on({"subscriber_id": "customs"}).reasons == ["sharing.input_invalid"]

test_input_errors_name_the_fields if {
	errors := sharing.input_errors with input as {"subscriber_id": 7, "event": without(drug_noting, "region")}
	errors == {"subscriber_id", "event.region"}
}

test_input_errors_name_every_event_field_when_event_missing if {
	errors := sharing.input_errors with input as {"subscriber_id": "customs"}
	count(errors) == 11
}

# --- Partners and agreements are data ---------------------------------------------

test_every_registered_subscriber_is_well_formed if {
	every id, _ in data.takitini.subscribers {
		sharing.subscriber_valid with input as {"subscriber_id": id, "event": drug_noting}
	}
}

test_new_partner_is_a_data_change if {
	ird := {
		"name": "Inland Revenue", "tier": "partner_agency", "agency": "IR", "law_enforcement": true,
		"clearance": "RESTRICTED", "regions": ["*"], "delivery_topic": "takitini.deliver.ird.v1",
		"agreements": [{
			"id": "ird-police-money-laundering", "rule": "sharing.ird_police_money_laundering",
			"source_agency": "POLICE", "event_types": ["police.organised_crime_noting"],
			"activities": ["MONEY_LAUNDERING"], "view": "redacted",
			"redact": ["subjects[*].person.phone_numbers", "subjects[*].person.full_name"],
			"legal_basis": "Tax Administration Act 1994, s 18E",
		}],
	}
	d := sharing.decision with input as {"subscriber_id": "ird", "event": noting("MONEY_LAUNDERING")}
		with data.takitini.subscribers.ird as ird
	d == {
		"allow": true,
		"view": "redacted",
		"redact": ["subjects[*].person.full_name", "subjects[*].person.phone_numbers"],
		"reasons": ["sharing.ird_police_money_laundering"],
		"legal_basis": "Tax Administration Act 1994, s 18E",
	}
}

test_full_view_carries_no_redactions if {
	a := with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"redact": ["subjects[*].person.full_name"]})
	decision_as(partner([a]), drug_noting).redact == []
}

test_aggregate_only_agreement_grants_aggregate_view if {
	a := with_fields(agreement("counts", ["DRUG_SUPPLY"]), {"view": "aggregate_only"})
	decision_as(partner([a]), drug_noting).view == "aggregate_only"
}

test_agreement_without_activities_covers_every_activity if {
	a := object.remove(agreement("all_notings", []), ["activities"])
	allowed(decision_as(partner([a]), noting("FIREARMS")))
}

test_agreement_with_null_activities_covers_every_activity if {
	a := with_fields(agreement("all_notings", []), {"activities": null})
	allowed(decision_as(partner([a]), noting("FIREARMS")))
}

test_agreement_with_empty_activities_covers_none if {
	denied(decision_as(partner([agreement("nothing", [])]), drug_noting), "sharing.default_deny")
}

test_agreement_for_other_event_type_does_not_match if {
	a := with_fields(agreement("other", ["DRUG_SUPPLY"]), {"event_types": ["customs.seizure"]})
	denied(decision_as(partner([a]), drug_noting), "sharing.default_deny")
}

test_agreement_for_other_source_agency_does_not_match if {
	a := with_fields(agreement("other", ["DRUG_SUPPLY"]), {"source_agency": "CUSTOMS"})
	denied(decision_as(partner([a]), drug_noting), "sharing.default_deny")
}

test_first_matching_agreement_by_id_is_relied_on if {
	d := decision_as(partner([agreement("b_second", ["DRUG_SUPPLY"]), agreement("a_first", ["DRUG_SUPPLY"])]), drug_noting)
	d.reasons == ["sharing.a_first"]
}

test_only_matching_agreement_is_relied_on if {
	d := decision_as(partner([agreement("a_guns", ["FIREARMS"]), agreement("b_drugs", ["DRUG_SUPPLY"])]), drug_noting)
	d.reasons == ["sharing.b_drugs"]
}

# --- Subscriber data that cannot be judged fails closed ---------------------------

misconfigured(record) if denied(decision_as(record, drug_noting), "sharing.subscriber_misconfigured")

test_unknown_clearance_fails_closed if misconfigured(with_fields(viewer("customs"), {"clearance": "ULTRA"}))

test_unknown_tier_fails_closed if misconfigured(with_fields(viewer("customs"), {"tier": "friend"}))

test_missing_law_enforcement_flag_fails_closed if misconfigured(object.remove(viewer("customs"), ["law_enforcement"]))

test_missing_regions_fails_closed if misconfigured(object.remove(viewer("customs"), ["regions"]))

test_record_not_an_object_fails_closed if misconfigured("customs")

test_agreements_not_an_array_fails_closed if misconfigured(partner("all"))

test_agreement_without_legal_basis_fails_closed if misconfigured(partner([object.remove(agreement("drugs", ["DRUG_SUPPLY"]), ["legal_basis"])]))

test_agreement_with_empty_legal_basis_fails_closed if misconfigured(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"legal_basis": ""})]))

test_agreement_granting_view_none_fails_closed if misconfigured(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"view": "none"})]))

test_agreement_rule_outside_namespace_fails_closed if misconfigured(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"rule": "allow_all"})]))

test_agreement_with_unknown_source_agency_fails_closed if misconfigured(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"source_agency": "SPECTRE"})]))

test_agreement_with_non_string_activities_fails_closed if misconfigured(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"activities": "DRUG_SUPPLY"})]))

test_unknown_region_fails_closed if misconfigured(with_fields(viewer("customs"), {"regions": ["EASTEN"]}))

test_misspelt_agreement_field_fails_closed if {
	a := object.remove(agreement("drugs", ["DRUG_SUPPLY"]), ["activities"])
	misconfigured(partner([with_fields(a, {"activites": ["DRUG_SUPPLY"]})]))
}

test_agreement_not_an_object_fails_closed if misconfigured(partner(["customs-police-drug-supply"]))

test_duplicate_agreement_ids_fail_closed if misconfigured(partner([agreement("drugs", ["DRUG_SUPPLY"]), agreement("drugs", ["FIREARMS"])]))

test_misconfigured_subscriber_gives_only_that_reason if {
	decision_as(with_fields(viewer("customs"), {"clearance": "ULTRA"}), drug_noting).reasons == ["sharing.subscriber_misconfigured"]
}

# --- The decision always has a value and always says why ---------------------------

test_decision_is_defined_for_any_input if {
	every value in [null, {}, [], "x", 1, true, {"subscriber_id": "customs", "event": drug_noting}] {
		is_boolean(decision_on(value).allow)
	}
}

test_every_denial_gives_every_reason if {
	d := decision("public", classified(drug_noting, "SECRET"))
	d.reasons == [
		"sharing.classification_above_clearance",
		"sharing.community_no_raw_events",
		"sharing.default_deny",
		"sharing.law_enforcement_only",
	]
}

test_denial_without_named_rule_is_default_deny if {
	d := sharing.decision with input as {"subscriber_id": "msd", "event": plain_noting}
		with sharing.deny as set()
	d.reasons == ["sharing.default_deny"]
}
