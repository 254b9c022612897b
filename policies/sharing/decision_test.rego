package takitini.sharing_test

import data.takitini.sharing

# --- Helper constructors: each test reads as one sentence about who may see what

# Subjects as the projection gives them: kind, role, minor; never an identity.
person(role) := {"kind": "PERSON", "role": role, "minor": false}

child := {"kind": "PERSON", "role": "VICTIM", "minor": true}

organisation := {"kind": "ORGANISATION", "role": "", "minor": false}

vehicle := {"kind": "VEHICLE", "role": "", "minor": false}

# An event of a type with nothing that restricts it: UNCLASSIFIED, no caveats, no
# subjects, Eastern district, the type's first activity and phase (if it has them).
event(type) := {
	"id": "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
	"source_agency": sharing.event_types[type].agency,
	"event_type": type,
	"classification": "UNCLASSIFIED",
	"caveats": [],
	"releasable_to": [],
	"region": "EASTERN",
	"activity": min(sharing.event_types[type].activities),
	"operation_ref": "",
	"operation_phase": min(sharing.event_types[type].phases),
	"subject_kinds": [],
	"subjects": [],
	"has_personal_information": false,
}

with_fields(e, fields) := object.union(e, fields)

# The event about these subjects (personal information whenever a person or vehicle is among them).
about(e, subjects) := with_fields(e, {
	"subjects": subjects,
	"subject_kinds": sort({s.kind | some s in subjects}),
	"has_personal_information": count({s | some s in subjects; s.kind in {"PERSON", "VEHICLE"}}) > 0,
})

# A Police organised-crime noting about one activity: RESTRICTED, law-enforcement
# only, Eastern district, about a person and an organisation.
noting(activity) := about(
	with_fields(event("police.organised_crime_noting"), {"classification": "RESTRICTED", "caveats": ["LAW_ENFORCEMENT_ONLY"], "activity": activity}),
	[person("PERSON_OF_INTEREST"), organisation],
)

drug_noting := noting("DRUG_SUPPLY")

# A drug-supply noting anyone could be shown if an agreement allowed it.
plain_noting := with_fields(drug_noting, {"classification": "UNCLASSIFIED", "caveats": []})

# A Police operation update in a phase, as Police mark it by default (RESTRICTED,
# law-enforcement only), naming an arrested person.
operation_update(phase) := about(
	with_fields(event("police.operation_update"), {
		"classification": "RESTRICTED", "caveats": ["LAW_ENFORCEMENT_ONLY"],
		"operation_ref": "Operation Highwater", "operation_phase": phase,
	}),
	[person("PERSON_OF_INTEREST")],
)

classified(e, level) := with_fields(e, {"classification": level})

caveated(e, caveats) := with_fields(e, {"caveats": caveats})

releasable_to(e, names) := with_fields(e, {"caveats": array.concat(e.caveats, ["RELEASABLE_TO"]), "releasable_to": names})

in_region(e, region) := with_fields(e, {"region": region})

in_operation(e, ref) := with_fields(e, {"operation_ref": ref})

without(e, field) := object.remove(e, [field])

# The event as its agency marks it releasable to these countries ("RELEASABLE TO AUS").
releasable_to_country(e, countries) := with_fields(e, {"releasable_to_countries": countries})

# The tiers of these registered subscribers.
registered_tiers(ids) := {data.takitini.subscribers[id].tier | some id in ids}

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
	"purposes": ["law_enforcement"],
	"delivery_topic": "takitini.deliver.candidate.v1",
	"agreements": agreements,
}

# A community leader for the Eastern district holding the agreements (which state no
# purpose: it is registered for none).
community(agreements) := with_fields(viewer("community-eastern"), {"agreements": [object.remove(a, ["purpose"]) | some a in agreements]})

# An agreement for Police notings about the activities, granting a full view for law enforcement.
agreement(id, activities) := {
	"id": id,
	"rule": concat("", ["sharing.", id]),
	"source_agency": "POLICE",
	"event_types": ["police.organised_crime_noting"],
	"activities": activities,
	"view": "full",
	"redact": [],
	"purpose": "law_enforcement",
	"legal_basis": "Privacy Act 2020, IPP 11(1)(e)(i)",
}

# An agreement for events of one type granting a view.
agreement_for(type, view) := {
	"id": "for_type",
	"rule": "sharing.for_type",
	"source_agency": sharing.event_types[type].agency,
	"event_types": [type],
	"view": view,
	"redact": [],
	"purpose": "law_enforcement",
	"legal_basis": "Privacy Act 2020, IPP 11(1)(e)(i)",
}

# An agreement redacting the categories from events of one type.
redacting(type, categories) := with_fields(agreement_for(type, "redacted"), {"redact": categories})

# A de-identified notice of operation updates from resolution on.
support_notice := with_fields(redacting("police.operation_update", ["subjects", "narrative", "operational_detail"]), {
	"operation_phases": ["RESOLUTION", "CONCLUDED"],
	"de_identified": true,
})

# What a registered subscriber is shown.
decision(subscriber_id, e) := d if {
	d := sharing.decision with input as {"subscriber_id": subscriber_id, "event": e}
}

# What a subscriber record not (yet) in the registry would be shown.
decision_as(record, e) := d if {
	d := sharing.decision with input as {"subscriber_id": "candidate", "event": e}
		with data.takitini.subscribers.candidate as record
}

# What any input, well-formed or not, is decided.
decision_on(value) := d if {
	d := sharing.decision with input as value
}

# The paths a partner holding one agreement redacting the categories would have removed.
redacted(e, categories) := decision_as(partner([redacting(e.event_type, categories)]), e).redact

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

# --- Customs receives Police drug-supply and firearms intelligence ------------------

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

test_customs_sees_firearms_noting if decision("customs", noting("FIREARMS")).reasons == ["sharing.customs_police_firearms"]

test_customs_sees_police_firearms_seizure if {
	d := decision("customs", about(caveated(event("police.firearms_seizure"), ["LAW_ENFORCEMENT_ONLY"]), [person("PERSON_OF_INTEREST")]))
	d.view == "full"
	d.reasons == ["sharing.customs_police_firearms_seizures"]
}

test_customs_sees_wastewater_readings if {
	d := decision("customs", with_fields(event("police.wastewater_indicator"), {"activity": "METHAMPHETAMINE"}))
	d.view == "full"
}

test_customs_denied_money_laundering_noting if denied(decision("customs", noting("MONEY_LAUNDERING")), "sharing.default_deny")

test_customs_agreement_covers_police_events_only if {
	denied(decision("customs", with_fields(drug_noting, {"source_agency": "MBIE"})), "sharing.event_type_not_from_source_agency")
}

test_customs_sees_law_enforcement_only_noting if allowed(decision("customs", caveated(drug_noting, ["LAW_ENFORCEMENT_ONLY"])))

test_customs_sees_originator_controlled_noting if allowed(decision("customs", caveated(drug_noting, ["ORIGINATOR_CONTROL"])))

test_customs_sees_noting_released_to_it_by_id if allowed(decision("customs", releasable_to(drug_noting, ["customs"])))

test_customs_sees_noting_released_to_its_agency if allowed(decision("customs", releasable_to(drug_noting, ["MBIE", "CUSTOMS"])))

test_customs_denied_noting_released_to_others if denied(decision("customs", releasable_to(drug_noting, ["mbie"])), "sharing.not_releasable_to_subscriber")

test_customs_denied_noting_released_to_no_one if denied(decision("customs", releasable_to(drug_noting, [])), "sharing.not_releasable_to_subscriber")

test_customs_sees_noting_from_any_district if allowed(decision("customs", in_region(drug_noting, "SOUTHERN")))

test_customs_sees_no_community_release_noting if allowed(decision("customs", caveated(drug_noting, ["NO_COMMUNITY_RELEASE"])))

test_customs_sees_noting_about_a_live_operation if allowed(decision("customs", in_operation(drug_noting, "Operation Highwater")))

test_customs_with_higher_clearance_would_see_secret_noting if {
	allowed(decision_as(with_fields(viewer("customs"), {"clearance": "SECRET"}), classified(drug_noting, "SECRET")))
}

test_customs_sees_trafficking_indicator_without_victims if {
	e := about(event("mbie.trafficking_indicator"), [person("PERSON_OF_INTEREST"), person("VICTIM")])
	d := decision("customs", e)
	d.view == "redacted"
	d.redact == [
		"subjects[1].person.address",
		"subjects[1].person.aliases",
		"subjects[1].person.date_of_birth",
		"subjects[1].person.documents",
		"subjects[1].person.full_name",
		"subjects[1].person.phone_numbers",
	]
}

# --- Police receive Customs' and MBIE's intelligence -----------------------------------

test_police_see_customs_border_seizure_in_full if {
	d := decision("police", about(with_fields(event("customs.border_seizure"), {"activity": "METHAMPHETAMINE", "classification": "RESTRICTED"}), [person("PERSON_OF_INTEREST")]))
	d.view == "full"
	startswith(d.legal_basis, "Customs and Excise Act 2018, s 316")
}

test_police_see_suspicious_drug_consignment if allowed(decision("police", with_fields(event("customs.suspicious_consignment"), {"activity": "COCAINE"})))

test_police_not_sent_counterfeit_goods_consignments if {
	denied(decision("police", with_fields(event("customs.suspicious_consignment"), {"activity": "COUNTERFEIT_GOODS"})), "sharing.default_deny")
}

test_police_see_exploitation_complaint_without_the_workers if {
	e := about(event("mbie.exploitation_complaint"), [organisation, person("EXPLOITED_WORKER"), person("EXPLOITED_WORKER")])
	d := decision("police", e)
	d.view == "redacted"
	count(d.redact) == 12
	every p in d.redact {
		regex.match(`^subjects\[[12]\]\.person\.`, p)
	}
}

test_police_see_employer_of_exploited_workers if {
	e := about(event("mbie.exploitation_complaint"), [organisation, person("EXPLOITED_WORKER")])
	every p in decision("police", e).redact {
		not startswith(p, "subjects[0]")
	}
}

test_police_do_not_receive_their_own_events if denied(decision("police", drug_noting), "sharing.default_deny")

# --- Partner agencies without agreements ------------------------------------------

test_msd_denied_police_noting_by_default if denied(decision("msd", plain_noting), "sharing.default_deny")

test_mbie_denied_police_drug_noting_by_default if denied(decision("mbie", plain_noting), "sharing.default_deny")

test_mbie_denied_law_enforcement_only_noting if denied(decision("mbie", drug_noting), "sharing.law_enforcement_only")

test_msd_denied_noting_above_in_confidence if denied(decision("msd", classified(plain_noting, "SENSITIVE")), "sharing.classification_above_clearance")

test_msd_denied_gives_every_reason if {
	decision("msd", drug_noting).reasons == [
		"sharing.classification_above_clearance",
		"sharing.default_deny",
		"sharing.law_enforcement_only",
	]
}

test_mbie_sees_money_laundering_released_to_it_with_people_removed if {
	e := about(
		releasable_to(classified(noting("MONEY_LAUNDERING"), "IN_CONFIDENCE"), ["MBIE"]),
		[person("PERSON_OF_INTEREST"), organisation, vehicle],
	)
	d := decision("mbie", with_fields(e, {"caveats": ["RELEASABLE_TO"]}))
	d.view == "redacted"
	"subjects[*].person.full_name" in d.redact
	"subjects[*].vehicle.plate" in d.redact
	"police_noting.summary" in d.redact
	not "police_noting.group_name" in d.redact
}

test_non_law_enforcement_partner_denied_law_enforcement_only_even_with_agreement if {
	record := with_fields(partner([agreement("all_notings", ["DRUG_SUPPLY"])]), {"law_enforcement": false})
	denied(decision_as(record, drug_noting), "sharing.law_enforcement_only")
}

test_oversight_tier_denied_raw_events_by_default if {
	record := with_fields(partner([]), {"tier": "oversight"})
	denied(decision_as(record, plain_noting), "sharing.default_deny")
}

# --- Operational embargo, and the support notice at resolution ----------------------

test_msd_denied_active_operation if denied(decision("msd", operation_update("ACTIVE")), "sharing.operational_embargo")

test_msd_denied_operation_in_planning if denied(decision("msd", operation_update("PLANNING")), "sharing.operational_embargo")

test_community_denied_active_operation if {
	denied(decision("community-eastern", operation_update("ACTIVE")), "sharing.operational_embargo")
}

test_active_operation_reaches_no_one_outside_law_enforcement if {
	outsiders := {id | some id, record in data.takitini.subscribers; record.law_enforcement == false}
	count(outsiders) > 0
	every id in outsiders {
		denied(decision(id, operation_update("ACTIVE")), "sharing.operational_embargo")
	}
}

test_law_enforcement_partner_not_held_by_operational_embargo if {
	d := decision_as(partner([agreement_for("police.operation_update", "full")]), operation_update("ACTIVE"))
	allowed(d)
}

test_msd_receives_support_notice_at_resolution if {
	d := decision("msd", operation_update("RESOLUTION"))
	d.view == "redacted"
	d.reasons == ["sharing.msd_police_operation_support_notice"]
	startswith(d.legal_basis, "Oranga Tamariki Act 1989")
}

test_support_notice_is_de_identified if {
	decision("msd", operation_update("RESOLUTION")).redact == [
		"operation_ref",
		"police_operation_update.arrests",
		"police_operation_update.charges",
		"police_operation_update.code_name",
		"police_operation_update.localities",
		"police_operation_update.summary",
		"police_operation_update.target_group",
		"source_record_id",
		"subjects",
	]
}

test_support_notice_keeps_families_children_and_support if {
	every p in decision("msd", operation_update("RESOLUTION")).redact {
		not p in {
			"police_operation_update.families_affected",
			"police_operation_update.children_affected",
			"police_operation_update.support_needed",
			"police_operation_update.phase",
		}
	}
}

test_msd_receives_support_notice_when_concluded if allowed(decision("msd", operation_update("CONCLUDED")))

test_regional_community_receives_support_notice_at_resolution if {
	d := decision("community-eastern", operation_update("RESOLUTION"))
	d.view == "redacted"
	d.reasons == ["sharing.community_police_operation_support_notice"]
}

test_other_regions_community_not_sent_support_notice if {
	denied(decision("community-eastern", in_region(operation_update("RESOLUTION"), "SOUTHERN")), "sharing.outside_subscriber_regions")
}

test_msd_receives_support_notice_from_any_region if allowed(decision("msd", in_region(operation_update("RESOLUTION"), "SOUTHERN")))

test_public_not_sent_support_notice if denied(decision("public", operation_update("RESOLUTION")), "sharing.default_deny")

test_support_notice_respects_no_community_release if {
	e := caveated(operation_update("RESOLUTION"), ["NO_COMMUNITY_RELEASE"])
	denied(decision("community-eastern", e), "sharing.no_community_release")
	allowed(decision("msd", e))
}

test_support_notice_above_derived_ceiling_needs_clearance if {
	denied(decision("msd", classified(operation_update("RESOLUTION"), "CONFIDENTIAL")), "sharing.classification_above_clearance")
}

test_noting_about_live_operation_stays_in_law_enforcement if {
	e := in_operation(releasable_to(classified(noting("MONEY_LAUNDERING"), "IN_CONFIDENCE"), ["MBIE"]), "Operation Highwater")
	denied(decision("mbie", with_fields(e, {"caveats": ["RELEASABLE_TO"]})), "sharing.operational_embargo")
}

test_seizure_in_live_operation_not_even_aggregated if {
	e := in_operation(event("police.firearms_seizure"), "Operation Cobalt")
	denied(decision("public", e), "sharing.operational_embargo")
	denied(decision("community-eastern", e), "sharing.operational_embargo")
}

# --- EMBARGO_UNTIL_CONCLUDED: the originator's embargo holds past resolution ---------

test_embargoed_noting_goes_to_no_one if denied(decision("customs", caveated(drug_noting, ["EMBARGO_UNTIL_CONCLUDED"])), "sharing.embargoed_until_concluded")

test_embargoed_update_withholds_support_notice_at_resolution if {
	e := caveated(operation_update("RESOLUTION"), ["LAW_ENFORCEMENT_ONLY", "EMBARGO_UNTIL_CONCLUDED"])
	denied(decision("msd", e), "sharing.embargoed_until_concluded")
}

test_embargoed_update_released_when_concluded if {
	e := caveated(operation_update("CONCLUDED"), ["LAW_ENFORCEMENT_ONLY", "EMBARGO_UNTIL_CONCLUDED"])
	allowed(decision("msd", e))
}

test_embargo_binds_law_enforcement_too if {
	e := caveated(operation_update("RESOLUTION"), ["EMBARGO_UNTIL_CONCLUDED"])
	denied(decision_as(partner([agreement_for("police.operation_update", "full")]), e), "sharing.embargoed_until_concluded")
}

# --- Community tiers: aggregate-only views for their own regions, never raw events ---

test_community_leader_never_sees_raw_events if denied(decision("community-eastern", drug_noting), "sharing.community_no_raw_events")

test_community_leader_denied_unclassified_noting_from_own_region if {
	denied(decision("community-eastern", in_region(plain_noting, "EASTERN")), "sharing.community_no_raw_events")
}

test_community_leader_denied_even_under_an_agreement if {
	d := decision_as(community([agreement("briefing", ["DRUG_SUPPLY"])]), plain_noting)
	d.reasons == ["sharing.community_no_raw_events", "sharing.purpose_required"]
}

test_community_leader_denied_redacted_view_that_is_not_de_identified if {
	a := redacting("police.organised_crime_noting", ["people", "vehicles"])
	denied(decision_as(community([a]), plain_noting), "sharing.community_no_raw_events")
}

test_community_leader_gets_aggregate_view_for_own_region if {
	d := decision("community-eastern", event("msd.whanau_support_referral"))
	d.view == "aggregate_only"
	d.redact == []
}

test_community_leader_denied_aggregates_of_other_regions if {
	denied(decision("community-eastern", in_region(event("msd.whanau_support_referral"), "NORTHLAND")), "sharing.outside_subscriber_regions")
}

test_community_aggregates_not_held_by_law_enforcement_marking if {
	e := classified(caveated(event("police.firearms_seizure"), ["LAW_ENFORCEMENT_ONLY"]), "RESTRICTED")
	decision("community-eastern", e).view == "aggregate_only"
}

test_community_aggregates_above_derived_ceiling_need_clearance if {
	e := classified(event("police.firearms_seizure"), "CONFIDENTIAL")
	denied(decision("community-eastern", e), "sharing.classification_above_clearance")
}

test_no_community_release_means_not_even_aggregates if {
	denied(decision("public", caveated(event("police.wastewater_indicator"), ["NO_COMMUNITY_RELEASE"])), "sharing.no_community_release")
}

test_public_gets_aggregate_wastewater if decision("public", with_fields(event("police.wastewater_indicator"), {"activity": "MDMA"})).view == "aggregate_only"

test_public_never_sees_raw_events if denied(decision("public", drug_noting), "sharing.community_no_raw_events")

test_public_denied_even_under_an_agreement if {
	record := with_fields(viewer("public"), {"agreements": [object.remove(agreement("open_data", ["DRUG_SUPPLY"]), ["purpose"])]})
	denied(decision_as(record, plain_noting), "sharing.community_no_raw_events")
}

test_community_leader_denied_event_outside_its_region if {
	denied(decision("community-eastern", in_region(plain_noting, "SOUTHERN")), "sharing.outside_subscriber_regions")
}

test_community_leader_in_region_not_denied_for_region if {
	d := decision("community-eastern", in_region(plain_noting, "EASTERN"))
	not "sharing.outside_subscriber_regions" in d.reasons
}

# --- Every district's community leaders (generated from data/regions.json): the same
# community rules apply to each, and each sees its own region only.

community_leaders := {id | some id, s in data.takitini.subscribers; s.tier == "community_leader"}

own_region(id) := r if [r] := data.takitini.subscribers[id].regions

test_every_district_has_one_community_leader_subscriber if {
	count(community_leaders) == count(sharing.districts)
	every d in sharing.districts {
		count({id | some id in community_leaders; own_region(id) == d}) == 1
	}
}

test_every_community_leader_gets_its_own_regions_aggregates if {
	every id in community_leaders {
		every type in {"msd.whanau_support_referral", "police.wastewater_indicator", "customs.border_seizure", "mbie.exploitation_complaint"} {
			d := decision(id, in_region(event(type), own_region(id)))
			d.view == "aggregate_only"
			d.redact == []
		}
	}
}

test_every_community_leader_gets_its_own_regions_support_notice if {
	every id in community_leaders {
		d := decision(id, in_region(operation_update("RESOLUTION"), own_region(id)))
		d.view == "redacted"
		d.reasons == ["sharing.community_police_operation_support_notice"]
		"subjects" in d.redact
	}
}

test_no_community_leader_sees_another_regions_view if {
	every id in community_leaders {
		every r in sharing.districts - {own_region(id)} {
			denied(decision(id, in_region(event("msd.whanau_support_referral"), r)), "sharing.outside_subscriber_regions")
			denied(decision(id, in_region(operation_update("RESOLUTION"), r)), "sharing.outside_subscriber_regions")
		}
	}
}

test_no_community_leader_sees_raw_events_in_its_own_region if {
	every id in community_leaders {
		denied(decision(id, in_region(plain_noting, own_region(id))), "sharing.community_no_raw_events")
		denied(decision(id, in_region(operation_update("ACTIVE"), own_region(id))), "sharing.operational_embargo")
	}
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

# --- Purpose and legal basis for personal information ----------------------------------

test_personal_information_needs_a_purpose if {
	a := object.remove(agreement("drugs", ["DRUG_SUPPLY"]), ["purpose"])
	denied(decision_as(partner([a]), drug_noting), "sharing.purpose_required")
}

test_event_without_personal_information_needs_no_purpose if {
	a := object.remove(agreement_for("police.wastewater_indicator", "full"), ["purpose"])
	allowed(decision_as(partner([a]), with_fields(event("police.wastewater_indicator"), {"activity": "COCAINE"})))
}

test_redacted_view_still_needs_a_purpose if {
	a := object.remove(redacting("police.organised_crime_noting", ["people"]), ["purpose"])
	denied(decision_as(partner([a]), drug_noting), "sharing.purpose_required")
}

test_de_identified_notice_needs_no_purpose if {
	a := object.remove(support_notice, ["purpose"])
	allowed(decision_as(partner([a]), operation_update("RESOLUTION")))
}

test_purposeful_agreement_relied_on_over_purposeless_one if {
	purposeless := object.remove(agreement("a_first", ["DRUG_SUPPLY"]), ["purpose"])
	d := decision_as(partner([purposeless, agreement("b_second", ["DRUG_SUPPLY"])]), drug_noting)
	d.reasons == ["sharing.b_second"]
}

test_every_shipped_agreement_has_a_legal_basis if {
	every _, record in data.takitini.subscribers {
		every a in record.agreements {
			count(a.legal_basis) > 20
		}
	}
}

test_every_shipped_agreement_disclosing_people_states_a_purpose if {
	every _, record in data.takitini.subscribers {
		every a in record.agreements {
			shipped_agreement_purposeful(a)
		}
	}
}

shipped_agreement_purposeful(a) if a.view == "aggregate_only"

shipped_agreement_purposeful(a) if a.de_identified == true

shipped_agreement_purposeful(a) if is_string(a.purpose)

shipped_agreement_purposeful(a) if "police.wastewater_indicator" in a.event_types

# --- Redactions: the exact paths, for what the event holds ----------------------------

people := [person("PERSON_OF_INTEREST"), person("ASSOCIATE")]

test_people_redacts_names_aliases_and_dates_of_birth if {
	redacted(about(event("customs.border_seizure"), people), ["people"]) == [
		"subjects[*].person.aliases",
		"subjects[*].person.date_of_birth",
		"subjects[*].person.full_name",
	]
}

test_addresses_phones_and_documents_redact_their_fields if {
	redacted(about(event("customs.border_seizure"), people), ["addresses", "phone_numbers", "document_numbers"]) == [
		"subjects[*].person.address",
		"subjects[*].person.documents",
		"subjects[*].person.phone_numbers",
	]
}

test_vehicles_redact_plates if redacted(about(event("customs.border_seizure"), [vehicle]), ["vehicles"]) == ["subjects[*].vehicle.plate"]

test_person_categories_emit_nothing_without_people if redacted(about(event("customs.border_seizure"), [vehicle]), ["people", "addresses"]) == []

test_vehicles_emit_nothing_without_vehicles if redacted(about(event("customs.border_seizure"), people), ["vehicles"]) == []

test_victims_redacted_whole_by_position if {
	e := about(event("mbie.trafficking_indicator"), [person("PERSON_OF_INTEREST"), organisation, person("VICTIM")])
	redacted(e, ["victims_and_exploited_workers"]) == [concat("", ["subjects[2].person.", f]) | some f in sort(sharing.identity_fields)]
}

test_witnesses_not_redacted_as_victims if {
	redacted(about(event("mbie.trafficking_indicator"), [person("WITNESS")]), ["victims_and_exploited_workers"]) == []
}

test_children_redacted_whole_by_position if {
	e := about(event("mbie.exploitation_complaint"), [organisation, person("EXPLOITED_WORKER"), child])
	paths := redacted(e, ["children"])
	count(paths) == 6
	every p in paths {
		startswith(p, "subjects[2].person.")
	}
}

test_subjects_removes_the_whole_list if redacted(about(event("customs.border_seizure"), people), ["subjects"]) == ["subjects"]

test_subjects_emits_nothing_without_subjects if redacted(event("customs.border_seizure"), ["subjects"]) == []

test_narrative_of_a_noting if redacted(drug_noting, ["narrative"]) == ["police_noting.summary"]

test_narrative_emits_nothing_for_types_without_one if redacted(event("customs.border_seizure"), ["narrative"]) == []

test_operational_detail_of_a_border_seizure if {
	redacted(event("customs.border_seizure"), ["operational_detail"]) == [
		"customs_border_seizure.case_ref",
		"customs_border_seizure.consignee_subject_id",
		"source_record_id",
	]
}

test_operational_detail_names_operation_ref_only_when_set if {
	"operation_ref" in redacted(in_operation(drug_noting, "Operation Cobalt"), ["operational_detail"])
	not "operation_ref" in redacted(drug_noting, ["operational_detail"])
}

# (A support advance notice's agreements are de-identified only, and a notice naming an
# operation or subjects goes to no one: its paths are in "Support advance notices". No
# agreement covers a request for information or its response, which are never redacted.)
test_every_redaction_path_starts_at_the_envelope_or_the_events_payload if {
	every type, spec in object.remove(sharing.event_types, ((sharing.link_alert_event_types | sharing.advance_notice_event_types) | sharing.information_event_types)) {
		paths := redacted(about(in_operation(event(type), "Operation Cobalt"), [person("VICTIM"), child, vehicle]), sort(sharing.redaction_categories))
		count(paths) > 20
		every p in paths {
			redaction_path_rooted(p, spec.payload)
		}
	}
}

redaction_path_rooted(p, _) if p in {"subjects", "operation_ref", "source_record_id"}

redaction_path_rooted(p, _) if startswith(p, "subjects[")

redaction_path_rooted(p, payload) if startswith(p, concat("", [payload, "."]))

test_vocabulary_lists_every_redaction_category if {
	data.takitini.sharing.vocabulary.redaction_categories == sort(sharing.redaction_categories)
	count(sharing.redaction_categories) == 10
}

test_redactions_sorted_and_unique if {
	paths := redacted(about(event("mbie.exploitation_complaint"), [child, child]), ["children", "people", "victims_and_exploited_workers"])
	paths == sort({p | some p in paths})
}

# --- Every event type --------------------------------------------------------------

test_every_event_type_is_judged if {
	every type, _ in sharing.event_types {
		not "sharing.unknown_event_type" in decision("police", event(type)).reasons
	}
}

test_event_type_from_another_agency_denied if {
	denied(decision("police", with_fields(event("customs.border_seizure"), {"source_agency": "MSD"})), "sharing.event_type_not_from_source_agency")
}

test_operation_update_without_phase_denied if {
	denied(decision("msd", operation_update("")), "sharing.unknown_operation_phase")
}

test_operation_update_with_unknown_phase_denied if denied(decision("msd", operation_update("HOLD")), "sharing.unknown_operation_phase")

test_phase_on_other_event_types_denied if denied(decision("customs", with_fields(drug_noting, {"operation_phase": "ACTIVE"})), "sharing.unknown_operation_phase")

test_seizure_of_unknown_commodity_denied if {
	denied(decision("police", with_fields(event("customs.border_seizure"), {"activity": "TOBACCO"})), "sharing.unknown_activity")
}

test_seizure_without_commodity_denied if {
	denied(decision("police", with_fields(event("customs.border_seizure"), {"activity": ""})), "sharing.unknown_activity")
}

test_consignment_of_unknown_commodity_allowed_to_be_unknown if {
	event("customs.suspicious_consignment").activity == ""
	not "sharing.unknown_activity" in decision("police", event("customs.suspicious_consignment")).reasons
}

test_unknown_subject_kind_denied if {
	denied(decision("customs", about(drug_noting, [{"kind": "SHIP", "role": "", "minor": false}])), "sharing.unknown_subject")
}

test_unknown_person_role_denied if denied(decision("customs", about(drug_noting, [person("INFORMANT")])), "sharing.unknown_subject")

test_organisation_with_a_role_denied if {
	denied(decision("customs", about(drug_noting, [with_fields(organisation, {"role": "VICTIM"})])), "sharing.unknown_subject")
}

test_person_without_recorded_role_judged if allowed(decision("customs", about(drug_noting, [person("UNSPECIFIED")])))

test_empty_subject_keeps_later_positions if {
	e := about(event("mbie.trafficking_indicator"), [{"kind": "", "role": "", "minor": false}, person("VICTIM")])
	d := decision("police", e)
	d.allow
	every p in d.redact {
		startswith(p, "subjects[1].person.")
	}
}

test_decision_does_not_depend_on_event_id if {
	decision("customs", drug_noting) == decision("customs", with_fields(drug_noting, {"id": "another"}))
	decision("msd", operation_update("RESOLUTION")) == decision("msd", with_fields(operation_update("RESOLUTION"), {"id": ""}))
}

# --- Unknown and malformed input is denied with a reason --------------------------

test_unknown_subscriber_denied if denied(decision("inland-revenue", drug_noting), "sharing.unknown_subscriber")

test_unknown_subscriber_gives_only_that_reason if decision("inland-revenue", plain_noting).reasons == ["sharing.unknown_subscriber"]

test_empty_subscriber_id_is_unknown if denied(decision("", drug_noting), "sharing.unknown_subscriber")

test_unknown_event_type_denied if denied(decision("customs", with_fields(drug_noting, {"event_type": "police.gossip"})), "sharing.unknown_event_type")

test_unknown_event_type_gives_no_vocabulary_reasons_it_cannot_judge if {
	decision("customs", with_fields(drug_noting, {"event_type": "police.gossip"})).reasons == ["sharing.default_deny", "sharing.unknown_event_type"]
}

test_unknown_caveat_denied if denied(decision("customs", caveated(drug_noting, ["EYES_ONLY"])), "sharing.unknown_caveat")

test_unknown_caveat_among_known_ones_denied if {
	denied(decision("customs", caveated(drug_noting, ["LAW_ENFORCEMENT_ONLY", "EYES_ONLY"])), "sharing.unknown_caveat")
}

test_unknown_classification_denied if denied(decision("customs", classified(drug_noting, "HUSH")), "sharing.unknown_classification")

test_unspecified_classification_denied if denied(decision("customs", classified(drug_noting, "UNSPECIFIED")), "sharing.unknown_classification")

test_unknown_region_denied_even_for_every_region_subscriber if denied(decision("customs", in_region(drug_noting, "ATLANTIS")), "sharing.unknown_region")

test_unknown_source_agency_denied if denied(decision("customs", with_fields(drug_noting, {"source_agency": "SPECTRE"})), "sharing.unknown_source_agency")

test_unknown_activity_denied if denied(decision("customs", noting("ARSON")), "sharing.unknown_activity")

test_noting_without_activity_denied if denied(decision("customs", noting("")), "sharing.unknown_activity")

test_missing_event_denied if denied(decision("customs", null), "sharing.input_invalid")

test_event_not_an_object_denied if denied(decision("customs", "noting"), "sharing.input_invalid")

test_missing_classification_denied if denied(decision("customs", without(drug_noting, "classification")), "sharing.input_invalid")

test_missing_caveats_denied if denied(decision("customs", without(drug_noting, "caveats")), "sharing.input_invalid")

test_missing_operation_phase_denied if denied(decision("msd", without(operation_update("RESOLUTION"), "operation_phase")), "sharing.input_invalid")

test_missing_operation_ref_denied if denied(decision("msd", without(operation_update("RESOLUTION"), "operation_ref")), "sharing.input_invalid")

test_missing_subjects_denied if denied(decision("customs", without(drug_noting, "subjects")), "sharing.input_invalid")

test_subject_without_minor_flag_denied if {
	denied(decision("customs", with_fields(drug_noting, {"subjects": [{"kind": "PERSON", "role": "VICTIM"}]})), "sharing.input_invalid")
}

test_subject_not_an_object_denied if denied(decision("customs", with_fields(drug_noting, {"subjects": ["PERSON"]})), "sharing.input_invalid")

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
	count(errors) == 14
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
		"clearance": "RESTRICTED", "regions": ["*"], "purposes": ["serious_crime"],
		"delivery_topic": "takitini.deliver.ird.v1",
		"agreements": [{
			"id": "ird-police-money-laundering", "rule": "sharing.ird_police_money_laundering",
			"source_agency": "POLICE", "event_types": ["police.organised_crime_noting"],
			"activities": ["MONEY_LAUNDERING"], "view": "redacted",
			"redact": ["phone_numbers", "people"], "purpose": "serious_crime",
			"legal_basis": "Tax Administration Act 1994, s 18E",
		}],
	}
	d := sharing.decision with input as {"subscriber_id": "ird", "event": noting("MONEY_LAUNDERING")}
		with data.takitini.subscribers.ird as ird
	d == {
		"allow": true,
		"view": "redacted",
		"redact": [
			"subjects[*].person.aliases",
			"subjects[*].person.date_of_birth",
			"subjects[*].person.full_name",
			"subjects[*].person.phone_numbers",
		],
		"reasons": ["sharing.ird_police_money_laundering"],
		"legal_basis": "Tax Administration Act 1994, s 18E",
	}
}

test_full_view_carries_no_redactions if {
	a := with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"redact": ["people"]})
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
	a := with_fields(agreement("other", []), {"event_types": ["police.firearms_seizure"], "activities": null})
	denied(decision_as(partner([a]), drug_noting), "sharing.default_deny")
}

test_agreement_without_phases_covers_every_phase if {
	every phase in sharing.operation_phases {
		allowed(decision_as(partner([agreement_for("police.operation_update", "full")]), operation_update(phase)))
	}
}

test_agreement_for_other_phases_does_not_match if {
	denied(decision_as(partner([support_notice]), operation_update("ACTIVE")), "sharing.default_deny")
}

test_first_matching_agreement_by_id_is_relied_on if {
	d := decision_as(partner([agreement("b_second", ["DRUG_SUPPLY"]), agreement("a_first", ["DRUG_SUPPLY"])]), drug_noting)
	d.reasons == ["sharing.a_first"]
}

test_only_matching_agreement_is_relied_on if {
	d := decision_as(partner([agreement("a_guns", ["FIREARMS"]), agreement("b_drugs", ["DRUG_SUPPLY"])]), drug_noting)
	d.reasons == ["sharing.b_drugs"]
}

test_every_reason_from_every_held_back_agreement if {
	purposeless := object.remove(agreement("a", ["DRUG_SUPPLY"]), ["purpose"])
	record := with_fields(partner([purposeless]), {"clearance": "IN_CONFIDENCE"})
	decision_as(record, drug_noting).reasons == ["sharing.classification_above_clearance", "sharing.purpose_required"]
}

# --- Subscriber data that cannot be judged fails closed ---------------------------

misconfigured(record) if denied(decision_as(record, drug_noting), "sharing.subscriber_misconfigured")

with_agreement_fields(fields) := partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), fields)])

test_unknown_clearance_fails_closed if misconfigured(with_fields(viewer("customs"), {"clearance": "ULTRA"}))

test_unknown_tier_fails_closed if misconfigured(with_fields(viewer("customs"), {"tier": "friend"}))

test_missing_law_enforcement_flag_fails_closed if misconfigured(object.remove(viewer("customs"), ["law_enforcement"]))

test_missing_regions_fails_closed if misconfigured(object.remove(viewer("customs"), ["regions"]))

test_missing_purposes_fails_closed if misconfigured(object.remove(viewer("customs"), ["purposes"]))

test_record_not_an_object_fails_closed if misconfigured("customs")

test_agreements_not_an_array_fails_closed if misconfigured(partner("all"))

test_agreement_without_legal_basis_fails_closed if misconfigured(partner([object.remove(agreement("drugs", ["DRUG_SUPPLY"]), ["legal_basis"])]))

test_agreement_with_empty_legal_basis_fails_closed if misconfigured(with_agreement_fields({"legal_basis": ""}))

test_agreement_granting_view_none_fails_closed if misconfigured(with_agreement_fields({"view": "none"}))

test_agreement_rule_outside_namespace_fails_closed if misconfigured(with_agreement_fields({"rule": "allow_all"}))

test_agreement_with_unknown_source_agency_fails_closed if misconfigured(with_agreement_fields({"source_agency": "SPECTRE"}))

test_agreement_with_non_string_activities_fails_closed if misconfigured(with_agreement_fields({"activities": "DRUG_SUPPLY"}))

test_agreement_with_misspelt_activity_fails_closed if misconfigured(with_agreement_fields({"activities": ["DRUG_SUPLY"]}))

test_agreement_with_unknown_event_type_fails_closed if misconfigured(with_agreement_fields({"event_types": ["customs.seizure"]}))

test_agreement_with_other_agencys_event_type_fails_closed if misconfigured(with_agreement_fields({"event_types": ["customs.border_seizure"], "activities": null}))

test_agreement_with_unknown_phase_fails_closed if misconfigured(with_agreement_fields({"operation_phases": ["HOLD"]}))

test_agreement_with_phases_not_a_list_fails_closed if misconfigured(with_agreement_fields({"operation_phases": "ACTIVE"}))

test_agreement_with_unknown_redaction_category_fails_closed if misconfigured(with_agreement_fields({"redact": ["subjects[*].person.full_name"]}))

test_agreement_with_unregistered_purpose_fails_closed if misconfigured(with_agreement_fields({"purpose": "curiosity"}))

test_agreement_with_non_string_purpose_fails_closed if misconfigured(with_agreement_fields({"purpose": ["law_enforcement"]}))

test_de_identified_agreement_that_keeps_subjects_fails_closed if {
	misconfigured(partner([with_fields(support_notice, {"redact": ["narrative", "operational_detail"]})]))
}

test_de_identified_agreement_granting_full_view_fails_closed if misconfigured(partner([with_fields(support_notice, {"view": "full"})]))

test_de_identified_flag_not_a_boolean_fails_closed if misconfigured(partner([with_fields(support_notice, {"de_identified": "yes"})]))

test_agreement_explicitly_not_de_identified_is_fine if {
	allowed(decision_as(partner([with_fields(agreement("drugs", ["DRUG_SUPPLY"]), {"de_identified": false})]), drug_noting))
}

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

# --- Agency assessments: to a region's leaders only with the agency's approval -----

# A Police assessment for a region's leaders, as Police mark it by default
# (RESTRICTED, law-enforcement only), with or without its release approval.
assessment(region) := in_region(
	with_fields(event("police.regional_assessment"), {"classification": "RESTRICTED", "caveats": ["LAW_ENFORCEMENT_ONLY"]}),
	region,
)

approval := {"approver_role": "District Commander", "approval_ref": "POLICE-RA-APP-2026-031", "approved_at": "2026-10-06T21:30:00Z"}

approved_assessment(region) := with_fields(assessment(region), {"release_approval": approval})

test_approved_assessment_reaches_its_regions_leaders if {
	d := decision("community-bay-of-plenty", approved_assessment("BAY_OF_PLENTY"))
	d.view == "redacted"
	d.reasons == ["sharing.community_police_regional_assessment"]
	d.redact == ["source_record_id"]
}

test_approved_assessment_reaches_no_other_regions_leaders if {
	denied(decision("community-eastern", approved_assessment("BAY_OF_PLENTY")), "sharing.outside_subscriber_regions")
}

test_unapproved_assessment_reaches_no_community if {
	denied(decision("community-bay-of-plenty", assessment("BAY_OF_PLENTY")), "sharing.assessment_not_approved")
	denied(decision("community-bay-of-plenty", with_fields(assessment("BAY_OF_PLENTY"), {"release_approval": null})), "sharing.assessment_not_approved")
}

test_incomplete_approval_is_no_approval if {
	every field in ["approver_role", "approval_ref"] {
		denied(decision("community-bay-of-plenty", with_fields(approved_assessment("BAY_OF_PLENTY"), {"release_approval": object.union(approval, {field: ""})})), "sharing.assessment_not_approved")
	}
	denied(decision("community-bay-of-plenty", with_fields(approved_assessment("BAY_OF_PLENTY"), {"release_approval": object.union(approval, {"approved_at": "last week"})})), "sharing.assessment_not_approved")
}

test_malformed_approval_is_invalid_input if {
	every bad in [{"approver_role": "District Commander"}, "approved", object.union(approval, {"approver_name": "Aroha"}), object.union(approval, {"approved_at": 20261006})] {
		d := decision("community-bay-of-plenty", with_fields(assessment("BAY_OF_PLENTY"), {"release_approval": bad}))
		denied(d, "sharing.input_invalid")
	}
}

test_public_not_given_assessments if {
	denied(decision("public", approved_assessment("BAY_OF_PLENTY")), "sharing.default_deny")
}

# --- Leaders' submissions: to the agencies that act on them, never to a community tier

# A leader's submission as the briefing publishes it: from COMMUNITY, IN-CONFIDENCE,
# NO COMMUNITY RELEASE, the leader's district, no subjects, and free text (so personal
# information).
submission(type) := with_fields(event(type), {
	"classification": "IN_CONFIDENCE",
	"caveats": ["NO_COMMUNITY_RELEASE"],
	"region": "BAY_OF_PLENTY",
	"has_personal_information": true,
})

observation(topic) := with_fields(submission("community.observation"), {"activity": topic})

support_need := submission("community.support_need")

feedback := submission("community.briefing_feedback")

# Every submission there can be: an observation on each topic, a support need, feedback.
every_submission := array.concat([observation(t) | some t in sort(sharing.submission_topics)], [support_need, feedback])

community_tier_viewers := {id | some id, s in data.takitini.subscribers; s.tier in sharing.community_tiers}

leaders_basis := "Privacy Act 2020, IPP 11(1)(a) and (c) — disclosure for the purpose for which the leader gave it and with their authority: "

received_in_full(d, rule) if {
	d.allow == true
	d.view == "full"
	d.redact == []
	d.reasons == [rule]
	startswith(d.legal_basis, leaders_basis)
}

test_submission_event_types_are_communitys_with_its_payload if {
	sharing.submission_event_types == {"community.observation", "community.support_need", "community.briefing_feedback"}
	every t in sharing.submission_event_types {
		sharing.event_types[t].payload == "community_submission"
	}
}

test_police_receive_every_observation_in_full if {
	count(sharing.submission_topics) == 6
	every t in sharing.submission_topics {
		received_in_full(decision("police", observation(t)), "sharing.police_community_observations")
	}
}

test_police_observations_basis_names_prevention_and_detection if {
	endswith(decision("police", observation("GANG_ACTIVITY")).legal_basis, "a community observation passed to NZ Police for the prevention and detection of offending")
}

test_police_receive_briefing_feedback_in_full if received_in_full(decision("police", feedback), "sharing.police_community_briefing_feedback")

test_police_not_sent_support_needs if decision("police", support_need).reasons == ["sharing.default_deny"]

test_mbie_receives_exploitation_observations_in_full if {
	received_in_full(decision("mbie", observation("EXPLOITATION")), "sharing.mbie_community_exploitation_observations")
}

test_mbie_not_sent_other_observations if {
	every t in sharing.submission_topics - {"EXPLOITATION"} {
		decision("mbie", observation(t)).reasons == ["sharing.default_deny"]
	}
}

test_mbie_not_sent_support_needs_or_feedback if {
	decision("mbie", support_need).reasons == ["sharing.default_deny"]
	decision("mbie", feedback).reasons == ["sharing.default_deny"]
}

test_msd_receives_support_needs_in_full if received_in_full(decision("msd", support_need), "sharing.msd_community_support_needs")

test_msd_receives_briefing_feedback_in_full if received_in_full(decision("msd", feedback), "sharing.msd_community_briefing_feedback")

test_msd_not_sent_observations if {
	every t in sharing.submission_topics {
		decision("msd", observation(t)).reasons == ["sharing.default_deny"]
	}
}

test_customs_receives_no_submission if {
	every e in every_submission {
		decision("customs", e).reasons == ["sharing.default_deny"]
	}
}

test_submissions_from_any_district_reach_the_agencies if {
	every r in sharing.districts {
		allowed(decision("police", in_region(observation("DRUG_SUPPLY"), r)))
		allowed(decision("msd", in_region(support_need, r)))
	}
}

test_no_community_leader_nor_the_public_receives_a_submission if {
	count(community_tier_viewers) == 13
	every id in community_tier_viewers {
		every e in every_submission {
			denied(decision(id, e), "sharing.community_submission_not_for_community")
			denied(decision(id, e), "sharing.no_community_release")
		}
	}
}

test_own_districts_leaders_denied_their_own_submission_with_every_reason if {
	decision("community-bay-of-plenty", observation("DRUG_SUPPLY")).reasons == [
		"sharing.classification_above_clearance",
		"sharing.community_no_raw_events",
		"sharing.community_submission_not_for_community",
		"sharing.default_deny",
		"sharing.no_community_release",
	]
}

# The second lock: an agreement someone adds, of any view, and a submission published
# without its NO_COMMUNITY_RELEASE marking, still reach no community tier.
# (community-eastern's record, so the submissions here are from the Eastern district.)
unmarked(e) := in_region(classified(caveated(e, []), "UNCLASSIFIED"), "EASTERN")

test_submission_not_for_community_even_under_an_agreement if {
	every view in ["full", "redacted", "aggregate_only"] {
		denied(decision_as(community([agreement_for("community.observation", view)]), unmarked(observation("DRUG_SUPPLY"))), "sharing.community_submission_not_for_community")
	}
}

# Views that carry none of the record's content pass every other community rule: this one alone holds them.
test_submission_not_for_community_even_in_aggregate if {
	d := decision_as(community([agreement_for("community.observation", "aggregate_only")]), unmarked(observation("DRUG_SUPPLY")))
	d.reasons == ["sharing.community_submission_not_for_community"]
}

test_submission_not_for_community_even_as_a_de_identified_notice if {
	notice := with_fields(redacting("community.support_need", ["subjects", "narrative", "operational_detail"]), {"de_identified": true})
	d := decision_as(community([notice]), unmarked(support_need))
	d.reasons == ["sharing.community_submission_not_for_community"]
}

test_submission_not_for_the_public_even_under_an_agreement if {
	a := object.remove(agreement_for("community.briefing_feedback", "aggregate_only"), ["purpose"])
	record := with_fields(viewer("public"), {"agreements": [a]})
	d := decision_as(record, unmarked(feedback))
	d.reasons == ["sharing.community_submission_not_for_community"]
}

test_submission_claimed_by_an_agency_still_not_for_community if {
	claimed := with_fields(observation("DRUG_SUPPLY"), {"source_agency": "POLICE"})
	denied(decision("community-bay-of-plenty", claimed), "sharing.community_submission_not_for_community")
	denied(decision("community-bay-of-plenty", claimed), "sharing.event_type_not_from_source_agency")
}

test_agency_event_claimed_by_community_not_for_community if {
	claimed := with_fields(event("msd.whanau_support_referral"), {"source_agency": "COMMUNITY"})
	denied(decision("community-eastern", claimed), "sharing.community_submission_not_for_community")
}

test_submission_rule_leaves_agency_events_to_community_as_before if {
	d := decision("community-eastern", event("msd.whanau_support_referral"))
	d.view == "aggregate_only"
	not "sharing.community_submission_not_for_community" in decision("community-eastern", drug_noting).reasons
}

test_observation_without_a_topic_denied if denied(decision("police", observation("")), "sharing.unknown_activity")

test_observation_on_an_unknown_topic_denied if denied(decision("police", observation("ARSON")), "sharing.unknown_activity")

test_support_need_or_feedback_with_a_topic_denied if {
	denied(decision("msd", with_fields(support_need, {"activity": "DRUG_SUPPLY"})), "sharing.unknown_activity")
	denied(decision("police", with_fields(feedback, {"activity": "OTHER"})), "sharing.unknown_activity")
}

test_submission_with_free_text_needs_a_purpose if {
	a := object.remove(agreement_for("community.observation", "full"), ["purpose"])
	denied(decision_as(partner([a]), observation("FIREARMS")), "sharing.purpose_required")
}

test_partner_agreement_may_name_the_community_topics if {
	a := with_fields(agreement_for("community.observation", "full"), {"activities": ["FINANCIAL_HARM"]})
	allowed(decision_as(partner([a]), observation("FINANCIAL_HARM")))
	denied(decision_as(partner([a]), observation("FIREARMS")), "sharing.default_deny")
}

test_partner_agreement_with_an_unknown_community_topic_fails_closed if {
	misconfigured(partner([with_fields(agreement_for("community.observation", "full"), {"activities": ["GANGS"]})]))
}

test_narrative_of_a_submission_is_its_text_and_locality if {
	every e in [observation("OTHER"), support_need, feedback] {
		redacted(e, ["narrative"]) == ["community_submission.locality", "community_submission.text"]
	}
}

test_operational_detail_of_a_submission_is_who_sent_it_and_its_reference if {
	redacted(support_need, ["operational_detail"]) == [
		"community_submission.organisation",
		"community_submission.reference",
		"community_submission.subscriber_id",
		"source_record_id",
	]
}

# --- Link alerts: two agencies' records about the same subject ----------------------

# A record as a link alert carries it: its projection, and the position of the linked subject.
linked(e, index) := with_fields(e, {"subject_index": index})

# A link alert by a rule between two records.
link(rule, a, b) := with_fields(event("linkage.link_alert"), {
	"classification": "RESTRICTED",
	"caveats": ["LAW_ENFORCEMENT_ONLY"],
	"activity": rule,
	"linked": [a, b],
})

# Police's noting about a person of interest (RESTRICTED, law-enforcement only): the person is subject 0.
police_poi := linked(drug_noting, 0)

# A Customs border seizure as Customs mark it, its consignee a person (subject 0).
border_seizure := about(
	with_fields(event("customs.border_seizure"), {"classification": "RESTRICTED", "caveats": ["LAW_ENFORCEMENT_ONLY"], "activity": "METHAMPHETAMINE"}),
	[person("PERSON_OF_INTEREST")],
)

customs_consignee := linked(border_seizure, 0)

# An MBIE trafficking indicator about a recruiter (subject 0) and a victim (subject 1).
trafficking := about(event("mbie.trafficking_indicator"), [person("PERSON_OF_INTEREST"), person("VICTIM")])

mbie_recruiter := linked(trafficking, 0)

mbie_victim := linked(trafficking, 1)

# The Police noting MBIE may see (matrix row 02): money laundering, IN-CONFIDENCE, releasable to MBIE,
# about a person (0) and a company (1).
laundering := releasable_to(classified(caveated(noting("MONEY_LAUNDERING"), []), "IN_CONFIDENCE"), ["MBIE"])

# An MBIE exploitation complaint about an employer (a company, subject 0) and a worker (1).
complaint := about(event("mbie.exploitation_complaint"), [organisation, person("EXPLOITED_WORKER")])

passport_link := link("IDENTITY_DOCUMENT", police_poi, customs_consignee)

visible := "sharing.link_alert_records_visible"

own := "sharing.link_alert_own_record"

test_police_told_customs_seized_from_its_person_of_interest if {
	d := decision("police", passport_link)
	allowed(d)
	d.view == "full"
	d.redact == []
	d.reasons == [visible, own, "sharing.police_customs_border_seizures"]
}

test_customs_told_its_consignee_is_polices_person_of_interest if {
	decision("customs", passport_link).reasons == [visible, "sharing.customs_police_drug_supply", own]
}

test_alert_legal_basis_names_each_records_basis_in_order if {
	d := decision("police", passport_link)
	own_part := concat("", ["[POLICE police.organised_crime_noting] ", sharing.own_record_basis])
	customs_part := concat("", ["[CUSTOMS customs.border_seizure] ", decision("police", border_seizure).legal_basis])
	d.legal_basis == concat("; ", [own_part, customs_part])
	startswith(customs_part, "[CUSTOMS customs.border_seizure] Customs and Excise Act 2018, s 316")
}

test_third_party_that_sees_both_records_is_told_with_both_agreements_bases if {
	d := decision("customs", link("NAME_AND_DATE_OF_BIRTH", police_poi, mbie_recruiter))
	d.reasons == [visible, "sharing.customs_police_drug_supply", "sharing.customs_mbie_trafficking_indicators"]
	d.legal_basis == concat("; ", [
		concat("", ["[POLICE police.organised_crime_noting] ", decision("customs", drug_noting).legal_basis]),
		concat("", ["[MBIE mbie.trafficking_indicator] ", decision("customs", trafficking).legal_basis]),
	])
}

test_alert_not_sent_where_neither_record_may_be_seen if {
	every id in {"mbie", "msd"} {
		d := decision(id, passport_link)
		denied(d, "sharing.linked_record_withheld")
		denied(d, "sharing.linked.police.law_enforcement_only")
		denied(d, "sharing.linked.customs.default_deny")
	}
}

test_denial_names_why_per_record if {
	decision("mbie", passport_link).reasons == [
		"sharing.linked.customs.classification_above_clearance",
		"sharing.linked.customs.default_deny",
		"sharing.linked.customs.law_enforcement_only",
		"sharing.linked.police.classification_above_clearance",
		"sharing.linked.police.default_deny",
		"sharing.linked.police.law_enforcement_only",
		"sharing.linked_record_withheld",
	]
}

# Customs sees MBIE's indicators with victims withheld: told of a link to the recruiter, not to the victim.
test_alert_about_a_victim_the_view_withholds_not_sent if {
	d := decision("customs", link("NAME_AND_DATE_OF_BIRTH", police_poi, mbie_victim))
	d.reasons == ["sharing.linked.mbie.linked_subject_withheld", "sharing.linked_record_withheld"]
	denied(decision("police", link("NAME_AND_DATE_OF_BIRTH", police_poi, mbie_victim)), "sharing.linked.mbie.linked_subject_withheld")
	allowed(decision("police", link("NAME_AND_DATE_OF_BIRTH", police_poi, mbie_recruiter)))
}

test_alert_about_a_child_the_view_withholds_not_sent if {
	e := linked(about(event("mbie.trafficking_indicator"), [person("PERSON_OF_INTEREST"), child]), 1)
	denied(decision("customs", link("IDENTITY_DOCUMENT", police_poi, e)), "sharing.linked.mbie.linked_subject_withheld")
}

# MBIE sees the laundering noting with people, documents and plates removed: a company is linked
# by its registration number, which stays; a person by name or document it cannot see is not.
test_alert_sent_only_where_the_view_keeps_what_the_rule_links_by if {
	allowed(decision("mbie", link("COMPANY_REGISTRATION", linked(laundering, 1), linked(complaint, 0))))
	every rule in {"NAME_AND_DATE_OF_BIRTH", "IDENTITY_DOCUMENT"} {
		d := decision("mbie", link(rule, linked(laundering, 0), linked(complaint, 1)))
		d.reasons == ["sharing.linked.police.linked_subject_withheld", "sharing.linked_record_withheld"]
	}
}

test_vehicle_link_withheld_where_plates_are if {
	laundering_car := about(laundering, [vehicle])
	mbie_car := about(event("mbie.exploitation_complaint"), [vehicle])
	denied(decision("mbie", link("VEHICLE_PLATE", linked(laundering_car, 0), linked(mbie_car, 0))), "sharing.linked.police.linked_subject_withheld")
	allowed(decision("police", link("VEHICLE_PLATE", linked(laundering_car, 0), linked(mbie_car, 0))))
}

# A candidate partner holding agreements for both records' types, of these views.
# (Inland Revenue's, so that neither record is its agency's own.)
both_viewed_as(police_view, customs_view) := with_fields(
	partner([
		with_fields(agreement_for("police.organised_crime_noting", police_view), {"id": "a_police"}),
		with_fields(agreement_for("customs.border_seizure", customs_view), {"id": "b_customs"}),
	]),
	{"agency": "IR"},
)

test_third_party_partner_with_record_views_of_both_is_told if {
	d := decision_as(both_viewed_as("full", "redacted"), passport_link)
	d.reasons == [visible, "sharing.for_type", "sharing.for_type"]
}

test_record_seen_only_in_aggregate_withholds_the_alert if {
	d := decision_as(both_viewed_as("full", "aggregate_only"), passport_link)
	d.reasons == ["sharing.linked.customs.linked_view_not_record_level", "sharing.linked_record_withheld"]
}

test_record_seen_only_as_a_de_identified_notice_withholds_the_alert if {
	notice := with_fields(redacting("police.operation_update", ["subjects", "narrative", "operational_detail"]), {"de_identified": true, "id": "a_notice"})
	record := with_fields(partner([notice, with_fields(agreement_for("customs.border_seizure", "full"), {"id": "b_customs"})]), {"agency": "IR"})
	update := linked(with_fields(operation_update("RESOLUTION"), {"caveats": []}), 0)
	allowed(decision_as(record, update))
	d := decision_as(record, link("IDENTITY_DOCUMENT", update, customs_consignee))
	d.reasons == ["sharing.linked.police.linked_view_not_record_level", "sharing.linked_record_withheld"]
}

test_record_view_removing_every_subject_withholds_the_alert if {
	record := with_fields(
		partner([
			with_fields(redacting("police.organised_crime_noting", ["subjects"]), {"id": "a_police"}),
			with_fields(agreement_for("customs.border_seizure", "full"), {"id": "b_customs"}),
		]),
		{"agency": "IR"},
	)
	denied(decision_as(record, passport_link), "sharing.linked.police.linked_subject_withheld")
}

# Each record is judged exactly as a record of its type would be.
test_each_record_judged_on_its_own_markings if {
	denied(decision("customs", link("IDENTITY_DOCUMENT", linked(classified(drug_noting, "CONFIDENTIAL"), 0), customs_consignee)), "sharing.linked.police.classification_above_clearance")
	denied(decision("customs", link("IDENTITY_DOCUMENT", linked(releasable_to(drug_noting, ["mbie"]), 0), customs_consignee)), "sharing.linked.police.not_releasable_to_subscriber")
	denied(decision("customs", link("IDENTITY_DOCUMENT", linked(caveated(drug_noting, ["EMBARGO_UNTIL_CONCLUDED"]), 0), customs_consignee)), "sharing.linked.police.embargoed_until_concluded")
	denied(decision("customs", link("IDENTITY_DOCUMENT", linked(noting("VIOLENCE_STANDOVER"), 0), customs_consignee)), "sharing.linked.police.default_deny")
}

test_own_record_is_held_whatever_its_markings if {
	embargoed := linked(classified(caveated(drug_noting, ["EMBARGO_UNTIL_CONCLUDED", "RELEASABLE_TO"]), "TOP_SECRET"), 0)
	decision("police", link("IDENTITY_DOCUMENT", embargoed, customs_consignee)).reasons == [visible, own, "sharing.police_customs_border_seizures"]
}

test_operational_embargo_of_a_record_holds_for_a_partner_outside_law_enforcement if {
	in_op := linked(in_operation(laundering, "Operation Cobalt"), 1)
	denied(decision("mbie", link("COMPANY_REGISTRATION", in_op, linked(complaint, 0))), "sharing.linked.police.operational_embargo")
}

test_regional_partner_told_only_of_records_in_its_regions if {
	record := with_fields(both_viewed_as("full", "full"), {"regions": ["EASTERN"]})
	allowed(decision_as(record, passport_link))
	southern := link("IDENTITY_DOCUMENT", police_poi, linked(in_region(border_seizure, "SOUTHERN"), 0))
	denied(decision_as(record, southern), "sharing.linked.customs.outside_subscriber_regions")
}

test_record_with_personal_information_needs_a_purpose if {
	record := with_fields(
		partner([
			object.remove(with_fields(agreement_for("police.organised_crime_noting", "full"), {"id": "a_police"}), ["purpose"]),
			with_fields(agreement_for("customs.border_seizure", "full"), {"id": "b_customs"}),
		]),
		{"agency": "IR"},
	)
	denied(decision_as(record, passport_link), "sharing.linked.police.purpose_required")
}

test_own_record_is_a_partner_agencys_own_agencys_only if {
	not sharing.own_record({"source_agency": "CUSTOMS"}) with input as {"subscriber_id": "police", "event": passport_link}
	sharing.own_record({"source_agency": "POLICE"}) with input as {"subscriber_id": "police", "event": passport_link}
	record := with_fields(viewer("police"), {"tier": "oversight"})
	denied(decision_as(record, passport_link), "sharing.linked.police.default_deny")
}

# --- Link alerts never reach a community tier ---------------------------------------

test_no_community_leader_nor_the_public_receives_a_link_alert if {
	every id in community_tier_viewers {
		denied(decision(id, passport_link), "sharing.link_alert_not_for_community")
		denied(decision(id, passport_link), "sharing.linked_record_withheld")
	}
}

# Even a community tier given full agreements for both records' types (so both records pass
# every other rule, unmarked and from its own district) is never told of a link.
test_link_alert_not_for_community_even_under_agreements_for_both_records if {
	plain_seizure := linked(about(with_fields(event("customs.border_seizure"), {"activity": "METHAMPHETAMINE"}), [person("PERSON_OF_INTEREST")]), 0)
	unmarked_link := with_fields(link("IDENTITY_DOCUMENT", linked(plain_noting, 0), plain_seizure), {"classification": "UNCLASSIFIED", "caveats": []})
	record := community([
		with_fields(agreement_for("police.organised_crime_noting", "full"), {"id": "a_police"}),
		with_fields(agreement_for("customs.border_seizure", "full"), {"id": "b_customs"}),
	])
	denied(decision_as(record, unmarked_link), "sharing.link_alert_not_for_community")
	public_record := with_fields(record, {"tier": "public", "regions": ["*"]})
	denied(decision_as(public_record, unmarked_link), "sharing.link_alert_not_for_community")
}

test_linkage_event_of_another_type_not_for_community if {
	claimed := with_fields(event("msd.whanau_support_referral"), {"source_agency": "LINKAGE"})
	denied(decision("community-eastern", claimed), "sharing.link_alert_not_for_community")
	denied(decision("community-eastern", claimed), "sharing.event_type_not_from_source_agency")
	not "sharing.link_alert_not_for_community" in decision("community-eastern", event("msd.whanau_support_referral")).reasons
}

# --- A link alert's envelope: its vocabulary is checked, its markings are the records' -----

test_link_alert_claimed_by_an_agency_denied if {
	denied(decision("police", with_fields(passport_link, {"source_agency": "POLICE"})), "sharing.event_type_not_from_source_agency")
}

test_every_link_rule_is_judged if {
	every rule, _ in sharing.link_rules {
		not "sharing.unknown_activity" in decision("police", link(rule, police_poi, customs_consignee)).reasons
	}
}

test_unknown_link_rule_denied if {
	d := decision("police", link("FINGERPRINT", police_poi, customs_consignee))
	denied(d, "sharing.unknown_activity")
	not "sharing.link_subject_mismatch" in d.reasons
}

test_link_of_subjects_the_rule_does_not_link_denied if {
	d := decision("police", link("VEHICLE_PLATE", police_poi, customs_consignee))
	d.reasons == ["sharing.link_subject_mismatch"]
}

test_link_alert_envelope_vocabulary_checked if {
	denied(decision("police", with_fields(passport_link, {"classification": "HUSH"})), "sharing.unknown_classification")
	denied(decision("police", with_fields(passport_link, {"caveats": ["EYES_ONLY"]})), "sharing.unknown_caveat")
	denied(decision("police", with_fields(passport_link, {"region": "ATLANTIS"})), "sharing.unknown_region")
	denied(decision("police", with_fields(passport_link, {"operation_phase": "ACTIVE"})), "sharing.unknown_operation_phase")
}

# The linkage service marks an alert as guarded as its more guarded record (every caveat of
# both, releasable only where both are); those markings summarise the records', and the
# records' own are what is judged, so a summary narrower than either record holds nothing back.
test_link_alert_envelope_markings_not_judged if {
	guarded := with_fields(passport_link, {
		"classification": "TOP_SECRET",
		"caveats": ["EMBARGO_UNTIL_CONCLUDED", "RELEASABLE_TO", "NO_COMMUNITY_RELEASE"],
		"releasable_to": [],
		"operation_ref": "Operation Cobalt",
	})
	decision("customs", guarded) == decision("customs", passport_link)
}

test_link_alert_envelope_region_may_be_unspecified if {
	d := decision("police", with_fields(passport_link, {"region": "UNSPECIFIED"}))
	d == decision("police", passport_link)
	denied(decision("customs", in_region(drug_noting, "UNSPECIFIED")), "sharing.unknown_region")
}

test_link_alert_decision_does_not_depend_on_ids if {
	renamed := with_fields(passport_link, {"id": "another", "linked": [with_fields(police_poi, {"id": "x"}), with_fields(customs_consignee, {"id": ""})]})
	every id in {"police", "customs", "mbie", "public"} {
		decision(id, renamed) == decision(id, passport_link)
	}
}

test_record_of_an_unknown_agency_named_as_such if {
	stranger := linked(with_fields(border_seizure, {"source_agency": "SPECTRE"}), 0)
	denied(decision("police", link("IDENTITY_DOCUMENT", police_poi, stranger)), "sharing.linked.unknown_agency.unknown_source_agency")
}

test_unknown_subscriber_told_only_that if decision("inland-revenue", passport_link).reasons == ["sharing.unknown_subscriber"]

test_misconfigured_subscriber_told_only_that if {
	decision_as(with_fields(viewer("customs"), {"clearance": "ULTRA"}), passport_link).reasons == ["sharing.subscriber_misconfigured"]
}

test_agreement_for_link_alerts_misconfigures_the_subscriber if {
	a := with_fields(agreement_for("police.organised_crime_noting", "full"), {"source_agency": "LINKAGE", "event_types": ["linkage.link_alert"]})
	misconfigured(partner([a]))
}

# --- A link alert's input: exactly two well-formed records of different agencies ----

link_errors(e) := errors if {
	errors := sharing.input_errors with input as {"subscriber_id": "police", "event": e}
}

test_link_alert_with_one_record_invalid if {
	e := with_fields(passport_link, {"linked": [police_poi]})
	link_errors(e) == {"event.linked"}
	decision("police", e).reasons == ["sharing.input_invalid"]
}

test_link_alert_with_three_records_invalid if {
	link_errors(with_fields(passport_link, {"linked": [police_poi, customs_consignee, mbie_recruiter]})) == {"event.linked"}
}

test_link_alert_without_records_invalid if {
	link_errors(without(passport_link, "linked")) == {"event.linked"}
	link_errors(with_fields(passport_link, {"linked": {"0": police_poi, "1": customs_consignee}})) == {"event.linked"}
}

test_link_between_records_of_one_agency_invalid if {
	link_errors(link("IDENTITY_DOCUMENT", police_poi, linked(noting("FIREARMS"), 0))) == {"event.linked"}
}

test_linked_record_missing_a_field_named if {
	link_errors(link("IDENTITY_DOCUMENT", police_poi, without(customs_consignee, "region"))) == {"event.linked[1].region"}
	link_errors(link("IDENTITY_DOCUMENT", with_fields(police_poi, {"caveats": "LAW_ENFORCEMENT_ONLY"}), customs_consignee)) == {"event.linked[0].caveats"}
	link_errors(link("IDENTITY_DOCUMENT", with_fields(police_poi, {"subjects": [{"kind": "PERSON"}]}), customs_consignee)) == {"event.linked[0].subjects"}
	link_errors(link("IDENTITY_DOCUMENT", police_poi, without(customs_consignee, "has_personal_information"))) == {"event.linked[1].has_personal_information"}
}

test_linked_record_that_is_not_an_object_named if {
	link_errors(link("IDENTITY_DOCUMENT", "police noting", customs_consignee)) == {"event.linked[0]"}
}

test_linked_subject_position_must_be_a_subjects if {
	every index in [2, -1, "0", null, 0.5] {
		link_errors(link("IDENTITY_DOCUMENT", police_poi, linked(border_seizure, index))) == {"event.linked[1].subject_index"}
	}
	link_errors(link("IDENTITY_DOCUMENT", police_poi, border_seizure)) == {"event.linked[1].subject_index"}
}

test_linked_record_that_is_itself_an_alert_invalid if {
	inner := linked(with_fields(passport_link, {"subjects": [person("PERSON_OF_INTEREST")]}), 0)
	link_errors(link("IDENTITY_DOCUMENT", police_poi, inner)) == {"event.linked[1].event_type", "event.linked[1].source_agency", "event.linked[1].linked"}
	claimed := linked(with_fields(border_seizure, {"source_agency": "LINKAGE"}), 0)
	link_errors(link("IDENTITY_DOCUMENT", police_poi, claimed)) == {"event.linked[1].source_agency"}
}

test_event_that_is_not_an_alert_carries_no_records if {
	link_errors(with_fields(drug_noting, {"linked": [police_poi, customs_consignee]})) == {"event.linked"}
	denied(decision("customs", with_fields(drug_noting, {"linked": []})), "sharing.input_invalid")
	link_errors(with_fields(drug_noting, {"linked": null})) == set()
}

# A denial always says why (an alert denied with no reason given cannot happen; if it did, it would say default_deny).
test_alert_denial_is_never_without_a_reason if {
	reasons := sharing.alert_denial_reasons with data.takitini.sharing.alert_deny as set()
	reasons == ["sharing.default_deny"]
}

# --- Financial intelligence: FIU summaries, asset restraints, scam reports ----------

# As Police mark them by default (IN_CONFIDENCE, originator control; a scam report
# IN_CONFIDENCE with no caveats), Counties Manukau.
fiu_summary := about(
	with_fields(event("police.fiu_suspicious_activity"), {"classification": "IN_CONFIDENCE", "caveats": ["ORIGINATOR_CONTROL"], "region": "COUNTIES_MANUKAU"}),
	[person("PERSON_OF_INTEREST"), organisation],
)

asset_restraint := about(
	with_fields(event("police.asset_restraint"), {"classification": "IN_CONFIDENCE", "caveats": ["ORIGINATOR_CONTROL"], "region": "BAY_OF_PLENTY"}),
	[person("PERSON_OF_INTEREST"), organisation, vehicle],
)

scam_report := about(
	with_fields(event("police.scam_report"), {"classification": "IN_CONFIDENCE", "region": "SOUTHERN"}),
	[person("PERSON_OF_INTEREST")],
)

test_customs_sees_fiu_summaries_in_full if {
	d := decision("customs", fiu_summary)
	d.view == "full"
	d.reasons == ["sharing.customs_police_fiu_suspicious_activity"]
	startswith(d.legal_basis, "Anti-Money Laundering and Countering Financing of Terrorism Act 2009")
}

test_mbie_sees_fiu_summaries_with_individuals_withheld if {
	d := decision("mbie", fiu_summary)
	d.view == "redacted"
	d.reasons == ["sharing.mbie_police_fiu_suspicious_activity"]
	d.redact == ["subjects[*].person.address", "subjects[*].person.aliases", "subjects[*].person.date_of_birth", "subjects[*].person.documents", "subjects[*].person.full_name", "subjects[*].person.phone_numbers"]
}

test_fiu_summaries_reach_no_other_partner_at_record_level if {
	denied(decision("msd", fiu_summary), "sharing.default_deny")
	denied(decision("police", fiu_summary), "sharing.default_deny")
}

test_fiu_summary_marked_law_enforcement_only_not_sent_to_mbie if {
	denied(decision("mbie", caveated(fiu_summary, ["ORIGINATOR_CONTROL", "LAW_ENFORCEMENT_ONLY"])), "sharing.law_enforcement_only")
	allowed(decision("customs", caveated(fiu_summary, ["ORIGINATOR_CONTROL", "LAW_ENFORCEMENT_ONLY"])))
}

test_fiu_summary_above_mbie_clearance_denied if denied(decision("mbie", classified(fiu_summary, "RESTRICTED")), "sharing.classification_above_clearance")

test_customs_sees_asset_restraints_without_contact_details if {
	d := decision("customs", asset_restraint)
	d.view == "redacted"
	d.reasons == ["sharing.customs_police_asset_restraints"]
	d.redact == ["subjects[*].person.address", "subjects[*].person.documents", "subjects[*].person.phone_numbers"]
}

test_mbie_sees_asset_restraints_without_individuals_or_the_court_file if {
	d := decision("mbie", asset_restraint)
	d.view == "redacted"
	"police_asset_restraint.court_file_ref" in d.redact
	"source_record_id" in d.redact
	"subjects[*].person.full_name" in d.redact
	"subjects[*].vehicle.plate" in d.redact
}

test_asset_restraint_in_live_operation_stays_in_law_enforcement if {
	e := in_operation(asset_restraint, "Operation Cobalt")
	allowed(decision("customs", e))
	denied(decision("mbie", e), "sharing.operational_embargo")
	denied(decision("community-bay-of-plenty", e), "sharing.operational_embargo")
	denied(decision("public", e), "sharing.operational_embargo")
}

test_mbie_sees_scam_reports_for_consumer_protection if {
	d := decision("mbie", scam_report)
	d.view == "redacted"
	d.reasons == ["sharing.mbie_police_scam_reports"]
	"police_scam_report.locality" in d.redact
	"subjects[*].person.phone_numbers" in d.redact
}

test_scam_reports_not_sent_to_customs_or_msd if {
	denied(decision("customs", scam_report), "sharing.default_deny")
	denied(decision("msd", scam_report), "sharing.default_deny")
}

test_regional_leaders_count_financial_intelligence_of_their_district if {
	every e in [fiu_summary, asset_restraint, scam_report] {
		d := decision(concat("-", ["community", lower(replace(e.region, "_", "-"))]), e)
		d.view == "aggregate_only"
		d.reasons == ["sharing.community_police_financial_aggregates"]
	}
}

test_other_districts_leaders_not_sent_financial_intelligence if {
	every e in [fiu_summary, asset_restraint, scam_report] {
		denied(decision("community-eastern", e), "sharing.outside_subscriber_regions")
	}
}

test_public_counts_financial_intelligence_of_every_district if {
	every e in [fiu_summary, asset_restraint, scam_report] {
		d := decision("public", e)
		d.view == "aggregate_only"
		d.reasons == ["sharing.public_police_financial_aggregates"]
	}
}

test_no_community_release_keeps_financial_intelligence_from_aggregates if {
	denied(decision("public", caveated(scam_report, ["NO_COMMUNITY_RELEASE"])), "sharing.no_community_release")
	denied(decision("community-southern", caveated(scam_report, ["NO_COMMUNITY_RELEASE"])), "sharing.no_community_release")
}

# --- Support advance notices: before arrests, to MSD and Oranga Tamariki only -------

# As Police mark it by default (RESTRICTED, no community release), Bay of Plenty:
# no operation, no subjects, no activity or phase.
advance_notice := with_fields(event("police.support_advance_notice"), {
	"classification": "RESTRICTED",
	"caveats": ["NO_COMMUNITY_RELEASE"],
	"region": "BAY_OF_PLENTY",
})

advance_notice_redact := ["source_record_id"]

# The whānau-support agencies.
welfare_agencies := ["msd", "oranga-tamariki"]

test_msd_and_oranga_tamariki_receive_the_advance_notice_as_a_de_identified_notice if {
	every id in welfare_agencies {
		d := decision(id, advance_notice)
		allowed(d)
		d.view == "redacted"
		d.redact == advance_notice_redact
		d.reasons == [concat("", ["sharing.", replace(id, "-", "_"), "_police_support_advance_notice"])]
		startswith(d.legal_basis, "Oranga Tamariki Act 1989, s 66C")
	}
}

# Every other registered subscriber — Police's other partners, every district's
# leaders, the public — is denied it.
test_no_one_else_receives_the_advance_notice if {
	others := {id | some id, _ in data.takitini.subscribers; not id in welfare_agencies}
	count(others) == count(data.takitini.subscribers) - count(welfare_agencies)
	registered_tiers(others) == sharing.tiers - {"oversight"}
	every id in others {
		not decision(id, advance_notice).allow
	}
	denied(decision("customs", advance_notice), "sharing.default_deny")
	denied(decision("mbie", advance_notice), "sharing.default_deny")
	denied(decision("police", advance_notice), "sharing.default_deny")
	denied(decision("community-bay-of-plenty", advance_notice), "sharing.advance_notice_not_for_community")
	denied(decision("community-bay-of-plenty", advance_notice), "sharing.no_community_release")
	denied(decision("public", advance_notice), "sharing.advance_notice_not_for_community")
	denied(decision("aus-afp", advance_notice), "sharing.advance_notice_not_for_foreign_partner")
}

# (a) Neither embargo holds it back: not the originator's EMBARGO_UNTIL_CONCLUDED caveat,
# nor the operational embargo (it names no operation, and is the exception by type).
test_the_embargo_never_holds_the_advance_notice_back if {
	embargoed := caveated(advance_notice, ["NO_COMMUNITY_RELEASE", "EMBARGO_UNTIL_CONCLUDED", "LAW_ENFORCEMENT_ONLY"])
	every id in welfare_agencies {
		d := decision(id, embargoed)
		allowed(d)
		not "sharing.embargoed_until_concluded" in d.reasons
		not "sharing.operational_embargo" in d.reasons
	}
}

# The same caveat on any other event still holds it back from everyone but law enforcement.
test_the_embargo_still_holds_back_every_other_event if {
	e := caveated(operation_update("RESOLUTION"), ["LAW_ENFORCEMENT_ONLY", "EMBARGO_UNTIL_CONCLUDED"])
	denied(decision("msd", e), "sharing.embargoed_until_concluded")
	denied(decision("oranga-tamariki", e), "sharing.embargoed_until_concluded")
}

# (b) Nothing else of the operation it precedes goes to MSD or Oranga Tamariki because
# of it: the operation's updates before resolution, notings, seizures and restraints
# naming the operation are denied them as before.
test_no_other_event_of_the_operation_reaches_the_welfare_agencies if {
	same_operation := [
		operation_update("PLANNING"),
		operation_update("ACTIVE"),
		in_operation(drug_noting, "Operation Highwater"),
		in_operation(plain_noting, "Operation Highwater"),
		in_operation(with_fields(event("police.firearms_seizure"), {"region": "BAY_OF_PLENTY"}), "Operation Highwater"),
		in_operation(asset_restraint, "Operation Highwater"),
	]
	every id in welfare_agencies {
		every e in same_operation {
			denied(decision(id, e), "sharing.operational_embargo")
		}
	}
}

# Oranga Tamariki holds one agreement: every other event type is denied it.
test_oranga_tamariki_receives_no_other_event_type if {
	others := (object.keys(sharing.event_types) - {"police.support_advance_notice", "linkage.link_alert"}) - sharing.information_event_types
	count(others) == 17
	every t in others {
		denied(decision("oranga-tamariki", event(t)), "sharing.default_deny")
	}
	every t in sharing.information_event_types {
		counterpart := min(sharing.information_agencies - {sharing.event_types[t].agency})
		denied(decision("oranga-tamariki", information_event(t, counterpart)), "sharing.not_addressed_to_subscriber")
	}
}

# A notice that names an operation or a subject is malformed or forged (the adapter
# sets neither): it goes to no one, whatever is named.
test_an_advance_notice_naming_an_operation_or_a_subject_goes_to_no_one if {
	every e in [in_operation(advance_notice, "Operation Highwater"), about(advance_notice, [person("PERSON_OF_INTEREST")]), about(advance_notice, [child])] {
		every id in welfare_agencies {
			denied(decision(id, e), "sharing.advance_notice_names_operation")
		}
	}
}

# (c) The view names nothing of the operation: the decision is a de-identified notice
# (the exchange builds a SupportNotice by allow-list from it), and an agreement that
# would grant anything more for this type, or carry another type with it, is refused.
test_only_a_de_identified_agreement_for_the_notice_alone_may_release_it if {
	notice_only := object.union(redacting("police.support_advance_notice", ["subjects", "narrative", "operational_detail"]), {"de_identified": true})
	allowed(decision_as(partner([notice_only]), advance_notice))
	denied(decision_as(partner([agreement_for("police.support_advance_notice", "full")]), advance_notice), "sharing.subscriber_misconfigured")
	denied(decision_as(partner([object.union(notice_only, {"de_identified": false})]), advance_notice), "sharing.subscriber_misconfigured")
	with_updates := object.union(notice_only, {"event_types": ["police.support_advance_notice", "police.operation_update"]})
	denied(decision_as(partner([with_updates]), advance_notice), "sharing.subscriber_misconfigured")
}

# Above the derived-view ceiling it needs clearance, which the welfare agencies lack.
test_an_advance_notice_above_restricted_reaches_no_welfare_agency if {
	every id in welfare_agencies {
		denied(decision(id, classified(advance_notice, "CONFIDENTIAL")), "sharing.classification_above_clearance")
	}
}

# Regions still hold: a welfare partner registered for one district is not sent another's.
test_a_welfare_partner_outside_the_district_is_not_sent_the_notice if {
	regional := with_fields(viewer("oranga-tamariki"), {"regions": ["SOUTHERN"]})
	denied(decision_as(regional, advance_notice), "sharing.outside_subscriber_regions")
}

# --- Requests for information: to the agency addressed, the answer to the agency that asked

# A request or response of the type naming its counterpart (the agency addressed, or
# that asked), IN_CONFIDENCE with originator control as the adapters mark them, about a person.
information_event(type, counterpart) := about(
	with_fields(event(type), {
		"classification": "IN_CONFIDENCE",
		"caveats": ["ORIGINATOR_CONTROL"],
		"information_exchange": {"counterpart": counterpart, "legal_basis": "Privacy Act 2020, IPP 11(1)(e)(i) — maintenance of the law"},
	}),
	[person("PERSON_OF_INTEREST")],
)

police_request_to_customs := information_event("police.information_request", "CUSTOMS")

customs_response_to_police := information_event("customs.information_response", "POLICE")

test_a_request_goes_in_full_to_the_agency_addressed_on_the_requesters_basis if {
	d := decision("customs", police_request_to_customs)
	allowed(d)
	d.view == "full"
	d.redact == []
	d.reasons == ["sharing.information_request_to_addressee"]
	d.legal_basis == "Privacy Act 2020, IPP 11(1)(e)(i) — maintenance of the law"
}

test_a_request_goes_to_no_one_else if {
	others := object.keys(data.takitini.subscribers) - {"customs"}
	registered_tiers(others) == sharing.tiers - {"oversight"}
	every id in others {
		denied(decision(id, police_request_to_customs), "sharing.not_addressed_to_subscriber")
	}
	denied(decision("aus-abf", releasable_to_country(police_request_to_customs, ["AUS"])), "sharing.information_exchange_not_for_foreign_partner")
}

test_a_response_goes_in_full_to_the_agency_that_asked_only if {
	d := decision("police", customs_response_to_police)
	allowed(d)
	d.view == "full"
	d.reasons == ["sharing.information_response_to_requester"]
	startswith(d.legal_basis, "Privacy Act 2020")
	every id in object.keys(data.takitini.subscribers) - {"police"} {
		denied(decision(id, customs_response_to_police), "sharing.not_addressed_to_subscriber")
	}
}

test_every_agency_may_ask_every_other if {
	every t in sharing.information_event_types {
		every agency in sharing.information_agencies - {sharing.event_types[t].agency} {
			allowed(decision(lower(agency), information_event(t, agency)))
		}
	}
}

test_never_to_a_community_tier if {
	# Whatever a leaders' subscriber were registered as, it is not a partner agency.
	leaders := with_fields(viewer("community-eastern"), {"agency": "CUSTOMS"})
	denied(decision_as(leaders, police_request_to_customs), "sharing.not_addressed_to_subscriber")
	denied(decision("public", police_request_to_customs), "sharing.not_addressed_to_subscriber")
}

test_the_other_rules_still_hold_for_the_addressee if {
	to_msd := information_event("police.information_request", "MSD")
	allowed(decision("msd", to_msd))
	denied(decision("msd", classified(to_msd, "RESTRICTED")), "sharing.classification_above_clearance")
	denied(decision("msd", caveated(to_msd, ["LAW_ENFORCEMENT_ONLY"])), "sharing.law_enforcement_only")
	denied(decision("msd", in_operation(to_msd, "Operation Highwater")), "sharing.operational_embargo")
	denied(decision("msd", releasable_to(to_msd, ["mbie"])), "sharing.not_releasable_to_subscriber")
}

test_a_request_without_its_counterpart_or_basis_is_invalid if {
	every x in [null, {}, {"counterpart": "CUSTOMS"}, {"counterpart": "CUSTOMS", "legal_basis": ""}, {"counterpart": "IRD", "legal_basis": "b"}, {"counterpart": "POLICE", "legal_basis": "b"}, {"counterpart": "CUSTOMS", "legal_basis": "b", "extra": 1}] {
		# (object.union would merge an object into the one there: replace it whole.)
		d := decision("customs", with_fields(object.remove(police_request_to_customs, ["information_exchange"]), {"information_exchange": x}))
		denied(d, "sharing.input_invalid")
	}
	denied(decision("customs", object.remove(police_request_to_customs, ["information_exchange"])), "sharing.input_invalid")

	# Only requests and responses carry one.
	denied(decision("customs", with_fields(drug_noting, {"information_exchange": police_request_to_customs.information_exchange})), "sharing.input_invalid")
}

test_no_agreement_may_cover_requests_or_responses if {
	denied(decision_as(partner([agreement_for("police.information_request", "full")]), police_request_to_customs), "sharing.subscriber_misconfigured")
	denied(decision_as(partner([agreement_for("customs.information_response", "full")]), customs_response_to_police), "sharing.subscriber_misconfigured")
}

# --- Foreign partners: nothing leaves New Zealand unless marked for the country -----

# A Customs border seizure as Customs mark it (border_seizure above), marked RELEASABLE TO AUS.
seizure_for_australia := releasable_to_country(border_seizure, ["AUS"])

# A Police drug-supply noting as Police mark it (RESTRICTED, law-enforcement only), marked RELEASABLE TO AUS.
noting_for_australia := releasable_to_country(drug_noting, ["AUS"])

# A foreign partner (law enforcement, RESTRICTED, Australian) holding the agreements.
foreign_partner(agreements) := {
	"name": "Candidate foreign partner",
	"tier": "foreign_partner",
	"country": "AUS",
	"law_enforcement": true,
	"clearance": "RESTRICTED",
	"regions": ["*"],
	"purposes": ["law_enforcement"],
	"delivery_topic": "takitini.deliver.candidate.v1",
	"agreements": agreements,
}

# The agreements the foreign partners hold: each with a purpose, a legal basis and a record-level view.
foreign_partners := {id | some id, s in data.takitini.subscribers; s.tier == "foreign_partner"}

test_the_registry_holds_four_foreign_partners_each_with_its_country if {
	{id: data.takitini.subscribers[id].country | some id in foreign_partners} == {"aus-abf": "AUS", "aus-afp": "AUS", "gbr-nca": "GBR", "fji-police": "FJI"}
	every id in foreign_partners {
		every a in data.takitini.subscribers[id].agreements {
			a.purpose != ""
			a.legal_basis != ""
			a.view in {"full", "redacted"}
		}
	}
}

test_border_force_sees_a_seizure_released_to_australia_without_contact_details if {
	d := decision("aus-abf", seizure_for_australia)
	allowed(d)
	d.view == "redacted"
	d.reasons == ["sharing.aus_abf_customs_border_seizures"]
	d.redact == ["subjects[*].person.address", "subjects[*].person.documents", "subjects[*].person.phone_numbers"]
	startswith(d.legal_basis, "Customs and Excise Act 2018, s 318")
}

test_border_force_sees_a_suspicious_consignment_released_to_australia if {
	d := decision("aus-abf", releasable_to_country(about(with_fields(event("customs.suspicious_consignment"), {"activity": "PRECURSORS"}), [person("UNSPECIFIED")]), ["NZL", "AUS"]))
	allowed(d)
	d.reasons == ["sharing.aus_abf_customs_suspicious_consignments"]
}

test_nothing_leaves_new_zealand_without_the_country_marking if {
	decision("aus-abf", border_seizure).reasons == ["sharing.not_releasable_to_country"]
	decision("aus-abf", releasable_to_country(border_seizure, [])).reasons == ["sharing.not_releasable_to_country"]
	decision("aus-abf", releasable_to_country(border_seizure, null)).reasons == ["sharing.not_releasable_to_country"]
	decision("aus-abf", releasable_to_country(border_seizure, ["GBR", "FJI"])).reasons == ["sharing.not_releasable_to_country"]
	decision("aus-abf", releasable_to_country(border_seizure, ["aus", "Australia"])).reasons == ["sharing.not_releasable_to_country"]
}

test_a_country_marking_releases_only_under_an_agreement if {
	decision("gbr-nca", releasable_to_country(border_seizure, ["GBR"])).reasons == ["sharing.default_deny"]
	decision("aus-afp", border_seizure).reasons == ["sharing.default_deny", "sharing.not_releasable_to_country"]
}

test_a_malformed_country_marking_is_invalid_input_for_everyone if {
	every marking in ["AUS", {"AUS": true}, [1], ["AUS", null]] {
		denied(decision("aus-abf", releasable_to_country(border_seizure, marking)), "sharing.input_invalid")
		denied(decision("police", releasable_to_country(border_seizure, marking)), "sharing.input_invalid")
	}
}

test_a_country_marking_changes_nothing_at_home if {
	every e in [drug_noting, border_seizure, trafficking, fiu_summary] {
		every id in object.keys(data.takitini.subscribers) - foreign_partners {
			decision(id, releasable_to_country(e, ["AUS", "GBR", "FJI"])) == decision(id, e)
		}
	}
}

test_federal_police_see_a_noting_released_to_australia_without_identities if {
	d := decision("aus-afp", noting_for_australia)
	allowed(d)
	d.view == "redacted"
	d.reasons == ["sharing.aus_afp_police_organised_crime_notings"]
	"subjects[*].person.full_name" in d.redact
	"police_noting.summary" in d.redact
	contains(d.legal_basis, "IPP 12")
	allowed(decision("aus-afp", releasable_to_country(about(event("police.firearms_seizure"), [person("PERSON_OF_INTEREST")]), ["AUS"])))
}

test_the_nca_sees_fiu_summaries_and_notings_released_to_the_united_kingdom if {
	d := decision("gbr-nca", releasable_to_country(fiu_summary, ["GBR"]))
	allowed(d)
	d.reasons == ["sharing.gbr_nca_police_fiu_suspicious_activity"]
	allowed(decision("gbr-nca", releasable_to_country(drug_noting, ["GBR"])))
	denied(decision("gbr-nca", noting_for_australia), "sharing.not_releasable_to_country")
}

test_fiji_police_see_a_trafficking_indicator_without_anyones_identity if {
	d := decision("fji-police", releasable_to_country(trafficking, ["FJI"]))
	allowed(d)
	d.reasons == ["sharing.fji_police_mbie_trafficking_indicators"]
	every f in ["full_name", "date_of_birth", "address", "phone_numbers", "documents"] {
		concat("", ["subjects[*].person.", f]) in d.redact
	}
	"subjects[1].person.full_name" in d.redact
}

test_every_domestic_check_holds_abroad if {
	denied(decision("aus-afp", classified(noting_for_australia, "CONFIDENTIAL")), "sharing.classification_above_clearance")
	denied(decision("fji-police", classified(releasable_to_country(trafficking, ["FJI"]), "RESTRICTED")), "sharing.classification_above_clearance")
	not_law_enforcement := with_fields(foreign_partner([agreement("drug", ["DRUG_SUPPLY"])]), {"law_enforcement": false})
	denied(decision_as(not_law_enforcement, noting_for_australia), "sharing.law_enforcement_only")
	denied(decision("aus-afp", releasable_to(noting_for_australia, ["customs", "CUSTOMS"])), "sharing.not_releasable_to_subscriber")
	allowed(decision("aus-afp", releasable_to(noting_for_australia, ["aus-afp"])))
	denied(decision("aus-afp", caveated(noting_for_australia, ["EMBARGO_UNTIL_CONCLUDED"])), "sharing.embargoed_until_concluded")
	denied(decision("aus-afp", caveated(noting_for_australia, ["EYES_ONLY"])), "sharing.unknown_caveat")
	denied(decision("aus-afp", releasable_to_country(noting("ARSON"), ["AUS"])), "sharing.unknown_activity")
	denied(decision("aus-abf", releasable_to_country(in_region(border_seizure, "ATLANTIS"), ["AUS"])), "sharing.unknown_region")
}

test_nothing_about_a_live_operation_leaves_even_for_law_enforcement if {
	live := in_operation(noting_for_australia, "Operation Highwater")
	allowed(decision("customs", live))
	decision("aus-afp", live).reasons == ["sharing.operational_embargo"]
}

test_a_leaders_submission_never_leaves_new_zealand if {
	every e in every_submission {
		every id in foreign_partners {
			denied(decision(id, releasable_to_country(e, ["AUS", "GBR", "FJI"])), "sharing.community_submission_not_for_foreign_partner")
		}
	}
}

test_a_link_alert_never_leaves_new_zealand if {
	alert := releasable_to_country(passport_link, ["AUS"])
	d := decision("aus-abf", alert)
	denied(d, "sharing.link_alert_not_for_foreign_partner")
	not "sharing.not_releasable_to_country" in d.reasons
	denied(decision("aus-afp", alert), "sharing.link_alert_not_for_foreign_partner")
}

test_minors_welfare_never_leaves_new_zealand if {
	every t in sharing.welfare_event_types {
		denied(decision("aus-afp", releasable_to_country(event(t), ["AUS"])), "sharing.minors_welfare_not_for_foreign_partner")
	}
	with_a_child := releasable_to_country(about(event("mbie.trafficking_indicator"), [person("PERSON_OF_INTEREST"), child]), ["FJI"])
	decision("fji-police", with_a_child).reasons == ["sharing.minors_welfare_not_for_foreign_partner"]
	allowed(decision("police", with_a_child))
}

test_every_foreign_partner_is_law_enforcement_everywhere_without_an_agency_code if {
	every id in foreign_partners {
		data.takitini.subscribers[id].law_enforcement == true
		data.takitini.subscribers[id].regions == ["*"]
		not "agency" in object.keys(data.takitini.subscribers[id])
	}
}

test_a_foreign_partner_is_judged_only_when_its_record_is_sound if {
	drug := agreement("drug", ["DRUG_SUPPLY"])
	allowed(decision_as(foreign_partner([drug]), noting_for_australia))
	every record in [
		object.remove(foreign_partner([drug]), ["country"]),
		with_fields(foreign_partner([drug]), {"country": "NZL"}),
		with_fields(foreign_partner([drug]), {"country": "aus"}),
		with_fields(foreign_partner([drug]), {"country": "AUSTRALIA"}),
		with_fields(foreign_partner([drug]), {"country": 36}),
		foreign_partner([object.remove(drug, ["purpose"])]),
		foreign_partner([with_fields(drug, {"purpose": ""})]),
		foreign_partner([with_fields(drug, {"legal_basis": ""})]),
		foreign_partner([with_fields(drug, {"view": "aggregate_only"})]),
		foreign_partner([with_fields(redacting("police.operation_update", ["subjects", "narrative", "operational_detail"]), {"de_identified": true})]),
		foreign_partner([agreement_for("community.observation", "full")]),
		foreign_partner([agreement_for("msd.whanau_support_referral", "redacted")]),
		with_fields(partner([drug]), {"country": "AUS"}),
	] {
		denied(decision_as(record, noting_for_australia), "sharing.subscriber_misconfigured")
	}
}
