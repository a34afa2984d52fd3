import { createHmac, timingSafeEqual } from "node:crypto";
import { param, type RequestContext } from "../../http/context.js";
import { HttpError } from "../../http/errors.js";
import type { Router } from "../../http/router.js";
import type { FileStore } from "../../store/files.js";
import { sendContent } from "./download.js";

/** Path prefix of presigned download URLs on the storage origin. */
export const STORAGE_PREFIX = "/storage";

/** How long a presigned download URL stays valid unless configured. */
export const DEFAULT_URL_TTL_SECONDS = 600;

/** S3's answer to a presigned URL that also carries an `Authorization` header. */
export const TWO_AUTH_MECHANISMS =
  "Only one auth mechanism allowed; only the signature query parameter or the Authorization header should be specified.";

/** S3's answers to a bad presigned URL. */
export const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided.";
export const URL_EXPIRED = "Request has expired.";

/** What a presigned URL names and promises about the bytes. */
export interface PresignedContent {
  blobId: string;
  key: string;
  checksum: string;
  updated: string;
  contentType: string;
}

function canonical(c: PresignedContent, expires: number): string {
  return [c.blobId, c.key, c.checksum, c.updated, c.contentType, String(expires)].join("\n");
}

/**
 * Signs download URLs for the second origin, the way S3 presigned URLs work: the query carries
 * what to serve, an expiry and an HMAC over both, so the storage origin needs no token and no
 * database lookup of permissions.
 */
export class UrlSigner {
  private readonly secret: Buffer;
  readonly ttlSeconds: number;

  constructor(secret: Buffer, ttlSeconds: number) {
    this.secret = secret;
    this.ttlSeconds = ttlSeconds;
  }

  private sign(c: PresignedContent, expires: number): string {
    return createHmac("sha256", this.secret).update(canonical(c, expires)).digest("base64url");
  }

  /** A presigned URL on `origin` valid for `ttlSeconds` from `now`. */
  url(origin: string, c: PresignedContent, now: number = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    const query = new URLSearchParams({
      key: c.key,
      checksum: c.checksum,
      updated: c.updated,
      type: c.contentType,
      expires: String(expires),
      signature: this.sign(c, expires),
    });
    return `${origin}${STORAGE_PREFIX}/${encodeURIComponent(c.blobId)}?${query.toString()}`;
  }

  /**
   * Checks a presigned request.
   * @throws HttpError 403 for a missing, forged or expired signature
   */
  verify(blobId: string, query: URLSearchParams, now: number = Date.now()): PresignedContent {
    const get = (name: string): string => {
      const value = query.get(name);
      if (value === null) throw new HttpError(403, SIGNATURE_MISMATCH);
      return value;
    };
    const c: PresignedContent = {
      blobId,
      key: get("key"),
      checksum: get("checksum"),
      updated: get("updated"),
      contentType: get("type"),
    };
    const expiresText = get("expires");
    const signature = Buffer.from(get("signature"));
    if (!/^\d+$/.test(expiresText)) throw new HttpError(403, SIGNATURE_MISMATCH);
    const expires = Number(expiresText);
    const expected = Buffer.from(this.sign(c, expires));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new HttpError(403, SIGNATURE_MISMATCH);
    }
    if (Math.floor(now / 1000) > expires) throw new HttpError(403, URL_EXPIRED);
    return c;
  }
}

/**
 * The storage origin's routes: `GET|HEAD /storage/<blob>?…&signature=…` serves the bytes like the
 * API's content endpoint (ranges, conditional requests), refusing requests that also carry an
 * `Authorization` header, as S3 does for presigned URLs.
 */
export function registerStorageRoutes(router: Router, files: FileStore, signer: UrlSigner): void {
  router.on("GET", `${STORAGE_PREFIX}/:blob`, async (ctx: RequestContext) => {
    if (ctx.req.headers.authorization !== undefined) {
      throw new HttpError(400, TWO_AUTH_MECHANISMS);
    }
    const blobId = param(ctx, "blob");
    const c = signer.verify(blobId, ctx.query);
    const size = await files.blobs.size(blobId);
    if (size === undefined) throw new HttpError(404, "The specified key does not exist.");
    await sendContent(ctx.req, ctx.res, {
      body: (range) => files.blobs.read(blobId, range),
      size,
      checksum: c.checksum,
      updated: c.updated,
      contentType: c.contentType,
      key: c.key,
    });
  });
}
