import { describe, expect, it } from "vitest";
import { UnsupportedQueryError } from "../../src/core/errors.js";
import { escapeTerm, quotePhrase, toQueryString } from "../../src/internal/query-string.js";

describe("structured queries as query strings", () => {
  it.each<[string, unknown, string | undefined]>([
    ["match_all is no query", { match_all: {} }, undefined],
    ["empty bool is no query", { bool: {} }, undefined],
    ["match_none matches nothing", { match_none: {} }, "NOT _exists_:id"],
    [
      "term, quoted",
      { term: { "metadata.title": 'say "hi" \\ bye' } },
      'metadata.title:"say \\"hi\\" \\\\ bye"',
    ],
    [
      "term with value and boost",
      { term: { status: { value: "open", boost: 2 } } },
      'status:"open"',
    ],
    [
      "term, number and boolean bare",
      { bool: { must: [{ term: { n: 5 } }, { term: { b: true } }] } },
      "n:5 AND b:true",
    ],
    ["terms", { terms: { k: ["a", "b c"] } }, 'k:("a" OR "b c")'],
    ["terms, empty", { terms: { k: [] } }, "NOT _exists_:id"],
    ["ids", { ids: { values: ["abc12-3de45", "x"] } }, 'id:("abc12-3de45" OR "x")'],
    ["range, both inclusive", { range: { n: { gte: 1, lte: 9 } } }, "n:[1 TO 9]"],
    ["range, exclusive ends", { range: { n: { gt: 1, lt: 9 } } }, "n:{1 TO 9}"],
    [
      "range, a timestamp in UTC written with Z, as Invenio's parser reads it",
      { range: { created: { gte: "2025-01-01T10:00:00.000000+00:00" } } },
      "created:[2025-01-01T10:00:00.000000Z TO *]",
    ],
    [
      "range, dates and Z timestamps bare",
      { range: { created: { gte: "2025-01-01", lt: "2025-02-01T00:00Z" } } },
      "created:[2025-01-01 TO 2025-02-01T00:00Z}",
    ],
    [
      "range, another offset quoted",
      { range: { created: { gt: "2025-01-01T10:00:00+02:00" } } },
      'created:{"2025-01-01T10:00:00+02:00" TO *]',
    ],
    ["range, TO quoted", { range: { t: { gte: "TO" } } }, 't:["TO" TO *]'],
    ["range, a bound with a space is quoted", { range: { t: { lt: "a b" } } }, 't:[* TO "a b"}'],
    ["exists", { exists: { field: "metadata.abstract" } }, "_exists_:metadata.abstract"],
    ["match, one word", { match: { title: "oak" } }, "title:oak"],
    ["match, words joined with OR", { match: { title: "oak  beech" } }, "title:(oak OR beech)"],
    [
      "match, operator and",
      { match: { title: { query: "a b", operator: "AND" } } },
      "title:(a AND b)",
    ],
    [
      "match, syntax escaped",
      { match: { title: "C++ (v2):x" } },
      "title:(C\\+\\+ OR \\(v2\\)\\:x)",
    ],
    ["match, a leading < quoted", { match: { n: "<5" } }, 'n:"<5"'],
    [
      "match, operator words quoted",
      { match: { t: "salt AND pepper" } },
      't:(salt OR "AND" OR pepper)',
    ],
    ["match, an apostrophe escaped", { match: { t: "'quoted'" } }, "t:\\'quoted\\'"],
    ["wildcard, an operator word quoted", { wildcard: { t: "OR" } }, 't:"OR"'],
    ["match_phrase", { match_phrase: { title: "oak canopy" } }, 'title:"oak canopy"'],
    ["prefix", { prefix: { title: "be e" } }, "title:be\\ e*"],
    ["wildcard keeps * and ?", { wildcard: { title: "o?k*:x" } }, "title:o?k*\\:x"],
    ["query_string kept", { query_string: { query: "a OR b" } }, "a OR b"],
    [
      "bool: must, filter, must_not and grouping",
      {
        bool: {
          must: [{ query_string: { query: "a OR b" } }],
          filter: [{ term: { k: "x" } }],
          must_not: [{ term: { k: "y" } }, { query_string: { query: "c OR d" } }],
        },
      },
      '(a OR b) AND k:"x" AND NOT k:"y" AND NOT (c OR d)',
    ],
    [
      "bool: should alone needs one",
      { bool: { should: [{ term: { k: "x" } }, { term: { k: "y" } }] } },
      'k:"x" OR k:"y"',
    ],
    [
      "bool: should beside filter only scores",
      { bool: { filter: [{ term: { k: "x" } }], should: [{ term: { k: "y" } }] } },
      'k:"x"',
    ],
    [
      "bool: should with minimum_should_match 1 beside must",
      {
        bool: {
          must: [{ term: { k: "x" } }],
          should: [{ term: { j: "1" } }, { term: { j: "2" } }],
          minimum_should_match: "1",
        },
      },
      'k:"x" AND (j:"1" OR j:"2")',
    ],
    [
      "bool: must_not alone is anchored",
      { bool: { must_not: { term: { k: "x" } } } },
      '_exists_:id AND NOT k:"x"',
    ],
    [
      "nested must_not alone inside should keeps its anchor",
      {
        bool: {
          should: [{ term: { a: "1" } }, { bool: { must_not: [{ term: { b: "2" } }] } }],
        },
      },
      'a:"1" OR (_exists_:id AND NOT b:"2")',
    ],
    [
      "must_not of match_all matches nothing",
      { bool: { must_not: [{ match_all: {} }] } },
      "NOT _exists_:id",
    ],
    [
      "should with match_all matches all",
      { bool: { should: [{ match_all: {} }, { term: { a: 1 } }] } },
      undefined,
    ],
    ["field names with syntax are escaped", { term: { "a b:c": "x" } }, 'a\\ b\\:c:"x"'],
    ["field wildcards stay", { exists: { field: "metadata.*" } }, "_exists_:metadata.*"],
  ])("%s", (_name, query, expected) => {
    expect(toQueryString(query)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ["an unknown query type", { geo_shape: {} }, "geo_shape"],
    ["nested", { bool: { filter: [{ nested: { path: "x" } }] } }, "bool.filter[0].nested"],
    ["a fuzzy match", { match: { t: { query: "x", fuzziness: "AUTO" } } }, "match.t.fuzziness"],
    [
      "a query_string with options",
      { query_string: { query: "x", default_field: "t" } },
      "query_string.default_field",
    ],
    [
      "a range with a format",
      { range: { d: { gte: "01/2020", format: "MM/yyyy" } } },
      "range.d.format",
    ],
    ["gt and gte together", { range: { n: { gt: 1, gte: 2 } } }, "range.n"],
    [
      "minimum_should_match 2",
      { bool: { should: [], minimum_should_match: 2 } },
      "bool.minimum_should_match",
    ],
    ["a terms lookup", { terms: { k: { index: "i", id: "1", path: "p" } } }, "terms.k"],
    ["two query types in one object", { term: { a: "1" }, match: { b: "2" } }, ""],
    ["an object value", { term: { a: { nested: 1 } } }, "term.a.nested"],
  ])("refuses %s", (_name, query, path) => {
    let error: unknown;
    try {
      toQueryString(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedQueryError);
    expect(error).toMatchObject({ code: "NRP_UNSUPPORTED_QUERY", path });
  });

  it("escapes every query-string character of a word, and quotes phrases", () => {
    expect(escapeTerm("a+b-c=d&e|f>g<h!i(j)k{l}m[n]o^p\"q~r*s?t:u\\v/w x'y")).toBe(
      "a\\+b\\-c\\=d\\&e\\|f\\>g\\<h\\!i\\(j\\)k\\{l\\}m\\[n\\]o\\^p\\\"q\\~r\\*s\\?t\\:u\\\\v\\/w\\ x\\'y",
    );
    expect(quotePhrase('a "b" \\ c: (d)')).toBe('"a \\"b\\" \\\\ c: (d)"');
  });
});
