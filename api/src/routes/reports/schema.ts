/** Request and response schemas of /api/reports. */
import { errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { REPORT_KINDS, REPORT_STATUSES } from '../../reports/types.ts';
import { findingFiltersSchema } from '../findings/schema.ts';

const uuid = { type: 'string', format: 'uuid' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const readErrors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema } as const;

export const reportSchema = {
  type: 'object',
  required: [
    'id',
    'kind',
    'framework_id',
    'framework_version',
    'status',
    'progress',
    'scan_id',
    'sha256',
    'size',
    'content_type',
    'failure_code',
    'failure_message',
    'requested_by',
    'created_at',
    'started_at',
    'finished_at',
  ],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: REPORT_KINDS },
    framework_id: { type: 'string' },
    framework_version: nullableString,
    status: { type: 'string', enum: REPORT_STATUSES },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    scan_id: nullableString,
    sha256: nullableString,
    size: { type: ['integer', 'null'] },
    content_type: nullableString,
    failure_code: nullableString,
    failure_message: nullableString,
    requested_by: nullableString,
    created_at: { type: 'string', format: 'date-time' },
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
  },
} as const;

const reportParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

/** A 200 answer that is a file of `type`, not JSON. */
function fileAnswer(type: string, description: string) {
  return { description, content: { [type]: { schema: { type: 'string' } } } } as const;
}

export const createReportSchema = {
  operationId: 'createReport',
  summary: 'Ask for a readiness report (made in the background)',
  tags: ['reports'],
  body: {
    type: 'object',
    required: ['kind', 'framework_id'],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', enum: REPORT_KINDS },
      framework_id: { type: 'string', minLength: 1, maxLength: 200 },
      framework_version: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  response: { 202: reportSchema, ...readErrors, 409: errorBodySchema, 503: errorBodySchema },
} as const;

export const listReportsSchema = {
  operationId: 'listReports',
  summary: 'List reports with their status and progress, newest first',
  tags: ['reports'],
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 200) },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: reportSchema }, next_cursor: nextCursorSchema },
    },
    ...readErrors,
  },
} as const;

export const getReportSchema = {
  operationId: 'getReport',
  summary: 'Read one report and its progress',
  tags: ['reports'],
  params: reportParams,
  response: { 200: reportSchema, ...readErrors },
} as const;

export const downloadReportSchema = {
  operationId: 'downloadReport',
  summary: "Download a succeeded report's file",
  tags: ['reports'],
  params: reportParams,
  response: {
    200: fileAnswer(
      'application/pdf',
      'The report, as stored (its sha256 is in the x-content-sha256 header).',
    ),
    ...readErrors,
    409: errorBodySchema,
  },
} as const;

export const controlMatrixSchema = {
  operationId: 'getControlMatrixCsv',
  summary: "A framework's control matrix as CSV",
  tags: ['reports'],
  params: {
    type: 'object',
    required: ['frameworkId'],
    properties: { frameworkId: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { version: { type: 'string', minLength: 1, maxLength: 100 }, scan_id: uuid },
  },
  response: {
    200: fileAnswer('text/csv', 'One row per requirement and mapped control (RFC 4180, UTF-8, header row).'),
    ...readErrors,
  },
} as const;

export const findingsCsvSchema = {
  operationId: 'getFindingsCsv',
  summary: "The findings explorer's rows as CSV, streamed",
  description:
    'Exactly the findings GET /api/findings pages through for the same filters and sort (the posture, or one scan with scan_id), in the same order.',
  tags: ['reports'],
  querystring: { type: 'object', additionalProperties: false, properties: findingFiltersSchema },
  response: {
    200: fileAnswer('text/csv', 'One row per finding (RFC 4180, UTF-8, header row).'),
    ...readErrors,
  },
} as const;
