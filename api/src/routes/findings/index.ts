/**
 * /api/findings: the findings explorer. Every finding of the tenant's posture (the latest succeeded scan of
 * each integration), filtered, sorted and cursor-paged; the findings CSV exports the same rows.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ExplorerQuery } from '../../explorer/types.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { listFindingsSchema } from './schema.ts';

const findingRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: ExplorerQuery }>(
    '/',
    { schema: listFindingsSchema, config: { permission: 'tenant:read' } },
    async (request) => app.explorer.list(principalOf(request).tenantId, request.query),
  );
};

export default findingRoutes;
