/** Narrowing helper for parsed documents. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Fails on keys outside `allowed`, which catches typos that would otherwise be silently ignored. */
export function checkKeys(
  fail: (key: string, problem: string) => never,
  value: Record<string, unknown>,
  allowed: readonly string[],
  key: string,
): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      fail(
        key === "" ? name : `${key}.${name}`,
        `unknown key (expected one of: ${allowed.join(", ")})`,
      );
    }
  }
}
