// Secrets must never reach an error, a log line or `util.inspect` output (octokit's request-error
// does the same for `Authorization` and `access_token=`).

/** The placeholder shown instead of a secret. */
export const REDACTED = "***";

/** Query parameters that carry credentials: OAuth tokens and presigned-URL signatures. */
const SECRET_QUERY_PARAMS = new Set([
  "access_token",
  "token",
  "signature",
  "sig",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
]);

/** Headers whose values are credentials. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/** Returns `url` with user-info and credential query parameters replaced by `***`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/(access_token|token)=[^&#\s]*/gi, `$1=${REDACTED}`);
  }
  if (parsed.username) parsed.username = REDACTED;
  if (parsed.password) parsed.password = REDACTED;
  const keys = [...parsed.searchParams.keys()];
  for (const key of keys) {
    if (SECRET_QUERY_PARAMS.has(key.toLowerCase())) parsed.searchParams.set(key, REDACTED);
  }
  // URLSearchParams percent-encodes the asterisks; keep them readable.
  return parsed.toString().replaceAll("%2A%2A%2A", REDACTED);
}

/** Returns a copy of `headers` with credential headers replaced by `***`. */
export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

/** Replaces every occurrence of each non-empty secret in `text` by `***`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.replaceAll(secret, REDACTED);
  }
  return out;
}
