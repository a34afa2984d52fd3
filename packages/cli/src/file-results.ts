import type { CommandContext } from "./context.js";
import { CliError, ExitCode } from "./errors.js";
import type { ErrorReport } from "./errors.js";
import type { Column } from "./output.js";
import { formatSize } from "./sizes.js";

/** The outcome of one file in a command that moves several. */
export interface FileResult {
  /** The file's key in the record. */
  key: string;
  /** What happened: `failed`, or a command-specific success such as `uploaded`. */
  status: string;
  /** Its size in bytes, when known. */
  size?: number;
  /** The server's checksum, when known. */
  checksum?: string;
  /** Why it failed or was skipped. */
  error?: string;
  /** The full report of a failure, kept for the exit code and hint; never printed as data. */
  report?: ErrorReport;
}

/** How {@link reportFileResults} words one command's table and failure. */
export interface FileResultsView<R extends FileResult> {
  /** Table columns beyond key and status, in order; `size` is shown human-readable. */
  columns: readonly string[];
  /** The table cell of a column other than key, status and size (default: the field itself). */
  cell?: (result: R, column: string) => unknown;
  /** The past participle of the action, for "2 of 5 files were not <verb>". */
  verb: string;
  /** The hint after that message, given the failed results and the first failure's report. */
  hint: (failed: readonly R[], first: ErrorReport) => string;
}

/**
 * Prints the per-file table (full results in machine formats), then fails with "N of M files were
 * not <verb>" carrying the first failure's exit code, when any file failed.
 *
 * Shared by the commands that move several files, so that a script sees the same table and the
 * same exit-code rule from each.
 */
export function reportFileResults<R extends FileResult>(
  ctx: CommandContext,
  results: readonly R[],
  view: FileResultsView<R>,
): void {
  const keys = ["key", "status", ...view.columns];
  const columns: Column[] = keys.map((key) => ({ key }));
  ctx.output.list(
    results.map((r) =>
      Object.fromEntries(
        keys.map((k) => {
          if (k === "size") return [k, r.size === undefined ? "" : formatSize(r.size)];
          const value = view.cell?.(r, k) ?? (r as unknown as Record<string, unknown>)[k];
          return [k, value ?? ""];
        }),
      ),
    ),
    columns,
    results.map((r) => {
      const { report: _report, ...rest } = r;
      return rest;
    }),
  );
  const failed = results.filter((r) => r.status === "failed");
  const first = failed.find((r) => r.report !== undefined)?.report;
  if (first !== undefined) {
    throw new CliError(`${failed.length} of ${results.length} files were not ${view.verb}.`, {
      exitCode: first.exitCode,
      code: first.code,
      hint: view.hint(failed, first),
    });
  }
  if (failed.length > 0) {
    throw new CliError(`Some files were not ${view.verb}.`, { exitCode: ExitCode.unexpected });
  }
}
