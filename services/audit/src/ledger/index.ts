export { HeadSchedule, Ledger, LedgerError, takeAppendLock, type AppendHook, type AppendOutcome, type BatchOutcome, type BatchRecords, type LedgerOptions, type LedgerRecord, type StoredLeaf, type TreeState } from "./ledger.js";
export { loadMigrations, migrate, MIGRATIONS_DIR, parseMigrationNames, pendingMigrations, type Migration } from "./migrate.js";
export { grantServiceRole, migrateAndGrant, privilegeProblems, READ_ONLY_TABLES, roleFacts, type RoleFacts, type TableFacts } from "./privileges.js";
export { SqlHashSource } from "./source.js";
export { pgDatabase, type SqlDatabase, type SqlResult, type SqlSession } from "./sql.js";
export { DEFAULT_PGLITE_DIR, IN_MEMORY, openDatabase, openPglite, type DatabaseConfig, type OpenedDatabase, type PgliteDatabase } from "./pglite.js";
