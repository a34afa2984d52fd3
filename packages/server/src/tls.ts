import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Absolute paths of the committed test certificates (see `fixtures/tls/README.md`). */
export interface TlsFixtures {
  /** The fixtures directory. */
  dir: string;
  /** The test CA's certificate: trust it to verify the server (e.g. a client's `verify` path). */
  ca: string;
  /** The server's private key (PEM). */
  key: string;
  /** The server certificate, valid for `127.0.0.1` and `localhost` (PEM). */
  cert: string;
}

// Resolved from this module's own URL: src/ and dist/ sit at the same depth under the package.
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

/**
 * The test TLS fixtures, so HTTPS tests need no certificate generation at run time.
 * @example startDevServer({ tls: { key: testTlsFixtures.key, cert: testTlsFixtures.cert } })
 */
export const testTlsFixtures: Readonly<TlsFixtures> = Object.freeze({
  dir: fixture(""),
  ca: fixture("ca.pem"),
  key: fixture("server-key.pem"),
  cert: fixture("server-cert.pem"),
});

/** PEM text, or a path to a PEM file. */
export type PemSource = string | Buffer;

/** Reads a PEM source: a Buffer or a string holding PEM is used as is, any other string is a path. */
export async function readPem(source: PemSource): Promise<string | Buffer> {
  if (Buffer.isBuffer(source) || source.includes("-----BEGIN")) return source;
  return readFile(source);
}
