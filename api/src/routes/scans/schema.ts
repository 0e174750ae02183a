/** Request and response schemas of /api/scans (and the score shape /api/scores reuses). */
import { errorBodySchema } from '../../errors.ts';
import { FINDING_COLUMNS } from '../../scans/store.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';

const uuid = { type: 'string', format: 'uuid' } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const status = { type: 'string', enum: ['pass', 'fail', 'not_applicable', 'error'] } as const;

/** The six states of a requirement (docs/scoring.md): what the dashboard counts. */
const requirementState = {
  type: 'string',
  enum: ['pass', 'fail', 'needs_evidence', 'not_applicable', 'manual', 'error'],
} as const;

/** How many requirements are in each state. */
export const statusCountsSchema = {
  type: 'object',
  required: requirementState.enum,
  properties: Object.fromEntries(requirementState.enum.map((s) => [s, { type: 'integer' }])) as Record<
    (typeof requirementState.enum)[number],
    { type: 'integer' }
  >,
} as const;

/** What a score is a share of: the requirements in the `counted` states, in numbers and in words. */
export const scoreBasisSchema = {
  type: 'object',
  required: ['counted', 'requirements', 'total', 'weighted', 'description'],
  properties: {
    counted: { type: 'array', items: requirementState },
    requirements: { type: 'integer' },
    total: { type: 'integer' },
    weighted: { type: 'boolean' },
    description: { type: 'string' },
  },
} as const;

const scanErrorSchema = {
  type: 'object',
  required: ['provider', 'operation', 'code', 'message'],
  properties: {
    provider: { type: 'string' },
    operation: { type: 'string' },
    resource_id: { type: ['string', 'null'] },
    code: { type: 'string' },
    message: { type: 'string' },
    missing_permission: { type: ['string', 'null'] },
  },
} as const;

const progressSchema = {
  type: 'object',
  required: ['phase', 'resources_collected', 'calls_made', 'errors'],
  properties: {
    phase: { type: 'string' },
    resources_collected: { type: 'integer' },
    calls_made: { type: 'integer' },
    errors: { type: 'integer' },
  },
} as const;

export const scanSchema = {
  type: 'object',
  required: ['id', 'integration_id', 'status', 'progress', 'errors', 'bundle_revision', 'created_at'],
  properties: {
    id: { type: 'string' },
    integration_id: { type: 'string' },
    integration_name: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    progress: progressSchema,
    parts: {
      type: 'object',
      description:
        'The parts the scan is split into (each collected by any worker) and how many are collected; 0 of 0 until the scan is planned.',
      required: ['total', 'done'],
      properties: { total: { type: 'integer' }, done: { type: 'integer' } },
    },
    errors: { type: 'array', items: scanErrorSchema },
    bundle_revision: { type: ['string', 'null'] },
    overrides_hash: { type: ['string', 'null'] },
    failure: {
      type: ['object', 'null'],
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    finding_counts: {
      type: 'object',
      properties: {
        pass: { type: 'integer' },
        fail: { type: 'integer' },
        not_applicable: { type: 'integer' },
        error: { type: 'integer' },
        excepted: { type: 'integer' },
      },
    },
    created_at: timestamp,
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
    updated_at: timestamp,
  },
} as const;

export const frameworkScoreSchema = {
  type: 'object',
  required: [
    'framework_id',
    'framework_version',
    'title',
    'score',
    'passed',
    'failed',
    'not_applicable',
    'requirements',
    'status_counts',
    'score_basis',
  ],
  properties: {
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    title: { type: 'string' },
    score: { type: ['number', 'null'] },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    not_applicable: { type: 'integer' },
    requirements: {
      type: 'array',
      items: {
        type: 'object',
        required: ['requirement_id', 'title', 'status', 'state', 'control_ids'],
        properties: {
          requirement_id: { type: 'string' },
          title: { type: 'string' },
          status,
          state: requirementState,
          control_ids: { type: 'array', items: { type: 'string' } },
          // Set while the requirement waits for manual evidence on the controls listed in evidence_needed.
          needs_evidence: { type: 'boolean' },
          evidence_needed: { type: 'array', items: { type: 'string' } },
          weight: { type: 'number' },
        },
      },
    },
    needs_evidence: { type: 'integer' },
    weighted: { type: 'boolean' },
    status_counts: statusCountsSchema,
    score_basis: scoreBasisSchema,
  },
} as const;

const counts = {
  type: 'object',
  required: ['pass', 'fail', 'not_applicable', 'error'],
  properties: {
    pass: { type: 'integer' },
    fail: { type: 'integer' },
    not_applicable: { type: 'integer' },
    error: { type: 'integer' },
  },
} as const;

export const controlResultSchema = {
  type: 'object',
  required: ['control_id', 'title', 'objective', 'status', 'counts', 'rule_ids'],
  properties: {
    control_id: { type: 'string' },
    title: { type: 'string' },
    objective: { type: 'string' },
    domain: { type: ['string', 'null'] },
    status,
    counts,
    rule_ids: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const findingSchema = {
  type: 'object',
  required: FINDING_COLUMNS,
  properties: {
    id: { type: 'string' },
    rule_id: { type: 'string' },
    rule_title: { type: ['string', 'null'] },
    rule_version: { type: 'string' },
    rule_hash: { type: 'string' },
    bundle_revision: { type: 'string' },
    resource_id: { type: 'string' },
    resource_type: { type: 'string' },
    resource_name: { type: 'string' },
    status,
    severity: { type: 'string' },
    message: { type: 'string' },
    evidence_sha256: { type: ['string', 'null'] },
    exception_id: { type: ['string', 'null'] },
    // The exception that set this failing finding aside (the score leaves it out), as it was applied.
    exception: {
      type: ['object', 'null'],
      required: ['id', 'rule_id', 'selector', 'reason', 'approver', 'expires_at', 'created_by', 'created_at'],
      properties: {
        id: { type: 'string' },
        rule_id: { type: 'string' },
        selector: { type: 'object', additionalProperties: { type: 'string' } },
        reason: { type: 'string' },
        approver: { type: 'string' },
        expires_at: { type: 'string', format: 'date-time' },
        created_by: { type: 'string' },
        created_at: { type: 'string', format: 'date-time' },
        retired_at: { type: ['string', 'null'], format: 'date-time' },
      },
    },
  },
} as const;

export const mappingSchema = {
  type: 'object',
  required: ['framework_id', 'framework_version', 'framework_title', 'requirement_id', 'requirement_title'],
  properties: {
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    framework_title: { type: 'string' },
    requirement_id: { type: 'string' },
    requirement_title: { type: 'string' },
    relationship: { type: ['string', 'null'] },
    rationale: { type: ['string', 'null'] },
  },
} as const;

const scanParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const readErrors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema } as const;

export const createScanSchema = {
  operationId: 'createScan',
  summary: 'Queue a scan of an integration',
  tags: ['scans'],
  body: {
    type: 'object',
    required: ['integration_id'],
    additionalProperties: false,
    properties: { integration_id: uuid },
  },
  response: {
    202: {
      type: 'object',
      required: ['id', 'status'],
      properties: { id: { type: 'string' }, status: { type: 'string', const: 'queued' } },
    },
    ...readErrors,
    403: errorBodySchema,
    503: errorBodySchema,
  },
} as const;

export const listScansSchema = {
  operationId: 'listScans',
  summary: 'List scans, newest first',
  tags: ['scans'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(50, 200),
      sort: { type: 'string', enum: ['-created_at', 'created_at'], default: '-created_at' },
      status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
      integration_id: uuid,
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: scanSchema }, next_cursor: nextCursorSchema },
    },
    ...readErrors,
  },
} as const;

export const getScanSchema = {
  operationId: 'getScan',
  summary: 'Read one scan and its progress',
  tags: ['scans'],
  params: scanParams,
  response: { 200: scanSchema, ...readErrors },
} as const;

export const cancelScanSchema = {
  operationId: 'cancelScan',
  summary: 'Cancel a queued or running scan',
  tags: ['scans'],
  params: scanParams,
  response: { 200: scanSchema, ...readErrors, 403: errorBodySchema, 409: errorBodySchema },
} as const;

export const scanScoresSchema = {
  operationId: 'getScanScores',
  summary: "A scan's framework scores",
  tags: ['scans'],
  params: scanParams,
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'items'],
      properties: { scan_id: { type: 'string' }, items: { type: 'array', items: frameworkScoreSchema } },
    },
    ...readErrors,
  },
} as const;

export const scanPartsSchema = {
  operationId: 'listScanParts',
  summary: "A scan's parts: which worker collected each, with its attempts, counts, errors and times",
  tags: ['scans'],
  params: scanParams,
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'items'],
      properties: {
        scan_id: { type: 'string' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'part',
              'status',
              'worker_id',
              'attempts',
              'resources',
              'progress',
              'errors',
              'failure_message',
              'started_at',
              'finished_at',
            ],
            properties: {
              part: {
                type: 'string',
                description:
                  'The part key, e.g. `s3`, `ec2@eu-west-1`, `account:123456789012 (prod)`, `subscription:<id>`, or `all` (whole).',
              },
              status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
              worker_id: {
                type: ['string', 'null'],
                description: 'host:pid of the worker of the last attempt',
              },
              attempts: { type: 'integer' },
              resources: { type: ['integer', 'null'], description: 'Resources collected; null until done.' },
              progress: { anyOf: [progressSchema, { type: 'null' }] },
              errors: { type: 'array', items: scanErrorSchema },
              failure_message: { type: ['string', 'null'] },
              started_at: nullableTimestamp,
              finished_at: nullableTimestamp,
            },
          },
        },
      },
    },
    ...readErrors,
  },
} as const;

export const scanControlsSchema = {
  operationId: 'listScanControls',
  summary: "A scan's control results",
  tags: ['scans'],
  params: scanParams,
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'items'],
      properties: { scan_id: { type: 'string' }, items: { type: 'array', items: controlResultSchema } },
    },
    ...readErrors,
  },
} as const;

export const scanControlSchema = {
  operationId: 'getScanControl',
  summary: 'One control of a scan with its mappings and findings',
  tags: ['scans'],
  params: {
    type: 'object',
    required: ['id', 'controlId'],
    properties: { id: uuid, controlId: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'control', 'mappings', 'findings'],
      properties: {
        scan_id: { type: 'string' },
        control: controlResultSchema,
        mappings: { type: 'array', items: mappingSchema },
        findings: { type: 'array', items: findingSchema },
      },
    },
    ...readErrors,
  },
} as const;

/** The sort and filters of one scan's findings list (the explorer's are in routes/findings/schema.ts). */
export const findingFilterProperties = {
  sort: { type: 'string', enum: ['rule_id', 'resource_id', 'status'], default: 'rule_id' },
  status,
  severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'info'] },
  rule_id: { type: 'string', minLength: 1, maxLength: 200 },
  resource_type: { type: 'string', minLength: 1, maxLength: 200 },
  excepted: { type: 'boolean' },
} as const;

export const scanFindingsSchema = {
  operationId: 'listScanFindings',
  summary: "A scan's findings",
  tags: ['scans'],
  params: scanParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(200, 1000),
      ...findingFilterProperties,
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'items', 'next_cursor'],
      properties: {
        scan_id: { type: 'string' },
        items: { type: 'array', items: findingSchema },
        next_cursor: nextCursorSchema,
      },
    },
    ...readErrors,
  },
} as const;

const nullableText = { type: ['string', 'null'] } as const;

export const scanResourcesSchema = {
  operationId: 'listScanResources',
  summary: "The resources a scan collected, with each one's part, evidence snapshot and findings",
  description:
    "Every resource the scan's parts collected, in plan order (part by part, as each part listed them): the " +
    "list `resources_collected` counts. Type, name, account and region come from the scan's findings on the " +
    'resource, or from its evidence snapshot when no rule checked it. `total` counts every resource matching ' +
    'the filters, across pages.',
  tags: ['scans'],
  params: scanParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(50, 500),
      part: { type: 'string', minLength: 1, maxLength: 200, description: "Only this part's resources." },
      type: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        description: 'Only resources of this type (e.g. `aws.s3.bucket`).',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'total', 'items', 'next_cursor'],
      properties: {
        scan_id: { type: 'string' },
        total: { type: 'integer' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'resource_id',
              'part',
              'evidence_sha256',
              'resource_type',
              'resource_name',
              'account',
              'region',
              'findings',
              'failing',
            ],
            properties: {
              resource_id: { type: 'string' },
              part: { type: 'string', description: 'The key of the part that collected it.' },
              evidence_sha256: { type: 'string', description: 'Its snapshot as this scan collected it.' },
              resource_type: nullableText,
              resource_name: nullableText,
              account: nullableText,
              region: nullableText,
              findings: { type: 'integer', description: "The scan's findings on it." },
              failing: {
                type: 'integer',
                description: 'Of them, failing and not set aside by an exception.',
              },
            },
          },
        },
        next_cursor: nextCursorSchema,
      },
    },
    ...readErrors,
  },
} as const;
