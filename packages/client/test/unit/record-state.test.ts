// Draft or published, decided from bodies recorded with the real servers: oarepo/NRP 13
// (test/fixtures/oarepo-nrp, no `is_draft` / `is_published`) and InvenioRDM 13
// (test/fixtures/invenio-rdm13, with them).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { isDraftUrl, recordStateOf } from "../../src/internal/record-state.js";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/", import.meta.url));

function body(name: string): Json {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, "utf8")) as Json;
}

function hits(name: string): Json[] {
  const hitsOf = (body(name).hits as Json).hits as Json[];
  expect(hitsOf.length).toBeGreaterThan(0);
  return hitsOf;
}

/** The body without InvenioRDM's state fields, as oarepo sends it. */
function withoutRdmFields(data: Json): Json {
  const { is_draft: _d, is_published: _p, versions: _v, expires_at: _e, ...rest } = data;
  return rest;
}

const FIRST_DRAFT = { draft: true, published: false };
const EDIT_DRAFT = { draft: true, published: true };
const PUBLISHED = { draft: false, published: true };

describe("recordStateOf on oarepo/NRP 13 bodies", () => {
  it("the recorded bodies have none of InvenioRDM's state fields", () => {
    for (const name of ["draft-get.json", "record-get.json", "edit-draft-get.json"]) {
      const data = body(`oarepo-nrp/${name}`);
      expect(data).not.toHaveProperty("is_draft");
      expect(data).not.toHaveProperty("is_published");
    }
  });

  it.each([
    ["draft-create.json", FIRST_DRAFT],
    ["draft-create-curated.json", FIRST_DRAFT],
    ["draft-get.json", FIRST_DRAFT],
    ["draft-get-vnd.json", FIRST_DRAFT],
    ["draft-update.json", FIRST_DRAFT],
    ["draft-after-decline.json", FIRST_DRAFT],
    ["new-version-draft-get.json", FIRST_DRAFT],
    ["edit-draft-get.json", EDIT_DRAFT],
    ["edit-draft-update.json", EDIT_DRAFT],
    ["record-get.json", PUBLISHED],
    ["record-get-vnd.json", PUBLISHED],
    ["record-after-accept.json", PUBLISHED],
    ["record-after-edit.json", PUBLISHED],
  ])("%s", (name, expected) => {
    expect(recordStateOf(body(`oarepo-nrp/${name}`))).toEqual(expected);
  });

  it("search hits: the caller's drafts and published records", () => {
    const states = hits("oarepo-nrp/search-user-model.json").map((h) => [
      h.state,
      recordStateOf(h).draft,
    ]);
    expect(states).toContainEqual(["draft", true]);
    expect(states).toContainEqual(["published", false]);
    for (const [state, draft] of states) expect(draft).toBe(state === "draft");
    for (const hit of hits("oarepo-nrp/search-model.json")) {
      expect(recordStateOf(hit)).toEqual(PUBLISHED);
    }
  });
});

describe("recordStateOf on InvenioRDM 13 bodies", () => {
  it.each([
    ["draft-create.json", FIRST_DRAFT],
    ["draft-get.json", FIRST_DRAFT],
    ["draft-update.json", FIRST_DRAFT],
    ["new-version-create.json", FIRST_DRAFT],
    ["edit-draft-create.json", EDIT_DRAFT],
    ["publish.json", PUBLISHED],
    ["record-get.json", PUBLISHED],
    ["record-get-vnd.json", PUBLISHED],
    ["record-after-accept.json", PUBLISHED],
  ])("%s", (name, expected) => {
    const data = body(`invenio-rdm13/${name}`);
    expect(recordStateOf(data)).toEqual(expected);
    // The server's own fields agree with the decision.
    expect(data.is_draft).toBe(expected.draft);
    expect(data.is_published).toBe(expected.published);
  });

  it("without is_draft and is_published, a draft is still told from a record by its links", () => {
    for (const name of ["draft-get.json", "new-version-create.json", "edit-draft-create.json"]) {
      expect(recordStateOf(withoutRdmFields(body(`invenio-rdm13/${name}`))).draft).toBe(true);
    }
    for (const name of ["record-get.json", "publish.json"]) {
      expect(recordStateOf(withoutRdmFields(body(`invenio-rdm13/${name}`)))).toEqual(PUBLISHED);
    }
  });

  it("search hits: the caller's drafts and published records", () => {
    for (const hit of hits("invenio-rdm13/search-user-records.json")) {
      expect(recordStateOf(hit)).toEqual({ draft: hit.is_draft, published: hit.is_published });
    }
  });
});

describe("recordStateOf without links.self", () => {
  it("falls back to is_draft, then to the URL the body was read from", () => {
    expect(recordStateOf({ is_draft: true, is_published: false })).toEqual(FIRST_DRAFT);
    expect(recordStateOf({ is_draft: false })).toEqual(PUBLISHED);
    expect(recordStateOf({}, "https://repo.example/api/simple/abc/draft")).toEqual(FIRST_DRAFT);
    expect(recordStateOf({}, "https://repo.example/api/simple/abc")).toEqual(PUBLISHED);
  });
});

describe("isDraftUrl", () => {
  it.each([
    ["https://r.example/api/simple/abc/draft", true],
    ["https://r.example/api/simple/abc/draft/", true],
    ["https://r.example/api/simple/abc/draft?expand=true", true],
    ["https://r.example/api/simple/abc", false],
    ["https://r.example/api/simple/draft-abc", false],
    ["https://r.example/api/simple/abc/draft/files", false],
  ])("%s → %s", (url, expected) => {
    expect(isDraftUrl(url)).toBe(expected);
  });
});
