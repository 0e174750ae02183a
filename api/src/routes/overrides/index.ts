/**
 * /api/overrides: the tenant's rule overrides (parameters, enable/disable, severity, resource exceptions).
 * Admins create and retire them; admins and auditors read them, retired ones included on request. Rows are
 * never edited: a change is a new override, a withdrawal a retirement. Each change enters the ledger.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import {
  OVERRIDE_COLUMNS,
  OVERRIDE_KINDS,
  type OverrideInput,
  type OverrideListOptions,
} from '../../overrides/store.ts';

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const overrideSchema = {
  type: 'object',
  required: OVERRIDE_COLUMNS,
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: OVERRIDE_KINDS },
    rule_id: { type: 'string' },
    params: { type: ['object', 'null'], additionalProperties: true },
    enabled: { type: ['boolean', 'null'] },
    severity: nullableString,
    selector: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    reason: nullableString,
    approver: nullableString,
    expires_at: nullableTimestamp,
    created_by: { type: 'string' },
    created_at: timestamp,
    retired_at: nullableTimestamp,
    retired_by: nullableString,
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

/** A listed override: the record, whether it is in force now, and whether it still validates. */
const listedOverrideSchema = {
  ...overrideSchema,
  required: [...OVERRIDE_COLUMNS, 'active', 'valid', 'problems'],
  properties: {
    ...overrideSchema.properties,
    active: { type: 'boolean' },
    // false when the deployed rules refuse it (a later bundle changed or removed the rule): scans skip it.
    valid: { type: 'boolean' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const listSchema = {
  operationId: 'listOverrides',
  summary: 'List rule overrides',
  tags: ['overrides'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(100, 500),
      rule_id: { type: 'string', minLength: 1, maxLength: 200 },
      kind: { type: 'string', enum: OVERRIDE_KINDS },
      active: { type: 'boolean' },
      include_retired: { type: 'boolean', default: false },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: listedOverrideSchema }, next_cursor: nextCursorSchema },
    },
    ...errors,
  },
} as const;

const createSchema = {
  operationId: 'createOverride',
  summary: 'Create a rule override',
  tags: ['overrides'],
  body: {
    type: 'object',
    required: ['kind', 'rule_id'],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', enum: OVERRIDE_KINDS },
      rule_id: { type: 'string', minLength: 1, maxLength: 200 },
      // Shapes are checked against the rule by the engine (overrideInputProblems), naming the field.
      params: {},
      enabled: {},
      severity: {},
      selector: {},
      reason: {},
      approver: {},
      expires_at: {},
    },
  },
  response: { 201: overrideSchema, ...errors },
} as const;

const retireSchema = {
  operationId: 'retireOverride',
  summary: 'Retire a rule override',
  tags: ['overrides'],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
  response: { 200: overrideSchema, ...errors, 404: errorBodySchema },
} as const;

const overrideRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: OverrideListOptions }>(
    '/',
    { schema: listSchema, config: { permission: 'override:read' } },
    async (request) => app.overrides.list(principalOf(request).tenantId, request.query),
  );

  app.post<{ Body: OverrideInput }>(
    '/',
    { schema: createSchema, config: { permission: 'override:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(201).send(await app.overrides.create(tenantId, userId, request.body));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/:id',
    { schema: retireSchema, config: { permission: 'override:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.overrides.retire(tenantId, userId, request.params.id);
    },
  );
};

export default overrideRoutes;
