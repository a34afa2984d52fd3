#!/usr/bin/env node
// A loopback TCP proxy that makes a local server look far away: every byte is delayed by half the
// round-trip time in each direction, and each connection is capped to a bandwidth in each
// direction (a token bucket paced per chunk). TLS passes through untouched, so clients still
// verify the server's certificate. Connecting costs one round trip, as a TCP handshake would.
//
// Usage: node bench/far-proxy.mjs <listen-host:port> <target-host:port> [rtt-ms=40] [mbit/s=200]
// or, from another script: `const proxy = await startFarProxy({ listen, target, rttMs, mbps })`.
import { createConnection, createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

/**
 * Bytes a direction may hold in its queue before the sending socket is paused: enough to keep the
 * link busy for a round trip, small enough that a fast sender cannot hide the cap in memory.
 */
const QUEUE_BYTES = 2 * 1024 * 1024;

/**
 * Forwards `from` to `to` through a paced, delayed queue. One timer per direction delivers the
 * chunks whose time has come, in order (separate timers could fire out of order).
 */
function pipeSlowly(from, to, { delayMs, bytesPerMs }) {
  /** When the link is next free to start sending (ms, performance clock). */
  let linkFreeAt = 0;
  let queued = 0;
  let ended = false;
  /** Chunks in flight, oldest first, each with the time it arrives. */
  const queue = [];
  let timer;
  const deliver = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift();
      queued -= chunk.length;
      if (!to.destroyed && !to.write(chunk)) from.pause();
    }
    if (queue.length > 0) schedule();
    else if (ended) to.end();
    if (queued <= QUEUE_BYTES / 2 && from.isPaused() && to.writableLength < QUEUE_BYTES) {
      from.resume();
    }
  };
  const schedule = () => {
    if (timer === undefined && queue.length > 0) {
      timer = setTimeout(deliver, Math.max(0, queue[0].at - performance.now()));
    }
  };
  from.on("data", (chunk) => {
    const now = performance.now();
    const start = Math.max(now, linkFreeAt);
    linkFreeAt = start + chunk.length / bytesPerMs;
    queue.push({ chunk, at: linkFreeAt + delayMs });
    queued += chunk.length;
    if (queued > QUEUE_BYTES) from.pause();
    schedule();
  });
  // A receiver that cannot keep up slows the sender as a real link would.
  to.on("drain", () => {
    if (queued <= QUEUE_BYTES && from.isPaused()) from.resume();
  });
  from.on("end", () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
}

/**
 * Starts the proxy. `listen` and `target` are `host:port`; `rttMs` is the added round-trip time,
 * `mbps` the cap of each connection in each direction (megabits per second).
 * Resolves to `{ port, close() }`.
 */
export async function startFarProxy({ listen, target, rttMs = 40, mbps = 200 }) {
  const [listenHost, listenPort] = splitHostPort(listen);
  const [targetHost, targetPort] = splitHostPort(target);
  const link = { delayMs: rttMs / 2, bytesPerMs: (mbps * 1e6) / 8 / 1000 };
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (client) => {
    client.pause();
    sockets.add(client);
    // The handshake's round trip, then the upstream connection.
    setTimeout(() => {
      const upstream = createConnection({ host: targetHost, port: targetPort, noDelay: true });
      sockets.add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      upstream.on("error", close);
      client.on("error", close);
      upstream.on("close", close);
      client.on("close", close);
      upstream.on("connect", () => {
        pipeSlowly(client, upstream, link);
        pipeSlowly(upstream, client, link);
        client.resume();
      });
    }, rttMs);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, listenHost, resolve);
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitHostPort(value) {
  const at = value.lastIndexOf(":");
  return [value.slice(0, at), Number(value.slice(at + 1))];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [listen, target, rtt = "40", mbps = "200"] = process.argv.slice(2);
  if (listen === undefined || target === undefined) {
    console.error(
      "usage: node bench/far-proxy.mjs <listen-host:port> <target-host:port> [rtt-ms] [mbit/s]",
    );
    process.exit(2);
  }
  const proxy = await startFarProxy({ listen, target, rttMs: Number(rtt), mbps: Number(mbps) });
  console.log(
    `far proxy on ${listen.replace(/:\d+$/, "")}:${proxy.port} -> ${target}, ${rtt} ms RTT, ${mbps} Mbit/s per connection`,
  );
}
