import { randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";

/** A seeded account. */
export interface User {
  id: number;
  username: string;
  email: string;
  /** Role names, e.g. `curator`, `admin`; later permission checks read them. */
  roles: string[];
}

/** A user to make sure exists. */
export interface UserSeed {
  username: string;
  email: string;
  roles: readonly string[];
  /**
   * A fixed token to give the user: it replaces the user's other tokens (and moves to this user
   * if another one held it).
   */
  token?: string;
}

interface UserRow {
  id: number;
  username: string;
  email: string;
  roles: string;
}

function toUser(row: UserRow): User {
  const roles: unknown = JSON.parse(row.roles);
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [],
  };
}

/** A fresh personal access token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Users and their personal access tokens, kept in the `users` and `tokens` tables. */
export class UserStore {
  private readonly db: Database;
  /** Token lookups happen on every request, so they are answered from memory. */
  private readonly byTokenCache = new Map<string, User>();

  constructor(db: Database) {
    this.db = db;
  }

  /**
   * Creates missing users (updating email and roles of existing ones) and gives each a token,
   * keeping tokens already in the database so they stay the same across restarts.
   * @returns each seeded user's token, by username
   */
  seed(seeds: readonly UserSeed[]): Map<string, string> {
    const tokens = new Map<string, string>();
    const now = new Date().toISOString();
    const upsert = this.db.prepare(
      `INSERT INTO users (username, email, roles, created) VALUES (?, ?, ?, ?)
       ON CONFLICT(username) DO UPDATE SET email = excluded.email, roles = excluded.roles`,
    );
    const findUser = this.db.prepare("SELECT id FROM users WHERE username = ?");
    const findToken = this.db.prepare(
      "SELECT token FROM tokens WHERE user_id = ? ORDER BY created, rowid LIMIT 1",
    );
    const addToken = this.db.prepare(
      "INSERT INTO tokens (token, user_id, name, created) VALUES (?, ?, ?, ?)",
    );
    const fixToken = this.db.prepare(
      `INSERT INTO tokens (token, user_id, name, created) VALUES (?, ?, 'config', ?)
       ON CONFLICT(token) DO UPDATE SET user_id = excluded.user_id`,
    );
    // A fixed token is the user's only one: a token generated before it stops working.
    const dropOthers = this.db.prepare("DELETE FROM tokens WHERE user_id = ? AND token <> ?");
    this.db.transaction(() => {
      for (const seed of seeds) {
        upsert.run(seed.username, seed.email, JSON.stringify(seed.roles), now);
        const { id } = findUser.get(seed.username) as { id: number };
        if (seed.token !== undefined) {
          fixToken.run(seed.token, id, now);
          dropOthers.run(id, seed.token);
          tokens.set(seed.username, seed.token);
          continue;
        }
        let token = (findToken.get(id) as { token: string } | undefined)?.token;
        if (token === undefined) {
          token = newToken();
          addToken.run(token, id, "devserver", now);
        }
        tokens.set(seed.username, token);
      }
    })();
    this.reload();
    return tokens;
  }

  /** The user a token belongs to, or `undefined` (anonymous) for an unknown token. */
  byToken(token: string): User | undefined {
    return this.byTokenCache.get(token);
  }

  /** All users, by id. */
  list(): User[] {
    const rows = this.db
      .prepare("SELECT id, username, email, roles FROM users ORDER BY id")
      .all() as UserRow[];
    return rows.map(toUser);
  }

  private reload(): void {
    const rows = this.db
      .prepare(
        `SELECT t.token AS token, u.id AS id, u.username AS username, u.email AS email, u.roles AS roles
         FROM tokens t JOIN users u ON u.id = t.user_id`,
      )
      .all() as (UserRow & { token: string })[];
    this.byTokenCache.clear();
    for (const row of rows) this.byTokenCache.set(row.token, toUser(row));
  }
}
