import { readFileSync } from "node:fs";

import { CommanderError } from "commander";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  ChecksumMismatchError,
  ConfigError,
  CorsRefusedError,
  DeadlineExceededError,
  type ErrorCode,
  ErrorCodes,
  NRPError,
  ResponseTooLargeError,
  UnknownModelError,
  UnsafeFileKeyError,
  UploadError,
} from "nrp-invenio-client";
import { beforeAll, describe, expect, it } from "vitest";

import { loadClient } from "../src/client-module.js";
import { CliError, ExitCode, UsageError, reportError, withHint } from "../src/errors.js";
import { Output } from "../src/output.js";
import { run } from "./helpers.js";

const api = (status: number, body: unknown = { status, message: "nope" }) =>
  APIError.fromResponse({ status, body, method: "GET", url: "https://repo.example.org/api/x" });

// nrp imports the library on first use; its errors are told apart once it is loaded, as in a
// command, which loads it before any call that could throw one.
beforeAll(async () => {
  await loadClient();
});

describe("reportError", () => {
  it.each([
    [new ConfigError("bad", { file: "/c.yaml" }), 2],
    [new UnknownModelError("x", ["a"]), 4],
    [api(400), 5],
    [api(401), 3],
    [api(403), 3],
    [api(404), 4],
    [api(405), 5],
    [api(409), 5],
    [api(410), 4],
    [api(412), 5],
    [api(415), 5],
    [api(422), 5],
    [api(429), 7],
    [api(500), 6],
    [api(503), 6],
    [new APIConnectionError("refused", { method: "GET", url: "https://x" }), 6],
    [new APIConnectionTimeoutError("slow", { method: "GET", url: "https://x" }), 6],
    [new APIUserAbortError(), 130],
    [new UsageError("u"), 2],
    [new CliError("c", { exitCode: ExitCode.conflict }), 5],
    [new CommanderError(1, "commander.unknownOption", "error: unknown option"), 2],
    [new TypeError("boom"), 1],
    ["a string", 1],
    [new UploadError("stopped", { key: "k", cause: api(403) }), 3],
    [
      new UploadError("stopped", {
        key: "k",
        cause: new APIConnectionError("reset", { method: "PUT", url: "https://x" }),
      }),
      6,
    ],
    [new UploadError("stopped", { key: "k" }), 6],
    [new ChecksumMismatchError("bad", { key: "k", expected: "md5:a", actual: "md5:b" }), 6],
    [new NRPError("cut", { code: "NRP_DOWNLOAD_INTERRUPTED" }), 6],
    [new NRPError("gone", { code: "NRP_SOURCE_NOT_RETRYABLE" }), 6],
    [new UnsafeFileKeyError("../x", "it escapes"), 5],
    [new NRPError("pending", { code: "NRP_FILE_NOT_COMMITTED" }), 5],
    [new NRPError("there", { code: "NRP_FILE_EXISTS" }), 2],
    [new ResponseTooLargeError("big", { method: "GET", url: "https://x", limit: 1 }), 6],
    [
      new ResponseTooLargeError("long", {
        method: "GET",
        url: "https://x",
        limit: 1,
        code: "NRP_DOWNLOAD_TOO_LARGE",
      }),
      6,
    ],
    [new DeadlineExceededError("trickle", { method: "GET", url: "https://x" }), 6],
    [new NRPError("html", { code: "NRP_INVALID_JSON" }), 6],
    [new NRPError("loop", { code: "NRP_TOO_MANY_REDIRECTS" }), 6],
    [new NRPError("odd", { code: "NRP_INVALID_RESPONSE" }), 6],
  ] as const)("%s -> %i", (err, code) => {
    expect(reportError(err).exitCode).toBe(code);
  });

  it("keeps field errors out of the message line and in fields", () => {
    const r = reportError(
      api(400, {
        status: 400,
        message: "Validation error.",
        errors: [{ field: "metadata.title", messages: ["Missing."] }],
      }),
    );
    expect(r.message).toBe(
      "400 Bad Request: Validation error. (GET https://repo.example.org/api/x)",
    );
    expect(r.fields).toEqual([{ field: "metadata.title", messages: ["Missing."] }]);
    expect(r.bug).toBe(false);
  });

  it("withHint keeps the exit code and adds the hint", () => {
    const r = reportError(withHint(api(403), "Check the token."));
    expect(r.exitCode).toBe(3);
    expect(r.hint).toBe("Check the token.");
    expect(r.status).toBe(403);
    const plain = new TypeError("x");
    expect(withHint(plain, "h")).toBe(plain);
  });
});

/** The `code | meaning | exit` rows of docs/errors.md's "Error codes" table. */
function documentedExitCodes(): [string, string][] {
  const text = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const section = text.split(/^## /m).find((s) => s.startsWith("Error codes\n")) ?? "";
  return [...section.matchAll(/^\| `([^`]+)` +\| .+? +\| (.+?) +\|$/gm)].map((m) => [
    m[1] ?? "",
    m[2] ?? "",
  ]);
}

/** An error with `code` as the library raises it: the class when the CLI tells it by class. */
function errorWithCode(code: ErrorCode): NRPError {
  const statuses: Partial<Record<ErrorCode, number>> = {
    NRP_API_ERROR: 406,
    NRP_BAD_REQUEST: 400,
    NRP_AUTHENTICATION: 401,
    NRP_PERMISSION_DENIED: 403,
    NRP_NOT_FOUND: 404,
    NRP_METHOD_NOT_ALLOWED: 405,
    NRP_CONFLICT: 409,
    NRP_GONE: 410,
    NRP_PRECONDITION_FAILED: 412,
    NRP_UNSUPPORTED_MEDIA_TYPE: 415,
    NRP_UNPROCESSABLE_ENTITY: 422,
    NRP_RATE_LIMITED: 429,
    NRP_SERVER_ERROR: 503,
  };
  const status = statuses[code];
  if (status !== undefined) return api(status);
  const at = { method: "GET", url: "https://repo.example.org/api/x" };
  switch (code) {
    case ErrorCodes.Config:
      return new ConfigError("bad");
    case ErrorCodes.UnknownModel:
      return new UnknownModelError("x", ["documents"]);
    case ErrorCodes.Connection:
      return new APIConnectionError("refused", at);
    case ErrorCodes.Timeout:
      return new APIConnectionTimeoutError("slow", at);
    case ErrorCodes.CorsRefused:
      return new CorsRefusedError("not allowed", at);
    case ErrorCodes.DeadlineExceeded:
      return new DeadlineExceededError("trickled", at);
    case ErrorCodes.Aborted:
      return new APIUserAbortError();
    case ErrorCodes.UploadFailed:
      return new UploadError("stopped", { key: "a.txt" });
    case ErrorCodes.ChecksumMismatch:
      return new ChecksumMismatchError("differs", {
        key: "a.txt",
        expected: "md5:a",
        actual: "md5:b",
      });
    case ErrorCodes.UnsafeFileKey:
      return new UnsafeFileKeyError("../a", "it leaves the directory");
    default:
      return new NRPError("failed", { code });
  }
}

describe("docs/errors.md", () => {
  // A pending review is not a failure: the command prints the submitted request (see review.ts).
  const handledByTheCommand = new Set<string>([ErrorCodes.ReviewPending]);

  it.each(documentedExitCodes().filter(([code]) => !handledByTheCommand.has(code)))(
    "%s exits as documented (%s)",
    (code, exit) => {
      expect(Object.values(ErrorCodes)).toContain(code);
      const documented = Number(/(\d+)\D*$/.exec(exit)?.[1]);
      expect(reportError(errorWithCode(code as ErrorCode)).exitCode).toBe(documented);
    },
  );

  it("an upload that stopped exits as its cause does", () => {
    const err = new UploadError("stopped", { key: "a.txt", cause: api(403) });
    expect(reportError(err).exitCode).toBe(ExitCode.auth);
  });
});

describe("error output", () => {
  function capture(format: "table" | "json") {
    let err = "";
    const out = new Output(
      { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {} },
      { format, color: false, quiet: false, verbose: false, jsonErrors: format === "json" },
    );
    return { out, text: () => err };
  }

  it("prints one Error line with indented field errors and no stack", () => {
    const c = capture("table");
    c.out.error(
      reportError(
        api(422, {
          message: "Invalid.",
          errors: [{ field: "metadata.creators", messages: ["Required.", "Bad."] }],
        }),
      ),
    );
    expect(c.text()).toBe(
      "Error: 422 Unprocessable Entity: Invalid. (GET https://repo.example.org/api/x)\n" +
        "  metadata.creators: Required.; Bad.\n",
    );
  });

  it("prints a bug with its stack and a request to report it", () => {
    const c = capture("table");
    c.out.error(reportError(new TypeError("boom")));
    expect(c.text()).toMatch(/^TypeError: boom\n\s+at /);
    expect(c.text()).toContain("This is a bug in nrp; please report it.");
  });

  it("prints errors as JSON in --format json", () => {
    const c = capture("json");
    c.out.error(reportError(api(404)));
    expect(JSON.parse(c.text())).toEqual({
      error: {
        code: "NRP_NOT_FOUND",
        message: "404 Not Found: nope (GET https://repo.example.org/api/x)",
        exit_code: 4,
        status: 404,
      },
    });
  });

  it("an unexpected failure inside a command exits 1 with the stack", async () => {
    const { main } = await import("nrp-invenio-cli");
    let stderr = "";
    const code = await main(["list", "aliases", "--config", "/nonexistent-dir/c.yaml"], {
      stdout: {
        write: () => {
          throw new TypeError("stdout exploded");
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
    });
    expect(code).toBe(1);
    expect(stderr).toContain("TypeError: stdout exploded");
    expect(stderr).toMatch(/\n\s+at /);
    expect(stderr).toContain("please report it");
    expect(run).toBeTypeOf("function");
  });
});
