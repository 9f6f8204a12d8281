import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Where `npm run build` puts the dashboard: dist/dashboard, beside dist/apps/api, whose main.js
 * this file is bundled into (in the image as in a checkout).
 */
export const DASHBOARD_DIR = join(__dirname, '..', '..', 'dashboard');

/**
 * Only the page's own files and the API beside it; no inline script or style, no frames, no
 * plugins, no form posting anywhere, and DOM sinks that take markup refused outright.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Files under assets/ carry a hash of their content in their name, so they never change. */
const HASHED_CACHE = 'public, max-age=31536000, immutable';
/** The page names the current hashed files, so it is revalidated on every load (a 304 when unchanged). */
const PAGE_CACHE = 'no-cache';
const OTHER_CACHE = 'public, max-age=86400';

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** Every built file, read and gzipped once at start-up: a few tens of kilobytes. */
function loadAssets(directory: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(directory, 'index.html'))) return assets;
  for (const path of listFiles(directory)) {
    const name = relative(directory, path).split('\\').join('/');
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(path);
    assets.set(name, {
      body,
      gzipped: gzipSync(body, { level: 9 }),
      contentType,
      cacheControl: name === 'index.html' ? PAGE_CACHE : name.startsWith('assets/') ? HASHED_CACHE : OTHER_CACHE,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return assets;
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).headers(SECURITY_HEADERS).send({ statusCode: 404, error: 'Not Found', message });
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply.headers(SECURITY_HEADERS).header('cache-control', asset.cacheControl).header('etag', asset.etag).header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  reply.type(asset.contentType);
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(asset.gzipped);
  return reply.send(asset.body);
}

/**
 * The dashboard at /dashboard/, with / and /dashboard leading there. Redirects are relative, so
 * behind an Ingress that serves the API under a path prefix the browser stays under it.
 */
export function installDashboard(server: FastifyInstance, directory = DASHBOARD_DIR): void {
  const assets = loadAssets(directory);
  const missing = 'the dashboard is not built: run `npm run build`';
  server.get('/', (_request, reply) => reply.redirect('dashboard/', 302));
  server.get('/dashboard', (_request, reply) => reply.redirect('dashboard/', 301));
  server.get('/dashboard/', (request, reply) => {
    const page = assets.get('index.html');
    return page ? sendAsset(request, reply, page) : notFound(reply, missing);
  });
  server.get<{ Params: { '*': string } }>('/dashboard/*', (request, reply) => {
    const asset = assets.get(request.params['*']);
    if (asset) return sendAsset(request, reply, asset);
    return notFound(reply, assets.size === 0 ? missing : `no dashboard file ${request.params['*']}`);
  });
}
