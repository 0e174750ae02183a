/**
 * Prometheus metrics at GET /metrics (fastify-metrics: process defaults plus per-route request durations by
 * route pattern, method and status, never by concrete URL or tenant). The page answers only a scraper that
 * sends `Authorization: Bearer <COMPLYWISE_METRICS_TOKEN>` (401 otherwise); without a token configured it
 * is not served (404), since it shares the port the public reaches.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import metricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.ts';

// A CommonJS build whose ESM default is the module object: its plugin sits one level down.
const fastifyMetrics = metricsModule.default;

export const METRICS_PATH = '/metrics';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export const metricsPlugin = fp<{ token?: string }>(
  async (app, { token }) => {
    const expected = token ? digest(token) : null;
    const requireToken = async (request: FastifyRequest) => {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      // Compared as digests in constant time: the token's length and content leak nothing.
      if (!expected || !presented || !timingSafeEqual(digest(presented), expected))
        throw new ApiError(
          'UNAUTHENTICATED',
          'metrics need the bearer token set in COMPLYWISE_METRICS_TOKEN',
        );
    };
    await app.register(fastifyMetrics, {
      endpoint: expected
        ? {
            url: METRICS_PATH,
            method: 'GET',
            logLevel: 'fatal',
            exposeHeadRoute: false,
            schema: { hide: true },
            onRequest: requireToken,
            handler: () => {},
          }
        : null,
      // Several app instances share one process in tests: each takes the default registry over.
      clearRegisterOnInit: true,
      routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true },
    });
  },
  { name: 'metrics' },
);
