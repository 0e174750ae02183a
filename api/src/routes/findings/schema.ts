/**
 * Schemas of GET /api/findings (the findings explorer). `findingFiltersSchema` is the one definition of the
 * explorer's filters and sort: the findings CSV (GET /api/reports/findings.csv) takes exactly these, so an
 * export link is the explorer's query string with another path.
 */
import { SCANNABLE_PROVIDERS } from '../../../../scanners/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { EXPLORER_SORTS } from '../../explorer/types.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { findingSchema } from '../scans/schema.ts';

const text = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** The explorer's filters and sort (query string properties), shared with the findings CSV. */
export const findingFiltersSchema = {
  sort: { type: 'string', enum: [...EXPLORER_SORTS], default: 'severity' },
  scan_id: { type: 'string', format: 'uuid' },
  provider: { type: 'string', enum: [...SCANNABLE_PROVIDERS] },
  integration_id: { type: 'string', format: 'uuid' },
  account: text,
  region: text,
  resource_type: text,
  // Resource ids are ARNs and URLs: longer than the other filters' values (the resource route allows 2048).
  resource_id: { type: 'string', minLength: 1, maxLength: 2048 },
  rule_id: text,
  severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'info'] },
  status: { type: 'string', enum: ['pass', 'fail', 'not_applicable', 'error'] },
  framework: text,
  control: text,
  excepted: { type: 'boolean' },
  new_since_last_scan: { type: 'boolean' },
} as const;

/** A finding as the explorer lists it: the scan's finding, where it comes from, and whether it is new. */
export const explorerFindingSchema = {
  type: 'object',
  required: [
    ...findingSchema.required,
    'scan_id',
    'integration_id',
    'integration_name',
    'provider',
    'resource_account',
    'resource_region',
    'new_since_last_scan',
  ],
  properties: {
    ...findingSchema.properties,
    scan_id: { type: 'string' },
    integration_id: { type: 'string' },
    integration_name: { type: 'string' },
    provider: { type: 'string' },
    resource_account: { type: 'string' },
    resource_region: { type: 'string' },
    new_since_last_scan: { type: 'boolean' },
  },
} as const;

export const listFindingsSchema = {
  operationId: 'listFindings',
  summary: "Explore the findings of the tenant's posture, filtered and sorted",
  description:
    'The findings of the latest succeeded scan of every integration (or of one scan with scan_id), narrowed by every filter given. Cursor-paged; GET /api/reports/findings.csv takes the same filters and exports exactly these rows.',
  tags: ['findings'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...pageQuerySchema(100, 1000), ...findingFiltersSchema },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: explorerFindingSchema }, next_cursor: nextCursorSchema },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;
