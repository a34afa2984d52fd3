import { randomBytes } from "node:crypto";

/** Crockford's base32 in lower case: no i, l, o or u, so ids survive being read aloud or retyped. */
export const PID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A record id as InvenioRDM's pid provider makes them (`xxxxx-xxxxx`): 40 random bits in base32,
 * then a two-digit ISO 7064 mod 97-10 checksum, hyphenated every five characters. This is what
 * base32-lib's `generate(length=10, split_every=5, checksum=True)` produces
 * (inveniosoftware/base32-lib `base32_lib/base32.py`, used by invenio-rdm-records' RDM pid provider).
 */
export function newRecordId(random: () => bigint = randomBits40): string {
  const number = random();
  let encoded = "";
  let rest = number;
  do {
    encoded = (PID_ALPHABET[Number(rest % 32n)] ?? "0") + encoded;
    rest /= 32n;
  } while (rest > 0n);
  const checksum = 97n - ((100n * number) % 97n) + 1n;
  const full = (encoded + checksum.toString().padStart(2, "0")).padStart(10, "0");
  return `${full.slice(0, 5)}-${full.slice(5)}`;
}

function randomBits40(): bigint {
  return BigInt(`0x${randomBytes(5).toString("hex")}`);
}

/** Whether `id` has the shape of a record id, so that other strings are 404 without a lookup. */
export function isRecordIdShape(id: string): boolean {
  return /^[0-9a-z]{5}-[0-9a-z]{5}$/.test(id);
}
