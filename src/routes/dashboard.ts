import path from 'node:path';
import express, { type Router } from 'express';

/**
 * The dashboard's files: plain ES modules and CSS under src/dashboard/, copied beside the compiled
 * routes by scripts/copy-build-assets.mjs, so `../dashboard` is the same folder from src/ (tsx) and
 * from dist/. Public like the docs page: the page itself sends the bearer token on its API calls.
 */
const DASHBOARD_DIR = path.resolve(import.meta.dirname, '../dashboard');

/** Only scripts, styles and API calls from this origin: nothing rendered from the API can load or run code. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function dashboardRouter(): Router {
  const router = express.Router();
  const page = (_req: express.Request, res: express.Response) => {
    res.set({ 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Cache-Control': 'no-cache' });
    res.sendFile(path.join(DASHBOARD_DIR, 'index.html'));
  };
  router.get('/', page);
  // Browsers ask for /favicon.ico whatever the page links; the SVG answers both, so no 404 noise.
  const favicon = (_req: express.Request, res: express.Response) => {
    res.type('image/svg+xml').set('Cache-Control', 'public, max-age=86400');
    res.sendFile(path.join(DASHBOARD_DIR, 'favicon.svg'));
  };
  router.get(['/favicon.ico', '/favicon.svg'], favicon);
  // no-cache (revalidate by ETag): an upgraded server never runs a page against stale modules.
  router.use('/dashboard', express.static(DASHBOARD_DIR, { index: false, fallthrough: true, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));
  return router;
}
