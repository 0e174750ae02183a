/**
 * /api/reports: ask for a readiness report (202; a background job makes the PDF), list reports with their
 * status and progress, download a succeeded one; and the control matrix and findings as CSV, made on
 * request (the findings CSV streams: rows are read page by page while the answer is sent).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import type { FindingFilters } from '../../explorer/types.ts';
import { controlMatrixCsvStream, findingsCsvStream } from '../../reports/csv.ts';
import type { ReportRequest } from '../../reports/types.ts';
import {
  controlMatrixSchema,
  createReportSchema,
  downloadReportSchema,
  findingsCsvSchema,
  getReportSchema,
  listReportsSchema,
} from './schema.ts';

type ById = { Params: { id: string } };

/** Marks the answer as a download named `filename`. */
function asDownload(reply: FastifyReply, type: string, filename: string): FastifyReply {
  return reply.type(type).header('content-disposition', `attachment; filename="${filename}"`);
}

const reportRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: ReportRequest }>(
    '/',
    { schema: createReportSchema, config: { permission: 'report:create' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(202).send(await app.reports.create(tenantId, userId, request.body));
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/',
    { schema: listReportsSchema, config: { permission: 'tenant:read' } },
    async (request) => app.reports.list(principalOf(request).tenantId, request.query),
  );

  app.get<ById>('/:id', { schema: getReportSchema, config: { permission: 'tenant:read' } }, async (request) =>
    app.reports.get(principalOf(request).tenantId, request.params.id),
  );

  app.get<ById>(
    '/:id/download',
    { schema: downloadReportSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const file = await app.reports.download(principalOf(request).tenantId, request.params.id);
      return asDownload(reply, file.content_type, file.filename)
        .header('x-content-sha256', file.sha256)
        .send(file.bytes);
    },
  );

  app.get<{ Params: { frameworkId: string }; Querystring: { version?: string; scan_id?: string } }>(
    '/frameworks/:frameworkId/control-matrix.csv',
    { schema: controlMatrixSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const { frameworkId } = request.params;
      const matrix = await app.reports.controlMatrix(
        principalOf(request).tenantId,
        frameworkId,
        request.query,
      );
      return asDownload(reply, 'text/csv; charset=utf-8', `control-matrix-${matrix.scan_id}.csv`).send(
        controlMatrixCsvStream(matrix.rows),
      );
    },
  );

  // The explorer's rows (GET /api/findings) under the same filters and sort, in the same order.
  app.get<{ Querystring: FindingFilters }>(
    '/findings.csv',
    { schema: findingsCsvSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const findings = await app.reports.findings(principalOf(request).tenantId, request.query);
      // A read failing midway destroys the answer (a cut download), never a silent short file.
      const body = findingsCsvStream(findings, (error) =>
        request.log.warn({ err: error }, 'findings CSV stopped early'),
      );
      const name = request.query.scan_id ? `findings-${request.query.scan_id}.csv` : 'findings.csv';
      return asDownload(reply, 'text/csv; charset=utf-8', name).send(body);
    },
  );
};

export default reportRoutes;
