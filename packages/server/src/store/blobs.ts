import { createHash, randomUUID, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, lstat, open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
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

/** Bytes received into a staging blob, not yet a blob of their own. */
export interface StagedBlob {
  /** How many bytes arrived. */
  readonly bytes: number;
  /** Their MD5 digest, when hashing was asked for. */
  readonly md5: Buffer | undefined;
  /** Makes the staged bytes a new blob (an atomic rename). @returns the new blob's id */
  keep(): Promise<string>;
  /**
   * Makes the staged bytes part `part` of the pending multipart blob `blobId`, replacing a part
   * received earlier only now that this one arrived whole (an atomic rename).
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
 * size. Multipart parts wait as `<blob>.part<n>` beside their (empty) blob until the commit
 * assembles them into a fresh blob.
 */
export class BlobStore {
  /** Directory holding the blobs (`<dataDir>/files`). */
  readonly dir: string;

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

  /**
   * Writes the staged parts `1..parts` of `blobId` one after the other into a fresh blob,
   * streaming with constant memory and hashing on the way; the parts stay until collected.
   * @returns the new blob's id, its byte count and its MD5 (hex)
   */
  async assemble(
    blobId: string,
    parts: number,
  ): Promise<{ blobId: string; bytes: number; md5: string }> {
    const paths = Array.from({ length: parts }, (_, i) => this.partPath(blobId, i + 1));
    const target = newBlobId();
    const temp = this.path(`${target}.upload`);
    const hash = createHash("md5");
    let bytes = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for (const path of paths) {
        for await (const chunk of createReadStream(path, { highWaterMark: READ_BUFFER })) {
          const buffer = chunk as Buffer;
          hash.update(buffer);
          bytes += buffer.length;
          yield buffer;
        }
      }
    }
    try {
      const out = createWriteStream(temp, { highWaterMark: WRITE_BUFFER, mode: PRIVATE_FILE_MODE });
      await pipeline(source, out);
      await rename(temp, this.path(target));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { blobId: target, bytes, md5: hash.digest("hex") };
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
      await rm(this.path(blobId), { force: true }).catch(() => undefined);
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
