import type { S3Client, S3ClientConfig, S3ServiceException } from '@aws-sdk/client-s3';
import { BundleError } from '../bundle/errors.js';
import { assertContentHash } from '../bundle/hash.js';
import { type BundleLimits, maxArchiveBytes, resolveLimits } from '../bundle/limits.js';
import { admitBundle, checkStored } from './checks.js';
import type { BundleStore } from './types.js';

/** Options of {@link S3BundleStore}. */
export interface S3BundleStoreOptions {
  /** Bucket holding the bundles. */
  readonly bucket: string;
  /** Key prefix (`alga/` puts bundles at `alga/sha256/<hex>`); default none. */
  readonly prefix?: string;
  /** A configured client to use as is; otherwise one is built from the options below. */
  readonly client?: S3Client;
  /** Endpoint of an S3-compatible service (MinIO, Ceph, R2…); default AWS. */
  readonly endpoint?: string;
  /** Region (default `us-east-1`). */
  readonly region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible services need. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; default the AWS SDK's provider chain (env, profile, instance role). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Limits for checking bundles on `put` and re-hashing them on `get`. */
  readonly limits?: Partial<BundleLimits>;
  /**
   * Keep each bundle as its plain tar (gzip undone once, on `put`). Default `false`: over the
   * network the gzip form (about a third of the bytes) usually reads faster than inflating costs.
   */
  readonly inflate?: boolean;
}

const HEX_KEY = /sha256\/([0-9a-f]{64})$/;

function statusOf(error: unknown): number | undefined {
  return (error as Partial<S3ServiceException>).$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<Sdk> | undefined;

/** The AWS SDK, loaded on first use: it takes most of a second to import, and most hosts never touch S3. */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
}

function clientConfig(options: S3BundleStoreOptions): S3ClientConfig {
  return {
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // Many S3-compatible services reject the SDK's default flexible checksums; every get is re-hashed anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/**
 * A bundle store on S3 or any S3-compatible service, through the AWS SDK v3 client.
 * Objects live at `<prefix>sha256/<hex>`. A `put` checks the bundle, skips the upload when
 * the object exists, and uploads with `If-None-Match: *` so a service that supports
 * conditional writes never overwrites; S3 writes are atomic, so readers never see half an
 * object. Every `get` re-hashes what it downloaded.
 *
 * @example
 * ```ts
 * const store = new S3BundleStore({ bucket: 'alga-bundles', prefix: 'prod/', endpoint: 'http://minio:9000', forcePathStyle: true });
 * const hash = await store.put(bytes);
 * ```
 */
export class S3BundleStore implements BundleStore {
  /** The bucket. */
  readonly bucket: string;
  /** The key prefix, empty or ending in `/`. */
  readonly prefix: string;
  readonly #options: S3BundleStoreOptions;
  #client: S3Client | undefined;
  readonly #limits: BundleLimits;

  constructor(options: S3BundleStoreOptions) {
    if (options.bucket.trim() === '') {
      throw new BundleError('INVALID_OPTION', 'S3BundleStore needs a bucket name.');
    }
    const prefix = options.prefix ?? '';
    this.bucket = options.bucket;
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#options = options;
    this.#client = options.client;
    this.#limits = resolveLimits(options.limits);
  }

  async #s3(): Promise<{ readonly sdk: Sdk; readonly client: S3Client }> {
    const loaded = await loadSdk();
    this.#client ??= new loaded.S3Client(clientConfig(this.#options));
    return { sdk: loaded, client: this.#client };
  }

  #keyOf(contentHash: string): string {
    assertContentHash(contentHash, 'S3BundleStore');
    return `${this.prefix}sha256/${contentHash.slice('sha256:'.length)}`;
  }

  #unavailable(action: string, key: string, cause: unknown): BundleError {
    const status = statusOf(cause);
    return new BundleError(
      'STORE_UNAVAILABLE',
      `S3 bundle store could not ${action} s3://${this.bucket}/${key}: ${nameOf(cause)}${status === undefined ? '' : ` (HTTP ${status})`}.`,
      { cause, path: key },
    );
  }

  async put(bytes: Uint8Array): Promise<string> {
    const { contentHash, stored } = await admitBundle(
      bytes,
      this.#limits,
      this.#options.inflate ?? false,
    );
    const key = this.#keyOf(contentHash);
    if (await this.has(contentHash)) return contentHash;
    const { sdk: s3, client } = await this.#s3();
    try {
      await client.send(
        new s3.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: stored,
          ContentType: 'application/vnd.alga.bundle',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      // 412: the object appeared since the HEAD (a concurrent put of the same bytes); 409: one is in flight.
      const status = statusOf(error);
      if (status === 412 || status === 409) return contentHash;
      throw this.#unavailable('write', key, error);
    }
    return contentHash;
  }

  async get(contentHash: string): Promise<Uint8Array | undefined> {
    const key = this.#keyOf(contentHash);
    const { sdk: s3, client } = await this.#s3();
    let bytes: Uint8Array;
    try {
      const response = await client.send(
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      const cap = maxArchiveBytes(this.#limits);
      if (response.ContentLength !== undefined && response.ContentLength > cap) {
        const body: unknown = response.Body;
        if (
          typeof body === 'object' &&
          body !== null &&
          'destroy' in body &&
          typeof body.destroy === 'function'
        )
          body.destroy();
        throw new BundleError(
          'TOO_LARGE',
          `Stored object s3://${this.bucket}/${key} is ${response.ContentLength} bytes, over the ${cap}-byte archive limit; it was not downloaded.`,
          { path: key },
        );
      }
      if (response.Body === undefined) {
        throw new BundleError(
          'STORE_UNAVAILABLE',
          `S3 returned no body for s3://${this.bucket}/${key}.`,
          {
            path: key,
          },
        );
      }
      bytes = await response.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof BundleError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw this.#unavailable('read', key, error);
    }
    return checkStored(bytes, contentHash, `s3://${this.bucket}/${key}`, this.#limits);
  }

  async has(contentHash: string): Promise<boolean> {
    const key = this.#keyOf(contentHash);
    const { sdk: s3, client } = await this.#s3();
    try {
      await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.#unavailable('inspect', key, error);
    }
  }

  async list(): Promise<string[]> {
    const hashes: string[] = [];
    const prefix = `${this.prefix}sha256/`;
    const { sdk: s3, client } = await this.#s3();
    try {
      for await (const page of s3.paginateListObjectsV2(
        { client },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const object of page.Contents ?? []) {
          const match = object.Key === undefined ? null : HEX_KEY.exec(object.Key);
          if (match?.[1] !== undefined && object.Key === `${prefix}${match[1]}`)
            hashes.push(`sha256:${match[1]}`);
        }
      }
    } catch (error) {
      throw this.#unavailable('list', prefix, error);
    }
    return hashes.sort();
  }
}
