import { describe, expect, it } from "vitest";
import { projectFields, sortOption } from "nrp-invenio-client";
import { withCommunity, withSchemas } from "../../src/resources/search.js";

describe("sortOption", () => {
  it("maps created, updated and relevance to named options and passes others through", () => {
    expect(sortOption("-created")).toBe("newest");
    expect(sortOption("+created")).toBe("oldest");
    expect(sortOption("created")).toBe("oldest");
    expect(sortOption("-updated")).toBe("updated-desc");
    expect(sortOption("+updated")).toBe("updated-asc");
    expect(sortOption("relevance")).toBe("bestmatch");
    expect(sortOption("+title")).toBe("title");
    expect(sortOption("-title")).toBe("-title");
    expect(sortOption("version")).toBe("version");
  });
});

describe("projectFields", () => {
  it("keeps the given dotted paths plus id, links and $schema", () => {
    const data = {
      id: "a",
      $schema: "s",
      links: { self: "u" },
      created: "t",
      metadata: { title: "T", creators: [{ name: "x" }], keywords: ["k"] },
    };
    expect(
      projectFields(data, ["metadata.title", "metadata.missing", "metadata.creators"]),
    ).toEqual({
      id: "a",
      $schema: "s",
      links: { self: "u" },
      metadata: { title: "T", creators: [{ name: "x" }] },
    });
  });
});

describe("withCommunity", () => {
  const id = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";
  it("ANDs a parent.communities.ids clause to the query string, or makes it the query", () => {
    expect(withCommunity({ q: "title:oak OR birch", size: 5 }, id)).toEqual({
      q: `(title:oak OR birch) AND parent.communities.ids:"${id}"`,
      size: 5,
    });
    expect(withCommunity({ page: 2 }, id)).toEqual({
      page: 2,
      q: `parent.communities.ids:"${id}"`,
    });
    expect(withCommunity({ q: "  " }, id).q).toBe(`parent.communities.ids:"${id}"`);
  });
});

describe("withSchemas", () => {
  it("ANDs a $schema clause naming each model, quoted, to the query string", () => {
    const schemas = ["local://documents-1.0.0.json", 'local://odd"name.json'];
    expect(withSchemas({ q: "oak", size: 5 }, schemas)).toEqual({
      q: '(oak) AND $schema:("local://documents-1.0.0.json" OR "local://odd\\"name.json")',
      size: 5,
    });
    expect(withSchemas({}, schemas.slice(0, 1))).toEqual({
      q: '$schema:("local://documents-1.0.0.json")',
    });
  });
});
