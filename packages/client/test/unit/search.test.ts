import { describe, expect, it } from "vitest";
import { projectFields, sortOption } from "nrp-invenio-client";

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
