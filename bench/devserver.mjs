// The benchmarks' devserver: the built `nrp-devserver` over HTTPS with the test CA's certificate,
// in its own process, so its CPU and memory are its own.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const DEVSERVER_BIN = join(root, "packages/server/dist/bin.js");

/** The test CA and the server's key and certificate (`ca.pem` is what clients verify with). */
export const TLS = join(root, "packages/server/fixtures/tls");

/**
 * Starts a devserver over HTTPS on `host`:`port` (0: any free port) with its data in `dataDir`;
 * `nodeArgs` go to Node before the server's script (e.g. `--cpu-prof`); `bin` is another build's
 * `dist/bin.js` (for A/B runs). Resolves once it
 * listens, to its process, URL and the owner's token.
 */
export async function startDevserver({
  dataDir,
  host = "127.0.0.1",
  port = 0,
  nodeArgs = [],
  bin = DEVSERVER_BIN,
}) {
  const server = spawn(
    process.execPath,
    [
      ...nodeArgs,
      bin,
      ...["--host", host, "--port", String(port), "--quiet", "--data-dir", dataDir],
      ...["--tls-key", join(TLS, "server-key.pem"), "--tls-cert", join(TLS, "server-cert.pem")],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let banner = "";
  for await (const chunk of server.stdout) {
    banner += chunk;
    if (/owner\s+\S+\s+(\S+)/.test(banner)) break;
  }
  server.stdout.resume();
  const url = /listening on (\S+)/.exec(banner)?.[1];
  const token = /owner\s+\S+\s+(\S+)/.exec(banner)?.[1];
  if (url === undefined || token === undefined) throw new Error(`devserver: ${banner}`);
  return { process: server, url, token };
}

/** Stops a devserver started by {@link startDevserver} and waits for its exit. */
export async function stopDevserver(server) {
  if (server.process.exitCode !== null) return;
  server.process.kill("SIGTERM");
  await once(server.process, "exit");
}
