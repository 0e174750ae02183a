/**
 * GET /api/scans/:id/oscal/assessment-results and /api/scans/latest/oscal/assessment-results: the OSCAL 1.1.3
 * assessment-results document of one finished scan (engine/oscal-export.ts): its findings as observations,
 * its UCF control results as findings and its framework scores as props. Tenant-scoped like every scan read.
 */
import type { FastifyPluginAsync } from 'fastify';
import { assessmentResultsToOscal } from '../../../../engine/index.ts';
import type { ControlResult, Finding, FrameworkScore } from '../../../../schemas/index.ts';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { FINDING_COLUMNS, requireScan } from '../../plugins/app/scans.ts';
import type { Trx } from '../../plugins/app/tenancy.ts';

const response = {
  // The OSCAL document as the engine builds it (validated against the official schema in the tests).
  200: {
    type: 'object',
    required: ['assessment-results'],
    properties: { 'assessment-results': { type: 'object', additionalProperties: true } },
  },
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
} as const;

const byIdSchema = {
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
  response,
} as const;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

async function exportScan(
  trx: Trx,
  tenantId: string,
  scanId: string,
): Promise<{ 'assessment-results': object }> {
  const scan = await requireScan(trx, scanId);
  if (scan.status !== 'succeeded' || !scan.bundle_revision)
    throw new ApiError('CONFLICT', `scan ${scanId} is ${scan.status}: only a succeeded scan has results`);
  const findings = (await trx('findings')
    .select(FINDING_COLUMNS)
    .where({ scan_id: scanId })
    .orderBy([{ column: 'rule_id' }, { column: 'resource_id' }])) as Finding[];
  const controls = (await trx('control_results')
    .select('control_id', 'status', 'counts', 'rule_ids')
    .where({ scan_id: scanId })
    .orderBy('control_id')) as ControlResult[];
  const scores = (await trx('framework_scores')
    .select('framework_id', 'framework_version', 'title', 'score', 'passed', 'failed', 'not_applicable')
    .where({ scan_id: scanId })
    .orderBy([{ column: 'framework_id' }, { column: 'framework_version' }])) as FrameworkScore[];
  const tenant = (await trx('tenants').select('name').where({ id: tenantId }).first()) as
    { name: string } | undefined;
  return assessmentResultsToOscal(
    {
      scan_id: scan.id,
      started_at: iso(scan.started_at ?? scan.created_at)!,
      finished_at: iso(scan.finished_at),
      bundle_revision: scan.bundle_revision,
      ...(tenant ? { subject: tenant.name } : {}),
    },
    findings,
    controls,
    scores,
    // last-modified = when the results were final, so the same scan always exports the same document.
    { now: new Date(scan.finished_at ?? scan.updated_at) },
  );
}

const oscalRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string } }>(
    '/:id/oscal/assessment-results',
    { schema: byIdSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const { tenantId } = principalOf(request);
      return app.withTenant(tenantId, (trx) => exportScan(trx, tenantId, request.params.id));
    },
  );

  app.get(
    '/latest/oscal/assessment-results',
    { schema: { response }, config: { permission: 'tenant:read' } },
    async (request) => {
      const { tenantId } = principalOf(request);
      return app.withTenant(tenantId, async (trx) => {
        const latest = (await trx('scans')
          .select('id')
          .where({ status: 'succeeded' })
          .orderBy([
            { column: 'finished_at', order: 'desc' },
            { column: 'id', order: 'asc' },
          ])
          .first()) as { id: string } | undefined;
        if (!latest) throw new ApiError('SCAN_NOT_FOUND', 'no succeeded scan yet');
        return exportScan(trx, tenantId, latest.id);
      });
    },
  );
};

export default oscalRoutes;
