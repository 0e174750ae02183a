/**
 * /api/audits: admins open audits (frameworks and a period), invite auditors and close them; admins and
 * auditors read everything of an audit limited to its period (results, evidence, a requirement's evidence,
 * rule versions in force, exceptions register, ledger entries) and download its package (a zip, streamed).
 */
import type { FastifyPluginAsync } from 'fastify';
import type {
  AuditMarkKind,
  AuditMarkRequest,
  AuditRequest,
  AuditSampleRequest,
} from '../../audits/types.ts';
import type { OverrideKind } from '../../overrides/store.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import {
  addAuditorSchema,
  auditEvidenceSchema,
  auditExceptionsSchema,
  auditLedgerSchema,
  auditPackageSchema,
  auditRequirementEvidenceSchema,
  auditResultsSchema,
  auditRuleVersionFindingsSchema,
  auditRuleVersionsSchema,
  closeAuditSchema,
  drawSampleSchema,
  getSampleSchema,
  listSamplesSchema,
  getAuditSchema,
  listAuditsSchema,
  listMarksSchema,
  markRequirementSchema,
  openAuditSchema,
} from './schema.ts';

type ById = { Params: { id: string } };
type Paged = { Querystring: { limit: number; cursor?: string } };

const auditRoutes: FastifyPluginAsync = async (app) => {
  // An audit named in the path must be one the caller may see (an auditor: one that lists them), else 404:
  // after the role guard and validation, before any handler reads or changes it.
  app.addHook('preHandler', async (request) => {
    const { id } = (request.params ?? {}) as { id?: string };
    if (id === undefined) return;
    const { tenantId, userId, role } = principalOf(request);
    await app.audits.assertVisible(tenantId, { userId, role }, id);
  });

  app.post<{ Body: AuditRequest }>(
    '/',
    { schema: openAuditSchema, config: { permission: 'audit:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(201).send(await app.audits.open(tenantId, userId, request.body));
    },
  );

  app.get<Paged>('/', { schema: listAuditsSchema, config: { permission: 'audit:read' } }, async (request) => {
    const { tenantId, userId, role } = principalOf(request);
    return app.audits.list(tenantId, { userId, role }, request.query);
  });

  app.get<ById>('/:id', { schema: getAuditSchema, config: { permission: 'audit:read' } }, async (request) =>
    app.audits.get(principalOf(request).tenantId, request.params.id),
  );

  app.post<ById & { Body: { email: string } }>(
    '/:id/auditors',
    { schema: addAuditorSchema, config: { permission: 'audit:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const auditor = await app.audits.addAuditor(tenantId, userId, request.params.id, request.body.email);
      return reply.status(201).send(auditor);
    },
  );

  app.get<ById & Paged>(
    '/:id/results',
    { schema: auditResultsSchema, config: { permission: 'audit:read' } },
    async (request) => app.audits.results(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.get<ById & Paged>(
    '/:id/evidence',
    { schema: auditEvidenceSchema, config: { permission: 'audit:read' } },
    async (request) => app.audits.evidence(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.get<{ Params: { id: string; frameworkId: string; requirementId: string } } & Paged>(
    '/:id/frameworks/:frameworkId/requirements/:requirementId/evidence',
    { schema: auditRequirementEvidenceSchema, config: { permission: 'audit:read' } },
    async (request) => {
      const { id, frameworkId, requirementId } = request.params;
      const tenantId = principalOf(request).tenantId;
      return app.audits.requirementEvidence(tenantId, id, frameworkId, requirementId, request.query);
    },
  );

  app.get<ById>(
    '/:id/rule-versions',
    { schema: auditRuleVersionsSchema, config: { permission: 'audit:read' } },
    async (request) => ({
      items: await app.audits.ruleVersions(principalOf(request).tenantId, request.params.id),
    }),
  );

  app.get<{ Params: { id: string; ruleId: string; hash: string } } & Paged>(
    '/:id/rules/:ruleId/versions/:hash/findings',
    { schema: auditRuleVersionFindingsSchema, config: { permission: 'audit:read' } },
    async (request) => {
      const { id, ruleId, hash } = request.params;
      const version = { rule_id: ruleId, rule_hash: hash };
      return app.audits.ruleVersionFindings(principalOf(request).tenantId, id, version, request.query);
    },
  );

  app.get<ById & { Querystring: { limit: number; before_seq?: number; kind?: string; actor?: string } }>(
    '/:id/ledger',
    { schema: auditLedgerSchema, config: { permission: 'audit:read' } },
    async (request) => app.audits.ledger(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.get<ById & { Querystring: { kind?: OverrideKind } }>(
    '/:id/exceptions',
    { schema: auditExceptionsSchema, config: { permission: 'audit:read' } },
    async (request) => app.audits.exceptions(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.get<ById>(
    '/:id/package',
    { schema: auditPackageSchema, config: { permission: 'audit:read' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const pkg = await app.audits.package(tenantId, userId, request.params.id);
      pkg.stream.on('error', (error) => request.log.warn({ err: error }, 'audit package stopped early'));
      reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${pkg.filename}"`)
        .header('cache-control', 'no-store');
      if (pkg.sha256) reply.header('x-content-sha256', pkg.sha256);
      return reply.send(pkg.stream);
    },
  );

  app.post<ById & { Body: AuditMarkRequest }>(
    '/:id/marks',
    { schema: markRequirementSchema, config: { permission: 'audit:feedback' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(201).send(await app.audits.mark(tenantId, userId, request.params.id, request.body));
    },
  );

  app.get<ById & { Querystring: { mark?: AuditMarkKind; history: boolean } }>(
    '/:id/marks',
    { schema: listMarksSchema, config: { permission: 'audit:read' } },
    async (request) => app.audits.marks(principalOf(request).tenantId, request.params.id, request.query),
  );

  app.post<ById & { Body: AuditSampleRequest }>(
    '/:id/samples',
    { schema: drawSampleSchema, config: { permission: 'audit:sample' } },
    async (request, reply) => {
      const { tenantId, userId, role } = principalOf(request);
      const sample = await app.audits.drawSample(tenantId, { userId, role }, request.params.id, request.body);
      return reply.status(201).send(sample);
    },
  );

  app.get<ById>(
    '/:id/samples',
    { schema: listSamplesSchema, config: { permission: 'audit:read' } },
    async (request) => ({
      items: await app.audits.samples(principalOf(request).tenantId, request.params.id),
    }),
  );

  app.get<{ Params: { id: string; sampleId: string } }>(
    '/:id/samples/:sampleId',
    { schema: getSampleSchema, config: { permission: 'audit:read' } },
    async (request) =>
      app.audits.sample(principalOf(request).tenantId, request.params.id, request.params.sampleId),
  );

  // Last: the route matrix closes its own audit, so nothing after this needs it open.
  app.post<ById>(
    '/:id/close',
    { schema: closeAuditSchema, config: { permission: 'audit:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.audits.close(tenantId, userId, request.params.id);
    },
  );
};

export default auditRoutes;
