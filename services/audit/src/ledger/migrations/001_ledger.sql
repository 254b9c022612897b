-- The audit ledger: an append-only RFC 6962 Merkle log.
--
-- ledger_leaves   one row per record: its leaf entry (the canonical bytes the
--                 leaf hash covers, which embed the index, kind, record id and
--                 time) and the leaf hash. record_id is unique: appends are
--                 idempotent per record.
-- ledger_nodes    every complete perfect subtree of level >= 1: node (level, idx)
--                 covers leaves [idx * 2^level, (idx + 1) * 2^level). Written
--                 once, never changed; any proof reads O(log n) of them.
-- ledger_state    one row: the tree size and root. Appenders lock it
--                 (SELECT ... FOR UPDATE), so indices never interleave.
-- ledger_keys     public keys that signed heads (for convenience: a verifier
--                 is given its trusted keys, it does not take them from here).
-- ledger_heads    signed tree heads.
--
-- Triggers refuse UPDATE, DELETE and TRUNCATE on the log's tables. They stop
-- mistakes, not a superuser; the verifier catches what they cannot stop.

create table ledger_state (
  singleton boolean primary key default true check (singleton),
  tree_size bigint not null check (tree_size >= 0),
  root_hash bytea not null check (octet_length(root_hash) = 32)
);
insert into ledger_state (singleton, tree_size, root_hash)
  values (true, 0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

create table ledger_leaves (
  idx bigint primary key check (idx >= 0),
  record_id text not null unique,
  kind text not null,
  appended_at timestamptz not null,
  entry bytea not null,
  leaf_hash bytea not null check (octet_length(leaf_hash) = 32)
);
create index ledger_leaves_kind on ledger_leaves (kind, idx);

create table ledger_nodes (
  level smallint not null check (level between 1 and 63),
  idx bigint not null check (idx >= 0),
  hash bytea not null check (octet_length(hash) = 32),
  primary key (level, idx)
);

create table ledger_keys (
  key_id bytea primary key check (octet_length(key_id) = 32),
  public_key text not null,
  registered_at timestamptz not null default now()
);

create table ledger_heads (
  tree_size bigint not null check (tree_size >= 0),
  issued_at_ms bigint not null check (issued_at_ms >= 0),
  root_hash bytea not null check (octet_length(root_hash) = 32),
  key_id bytea not null references ledger_keys (key_id),
  signature bytea not null,
  primary key (tree_size, issued_at_ms, key_id)
);

create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'the audit ledger is append-only: % on % refused', tg_op, tg_table_name
    using errcode = 'insufficient_privilege';
end
$$;

create trigger ledger_leaves_append_only before update or delete on ledger_leaves
  for each row execute function ledger_refuse_change();
create trigger ledger_leaves_no_truncate before truncate on ledger_leaves
  for each statement execute function ledger_refuse_change();
create trigger ledger_nodes_append_only before update or delete on ledger_nodes
  for each row execute function ledger_refuse_change();
create trigger ledger_nodes_no_truncate before truncate on ledger_nodes
  for each statement execute function ledger_refuse_change();
create trigger ledger_heads_append_only before update or delete on ledger_heads
  for each row execute function ledger_refuse_change();
create trigger ledger_heads_no_truncate before truncate on ledger_heads
  for each statement execute function ledger_refuse_change();
