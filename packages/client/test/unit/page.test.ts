// Page<T>: the one parser of a search answer's hits, total and links, shared by record and
// request searches.
import { describe, expect, it } from "vitest";
import { Page } from "nrp-invenio-client";
import { hitsOf, totalOf } from "../../src/resources/page.js";

describe("Page", () => {
  it("reads hits.total as a number, as OpenSearch's {value}, or counts the page", () => {
    expect(new Page({ hits: { hits: [], total: 7 } }, []).total).toBe(7);
    expect(new Page({ hits: { hits: [], total: { value: 12, relation: "eq" } } }, []).total).toBe(
      12,
    );
    expect(new Page({ hits: { hits: [{}, {}] } }, ["a", "b"]).total).toBe(2);
    expect(totalOf({ hits: { hits: [{}, {}, {}] } })).toBe(3);
  });

  it("iterates its items and keeps only string links; nextUrl is links.next", () => {
    const page = new Page({ links: { self: "https://x/a", next: "https://x/b", n: 1 } }, [1, 2]);
    expect([...page]).toEqual([1, 2]);
    expect(page.length).toBe(2);
    expect(page.links).toEqual({ self: "https://x/a", next: "https://x/b" });
    expect(page.nextUrl).toBe("https://x/b");
    expect(new Page({}, []).nextUrl).toBeUndefined();
    expect(JSON.parse(JSON.stringify(page))).toEqual(page.toDict());
  });

  it("takes the hits of a search answer or a bare list", () => {
    expect(hitsOf({ hits: { hits: [{ id: 1 }, 2] } })).toEqual([{ id: 1 }]);
    expect(hitsOf([{ id: 1 }, "x"])).toEqual([{ id: 1 }]);
    expect(hitsOf("nope")).toEqual([]);
  });
});
