/** Request and response schemas of /api/audits. */
import { AUDIT_MARK_KINDS, AUDIT_STATUSES, AUDITOR_STATUSES } from '../../audits/types.ts';
import { errorBodySchema } from '../../errors.ts';
import { OVERRIDE_KINDS } from '../../overrides/store.ts';
import { nextCursorSchema, pageQuerySchema, pageResponseSchema } from '../../pagination.ts';
import { ledgerEntrySchema, ledgerPageQuerySchema, ledgerPageSchema } from '../ledger/schema.ts';

const uuid = { type: 'string', format: 'uuid' } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const readErrors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema } as const;

const auditParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

const frameworkSchema = {
  type: 'object',
  required: ['framework_id', 'framework_version'],
  properties: { framework_id: { type: 'string' }, framework_version: { type: 'string' } },
} as const;

export const auditorSchema = {
  type: 'object',
  required: ['email', 'user_id', 'status', 'invitation_id', 'added_by', 'added_at'],
  properties: {
    email: { type: 'string' },
    user_id: nullableString,
    status: { type: 'string', enum: AUDITOR_STATUSES },
    invitation_id: nullableString,
    added_by: nullableString,
    added_at: timestamp,
  },
} as const;

const auditProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  frameworks: { type: 'array', items: frameworkSchema },
  period_start: timestamp,
  period_end: timestamp,
  status: { type: 'string', enum: AUDIT_STATUSES },
  created_by: nullableString,
  created_at: timestamp,
  closed_by: nullableString,
  closed_at: nullableTimestamp,
  package_sha256: nullableString,
} as const;

export const auditSchema = {
  type: 'object',
  required: Object.keys(auditProperties),
  properties: auditProperties,
} as const;

const auditWithAuditorsSchema = {
  type: 'object',
  required: [...Object.keys(auditProperties), 'auditors'],
  properties: { ...auditProperties, auditors: { type: 'array', items: auditorSchema } },
} as const;

export const openAuditSchema = {
  operationId: 'openAudit',
  summary: 'Open an audit over frameworks and a period',
  tags: ['audits'],
  body: {
    type: 'object',
    required: ['name', 'frameworks', 'period_start', 'period_end'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      frameworks: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        items: {
          type: 'object',
          required: ['framework_id'],
          additionalProperties: false,
          properties: {
            framework_id: { type: 'string', minLength: 1, maxLength: 200 },
            framework_version: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
      period_start: timestamp,
      period_end: timestamp,
    },
  },
  response: { 201: auditSchema, ...readErrors },
} as const;

export const listAuditsSchema = {
  operationId: 'listAudits',
  summary: 'List audits, newest first',
  description:
    'Admins see every audit of the tenant; an auditor sees the audits that list them (every /api/audits/:id route answers 404 AUDIT_NOT_FOUND for another).',
  tags: ['audits'],
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 200) },
  response: { 200: pageResponseSchema(auditSchema), ...readErrors },
} as const;

export const getAuditSchema = {
  operationId: 'getAudit',
  summary: 'Read one audit and its auditors',
  tags: ['audits'],
  params: auditParams,
  response: { 200: auditWithAuditorsSchema, ...readErrors },
} as const;

export const addAuditorSchema = {
  operationId: 'addAuditor',
  summary: 'Add an auditor to an audit (a new e-mail is invited with the auditor role)',
  tags: ['audits'],
  params: auditParams,
  body: {
    type: 'object',
    required: ['email'],
    additionalProperties: false,
    properties: { email: { type: 'string', format: 'email', minLength: 3, maxLength: 320 } },
  },
  response: { 201: auditorSchema, ...readErrors, 409: errorBodySchema },
} as const;

export const closeAuditSchema = {
  operationId: 'closeAudit',
  summary: 'Close an audit: it becomes read-only and keeps its package',
  tags: ['audits'],
  params: auditParams,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: { 200: auditSchema, ...readErrors, 409: errorBodySchema },
} as const;

export const auditPackageSchema = {
  operationId: 'downloadAuditPackage',
  summary: "Download an audit's package (zip, streamed)",
  tags: ['audits'],
  params: auditParams,
  response: {
    200: {
      description:
        'The package: evidence bundle, OSCAL assessment results, readiness PDFs, control matrix and findings CSVs, README.txt and SHA256SUMS.',
      content: { 'application/zip': { schema: { type: 'string' } } },
    },
    ...readErrors,
  },
} as const;

const scoreSummarySchema = {
  type: 'object',
  required: [
    'framework_id',
    'framework_version',
    'score',
    'passed',
    'failed',
    'not_applicable',
    'needs_evidence',
  ],
  properties: {
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    score: { type: ['number', 'null'] },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    not_applicable: { type: 'integer' },
    needs_evidence: { type: 'integer' },
  },
} as const;

export const auditResultsSchema = {
  operationId: 'listAuditResults',
  summary: "The succeeded scans of an audit's period with their scores",
  tags: ['audits'],
  params: auditParams,
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 200) },
  response: {
    200: pageResponseSchema({
      type: 'object',
      required: ['id', 'integration_id', 'status', 'bundle_revision', 'finished_at', 'scores'],
      properties: {
        id: { type: 'string' },
        integration_id: { type: 'string' },
        integration_name: { type: 'string' },
        status: { type: 'string' },
        bundle_revision: nullableString,
        overrides_hash: nullableString,
        created_at: timestamp,
        started_at: nullableTimestamp,
        finished_at: nullableTimestamp,
        scores: { type: 'array', items: scoreSummarySchema },
      },
    } as const),
    ...readErrors,
  },
} as const;

const manualEvidenceSchema = {
  type: 'object',
  required: ['id', 'verdict', 'sha256', 'kind', 'attested_by', 'collected_at', 'created_at'],
  properties: {
    id: { type: 'string' },
    control_id: nullableString,
    framework_id: nullableString,
    framework_version: nullableString,
    requirement_id: nullableString,
    verdict: { type: 'string' },
    sha256: { type: 'string' },
    kind: { type: 'string' },
    filename: nullableString,
    description: nullableString,
    attested_by: { type: 'string' },
    collected_at: timestamp,
    created_at: timestamp,
  },
} as const;

export const auditEvidenceSchema = {
  operationId: 'listAuditEvidence',
  summary: "Evidence recorded in an audit's period, each re-hashed from the store",
  tags: ['audits'],
  params: auditParams,
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 100) },
  response: {
    200: pageResponseSchema({
      type: 'object',
      required: ['sha256', 'size', 'content_type', 'created_at', 'verified', 'manual'],
      properties: {
        sha256: { type: 'string' },
        size: { type: 'integer' },
        content_type: { type: 'string' },
        created_at: timestamp,
        verified: { type: 'boolean' },
        manual: { type: 'array', items: manualEvidenceSchema },
      },
    } as const),
    ...readErrors,
  },
} as const;

/** What the server found re-reading an artifact now, and the tenant's record of it. */
const artifactCheckProperties = {
  sha256: { type: 'string' },
  verified: { type: 'boolean' },
  size: { type: ['integer', 'null'] },
  content_type: nullableString,
  recorded_at: nullableTimestamp,
} as const;

export const auditRequirementEvidenceSchema = {
  operationId: 'getAuditRequirementEvidence',
  summary: "A requirement's evidence of an audit's period: snapshots of its scans, manual evidence in force",
  description:
    "Automated: one page of the resource snapshots the findings of the requirement's controls' rules cite in the succeeded scans that finished in the period (failing first, then the most recently seen; `limit` and `cursor` page them, `total` counts all). Manual: the evidence attached to the requirement or its controls that counted at some moment of the period (collected before its end, fresh under the scoring policy at its start), even when attached after the period's end (`attached_after_period`; `created_at` is the attach date). Every artifact is re-hashed from the store on this read.",
  tags: ['audits'],
  params: {
    type: 'object',
    required: ['id', 'frameworkId', 'requirementId'],
    properties: {
      id: uuid,
      frameworkId: { type: 'string', minLength: 1, maxLength: 200 },
      requirementId: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 200) },
  response: {
    200: {
      type: 'object',
      required: [
        'audit_id',
        'framework',
        'requirement',
        'control_ids',
        'freshness_days',
        'automated',
        'manual',
      ],
      properties: {
        audit_id: { type: 'string' },
        framework: {
          type: 'object',
          required: ['framework_id', 'framework_version', 'title'],
          properties: {
            framework_id: { type: 'string' },
            framework_version: { type: 'string' },
            title: { type: 'string' },
          },
        },
        requirement: {
          type: 'object',
          required: ['requirement_id', 'title'],
          properties: { requirement_id: { type: 'string' }, title: { type: 'string' } },
        },
        control_ids: { type: 'array', items: { type: 'string' } },
        freshness_days: { type: 'integer' },
        automated: {
          type: 'object',
          required: ['total', 'items', 'next_cursor'],
          properties: {
            total: { type: 'integer' },
            next_cursor: nextCursorSchema,
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: [
                  ...Object.keys(artifactCheckProperties),
                  'resource_id',
                  'resource_type',
                  'resource_name',
                  'rule_ids',
                  'failed',
                  'scans',
                  'last_scan_id',
                  'last_scan_finished_at',
                ],
                properties: {
                  ...artifactCheckProperties,
                  resource_id: { type: 'string' },
                  resource_type: { type: 'string' },
                  resource_name: { type: 'string' },
                  rule_ids: { type: 'array', items: { type: 'string' } },
                  failed: { type: 'boolean' },
                  scans: { type: 'integer' },
                  last_scan_id: { type: 'string' },
                  last_scan_finished_at: timestamp,
                },
              },
            },
          },
        },
        manual: {
          type: 'array',
          items: {
            type: 'object',
            // sha256 is in both lists.
            required: [
              ...manualEvidenceSchema.required,
              ...Object.keys(artifactCheckProperties).filter((key) => key !== 'sha256'),
              'valid_until',
              'attached_after_period',
            ],
            properties: {
              ...manualEvidenceSchema.properties,
              ...artifactCheckProperties,
              valid_until: timestamp,
              attached_after_period: { type: 'boolean' },
            },
          },
        },
      },
    },
    ...readErrors,
  },
} as const;

const ruleVersionSchema = {
  type: 'object',
  required: ['rule_id', 'version', 'hash', 'bundle_revision', 'first_in_force_at', 'last_in_force_at'],
  properties: {
    rule_id: { type: 'string' },
    version: { type: 'string' },
    hash: { type: 'string' },
    bundle_revision: { type: 'string' },
    git_commit: nullableString,
    first_in_force_at: timestamp,
    last_in_force_at: nullableTimestamp,
  },
} as const;

export const auditRuleVersionsSchema = {
  operationId: 'listAuditRuleVersions',
  summary: "The rule versions in force during an audit's period",
  tags: ['audits'],
  params: auditParams,
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: ruleVersionSchema } },
    },
    ...readErrors,
  },
} as const;

export const auditRuleVersionFindingsSchema = {
  operationId: 'listAuditRuleVersionFindings',
  summary: "The findings one rule version produced in an audit's period",
  tags: ['audits'],
  params: {
    type: 'object',
    required: ['id', 'ruleId', 'hash'],
    properties: {
      id: uuid,
      ruleId: { type: 'string', minLength: 1, maxLength: 200 },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
  },
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(50, 200) },
  response: {
    200: pageResponseSchema({
      type: 'object',
      required: [
        'finding_id',
        'scan_id',
        'resource_id',
        'resource_type',
        'status',
        'severity',
        'exception_id',
        'scan_finished_at',
      ],
      properties: {
        finding_id: { type: 'string' },
        scan_id: { type: 'string' },
        resource_id: { type: 'string' },
        resource_type: { type: 'string' },
        status: { type: 'string' },
        severity: { type: 'string' },
        exception_id: nullableString,
        scan_finished_at: timestamp,
      },
    } as const),
    ...readErrors,
  },
} as const;

export const auditLedgerSchema = {
  operationId: 'listAuditLedgerEntries',
  summary: "The ledger entries of an audit's period, newest first, of one kind or actor when asked",
  description:
    "`total` counts the period's entries the filter leaves; `kinds` and `actors` count the period's entries per event kind and per actor, unfiltered. Entries with no actor (the system's own work) are the actor `system`: counted under it, and `actor=system` finds them.",
  tags: ['audits'],
  params: auditParams,
  querystring: {
    ...ledgerPageQuerySchema,
    properties: {
      ...ledgerPageQuerySchema.properties,
      kind: { type: 'string', minLength: 1, maxLength: 200 },
      actor: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: [...ledgerPageSchema.required, 'total', 'kinds', 'actors'],
      properties: {
        ...ledgerPageSchema.properties,
        total: { type: 'integer' },
        kinds: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kind', 'count'],
            properties: { kind: { type: 'string' }, count: { type: 'integer' } },
          },
        },
        actors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['actor', 'count'],
            properties: { actor: { type: 'string' }, count: { type: 'integer' } },
          },
        },
      },
    },
    ...readErrors,
  },
} as const;

const registerEntrySchema = {
  type: 'object',
  required: [
    'id',
    'kind',
    'rule_id',
    'reason',
    'approver',
    'expires_at',
    'created_by',
    'created_at',
    'retired_at',
    'retired_by',
    'expired',
    'retired',
    'findings',
    'ledger',
  ],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: OVERRIDE_KINDS },
    rule_id: { type: 'string' },
    params: { type: ['object', 'null'], additionalProperties: true },
    enabled: { type: ['boolean', 'null'] },
    severity: nullableString,
    selector: { type: ['object', 'null'], additionalProperties: true },
    reason: nullableString,
    approver: nullableString,
    expires_at: nullableTimestamp,
    created_by: { type: 'string' },
    created_at: timestamp,
    retired_at: nullableTimestamp,
    retired_by: nullableString,
    expired: { type: 'boolean' },
    retired: { type: 'boolean' },
    findings: {
      type: 'object',
      required: ['count', 'items'],
      properties: {
        count: { type: 'integer' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'finding_id',
              'scan_id',
              'rule_id',
              'resource_id',
              'resource_type',
              'scan_finished_at',
            ],
            properties: {
              finding_id: { type: 'string' },
              scan_id: { type: 'string' },
              rule_id: { type: 'string' },
              resource_id: { type: 'string' },
              resource_type: { type: 'string' },
              scan_finished_at: timestamp,
            },
          },
        },
      },
    },
    ledger: { type: 'array', items: ledgerEntrySchema },
  },
} as const;

export const auditExceptionsSchema = {
  operationId: 'listAuditExceptions',
  summary: "The exceptions register of an audit's period",
  tags: ['audits'],
  params: auditParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { kind: { type: 'string', enum: OVERRIDE_KINDS } },
  },
  response: {
    200: {
      type: 'object',
      required: ['audit_id', 'as_of', 'items'],
      properties: {
        audit_id: { type: 'string' },
        as_of: timestamp,
        items: { type: 'array', items: registerEntrySchema },
      },
    },
    ...readErrors,
  },
} as const;

const markSchema = {
  type: 'object',
  required: [
    'id',
    'audit_id',
    'framework_id',
    'framework_version',
    'requirement_id',
    'mark',
    'comment',
    'marked_by',
    'marked_at',
  ],
  properties: {
    id: { type: 'string' },
    audit_id: { type: 'string' },
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    requirement_id: { type: 'string' },
    mark: { type: 'string', enum: AUDIT_MARK_KINDS },
    comment: nullableString,
    marked_by: nullableString,
    marked_at: timestamp,
  },
} as const;

export const markRequirementSchema = {
  operationId: 'markAuditRequirement',
  summary: "Mark a requirement's evidence accepted, flagged or not applicable (the audit's auditors)",
  tags: ['audits'],
  params: auditParams,
  body: {
    type: 'object',
    required: ['framework_id', 'requirement_id', 'mark'],
    additionalProperties: false,
    properties: {
      framework_id: { type: 'string', minLength: 1, maxLength: 200 },
      framework_version: { type: 'string', minLength: 1, maxLength: 100 },
      requirement_id: { type: 'string', minLength: 1, maxLength: 200 },
      mark: { type: 'string', enum: AUDIT_MARK_KINDS },
      comment: { type: 'string', maxLength: 4000 },
    },
  },
  response: { 201: markSchema, ...readErrors, 403: errorBodySchema, 409: errorBodySchema },
} as const;

export const listMarksSchema = {
  operationId: 'listAuditMarks',
  summary: "An audit's feedback marks: each requirement's current one, or the whole history",
  tags: ['audits'],
  params: auditParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      mark: { type: 'string', enum: AUDIT_MARK_KINDS },
      history: { type: 'boolean', default: false },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: markSchema } },
    },
    ...readErrors,
  },
} as const;

const sampleSchema = {
  type: 'object',
  required: [
    'id',
    'audit_id',
    'resource_type',
    'as_of',
    'size',
    'seed',
    'population_size',
    'population_sha256',
    'scan_ids',
    'items',
    'drawn_by',
    'drawn_at',
  ],
  properties: {
    id: { type: 'string' },
    audit_id: { type: 'string' },
    resource_type: { type: 'string' },
    as_of: timestamp,
    size: { type: 'integer' },
    seed: { type: 'string' },
    population_size: { type: 'integer' },
    population_sha256: { type: 'string' },
    scan_ids: { type: 'array', items: { type: 'string' } },
    items: { type: 'array', items: { type: 'string' } },
    drawn_by: nullableString,
    drawn_at: timestamp,
  },
} as const;

export const drawSampleSchema = {
  operationId: 'drawAuditSample',
  summary: "Draw a seeded sample of a population of an audit's period",
  tags: ['audits'],
  params: auditParams,
  body: {
    type: 'object',
    required: ['resource_type', 'size'],
    additionalProperties: false,
    properties: {
      resource_type: { type: 'string', minLength: 1, maxLength: 200 },
      size: { type: 'integer', minimum: 1, maximum: 500 },
      as_of: timestamp,
      seed: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    },
  },
  response: {
    201: sampleSchema,
    ...readErrors,
    403: errorBodySchema,
    409: errorBodySchema,
  },
} as const;

export const listSamplesSchema = {
  operationId: 'listAuditSamples',
  summary: 'The samples drawn in an audit, newest first',
  tags: ['audits'],
  params: auditParams,
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: sampleSchema } },
    },
    ...readErrors,
  },
} as const;

export const getSampleSchema = {
  operationId: 'getAuditSample',
  summary: 'One sample drawn in an audit',
  tags: ['audits'],
  params: { type: 'object', required: ['id', 'sampleId'], properties: { id: uuid, sampleId: uuid } },
  response: { 200: sampleSchema, ...readErrors },
} as const;
