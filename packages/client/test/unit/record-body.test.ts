import { describe, expect, it } from "vitest";
import {
  prepareCreateBody,
  prepareSaveBody,
  revisionFromEtag,
} from "../../src/internal/record-body.js";

describe("prepareCreateBody", () => {
  it.each([
    [
      "wraps bare metadata for metadata models",
      { title: "t" },
      { metadataModel: true },
      { metadata: { title: "t" }, files: { enabled: true } },
    ],
    [
      "sends a body with metadata as is",
      { metadata: { title: "t" }, custom: 1 },
      { metadataModel: true },
      { metadata: { title: "t" }, custom: 1, files: { enabled: true } },
    ],
    [
      "does not wrap for models without metadata",
      { title: "t" },
      { metadataModel: false },
      { title: "t", files: { enabled: true } },
    ],
    [
      "community and workflow go to parent, keeping other parent fields",
      { metadata: {}, parent: { x: 1, communities: { ids: ["a"] } } },
      { metadataModel: true, community: "physics", workflow: "wf" },
      {
        metadata: {},
        parent: { x: 1, communities: { ids: ["a"], default: "physics" }, workflow: "wf" },
        files: { enabled: true },
      },
    ],
    [
      "filesEnabled option wins",
      { metadata: {}, files: { enabled: true, default_preview: "a" } },
      { metadataModel: true, filesEnabled: false },
      { metadata: {}, files: { enabled: false, default_preview: "a" } },
    ],
    [
      "an explicit files.enabled in the body is kept",
      { metadata: {}, files: { enabled: false } },
      { metadataModel: true },
      { metadata: {}, files: { enabled: false } },
    ],
  ] as const)("%s", (_name, data, options, expected) => {
    const input = structuredClone(data) as Record<string, unknown>;
    expect(prepareCreateBody(input, options)).toEqual(expected);
    expect(input).toEqual(data); // the caller's object is untouched
  });
});

describe("prepareSaveBody", () => {
  it("drops server-maintained fields and keeps files and the rest", () => {
    const record = {
      id: "ab-cd",
      links: { self: "x" },
      errors: [{ field: "metadata.title", messages: ["m"] }],
      expanded: {},
      revision_id: 3,
      created: "c",
      updated: "u",
      metadata: { title: "t" },
      files: { enabled: false },
      parent: { id: "p" },
      $schema: "local://datasets-1.0.0.json",
    };
    const body = prepareSaveBody(record);
    expect(body).toEqual({
      id: "ab-cd",
      metadata: { title: "t" },
      files: { enabled: false },
      parent: { id: "p" },
      $schema: "local://datasets-1.0.0.json",
    });
    (body.metadata as Record<string, unknown>).title = "changed";
    expect(record.metadata.title).toBe("t");
  });
});

describe("revisionFromEtag", () => {
  it.each([
    ['"3"', "3"],
    ['W/"12"', "12"],
    ['w/"12"', "12"],
    ["7", "7"],
    [' "4" ', "4"],
    ['""', undefined],
    [undefined, undefined],
  ] as const)("%j → %j", (etag, expected) => {
    expect(revisionFromEtag(etag)).toBe(expected);
  });
});
