import type { NRPRecord } from "nrp-invenio-client";

import { defineCommand, flag, optionalString } from "../../define.js";
import { ScanProgress, StreamWriter, collect, searchBuilder, stringList } from "../../search.js";
import type { SearchInput } from "../../search.js";

/** `nrp scan records [query]`: every matching record, streamed, past the search window. */
export default defineCommand({
  verb: "scan",
  noun: "record",
  nounForm: "records",
  summary: "Stream every record matching a query, however many",
  description:
    "Writes every record matching [query] as it arrives, past the 10 000-record search window\n" +
    "(the client splits the query into date ranges). Use --format jsonl for one JSON document\n" +
    "per line. A progress line shows on a terminal; Ctrl-C stops after what was printed.",
  arguments: [{ name: "[query]", description: "query string (default: every record)" }],
  options(cmd) {
    cmd
      .option("--model <model>", "only this model (repeatable; default: all models)", collect)
      .option("--drafts", "scan your drafts instead of published records")
      .option(
        "--fields <fields>",
        "output only these fields, dotted paths, comma-separated or repeated",
        collect,
      );
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
  ],
  parse(args, opts): SearchInput {
    const fields = stringList(opts["fields"], "--fields");
    return {
      query: optionalString(args[0], "[query]"),
      models: stringList(opts["model"], "--model"),
      drafts: flag(opts["drafts"]),
      fields: fields.length > 0 ? fields : undefined,
    };
  },
  async run(ctx, input) {
    const builder = searchBuilder(await ctx.client(), input);
    const progress = new ScanProgress(ctx);
    const writer = new StreamWriter(
      (s) => {
        progress.clear();
        ctx.io.stdout.write(s);
      },
      ctx.output.format,
      input.fields,
    );
    let seen = 0;
    try {
      const records: AsyncIterable<NRPRecord> = builder.scan({
        signal: ctx.signal,
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
      progress.clear();
      writer.end();
    }
    ctx.output.info(`Scanned ${writer.count} record${writer.count === 1 ? "" : "s"}.`);
  },
});
