import { UsageError } from "./errors.js";

const BINARY: Readonly<Record<string, number>> = {
  "": 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};
const DECIMAL: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(i?)(b?)$/i;

/**
 * Parses a size such as `64M`, `1G`, `1.5GiB`, `500KB` or `1048576` into bytes.
 *
 * Follows GNU coreutils (`split -b`, `truncate -s`): `K`, `M`, `G`, `T` and `KiB`, `MiB`, … are
 * powers of 1024, `KB`, `MB`, … powers of 1000, and a bare number (or `B`) is bytes. Part sizes are
 * usually thought of in binary units, so the short form is the binary one. A fractional result is
 * rounded down to whole bytes. Anything else is a usage error naming the option.
 */
export function parseSize(text: string, option = "size"): number {
  const m = SIZE.exec(text.trim());
  const number = m?.[1];
  if (m === null || number === undefined) {
    throw new UsageError(
      `${option} must be a size such as 64M, 1G, 1.5GiB or 1048576, not "${text}".`,
    );
  }
  const prefix = (m[2] ?? "").toLowerCase();
  const binary = m[3] !== "";
  const bytesSuffix = m[4] !== "";
  if (binary && prefix === "") throw new UsageError(`${option}: "${text}" has no unit before "i".`);
  // "KB" is decimal; "K", "KiB" (and "KiB" without the B, "Ki") are binary.
  const decimal = prefix !== "" && bytesSuffix && !binary;
  const factor = decimal ? DECIMAL[prefix] : BINARY[prefix];
  if (factor === undefined) throw new UsageError(`${option}: unknown unit in "${text}".`);
  const bytes = Math.floor(Number(number) * factor);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${option}: "${text}" is too large.`);
  return bytes;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/**
 * Formats a byte count for people: `0 B`, `999 B`, `1.5 KiB`, `64.0 MiB`, `1.00 GiB`.
 *
 * Binary units to match {@link parseSize}'s short forms; three significant digits keep a column of
 * sizes readable without hiding whether a number grew.
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? "B"}`;
}

/**
 * Formats a duration in seconds as `45s`, `3m05s` or `2h04m`; `--` when it cannot be known.
 *
 * ETAs on a progress bar are estimates: a short fixed-width form reads better than precise units.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(s / 3600);
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
