import { describe, expect, it } from "vitest";
import { redactHeaders, redactSecrets, redactUrl } from "../../src/internal/redact.js";

describe("redactUrl", () => {
  it.each([
    ["https://h/api?q=1", "https://h/api?q=1"],
    ["https://h/api?access_token=abc&q=1", "https://h/api?access_token=***&q=1"],
    ["https://u:p@h/api", "https://***:***@h/api"],
    [
      "https://s3/b/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AK",
      "https://s3/b/k?X-Amz-Signature=***&X-Amz-Credential=***",
    ],
    ["not a url access_token=abc", "not a url access_token=***"],
  ])("%s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe("redactHeaders and redactSecrets", () => {
  it("hides credentials", () => {
    expect(redactHeaders({ Authorization: "Bearer x", accept: "a", skip: undefined })).toEqual({
      Authorization: "***",
      accept: "a",
    });
    expect(redactSecrets("token abcdef in abcdef", ["abcdef", undefined])).toBe("token *** in ***");
  });
});
