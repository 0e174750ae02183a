/**
 * /api/overrides: the tenant's rule overrides (parameters, enable/disable, severity, resource exceptions).
 * Admins create and retire them; admins and auditors read them, retired ones included on request. Rows are
 * never edited: a change is a new override, a withdrawal a retirement. Each change enters the ledger.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import {
  OVERRIDE_COLUMNS,
  OVERRIDE_KINDS,
  checkOverrides,
  insertOverride,
  listOverridePage,
  overrideInputProblems,
  retireOverride,
  type OverrideInput,
  type OverrideListOptions,
  type OverrideRecord,
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

/** The ledger payload of an override: what it sets, not who (the entry's actor says that). */
function ledgerPayload(record: OverrideRecord): Record<string, unknown> {
  const { created_by: _by, retired_by: _retiredBy, ...rest } = record;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null));
}

const overrideRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: OverrideListOptions }>(
    '/',
    { schema: listSchema, config: { permission: 'override:read' } },
    async (request) => {
      const { tenantId } = principalOf(request);
      const now = new Date();
      const page = await app.withTenant(tenantId, (trx) => listOverridePage(trx, request.query, now));
      // Re-checked against the deployed bundle on every read: write-time validation may be out of date.
      const rules = (await app.engine.policyEngine()).catalog.rules;
      const { invalid } = checkOverrides(rules, page.items);
      const problemsOf = new Map(invalid.map((x) => [x.record.id, x.problems]));
      return {
        items: page.items.map((record) => ({
          ...record,
          active:
            record.retired_at === null &&
            (record.expires_at === null || Date.parse(record.expires_at) > now.getTime()),
          valid: !problemsOf.has(record.id),
          problems: problemsOf.get(record.id) ?? [],
        })),
        next_cursor: page.next_cursor,
      };
    },
  );

  app.post<{ Body: OverrideInput }>(
    '/',
    { schema: createSchema, config: { permission: 'override:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const rules = (await app.engine.policyEngine()).catalog.rules;
      const problems = overrideInputProblems(rules, request.body);
      if (problems.length > 0) {
        throw new ApiError(
          'VALIDATION_ERROR',
          `invalid override: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
          { problems },
        );
      }
      const created = await app.withTenant(tenantId, async (trx) => {
        const record = await insertOverride(trx, tenantId, userId, request.body);
        await app.ledger.append(trx, tenantId, [
          { kind: 'override.created', actor: userId, payload: ledgerPayload(record) },
        ]);
        return record;
      });
      return reply.status(201).send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/:id',
    { schema: retireSchema, config: { permission: 'override:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.withTenant(tenantId, async (trx) => {
        const record = await retireOverride(trx, request.params.id, userId);
        await app.ledger.append(trx, tenantId, [
          {
            kind: 'override.retired',
            actor: userId,
            payload: { override_id: record.id, kind: record.kind, rule_id: record.rule_id },
          },
        ]);
        return record;
      });
    },
  );
};

export default overrideRoutes;
