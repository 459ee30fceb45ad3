import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Express } from 'express';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = path.join(ROOT, 'docs/screenshots');

/** Debian's chromium (CI installs it with apt), or only CHROMIUM_PATH when set. Null when none is there. */
export function findChromium(): string | null {
  const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

/**
 * Headless chromium on a fresh profile, with everything that would reach the network on its own
 * switched off. Page errors and failed requests are collected: a test can assert there were none.
 */
export async function launchBrowser(executablePath: string): Promise<Browser & { problems: string[] }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1360, height: 860 },
    locale: 'zh-CN',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // A view's refresh that throws is caught and logged as a warning (the page keeps polling): a problem too.
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.request().method()} ${res.url()}`);
  });
  // Deletions ask for confirmation; a test that clicks one means yes.
  page.on('dialog', (dialog) => void dialog.accept());
  return {
    page,
    problems,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The app on a real port (the browser needs one), closed by the returned function. */
export async function listen(app: Express): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The README's screenshots, rewritten only when UPDATE_SCREENSHOTS=1, so an ordinary run (CI)
 * leaves the committed files alone.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Passing notices (toasts) would cover the view in the picture.
  await page.locator('#toasts > *').evaluateAll((toasts) => toasts.forEach((el) => el.remove()));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}
