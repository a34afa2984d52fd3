import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

import BetterSqlite3 from "better-sqlite3";

import { DATABASE_FILE } from "./store/store.js";

/** Why `nrp-devserver token` printed nothing: a message for the user, not a bug. */
export class TokenLookupError extends Error {
  override name = "TokenLookupError";
}

/**
 * The personal access token of `username` in the devserver data directory `dataDir`, read from
 * its database without opening the store (so it works while a server runs on that directory).
 *
 * Scripts and guides need a token without copying it from the start-up banner; tokens are made
 * once per data directory and kept across restarts, so the one printed here stays valid.
 */
export function readUserToken(dataDir: string, username: string): string {
  const file = join(resolve(dataDir), DATABASE_FILE);
  if (!existsSync(file)) {
    throw new TokenLookupError(
      `no devserver data in ${dataDir}: start nrp-devserver --data-dir ${dataDir} first`,
    );
  }
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const row = db
      .prepare(
        `SELECT t.token AS token FROM tokens t JOIN users u ON u.id = t.user_id
         WHERE u.username = ? ORDER BY t.created, t.rowid LIMIT 1`,
      )
      .get(username) as { token: string } | undefined;
    if (row !== undefined) return row.token;
    const users = (
      db.prepare("SELECT username FROM users ORDER BY id").all() as { username: string }[]
    )
      .map((u) => u.username)
      .join(", ");
    throw new TokenLookupError(
      `no user ${JSON.stringify(username)} in ${dataDir} (users: ${users})`,
    );
  } finally {
    db.close();
  }
}
