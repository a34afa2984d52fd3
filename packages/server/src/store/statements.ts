import type { Database, Statement } from "better-sqlite3";

/**
 * Returns a function that prepares each SQL text once on `db` and hands out the same statement
 * after that. The stores run the same few statements for every request (an upload reads and writes
 * its file row several times, creating a record runs a dozen, a search reads a parent per hit), and
 * preparing the SQL each time cost more than running it. A cached statement keeps its mode: SQL
 * run with `.pluck()` must only ever be run that way.
 */
export function statementCache(db: Database): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
