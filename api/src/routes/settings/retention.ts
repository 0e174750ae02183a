/**
 * /api/settings/retention and /api/settings/legal-hold: the tenant's retention windows and legal hold.
 * Admins change them, admins and auditors read them; every change is a ledger entry in the same
 * transaction. The retention job applies them daily (api/src/retention, docs/operations.md).
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { RETENTION_WINDOWS, type RetentionWindows } from '../../retention/store.ts';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
/** A window in days (1 day to 100 years), or null to keep that data for ever. */
const windowSchema = { type: ['integer', 'null'], minimum: 1, maximum: 36500 } as const;
const windows = Object.fromEntries(RETENTION_WINDOWS.map((w) => [w, windowSchema])) as Record<
  (typeof RETENTION_WINDOWS)[number],
  typeof windowSchema
>;

const settingsSchema = {
  type: 'object',
  required: [...RETENTION_WINDOWS, 'legal_hold', 'updated_at', 'updated_by'],
  properties: {
    ...windows,
    legal_hold: {
      type: 'object',
      required: ['active', 'reason', 'set_by', 'set_at'],
      properties: {
        active: { type: 'boolean' },
        reason: nullableString,
        set_by: nullableString,
        set_at: nullableTimestamp,
      },
    },
    updated_at: nullableTimestamp,
    updated_by: nullableString,
  },
} as const;

const readSchema = {
  operationId: 'getRetention',
  summary: 'Read the retention windows and legal hold',
  tags: ['settings'],
  response: { 200: settingsSchema, ...errors },
} as const;
const updateSchema = {
  operationId: 'setRetention',
  summary: 'Change the retention windows',
  tags: ['settings'],
  // propertyNames: an unknown key is refused (400), not silently dropped by Fastify's removeAdditional.
  body: {
    type: 'object',
    minProperties: 1,
    propertyNames: { enum: RETENTION_WINDOWS },
    properties: windows,
  },
  response: { 200: settingsSchema, ...errors },
} as const;
const holdSchema = {
  operationId: 'setLegalHold',
  summary: 'Set the legal hold',
  tags: ['settings'],
  body: {
    type: 'object',
    required: ['reason'],
    additionalProperties: false,
    properties: { reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S' } },
  },
  response: { 200: settingsSchema, ...errors },
} as const;
const releaseSchema = {
  operationId: 'releaseLegalHold',
  summary: 'Lift the legal hold',
  tags: ['settings'],
  response: { 200: settingsSchema, ...errors },
} as const;

const retentionSettingsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/retention', { schema: readSchema, config: { permission: 'retention:read' } }, async (request) => {
    const { tenantId } = principalOf(request);
    return app.retention.read(tenantId);
  });

  app.put<{ Body: Partial<RetentionWindows> }>(
    '/retention',
    { schema: updateSchema, config: { permission: 'retention:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.retention.update(tenantId, userId, request.body);
    },
  );

  app.put<{ Body: { reason: string } }>(
    '/legal-hold',
    { schema: holdSchema, config: { permission: 'retention:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.retention.setLegalHold(tenantId, userId, request.body.reason.trim());
    },
  );

  // Idempotent: lifting a hold that is not on answers the settings unchanged (and records nothing).
  app.delete(
    '/legal-hold',
    { schema: releaseSchema, config: { permission: 'retention:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.retention.releaseLegalHold(tenantId, userId);
    },
  );
};

export default retentionSettingsRoutes;
