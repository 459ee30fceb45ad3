import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

describe('logger redaction', () => {
  it('a logged configuration never shows the backup store credentials', async () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-logger-'));
    try {
      const config = loadConfig({
        DATABASE_URL: 'postgresql://u@127.0.0.1/x',
        LOG_DIR: logDir,
        BACKUP_STORAGE: 's3',
        S3_BUCKET: 'backups',
        S3_ACCESS_KEY_ID: 'AKIAREDACTME1',
        S3_SECRET_ACCESS_KEY: 'secret-redact-me-2',
      });
      const logger = createLogger({ logDir, logLevel: 'info', logFormat: 'json' });
      logger.info({ config }, 'whole config');
      logger.info({ storage: config.backupStorage }, 'storage settings');
      logger.info(config.backupStorage, 'storage settings at the top');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      // The file destination writes asynchronously and a multistream's flush callback does not wait
      // for it: read once the last of the three lines is there (bounded, the test fails otherwise).
      const file = path.join(logDir, 'app.log');
      let text = '';
      for (let i = 0; i < 200 && !text.includes('storage settings at the top'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        text = fs.readFileSync(file, 'utf8');
      }
      expect(text).toContain('"bucket":"backups"');
      expect(text).not.toContain('AKIAREDACTME1');
      expect(text).not.toContain('secret-redact-me-2');
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  });
});
