-- A record's versions (corrections and withdrawals, proto/takitini/intel/v1/revision.proto):
-- a correction's or a withdrawal's publish record carries its revision (PublishRecord.revision),
-- and its index doc `revision.original_event_id` names the record's first version
-- (oversight/records.ts revisionDoc). GET /v1/records/:eventId/versions finds every version of a
-- record by it (oversight/store.ts recordVersions). Derived from the leaf like the rest of the
-- doc, so the index check needs nothing new; an index only: no column, no grant.
create index audit_records_versions on audit_records ((doc #>> '{revision,original_event_id}'), idx)
  where kind = 'publish' and doc ? 'revision';
