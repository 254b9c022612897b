-- Least privilege: the service's role may only INSERT and SELECT, so nothing it
-- does may UPDATE a row. ledger_state (one row, UPDATEd and locked FOR UPDATE on
-- every append — both need the UPDATE privilege) becomes an insert-only log of
-- tree states, one row per tree size an append reached.
--
-- ledger_tree_states  (tree size, root) after each append; the newest row is the
--                     tree's state. Appenders serialise on a transaction-scoped
--                     advisory lock (ledger.ts), read the newest row, and insert
--                     the next; the primary key on tree_size makes a second row
--                     for the same size fail (CONCURRENT_WRITE), as a guard.
-- ledger_state        kept as a view of the newest row, for readers of the old
--                     table (it was never evidence: the verifier ignores it).
--
-- An existing ledger is carried over: its one state row (and the empty tree).

create table ledger_tree_states (
  tree_size bigint primary key check (tree_size >= 0),
  root_hash bytea not null check (octet_length(root_hash) = 32),
  recorded_at timestamptz not null default now()
);

insert into ledger_tree_states (tree_size, root_hash)
  values (0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
insert into ledger_tree_states (tree_size, root_hash)
  select tree_size, root_hash from ledger_state where tree_size > 0;

create trigger ledger_tree_states_append_only before update or delete on ledger_tree_states
  for each row execute function ledger_refuse_change();
create trigger ledger_tree_states_no_truncate before truncate on ledger_tree_states
  for each statement execute function ledger_refuse_change();

drop table ledger_state;
create view ledger_state as
  select true as singleton, tree_size, root_hash from ledger_tree_states order by tree_size desc limit 1;

