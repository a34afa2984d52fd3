import type { NRPRecord } from "nrp-invenio-client";

import { defineCommand, flag } from "../../define.js";
import {
  ScanProgress,
  StreamWriter,
  collect,
  parseQueryInput,
  positiveInt,
  queryOptions,
  searchBuilder,
  stringList,
} from "../../search.js";
import type { SearchInput } from "../../search.js";

/** The input of `nrp scan records`. */
export interface ScanRecordsInput extends SearchInput {
  /** `--scan-window`: the result window the scan splits to fit; the server's 10 000 by default. */
  window: number | undefined;
}

/** `nrp scan records [query]`: every matching record, streamed, past the search window. */
export default defineCommand({
  verb: "scan",
  noun: "record",
  nounForm: "records",
  summary: "Stream every record matching a query, however many",
  description:
    "Writes every record matching [query] as it arrives, past the 10 000-record search window\n" +
    "(the client splits the query into date ranges). Use --format jsonl for one JSON document\n" +
    "per line. A progress line shows on a terminal; Ctrl-C stops after what was printed.\n\n" +
    "--json-query takes an OpenSearch query object instead of [query] (sent as a query string\n" +
    "with the same matches; a query type that has none exits 2); --community keeps the\n" +
    "records of one community (slug or UUID). --scan-window N splits the scan so that no range\n" +
    "holds more than N hits: lower it for a server configured with a smaller max_result_window\n" +
    "(Invenio's default is 10 000).",
  arguments: [{ name: "[query]", description: "query string (default: every record)" }],
  options(cmd) {
    cmd
      .option("--model <model>", "only this model (repeatable; default: all models)", collect)
      .option("--drafts", "scan your drafts instead of published records")
      .option(
        "--fields <fields>",
        "output only these fields, dotted paths, comma-separated or repeated",
        collect,
      )
      .option("--scan-window <n>", "the server's result window, if not 10 000 (advanced)");
    queryOptions(cmd);
  },
  examples: [
    {
      command: "nrp scan records --model documents --format jsonl > all.jsonl",
      description: "every published document, one per line",
    },
    {
      command: "nrp scan records 'keywords:oak' --fields id,metadata.title --format jsonl",
      description: "two fields of every match",
    },
    {
      command:
        "nrp scan records --community physics --format jsonl " +
        '--json-query \'{"bool": {"filter": [{"term": {"metadata.keywords": "oak"}}]}}\'',
      description: "every record of the physics community with the keyword oak",
    },
  ],
  parse(args, opts): ScanRecordsInput {
    const fields = stringList(opts["fields"], "--fields");
    return {
      ...parseQueryInput(args, opts),
      window: positiveInt(opts["scanWindow"], "--scan-window"),
      models: stringList(opts["model"], "--model"),
      drafts: flag(opts["drafts"]),
      fields: fields.length > 0 ? fields : undefined,
    };
  },
  async run(ctx, input) {
    const builder = await searchBuilder(ctx, input);
    const progress = new ScanProgress(ctx);
    // Records arrive a page at a time: what one page writes goes out in one write once the page
    // is done (or at 64 KiB), instead of one system call per record. The first record goes out at
    // once, so output starts as soon as there is some.
    let pending: string[] = [];
    let started = false;
    let pendingSize = 0;
    let flushing: NodeJS.Immediate | undefined;
    const flush = (): void => {
      if (flushing !== undefined) clearImmediate(flushing);
      flushing = undefined;
      if (pending.length === 0) return;
      progress.clear();
      ctx.io.stdout.write(pending.join(""));
      pending = [];
      pendingSize = 0;
    };
    const writer = new StreamWriter(
      (s) => {
        pending.push(s);
        pendingSize += s.length;
        if (pendingSize >= 65536 || !started) flush();
        else flushing ??= setImmediate(flush);
        started = true;
      },
      ctx.output.format,
      input.fields,
    );
    let seen = 0;
    try {
      const records: AsyncIterable<NRPRecord> = builder.scan({
        signal: ctx.signal,
        window: input.window,
        onProgress: (p) => {
          progress.update(p.seen, p.total);
        },
      });
      for await (const record of records) {
        writer.push(record);
        seen++;
        progress.update(seen, undefined);
        // The loop ends (and the client stops its requests) as soon as Ctrl-C is pressed.
        ctx.signal.throwIfAborted();
      }
    } finally {
      writer.end();
      flush();
      progress.clear();
    }
    ctx.output.info(`Scanned ${writer.count} record${writer.count === 1 ? "" : "s"}.`);
  },
});
