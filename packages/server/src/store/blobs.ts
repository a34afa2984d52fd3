import { createHash, randomUUID, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import {
  chmod,
  link,
  lstat,
  open,
  readdir,
  rename,
  rm,
  stat,
  statfs,
  truncate,
  type FileHandle,
} from "node:fs/promises";
import { join } from "node:path";
import { Transform, Writable, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Mode of every file the store creates (database, its WAL and SHM, blobs). */
export const PRIVATE_FILE_MODE = 0o600;

const BLOB_NAME =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.upload|\.part[1-9][0-9]*)?$/;

/** Suffix of a multipart part's staging blob: `<blob>.part<n>`. */
const PART_SUFFIX = /\.part[1-9][0-9]*$/;

/** Bytes a write may queue for the disk before its source is paused. */
const WRITE_BUFFER = 4 * 1024 * 1024;

/** Bytes read from a blob at a time: 1 MiB halves the syscalls of the 64 KiB default. */
const READ_BUFFER = 1024 * 1024;

/** The inclusive byte range of parts `first..last` (empty when `last < first`). */
function partRange(
  layout: PartLayout,
  first: number,
  last: number,
): { start: number; end: number } {
  const start = (first - 1) * layout.partSize;
  const end = last >= layout.parts ? layout.size - 1 : last * layout.partSize - 1;
  return { start, end };
}

/**
 * True for the names the store gives blobs (`newBlobId()`, optionally with the `.upload` suffix
 * of an upload in progress or the `.part<n>` suffix of a multipart part received whole): nothing
 * else in the blob directory is ever deleted.
 */
export function isBlobName(name: string): boolean {
  return BLOB_NAME.test(name);
}

/** A fresh blob name: content files are never rewritten once committed, so names are never reused. */
export function newBlobId(): string {
  return randomUUID();
}

/**
 * Thrown by `BlobStore.stage` when the source holds more bytes than its limit; the staged bytes
 * are already removed. Services answer it as the protocol's size mismatch.
 */
export class BlobTooLong extends Error {
  constructor() {
    super("More bytes than allowed.");
    this.name = "BlobTooLong";
  }
}

/** Counts and (optionally) hashes the bytes flowing through, refusing more than `limit`. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;
  private readonly limit: number;

  constructor(limit: number, hash: boolean) {
    super({ highWaterMark: WRITE_BUFFER });
    this.limit = limit;
    this.hash = hash ? createHash("md5") : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new BlobTooLong());
      return;
    }
    this.hash?.update(chunk);
    done(null, chunk);
  }

  digest(): Buffer | undefined {
    return this.hash?.digest();
  }
}

/**
 * Thrown by `StagedPart.land` when the part written in place was stopped before it landed: the
 * file was committed or deleted, or another upload of the same part landed first.
 */
export class PartSuperseded extends Error {
  constructor() {
    super("The part was replaced by another upload of it.");
    this.name = "PartSuperseded";
  }
}

/**
 * Writes what flows in at increasing positions of an existing file (positional writes, so parts
 * of one file are written side by side); once stopped, drops the rest without writing it. The file
 * opens before the first write; a file that is gone stops the writer.
 */
class PositionalWriter extends Writable {
  /** True once `stop` was called (or the file was gone): nothing more reaches the file. */
  stopped = false;
  private position: number;
  private pending: Promise<unknown> = Promise.resolve();
  private handle: FileHandle | undefined;
  private readonly file: string;

  constructor(file: string, start: number) {
    super({ highWaterMark: WRITE_BUFFER });
    this.file = file;
    this.position = start;
  }

  override _construct(done: (error?: Error | null) => void): void {
    const opening = open(this.file, "r+").then(
      (handle) => {
        this.handle = handle;
      },
      () => {
        this.stopped = true;
      },
    );
    this.pending = opening;
    void opening.then(() => {
      done();
    });
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    done: (error?: Error | null) => void,
  ): void {
    const handle = this.handle;
    if (this.stopped || handle === undefined) {
      done();
      return;
    }
    const buffers = chunks.map((c) => c.chunk);
    const at = this.position;
    for (const b of buffers) this.position += b.length;
    const write = writeAll(handle, buffers, at);
    this.pending = write.catch(() => undefined);
    write.then(() => {
      done();
    }, done);
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this._writev([{ chunk, encoding }], done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    void this.pending
      .then(() => handle?.close())
      .then(
        () => {
          done(error);
        },
        (closing: unknown) => {
          done(error ?? (closing as Error));
        },
      );
  }

  /** Stops writing; settles once no write to the file is in flight any more. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pending;
  }
}

/** Writes `buffers` at `at`, finishing a short write. */
async function writeAll(handle: FileHandle, buffers: Buffer[], at: number): Promise<void> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const { bytesWritten } = await handle.writev(buffers, at);
  if (bytesWritten >= total) return;
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let offset = 0;
  while (offset < rest.length) {
    const r = await handle.write(rest, offset, rest.length - offset, at + bytesWritten + offset);
    offset += r.bytesWritten;
  }
}

/** Where the parts of a multipart file lie: `parts` parts of `partSize` bytes, the last shorter. */
export interface PartLayout {
  readonly parts: number;
  readonly partSize: number;
  /** The file's size. */
  readonly size: number;
}

/** A part received (whole) but not yet counted: land it or discard it. */
export interface StagedPart {
  /** How many bytes arrived. */
  readonly bytes: number;
  /** Their MD5 digest, when hashing was asked for. */
  readonly md5: Buffer | undefined;
  /**
   * Makes the bytes the content of the part: a part written in place already is (unless it was
   * stopped meanwhile); a re-sent part, staged on its own, is copied over the earlier one only now
   * that it arrived whole.
   * @throws PartSuperseded when the in-place write was stopped before it landed
   */
  land(): Promise<void>;
  /** Drops what was not landed (a staged copy; an in-place write is simply not counted). */
  discard(): Promise<void>;
}

/** The running MD5 of a multipart file's contiguous prefix of received parts, and its writers. */
interface Assembly {
  hash: Hash;
  /** Parts `1..hashed` are in `hash`. */
  hashed: number;
  /** Bumped whenever landed bytes change under the prefix: hashing in flight is then dropped. */
  generation: number;
  /** The hashing scheduled so far, one step after another. */
  chain: Promise<void>;
  /** Parts being written in place, by part number. */
  writers: Map<number, PositionalWriter>;
  /** True once committed: nothing is written in place any more. */
  finished: boolean;
}

/** Bytes received into a staging blob, not yet a blob of their own. */
export interface StagedBlob {
  /** How many bytes arrived. */
  readonly bytes: number;
  /** Their MD5 digest, when hashing was asked for. */
  readonly md5: Buffer | undefined;
  /** Makes the staged bytes a new blob (an atomic rename). @returns the new blob's id */
  keep(): Promise<string>;
  /**
   * Makes the staged bytes part `part` of the pending multipart blob `blobId` as `<blob>.part<n>`
   * (an atomic rename): the layout of earlier versions, which `finishParts` still honours.
   */
  keepAsPart(blobId: string, part: number): Promise<void>;
  /** Removes the staged bytes; nothing happens once they were kept. */
  discard(): Promise<void>;
}

/** What the start-up sweep must keep: blobs rows name, and the parts of pending uploads. */
export interface BlobReferences {
  /** True when some file row names the blob. */
  referenced(blobId: string): boolean;
  /** True when a pending file row names the blob (its staged parts are still wanted). */
  pending(blobId: string): boolean;
}

/**
 * The file contents of the store, one file per blob in the blob directory: written once through a
 * staging name and renamed into place, never rewritten, read as streams, and deleted only when the
 * file rows no longer name them. Every byte passes as a stream: memory stays constant whatever the
 * size. Multipart parts are written in place at their offsets into their pending blob, with a
 * running MD5 over the parts received from the first on, so the commit only hashes what remains and
 * links the bytes under a fresh name.
 */
export class BlobStore {
  /** Directory holding the blobs (`<dataDir>/files`). */
  readonly dir: string;
  private readonly assemblies = new Map<string, Assembly>();

  constructor(dir: string) {
    this.dir = dir;
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private partPath(blobId: string, part: number): string {
    return this.path(`${blobId}.part${String(part)}`);
  }

  /** Creates an empty blob, the placeholder a pending multipart file names. @returns its id */
  async createEmpty(): Promise<string> {
    const blobId = newBlobId();
    const handle = await open(this.path(blobId), "w", PRIVATE_FILE_MODE);
    await handle.close();
    return blobId;
  }

  /**
   * Streams `source` into a staging blob, never holding more than a chunk in memory, counting and
   * optionally hashing it on the way. A few MiB of write buffer let the source keep flowing while
   * the disk catches up; memory stays bounded by it.
   * @param options.limit most bytes accepted
   * @throws BlobTooLong when more arrive (nothing is kept), or the source's or the disk's error
   */
  async stage(source: Readable, options: { limit: number; hash: boolean }): Promise<StagedBlob> {
    const blobId = newBlobId();
    const temp = this.path(`${blobId}.upload`);
    const meter = new Meter(options.limit, options.hash);
    const out = createWriteStream(temp, { highWaterMark: WRITE_BUFFER, mode: PRIVATE_FILE_MODE });
    try {
      await pipeline(source, meter, out);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    let kept = false;
    return {
      bytes: meter.bytes,
      md5: meter.digest(),
      keep: async () => {
        await rename(temp, this.path(blobId));
        kept = true;
        return blobId;
      },
      keepAsPart: async (target, part) => {
        await rename(temp, this.partPath(target, part));
        kept = true;
      },
      discard: async () => {
        if (!kept) await rm(temp, { force: true });
      },
    };
  }

  private assembly(blobId: string): Assembly {
    let state = this.assemblies.get(blobId);
    if (state === undefined) {
      state = {
        hash: createHash("md5"),
        hashed: 0,
        generation: 0,
        chain: Promise.resolve(),
        writers: new Map(),
        finished: false,
      };
      this.assemblies.set(blobId, state);
    }
    return state;
  }

  /**
   * Streams part `part` of the pending multipart blob `blobId` (bytes `offset..`), counting and
   * optionally hashing it. A part not received yet is written in place at its offset (one write
   * per byte, nothing to assemble at the commit); a part `replacing` one received earlier, or
   * arriving while another upload of it is being written in place, is staged on its own and copied
   * over only when it lands, so the earlier bytes stay until the new ones arrived whole.
   * @throws BlobTooLong when more than `limit` bytes arrive, or the source's or the disk's error
   */
  async stagePart(
    blobId: string,
    part: number,
    source: Readable,
    options: { offset: number; limit: number; hash: boolean; replacing: boolean },
  ): Promise<StagedPart> {
    const state = this.assembly(blobId);
    if (options.replacing || state.finished || state.writers.has(part)) {
      return this.stageCopy(blobId, part, source, options);
    }
    // Registered at once: a commit stops it even before its file opened.
    const writer = new PositionalWriter(this.path(blobId), options.offset);
    state.writers.set(part, writer);
    const release = (): void => {
      if (state.writers.get(part) === writer) state.writers.delete(part);
    };
    const meter = new Meter(options.limit, options.hash);
    try {
      await pipeline(source, meter, writer);
    } catch (error) {
      release();
      throw error;
    }
    return {
      bytes: meter.bytes,
      md5: meter.digest(),
      land: async () => {
        release();
        if (writer.stopped) throw new PartSuperseded();
        await this.dropLegacyPart(blobId, part);
      },
      discard: () => {
        release();
        return Promise.resolve();
      },
    };
  }

  /** A re-sent part: staged on its own, copied over the earlier one when it lands. */
  private async stageCopy(
    blobId: string,
    part: number,
    source: Readable,
    options: { offset: number; limit: number; hash: boolean },
  ): Promise<StagedPart> {
    const temp = this.path(`${newBlobId()}.upload`);
    const meter = new Meter(options.limit, options.hash);
    const out = createWriteStream(temp, { highWaterMark: WRITE_BUFFER, mode: PRIVATE_FILE_MODE });
    try {
      await pipeline(source, meter, out);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return {
      bytes: meter.bytes,
      md5: meter.digest(),
      land: async () => {
        const state = this.assembly(blobId);
        // An upload of this part still being written in place would overwrite the copy: stop it.
        const writer = state.writers.get(part);
        state.writers.delete(part);
        await writer?.stop();
        // The bytes change under the running hash: start it afresh.
        state.generation++;
        state.hash = createHash("md5");
        state.hashed = 0;
        const out = new PositionalWriter(this.path(blobId), options.offset);
        await pipeline(createReadStream(temp, { highWaterMark: READ_BUFFER }), out);
        if (out.stopped) throw new PartSuperseded();
        await this.dropLegacyPart(blobId, part);
      },
      discard: () => rm(temp, { force: true }),
    };
  }

  /**
   * Extends the running MD5 of `blobId` over the parts now contiguous from the first (`done`
   * holds the parts received), reading back only those parts, in the background: the commit then
   * hashes only what remains.
   */
  advance(blobId: string, done: ReadonlySet<number>, layout: PartLayout): void {
    const state = this.assembly(blobId);
    const step = async (): Promise<void> => {
      while (state.hashed < layout.parts && done.has(state.hashed + 1)) {
        const generation = state.generation;
        const n = state.hashed + 1;
        const hash = state.hash.copy();
        await this.hashRange(blobId, hash, partRange(layout, n, n));
        // A re-sent part landed meanwhile: what was read may mix old and new bytes.
        if (state.generation !== generation || this.assemblies.get(blobId) !== state) return;
        state.hash = hash;
        state.hashed = n;
      }
    };
    state.chain = state.chain.then(step).catch(() => {
      state.generation++;
      state.hash = createHash("md5");
      state.hashed = 0;
    });
  }

  private async hashRange(
    blobId: string,
    hash: Hash,
    range: { start: number; end: number },
  ): Promise<void> {
    if (range.end < range.start) return;
    const stream = createReadStream(this.path(blobId), { highWaterMark: READ_BUFFER, ...range });
    for await (const chunk of stream) hash.update(chunk as Buffer);
  }

  /**
   * Commits the multipart blob `blobId` whose parts all landed: stops any write still in flight,
   * finishes the running MD5 over the parts not hashed yet, and links the bytes under a fresh blob
   * id (the placeholder name goes when collected; a crash before leaves the pending file whole).
   * Parts staged beside the blob by an earlier version (`<blob>.part<n>`) are first copied into
   * place (their parts stay until collected).
   * @returns the new blob's id, its byte count and its MD5 (hex)
   */
  async finishParts(
    blobId: string,
    layout: PartLayout,
  ): Promise<{ blobId: string; bytes: number; md5: string }> {
    const state = this.assembly(blobId);
    // From now on parts are only staged on their own (and refused when they land).
    state.finished = true;
    for (const writer of state.writers.values()) await writer.stop();
    state.writers.clear();
    await state.chain;
    let legacy = false;
    for (let n = 1; n <= layout.parts; n++) {
      const part = this.partPath(blobId, n);
      if (
        !(await stat(part).then(
          () => true,
          () => false,
        ))
      )
        continue;
      const { start } = partRange(layout, n, n);
      await pipeline(
        createReadStream(part, { highWaterMark: READ_BUFFER }),
        new PositionalWriter(this.path(blobId), start),
      );
      legacy = true;
    }
    if (legacy) {
      state.hash = createHash("md5");
      state.hashed = 0;
    }
    const hash = state.hash.copy();
    await this.hashRange(blobId, hash, partRange(layout, state.hashed + 1, layout.parts));
    await truncate(this.path(blobId), layout.size);
    const target = newBlobId();
    await link(this.path(blobId), this.path(target));
    return { blobId: target, bytes: layout.size, md5: hash.digest("hex") };
  }

  /** Removes part `part` staged beside `blobId` by an earlier version: a newer one landed. */
  private async dropLegacyPart(blobId: string, part: number): Promise<void> {
    await rm(this.partPath(blobId, part), { force: true });
  }

  /**
   * Bytes still free for an unprivileged writer on the blob directory's filesystem (`statfs`),
   * or `undefined` when the system cannot tell.
   */
  async freeBytes(): Promise<number | undefined> {
    return statfs(this.dir).then(
      (s) => s.bavail * s.bsize,
      () => undefined,
    );
  }

  /** The size of a blob, or `undefined` when there is none of that id. */
  async size(blobId: string): Promise<number | undefined> {
    return stat(this.path(blobId)).then(
      (s) => s.size,
      () => undefined,
    );
  }

  /** A stream of a blob's bytes, or of the inclusive range `start..end` of them. */
  read(blobId: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.path(blobId), {
      highWaterMark: READ_BUFFER,
      ...(range === undefined ? {} : { start: range.start, end: range.end }),
    });
  }

  /** Deletes blobs (best effort: a failure leaves a stray file, which the next sweep removes). */
  async remove(blobIds: Iterable<string>): Promise<void> {
    for (const blobId of blobIds) {
      const state = this.assemblies.get(blobId);
      if (state !== undefined) state.finished = true;
      for (const writer of state?.writers.values() ?? []) void writer.stop();
      await rm(this.path(blobId), { force: true }).catch(() => undefined);
      // Forgotten only once the file is gone: a part arriving meanwhile is not written in place.
      this.assemblies.delete(blobId);
    }
  }

  /** Deletes the staged parts of these blobs (best effort, as `remove`). */
  async removeParts(blobIds: readonly string[]): Promise<void> {
    if (blobIds.length === 0) return;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!PART_SUFFIX.test(name) || !blobIds.includes(name.replace(PART_SUFFIX, ""))) continue;
      await rm(this.path(name), { force: true }).catch(() => undefined);
    }
  }

  /**
   * Removes what a previous run left behind: staging files (a server stopped mid-upload), parts
   * of multipart files no longer pending, and blobs no row names. Only regular files named like
   * the store's own blobs are candidates: anything else (another name, a directory, a symbolic
   * link) is left alone and never followed.
   */
  async sweep(refs: BlobReferences): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!isBlobName(name)) continue;
      const path = this.path(name);
      const info = await lstat(path).catch(() => undefined);
      if (info?.isFile() !== true) continue;
      if (PART_SUFFIX.test(name)) {
        if (!refs.pending(name.replace(PART_SUFFIX, ""))) {
          await rm(path, { force: true }).catch(() => undefined);
        }
        continue;
      }
      if (!name.endsWith(".upload") && refs.referenced(name)) {
        // Blobs an earlier version wrote with the default mode become owner-only.
        if ((info.mode & 0o077) !== 0) await chmod(path, PRIVATE_FILE_MODE).catch(() => undefined);
        continue;
      }
      await rm(path, { force: true }).catch(() => undefined);
    }
  }
}
