// Multipart part scheduling: N workers over one lazy part generator (aws lib-storage's shape), with
// the first fatal error aborting the siblings and surfacing as an UploadError that lists what made
// it. Sending one part (and retrying it) is the caller's `send`, so this runs against fakes in tests.

import { APIUserAbortError, ErrorCodes, NRPError, UploadError } from "../core/errors.js";
import type { UploadPart } from "../core/errors.js";
import { runPool } from "./pool.js";

/** Options of {@link runParts}. */
export interface RunPartsOptions {
  key: string;
  parts: Iterable<UploadPart>;
  concurrency: number;
  /** Sends one part; must honour `signal`. Retries of one part belong inside it. */
  send: (part: UploadPart, signal: AbortSignal) => Promise<void>;
  /** Called after the server acknowledged a part; a throw stops the upload like a failed part. */
  onPartDone?: ((part: UploadPart) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Parts acknowledged before this run (resume); they are reported in `completedParts`. */
  alreadyDone?: readonly number[] | undefined;
}

/**
 * Sends every part with at most `concurrency` in flight and returns the acknowledged part numbers.
 *
 * @throws {@link UploadError} on the first part that fails for good (its error is the `cause`;
 * parts cut short by that failure are not counted as failed).
 * @throws {@link APIUserAbortError} when the caller's signal aborts.
 */
export async function runParts(options: RunPartsOptions): Promise<number[]> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const done: number[] = [...(options.alreadyDone ?? [])];
  const failed: number[] = [];
  const errors: unknown[] = [];
  await runPool(
    options.parts,
    async (part) => {
      try {
        await options.send(part, signal);
        done.push(part.part);
        options.onPartDone?.(part);
      } catch (error) {
        // Errors of siblings cut short by the first failure (or by the caller) are echoes.
        if (!stop.signal.aborted && !options.signal?.aborted) {
          failed.push(part.part);
          errors.push(error);
          stop.abort(error);
        } else if (!(error instanceof APIUserAbortError) && !isAbortEcho(error)) {
          failed.push(part.part);
          errors.push(error);
        }
      }
    },
    { concurrency: options.concurrency, signal },
  );
  if (options.signal?.aborted && errors.length === 0) {
    throw new APIUserAbortError(
      `The upload of ${options.key} was aborted (${done.length} part(s) acknowledged).`,
      { cause: options.signal.reason },
    );
  }
  if (errors.length > 0) {
    const first = errors[0];
    const message = first instanceof Error ? first.message : String(first);
    throw new UploadError(
      `Uploading ${options.key} failed at part ${failed[0] ?? "?"} after ${done.length} part(s) were acknowledged: ${message}`,
      { key: options.key, completedParts: done, failedParts: failed, errors, cause: first },
    );
  }
  return done.sort((a, b) => a - b);
}

function isAbortEcho(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" ||
      (error instanceof NRPError && error.code === ErrorCodes.Aborted))
  );
}
