-- The oversight index: searchable columns derived from each ledger record, written
-- in the same transaction as the record's leaf. It is derived data, not evidence:
-- the leaves (and their signed heads) are the record; this only finds them fast.
-- A verifier ignores it; it can be rebuilt from ledger_leaves.
--
-- audit_records    one row per leaf: kind, time and the fields the oversight
--                  body searches by, plus the record's API form (doc).
-- audit_subjects   (subject id, leaf) for "who has seen information about X".

create table audit_records (
  idx bigint primary key references ledger_leaves (idx),
  record_id text not null unique,
  kind text not null,
  occurred_at timestamptz not null,
  agency text not null default '',
  subscriber_id text not null default '',
  event_type text not null default '',
  region text not null default '',
  outcome text not null default '',
  view text not null default '',
  legal_basis text not null default '',
  policy_revision text not null default '',
  event_id text not null default '',
  action text not null default '',
  doc jsonb not null
);

-- Newest-first keyset pagination on idx, narrowed by the common filters.
create index audit_records_kind on audit_records (kind, idx desc);
create index audit_records_subscriber on audit_records (subscriber_id, idx desc);
create index audit_records_agency on audit_records (agency, idx desc);
create index audit_records_event_type on audit_records (event_type, idx desc);
create index audit_records_region on audit_records (region, idx desc);
create index audit_records_event on audit_records (event_id, idx desc);
create index audit_records_time on audit_records (occurred_at, idx);
create index audit_records_decisions on audit_records (subscriber_id, occurred_at) where kind = 'decision';

create table audit_subjects (
  subject_id text not null,
  idx bigint not null references ledger_leaves (idx),
  primary key (subject_id, idx)
);

create trigger audit_records_append_only before update or delete on audit_records
  for each row execute function ledger_refuse_change();
create trigger audit_subjects_append_only before update or delete on audit_subjects
  for each row execute function ledger_refuse_change();
