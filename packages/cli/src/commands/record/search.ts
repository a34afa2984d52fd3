import { Option } from "commander";
import type { NRPRecord, NRPSearchResponse } from "nrp-invenio-client";

import type { CommandDefinition } from "../../define.js";
import { defineCommand, flag, optionalString } from "../../define.js";
import { storeVariable } from "../../record-ids.js";
import {
  FACET_COLUMNS,
  SEARCH_COLUMNS,
  collect,
  facetCounts,
  fieldColumns,
  fieldRow,
  hitData,
  parseFacets,
  parseQueryInput,
  positiveInt,
  queryProblem,
  queryOptions,
  searchBuilder,
  searchFailure,
  searchRow,
  stringList,
} from "../../search.js";
import type { SearchInput } from "../../search.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp search records`. */
export interface SearchRecordsInput extends SearchInput {
  page: number;
  size: number;
  sort: string[];
  facets: [string, string][];
  /** `--facets`: print the facet counts with the hits. */
  showFacets: boolean;
  set: SetTarget | undefined;
}

const DEFAULT_SIZE = 10;

function searchDefinition(verb: "search" | "list"): CommandDefinition<SearchRecordsInput> {
  return defineCommand({
    verb,
    ...(verb === "list" ? { verbAliases: ["ls"] } : {}),
    noun: "record",
    nounForm: "records",
    summary:
      verb === "search"
        ? "Search records: one page of hits with total and paging"
        : 'List records (the same as "search records")',
    description:
      "One page of the records matching [query] (OpenSearch query_string syntax: words,\n" +
      'field:value, "phrases", AND/OR/NOT, ranges). Published records by default, --drafts for\n' +
      "your drafts. The total and the next page go to stderr. Pages stop at 10 000 records;\n" +
      '"nrp scan records" reads every match. A malformed query exits 5 on NRP; InvenioRDM\n' +
      "searches its words as plain text instead (exit 0, usually no hits).\n\n" +
      "--json-query takes an OpenSearch query object (bool, term, terms, ids, range, exists,\n" +
      "match, match_phrase, prefix, wildcard, query_string) instead of [query]; it is sent as\n" +
      "a query string with the same matches (never as a search body, which NRP servers on\n" +
      "oarepo 12/13 ignore), and other query types exit 2 before anything is sent.\n" +
      "--community keeps the records of one community, by slug or UUID. --facets adds the\n" +
      "facet counts of all matches: a second table, or an object {total, hits, facets} in\n" +
      "json/jsonl/yaml, facets as the server's aggregations.",
    arguments: [{ name: "[query]", description: "query string (default: every record)" }],
    options(cmd) {
      cmd
        .option("--model <model>", "only this model (repeatable; default: all models)", collect)
        .addOption(new Option("--drafts", "search your drafts").conflicts("published"))
        .addOption(new Option("--published", "search published records (default)"))
        .option("--size <n>", `hits per page (default ${DEFAULT_SIZE})`)
        .option("--page <n>", "page number, from 1 (default 1)")
        .option(
          "--sort <sort>",
          "sort option: bestmatch, newest, oldest, updated-desc, ... (repeatable)",
          collect,
        )
        .option(
          "--fields <fields>",
          "show only these fields, dotted paths, comma-separated or repeated",
          collect,
        )
        .option("--facet <name=value>", "filter by a facet value (repeatable)", collect)
        .option("--facets", "also print the facet counts of all matches")
        .option("--set <var>", "store the hits' API URLs in @var (+var appends)");
      queryOptions(cmd);
    },
    examples: [
      {
        command: `nrp ${verb} records 'metadata.title:trees AND keywords:oak' --model documents`,
        description: "published documents matching the query",
      },
      {
        command: `nrp ${verb} records --drafts --sort newest --size 5 --set mine`,
        description: "your five newest drafts, kept in @mine",
      },
      {
        command: `nrp ${verb} records --facet keywords=oak --fields id,metadata.title`,
        description: "only two fields of each hit",
      },
      {
        command:
          `nrp ${verb} records --community physics --facets --json-query ` +
          `'{"range": {"metadata.publication_date": {"gte": "2024-01-01"}}}'`,
        description: "the physics community's records since 2024, with facet counts",
      },
    ],
    parse(args, opts): SearchRecordsInput {
      const fields = stringList(opts["fields"], "--fields");
      const set = optionalString(opts["set"], "--set");
      return {
        ...parseQueryInput(args, opts),
        models: stringList(opts["model"], "--model"),
        drafts: flag(opts["drafts"]),
        fields: fields.length > 0 ? fields : undefined,
        page: positiveInt(opts["page"], "--page") ?? 1,
        size: positiveInt(opts["size"], "--size") ?? DEFAULT_SIZE,
        sort: stringList(opts["sort"], "--sort"),
        facets: parseFacets(stringList(opts["facet"], "--facet")),
        showFacets: flag(opts["facets"]),
        set: set === undefined ? undefined : parseSetTarget(set),
      };
    },
    async run(ctx, input) {
      let builder = (await searchBuilder(ctx, input)).page(input.page).size(input.size);
      if (input.sort.length > 0) builder = builder.orderBy(...input.sort);
      for (const [name, value] of input.facets) builder = builder.facet(name, value);
      let page: NRPSearchResponse;
      try {
        page = await builder.execute({ signal: ctx.signal });
      } catch (err) {
        throw searchFailure(err, input.page, input.size, input.query);
      }
      const hits: NRPRecord[] = [...page];
      const fields = input.fields;
      const rows = hits.map((r) => (fields === undefined ? searchRow(r) : fieldRow(r, fields)));
      const columns = fields === undefined ? SEARCH_COLUMNS : fieldColumns(fields);
      const data = hits.map((r) => hitData(r, fields));
      if (!input.showFacets) ctx.output.list(rows, columns, data);
      else if (ctx.output.format === "table") {
        ctx.output.list(rows, columns);
        const counts = facetCounts(page.aggregations);
        // The label column only when some bucket has a label other than its value.
        const labelled = counts.some((c) => c.label !== undefined);
        if (counts.length > 0) {
          ctx.output.list(
            counts.map((c) => ({ ...c })),
            FACET_COLUMNS.filter((col) => labelled || col.key !== "label"),
          );
        } else ctx.output.info("The server sent no facet counts.");
      } else {
        // One document, so that a script gets the hits and the counts of the same search.
        ctx.output.record([], { total: page.total, hits: data, facets: page.aggregations });
      }
      ctx.output.info(pagingHint(page.total, input.page, input.size, hits.length));
      if (page.total === 0 && input.query !== undefined && input.query.trim() !== "") {
        // InvenioRDM searches a malformed query string's words as plain text instead of refusing it.
        const repository = await (await ctx.client()).info.repository({ signal: ctx.signal });
        const problem = queryProblem(input.query);
        if (repository.isRdm) {
          ctx.output.info(
            "InvenioRDM does not refuse a malformed query: it searches its words as plain text, which usually finds nothing. " +
              (problem === undefined
                ? "Check the query's syntax if you expected hits."
                : `The query has ${problem}.`),
          );
        }
      }
      if (input.set !== undefined && hits.length === 0) {
        // An empty page says nothing about the records a script meant to keep: leave @var as it was.
        ctx.output.info(`No records to store; @${input.set.name} is unchanged.`);
        return;
      }
      await storeVariable(ctx, input.set, hits);
    },
  });
}

/**
 * "Records 11–20 of 57. Next page: --page 3", or why there is no next page.
 *
 * Goes to stderr so a script reading stdout gets only the hits.
 */
export function pagingHint(total: number, page: number, size: number, shown: number): string {
  const noun = total === 1 ? "record" : "records";
  if (shown === 0) return `No records on page ${page} (${total} ${noun} in total).`;
  const first = (page - 1) * size + 1;
  let text = `Records ${first}–${first + shown - 1} of ${total}.`;
  if (first + shown - 1 < total) {
    text +=
      (page + 1) * size > 10_000
        ? ' More are past the 10 000-record search window: use "nrp scan records".'
        : ` Next page: --page ${page + 1}.`;
  }
  return text;
}

/** `nrp search records`. */
export const searchRecords = searchDefinition("search");
/** `nrp list records`: the same command under the verb users try first. */
export const listRecords = searchDefinition("list");
