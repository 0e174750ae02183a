/**
 * /api/scans: queue a scan of an integration (202), cancel one, list and read scans, their parts, the resources they
 * collected, framework scores, control
 * results, one control with its mappings and findings, and findings. All tenant-scoped: another tenant's
 * scan answers 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import type { FindingListOptions, ScanListOptions, ScanResourceListOptions } from '../../scans/types.ts';
import {
  cancelScanSchema,
  createScanSchema,
  getScanSchema,
  listScansSchema,
  scanControlSchema,
  scanControlsSchema,
  scanFindingsSchema,
  scanPartsSchema,
  scanResourcesSchema,
  scanScoresSchema,
} from './schema.ts';

type ScanParams = { Params: { id: string } };

const scanRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { integration_id: string } }>(
    '/',
    { schema: createScanSchema, config: { permission: 'scan:start' } },
    async (request, reply) => {
      const scan = await app.scans.create(principalOf(request).tenantId, request.body.integration_id);
      return reply.status(202).send(scan);
    },
  );

  app.get<{ Querystring: ScanListOptions }>(
    '/',
    { schema: listScansSchema, config: { permission: 'tenant:read' } },
    async (request) => app.scans.list(principalOf(request).tenantId, request.query),
  );

  app.get<ScanParams>(
    '/:id',
    { schema: getScanSchema, config: { permission: 'tenant:read' } },
    async (request) => app.scans.get(principalOf(request).tenantId, request.params.id),
  );

  // Starting and cancelling a scan take the same permission: whoever may queue scans may call one off.
  app.post<ScanParams>(
    '/:id/cancel',
    { schema: cancelScanSchema, config: { permission: 'scan:start' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.scans.cancel(tenantId, request.params.id, userId);
    },
  );

  app.get<ScanParams>(
    '/:id/parts',
    { schema: scanPartsSchema, config: { permission: 'tenant:read' } },
    async (request) => app.scans.parts(principalOf(request).tenantId, request.params.id),
  );

  app.get<ScanParams & { Querystring: ScanResourceListOptions }>(
    '/:id/resources',
    { schema: scanResourcesSchema, config: { permission: 'tenant:read' } },
    async (request) => app.scans.resources(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.get<ScanParams>(
    '/:id/scores',
    { schema: scanScoresSchema, config: { permission: 'tenant:read' } },
    async (request) => app.scans.scores(principalOf(request).tenantId, request.params.id),
  );

  app.get<ScanParams>(
    '/:id/controls',
    { schema: scanControlsSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const results = await app.scans.controls(principalOf(request).tenantId, request.params.id);
      const items = await Promise.all(results.map((result) => app.engine.describeControl(result)));
      return { scan_id: request.params.id, items };
    },
  );

  app.get<{ Params: { id: string; controlId: string } }>(
    '/:id/controls/:controlId',
    { schema: scanControlSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const { id, controlId } = request.params;
      const { result, findings } = await app.scans.control(principalOf(request).tenantId, id, controlId);
      return {
        scan_id: id,
        control: await app.engine.describeControl(result),
        mappings: await app.engine.mappingsOf(controlId),
        findings,
      };
    },
  );

  app.get<ScanParams & { Querystring: FindingListOptions }>(
    '/:id/findings',
    { schema: scanFindingsSchema, config: { permission: 'tenant:read' } },
    async (request) => ({
      scan_id: request.params.id,
      ...(await app.scans.findings(principalOf(request).tenantId, request.params.id, request.query)),
    }),
  );
};

export default scanRoutes;
