import { afterAll, beforeAll } from "vitest";
import { startDevServer, type DevServer, type DevServerOptions } from "nrp-invenio-devserver";

/** Starts one server for the enclosing `describe` and closes it afterwards. */
export function useServer(options: DevServerOptions = {}): () => DevServer {
  let server: DevServer | undefined;
  beforeAll(async () => {
    server = await startDevServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (server === undefined) throw new Error("server not started");
    return server;
  };
}

/** A response with its JSON body parsed (tests read payloads field by field, hence `any`). */
export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON payloads
  body: any;
  text: string;
}

/** GET/POST… and parse the JSON body, keeping the status and headers. */
export async function call(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<CallResult> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set("Authorization", `Bearer ${init.token}`);
  const res = await fetch(url, { redirect: "manual", ...init, headers });
  const text = await res.text();
  let body: unknown = undefined;
  if ((res.headers.get("content-type") ?? "").includes("json") && text !== "") {
    body = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Sends `body` as JSON with `method`, optionally as the holder of `token`. */
export function send(
  method: string,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  return call(url, {
    method,
    headers,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}
