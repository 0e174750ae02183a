/**
 * Prometheus metrics at GET /metrics (fastify-metrics: process defaults plus per-route request durations by
 * route pattern, method and status, never by concrete URL or tenant). Meant for the internal network: keep
 * /metrics off the public load balancer.
 */
import metricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';

// A CommonJS build whose ESM default is the module object: its plugin sits one level down.
const fastifyMetrics = metricsModule.default;

export const METRICS_PATH = '/metrics';

export const metricsPlugin = fp(
  async (app) => {
    await app.register(fastifyMetrics, {
      endpoint: METRICS_PATH,
      // Several app instances share one process in tests: each takes the default registry over.
      clearRegisterOnInit: true,
      routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true },
    });
  },
  { name: 'metrics' },
);
