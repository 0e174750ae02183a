/**
 * The built SvelteKit app (a static SPA) at `/`, when its folder exists. Unknown GET paths outside /api get
 * index.html (the client router takes over); unknown /api paths get a JSON 404.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, toErrorBody } from '../../errors.ts';

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
      await app.register(fastifyStatic, { root, prefix: '/', index: 'index.html', cacheControl: true });
    }
    app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
      const spaRequest = (request.method === 'GET' || request.method === 'HEAD') && !isApiPath(request.url);
      if (hasApp && spaRequest) {
        return reply.header('cache-control', 'no-cache').sendFile('index.html');
      }
      const { status, body } = notFoundBody(request);
      body.error.request_id = request.id;
      return reply.status(status).send(body);
    });
  },
  { name: 'static-app' },
);
