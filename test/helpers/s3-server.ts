import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream';
import S3rver from 's3rver';

/** s3rver's default account: the only credentials it accepts. */
export const S3RVER_KEY = { id: 'S3RVER', secret: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** s3rver's own directory: `<bucket>/<key>._S3rver_object`, pending uploads in `<bucket>/._S3rver_uploads/`. */
  dir: string;
  /** The server's environment for BACKUP_STORAGE=s3 on this server (overrides for faults). */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** Object keys stored under `prefix`, from s3rver's directory (not through the SDK under test). */
  objectKeys(prefix: string): string[];
  /** Multipart uploads s3rver holds (started, neither completed nor aborted). */
  pendingUploads(): string[];
  /** Requests seen, as `METHOD path?query` (a recording proxy sits in front of s3rver). */
  requests: string[];
  /**
   * Holds every UploadPart request at the proxy until released (a multipart upload then stays
   * pending, and the writer backs up): `reached` resolves when the first one is held.
   */
  holdParts(): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver) on a loopback port with a temp directory, one bucket, behind
 * a transparent recording proxy: the code under test talks to it through the AWS SDK exactly as to
 * AWS, and tests can see which requests were sent (s3rver lacks AbortMultipartUpload, so whether an
 * abort was attempted is only visible on the wire).
 */
export async function startS3(bucket = 'backups'): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port: s3Port } = await server.run();
  const requests: string[] = [];
  let hold: { reached: () => void; released: Promise<void> } | null = null;
  // Headers (Host included) are forwarded as signed, so SigV4 checks still pass at s3rver.
  const proxy = http.createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (hold && req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '')) {
      hold.reached();
      await hold.released;
      // Its client died meanwhile (a killed server): forwarding the rest of nothing would leave
      // s3rver waiting on the body, and its close() waiting on that connection.
      if (req.destroyed) return void res.destroy();
    }
    const upstream = http.request({ host: '127.0.0.1', port: s3Port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      pipeline(answer, res, () => undefined);
    });
    upstream.on('error', () => res.destroy());
    // pipeline(): a client gone mid-body (a killed server) destroys its upstream request too.
    pipeline(req, upstream, () => undefined);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const files = (sub: string) => {
    const root = path.join(dir, sub);
    return fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]) : [];
  };
  return {
    endpoint,
    bucket,
    dir,
    requests,
    holdParts: () => {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { reached, released };
      return {
        reached: reachedP,
        release: () => {
          hold = null;
          release();
        },
      };
    },
    env: (overrides = {}) => ({
      BACKUP_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_PREFIX: 'backups-test',
      S3_ACCESS_KEY_ID: S3RVER_KEY.id,
      S3_SECRET_ACCESS_KEY: S3RVER_KEY.secret,
      S3_FORCE_PATH_STYLE: 'true',
      ...overrides,
    }),
    objectKeys: (prefix) =>
      files(path.join(bucket, prefix))
        .filter((f) => f.endsWith('._S3rver_object'))
        .map((f) => `${prefix}/${f.slice(0, -'._S3rver_object'.length).split(path.sep).join('/')}`)
        .sort(),
    pendingUploads: () => files(path.join(bucket, '._S3rver_uploads')).filter((f) => !f.includes(path.sep)),
    async close() {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      await closed;
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
