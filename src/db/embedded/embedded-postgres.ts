import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../../logger.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';

/**
 * The zero-setup database: PGlite (PostgreSQL compiled to WASM) with pgvector, in this process,
 * served on a loopback port so everything else keeps talking `pg`. Its limits shape how the rest
 * of the server uses it (measured here, see the issue notes):
 * - every socket connection shares ONE session and the socket queue interleaves the extended-protocol
 *   messages of concurrent connections outside explicit transactions (wrong rows, no error): the
 *   server keeps a single pool of one connection for it;
 * - `COPY … FROM STDIN` over the socket kills the WASM backend: loads go through `copyFromBlob`,
 *   an in-process `COPY … FROM '/dev/blob'` that runs inside the socket session's open transaction;
 * - LISTEN/NOTIFY is delivered to whichever connection is running: workers poll instead;
 * - advisory locks always succeed and `statement_timeout` is not enforced (one session anyway);
 * - nothing stops a second process from opening the same data directory (each works on its own
 *   copy and the last to close wins): the directory is locked first (embedded-data-dir-lock.ts).
 */
export class EmbeddedPostgres {
  private constructor(
    readonly pglite: PGlite,
    private readonly server: PGLiteSocketServer,
    /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
    readonly url: string,
    readonly dataDir: string,
    private readonly lock: DataDirLock,
  ) {}

  static async start(dataDir: string, logger: Logger, options: { maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
    const started = performance.now();
    // PGlite creates only the last path segment itself.
    await fs.mkdir(path.dirname(path.resolve(dataDir)), { recursive: true });
    const lock = await lockDataDir(dataDir);
    let pglite: PGlite | undefined;
    try {
      pglite = await PGlite.create({ dataDir, extensions: { vector } });
      await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
      // Spare slots: pg-pool replaces a client after an error while the old socket is still closing.
      const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 4 });
      await server.start();
      const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
      logger.info({ dataDir, ms: Math.round(performance.now() - started) }, 'embedded PostgreSQL (PGlite + pgvector) ready');
      return new EmbeddedPostgres(pglite, server, url, dataDir, lock);
    } catch (err) {
      await pglite?.close().catch(() => undefined);
      await lock.release();
      throw err;
    }
  }

  /**
   * `COPY <table> (<columns>) FROM '/dev/blob' WITH (FORMAT csv)` of one chunk of complete CSV
   * rows (no header). Runs in-process, inside the transaction the socket client has open, so a
   * rollback of that client undoes it. Returns the rows loaded.
   */
  async copyFromBlob(copySql: string, csv: string): Promise<number> {
    const result = await this.pglite.query(copySql, [], { blob: new Blob([csv]) });
    return result.affectedRows ?? 0;
  }

  async stop(): Promise<void> {
    await this.server.stop().catch(() => undefined);
    await this.pglite.close().catch(() => undefined);
    // Only once PGlite has written its files back: another server may then open the directory.
    await this.lock.release();
  }
}
