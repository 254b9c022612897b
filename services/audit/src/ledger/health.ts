import type { SqlSession } from "./sql.js";

/** Whether the database answers `select 1` within `timeoutMs` (a readiness check: never throws). */
export async function databaseAnswers(db: SqlSession, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([db.query("select 1").then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
