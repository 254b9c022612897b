-- Retention and erasure without breaking the proof: each subject id a record
-- names is sealed (AES-256-GCM) under a key of that subject's own before the
-- record is appended (src/subjects/); leaves, the index and its check hold the
-- subject's random ref and the ciphertext only. Destroying a subject's row here
-- erases the subject from every leaf while every leaf, proof and head stays as
-- it was.
--
-- subject_keys   one key per subject. The service role may INSERT and SELECT
--                (granted with every other table); no append-only trigger:
--                deleting keys is the table's purpose, done only by the owner
--                through `npm run audit:erase` / `audit:purge`, which append a
--                purge record first and then VACUUM FULL the table so no copy of
--                the row stays in its data files.

create table subject_keys (
  ref text primary key check (ref ~ '^s_[a-z2-7]{26}$'),
  subject_id text not null unique,
  key bytea not null check (octet_length(key) = 32),
  created_at timestamptz not null default now()
);

-- No planner statistics on the subject id or the key: ANALYZE would copy values
-- (most common values, histogram bounds) into pg_statistic, out of reach of the
-- purge's VACUUM FULL.
alter table subject_keys alter column subject_id set statistics 0;
alter table subject_keys alter column key set statistics 0;
alter table subject_keys alter column ref set statistics 0;
