import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  GoneError,
  InternalServerError,
  MethodNotAllowedError,
  NotFoundError,
  NRPError,
  PermissionDeniedError,
  PreconditionFailedError,
  RateLimitError,
  UnprocessableEntityError,
  UnsupportedMediaTypeError,
  UnknownModelError,
  ConfigError,
} from "nrp-invenio-client";

describe("APIError.fromResponse", () => {
  it.each<[number, typeof APIError, string]>([
    [400, BadRequestError, "NRP_BAD_REQUEST"],
    [401, AuthenticationError, "NRP_AUTHENTICATION"],
    [403, PermissionDeniedError, "NRP_PERMISSION_DENIED"],
    [404, NotFoundError, "NRP_NOT_FOUND"],
    [405, MethodNotAllowedError, "NRP_METHOD_NOT_ALLOWED"],
    [409, ConflictError, "NRP_CONFLICT"],
    [410, GoneError, "NRP_GONE"],
    [412, PreconditionFailedError, "NRP_PRECONDITION_FAILED"],
    [415, UnsupportedMediaTypeError, "NRP_UNSUPPORTED_MEDIA_TYPE"],
    [422, UnprocessableEntityError, "NRP_UNPROCESSABLE_ENTITY"],
    [429, RateLimitError, "NRP_RATE_LIMITED"],
    [500, InternalServerError, "NRP_SERVER_ERROR"],
    [503, InternalServerError, "NRP_SERVER_ERROR"],
    [418, APIError, "NRP_API_ERROR"],
  ])("%i → %o", (status, Cls, code) => {
    const error = APIError.fromResponse({ status, method: "get", url: "https://h/api/x" });
    expect(error).toBeInstanceOf(Cls);
    expect(error).toBeInstanceOf(NRPError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(Cls.name);
    expect(error.status).toBe(status);
  });

  it("formats Invenio's message and field errors", () => {
    const error = APIError.fromResponse({
      status: 400,
      method: "POST",
      url: "https://h/api/records",
      body: {
        status: 400,
        message: "A validation error occurred.",
        errors: [
          { field: "metadata.title", messages: ["Missing data for required field."] },
          { field: "metadata.creators.0.person_or_org.type", messages: ["Invalid value."] },
        ],
      },
    });
    expect(error.message).toBe(
      "400 Bad Request: A validation error occurred. (POST https://h/api/records)\n" +
        "  metadata.title: Missing data for required field.\n" +
        "  metadata.creators.0.person_or_org.type: Invalid value.",
    );
    expect(error.serverMessage).toBe("A validation error occurred.");
    expect(error.errors).toHaveLength(2);
  });

  it("matches the documented 404 message", () => {
    const error = APIError.fromResponse({
      status: 404,
      method: "GET",
      url: "https://host/api/records/x",
      body: { status: 404, message: "The persistent identifier does not exist." },
    });
    expect(error.message).toBe(
      "404 Not Found: The persistent identifier does not exist. (GET https://host/api/records/x)",
    );
  });

  it("tolerates HTML bodies and empty bodies", () => {
    const html = APIError.fromResponse({
      status: 429,
      method: "GET",
      url: "https://h/",
      body: "<html><head><style>x{}</style></head><body><h1>Too many requests</h1></body></html>",
      retryAfter: 30,
    });
    expect(html).toBeInstanceOf(RateLimitError);
    expect(html.message).toContain("429 Too Many Requests: Too many requests (GET https://h/)");
    expect(html.retryAfter).toBe(30);
    const empty = APIError.fromResponse({ status: 502, method: "GET", url: "https://h/" });
    expect(empty.message).toBe(
      "502 Bad Gateway (no error message in the response) (GET https://h/)",
    );
  });

  it("reads oarepo's request_payload_errors", () => {
    const error = APIError.fromResponse({
      status: 400,
      method: "POST",
      url: "https://h/",
      body: {
        request_payload_errors: [{ field: "payload.removal_reason", messages: ["Missing"] }],
      },
    });
    expect(error.errors).toEqual([{ field: "payload.removal_reason", messages: ["Missing"] }]);
  });

  it("never shows a token from the URL", () => {
    const error = APIError.fromResponse({
      status: 403,
      method: "GET",
      url: "https://h/api?access_token=s3cr3t-token",
    });
    for (const text of [error.message, JSON.stringify(error), inspect(error), error.url]) {
      expect(text).not.toContain("s3cr3t-token");
    }
  });
});

describe("other errors", () => {
  it("ConfigError names file, key and fix", () => {
    const error = new ConfigError("Expected a number", {
      file: "/x/config.yaml",
      key: "repositories[1].retry_count",
      hint: "Use e.g. `retry_count: 10`",
    });
    expect(error.message).toBe(
      "Expected a number (in /x/config.yaml at repositories[1].retry_count). Use e.g. `retry_count: 10`",
    );
    expect(error.code).toBe("NRP_CONFIG");
    expect(error.toJSON()).toMatchObject({
      file: "/x/config.yaml",
      key: "repositories[1].retry_count",
    });
  });

  it("UnknownModelError lists known names", () => {
    const error = new UnknownModelError("dataset", ["datasets", "documents"]);
    expect(error.message).toBe('Unknown model "dataset". Known models: datasets, documents');
    expect(error.code).toBe("NRP_UNKNOWN_MODEL");
  });
});
