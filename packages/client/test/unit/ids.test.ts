import { describe, expect, it } from "vitest";
import { InvalidRecordIdError } from "nrp-invenio-client";
import {
  classifyIdentifier,
  doiApiUrl,
  formatMid,
  linksetUrl,
  matchApiUrl,
  matchHtmlUrl,
  parseLinkHeader,
  parseMid,
} from "../../src/internal/ids.js";

describe("parseMid", () => {
  it.each([
    ["datasets/abcde-12345", undefined, { model: "datasets", id: "abcde-12345", draft: false }],
    [
      "draft/datasets/abcde-12345",
      undefined,
      { model: "datasets", id: "abcde-12345", draft: true },
    ],
    [
      ["datasets", "abcde-12345"],
      undefined,
      { model: "datasets", id: "abcde-12345", draft: false },
    ],
    [
      ["draft", "datasets", "abcde-12345"],
      undefined,
      { model: "datasets", id: "abcde-12345", draft: true },
    ],
    ["abcde-12345", "records", { model: "records", id: "abcde-12345", draft: false }],
    ["draft/abcde-12345", "records", { model: "records", id: "abcde-12345", draft: true }],
    ["  datasets/x  ", undefined, { model: "datasets", id: "x", draft: false }],
  ] as const)("%j (default %s)", (input, defaultModel, expected) => {
    expect(parseMid(input, defaultModel)).toEqual(expected);
  });

  it.each([
    ["abcde-12345", undefined, /no default model/],
    ["a/b/c", undefined, /must start with "draft"/],
    ["draft/a/b/c", undefined, /too many parts/],
    ["datasets/", undefined, /empty/],
    ["", undefined, /empty/],
    [[], undefined, /empty/],
    [["datasets", " "], undefined, /empty/],
  ] as const)("rejects %j", (input, defaultModel, message) => {
    const attempt = (): unknown => parseMid(input, defaultModel);
    expect(attempt).toThrow(InvalidRecordIdError);
    expect(attempt).toThrow(message);
  });

  it("formats mids", () => {
    expect(formatMid("datasets", "x", false)).toBe("datasets/x");
    expect(formatMid("datasets", "x", true)).toBe("draft/datasets/x");
  });
});

describe("classifyIdentifier", () => {
  it.each([
    ["10.83030/abcde-12345", { kind: "doi", doi: "10.83030/abcde-12345" }],
    ["doi:10.83030/abcde-12345", { kind: "doi", doi: "10.83030/abcde-12345" }],
    ["DOI:10.5281/zenodo.1234", { kind: "doi", doi: "10.5281/zenodo.1234" }],
    ["https://doi.org/10.83030/abcde-12345", { kind: "doi", doi: "10.83030/abcde-12345" }],
    ["http://dx.doi.org/10.1000.10/x%2Fy", { kind: "doi", doi: "10.1000.10/x/y" }],
    [
      "https://repo.example.org/api/datasets/x",
      { kind: "url", url: "https://repo.example.org/api/datasets/x" },
    ],
    ["http://127.0.0.1:5000/datasets/x", { kind: "url", url: "http://127.0.0.1:5000/datasets/x" }],
    ["datasets/abcde-12345", { kind: "mid", value: "datasets/abcde-12345" }],
    ["draft/datasets/abcde-12345", { kind: "mid", value: "draft/datasets/abcde-12345" }],
    ["10.1/short", { kind: "mid", value: "10.1/short" }],
    ["abcde-12345", { kind: "mid", value: "abcde-12345" }],
  ] as const)("%s", (input, expected) => {
    expect(classifyIdentifier(input)).toEqual(expected);
  });

  it("builds the DataCite URL with the DOI's slash kept", () => {
    expect(doiApiUrl("https://api.datacite.org/", "10.83030/ab cd")).toBe(
      "https://api.datacite.org/dois/10.83030/ab%20cd",
    );
  });
});

describe("Link header", () => {
  const header =
    '<https://doi.org/10.83030/x>; rel="cite-as", <https://h/api/records/x>; rel="describedby"; type="application/json", ' +
    '<https://h/api/records/x>; rel="linkset" ; type="application/linkset+json"';

  it("parses several links with quoted parameters", () => {
    expect(parseLinkHeader(header)).toEqual([
      { url: "https://doi.org/10.83030/x", rel: ["cite-as"], type: undefined },
      { url: "https://h/api/records/x", rel: ["describedby"], type: "application/json" },
      { url: "https://h/api/records/x", rel: ["linkset"], type: "application/linkset+json" },
    ]);
  });

  it.each([
    [header, "https://h/api/records/x"],
    [
      ['<https://a/x>; rel="author"', '</api/documents/y>; rel="linkset"'],
      "https://h/api/documents/y",
    ],
    ['<https://a/x>; rel="item describedby"', undefined],
    [undefined, undefined],
    ["garbage", undefined],
  ] as const)("linkset of %j", (value, expected) => {
    expect(linksetUrl(value, "https://h/documents/y")).toBe(expected);
  });
});

describe("URL to model", () => {
  const models = [
    { name: "datasets", url: "https://h/api/datasets/", html: "https://h/datasets/" },
    { name: "documents", url: "https://h/api/documents/" },
  ];
  it.each([
    ["https://h/api/datasets/ab-cd", { model: "datasets", id: "ab-cd", draft: false }],
    ["https://h/api/datasets/ab-cd/draft", { model: "datasets", id: "ab-cd", draft: true }],
    [
      "https://h/api/documents/ab-cd?expand=true",
      { model: "documents", id: "ab-cd", draft: false },
    ],
    ["https://h/api/datasets/ab-cd/versions", undefined],
    ["https://other/api/datasets/ab-cd", undefined],
    ["https://h/api/datasets/", undefined],
  ] as const)("API %s", (url, expected) => {
    expect(matchApiUrl(url, models)).toEqual(expected);
  });

  it.each([
    ["https://h/datasets/ab-cd", { model: "datasets", id: "ab-cd", draft: false }],
    ["https://h/datasets/ab-cd/preview", { model: "datasets", id: "ab-cd", draft: true }],
    ["https://h/documents/ab-cd/edit", { model: "documents", id: "ab-cd", draft: true }],
    ["https://h/datasets/ab-cd/files", undefined],
    ["https://h/elsewhere/ab-cd", undefined],
  ] as const)("HTML %s", (url, expected) => {
    expect(matchHtmlUrl(url, models)).toEqual(expected);
  });

  it("RDM landing pages", () => {
    const rdm = [{ name: "records", url: "https://h/api/records", html: "https://h/records" }];
    expect(matchHtmlUrl("https://h/records/ab-cd", rdm)).toEqual({
      model: "records",
      id: "ab-cd",
      draft: false,
    });
    expect(matchHtmlUrl("https://h/uploads/ab-cd", rdm)).toEqual({
      model: "records",
      id: "ab-cd",
      draft: true,
    });
  });
});
