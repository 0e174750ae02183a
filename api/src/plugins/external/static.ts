/**
 * The built SvelteKit app (a static SPA) at `/`, when its folder exists. Unknown GET paths outside /api get
 * index.html (the client router takes over); unknown /api paths get a JSON 404.
 *
 * Caching: SvelteKit names every script and style under `_app/immutable/` by its content's hash, so a browser
 * may keep them for a year without asking again (a new build names its files anew, and index.html, which
 * points at them, is always revalidated). Everything else is revalidated on each use (`max-age=0` with its
 * ETag): those names outlive their content.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, toErrorBody } from '../../errors.ts';

/** The build's content-hashed files (SvelteKit's `kit.appDir` is `_app`). */
const IMMUTABLE_DIR = '/_app/immutable/';
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

function notFoundBody(request: FastifyRequest) {
  return toErrorBody(
    new ApiError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}

/** Serves `root` at `/` (SPA fallback to index.html) and answers every other unknown route as JSON. */
export const staticAppPlugin = fp<{ root: string }>(
  async (app, { root }) => {
    const hasApp = existsSync(join(root, 'index.html'));
    if (hasApp) {
      const immutableDir = join(root, IMMUTABLE_DIR);
      await app.register(fastifyStatic, {
        root,
        prefix: '/',
        index: 'index.html',
        cacheControl: true,
        setHeaders: (reply, path) => {
          if (path.startsWith(immutableDir)) reply.header('cache-control', IMMUTABLE_CACHE_CONTROL);
        },
      });
    }
    app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const spaRequest = (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url);
      if (hasApp && spaRequest) {
        // Revalidated like index.html itself (the static plugin sets its cache-control).
        return reply.sendFile('index.html');
      }
      const { status, body } = notFoundBody(request);
      body.error.request_id = request.id;
      return reply.status(status).send(body);
    });
  },
  { name: 'static-app' },
);
