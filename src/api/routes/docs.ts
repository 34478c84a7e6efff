import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const asset = (file: string) => readFileSync(path.join(swaggerUiDir, file));

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TiketQ Payment Service API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>`;
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', persistAuthorization: true });`;

/**
 * /openapi.json (the document generated from the routes' declarations) and interactive docs served from the installed
 * swagger-ui-dist: no CDN, works offline. Not in the document itself.
 */
export function docsRoutes(document: object) {
  const app = new Hono();
  const css = asset('swagger-ui.css');
  const bundle = asset('swagger-ui-bundle.js');
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/docs', (c) => c.html(DOCS_PAGE));
  app.get('/docs/assets/swagger-ui.css', (c) => c.body(css, 200, { 'content-type': 'text/css', 'cache-control': 'max-age=3600' }));
  app.get('/docs/assets/swagger-ui-bundle.js', (c) =>
    c.body(bundle, 200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=3600' }),
  );
  app.get('/docs/assets/init.js', (c) => c.body(INIT_SCRIPT, 200, { 'content-type': 'text/javascript' }));
  return app;
}
