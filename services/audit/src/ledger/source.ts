/** A HashSource over the ledger's tables: level 0 from ledger_leaves, levels ≥ 1 from ledger_nodes, one query per batch. */
import { MissingNodeError, type HashSource, type NodeId } from "../merkle/index.js";
import type { SqlSession } from "./sql.js";

const NODES_SQL = `
select q.ord, coalesce(n.hash, l.leaf_hash) as hash
  from unnest($1::smallint[], $2::bigint[]) with ordinality as q(level, idx, ord)
  left join ledger_nodes n on q.level > 0 and n.level = q.level and n.idx = q.idx
  left join ledger_leaves l on q.level = 0 and l.idx = q.idx
 order by q.ord`;

export class SqlHashSource implements HashSource {
  constructor(private readonly db: SqlSession) {}

  async hashes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ ord: string; hash: Buffer | null }>(NODES_SQL, [ids.map((i) => i.level), ids.map((i) => String(i.index))]);
    return ids.map((id, i) => {
      const h = rows[i]?.hash;
      if (!h) throw new MissingNodeError(id);
      return h;
    });
  }
}
