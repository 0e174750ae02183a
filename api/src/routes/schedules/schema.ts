/** Schemas of /api/integrations/:integrationId/schedule. */
import { errorBodySchema } from '../../errors.ts';

const params = {
  type: 'object',
  required: ['integrationId'],
  properties: { integrationId: { type: 'string', format: 'uuid' } },
} as const;

const scheduleSchema = {
  type: 'object',
  required: ['integration_id', 'cron', 'next_runs'],
  properties: {
    integration_id: { type: 'string' },
    cron: { type: ['string', 'null'] },
    next_runs: { type: 'array', items: { type: 'string', format: 'date-time' } },
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };

export const getScheduleSchema = {
  operationId: 'getIntegrationSchedule',
  summary: "Read an integration's scan schedule",
  tags: ['integrations'],
  params,
  response: { 200: scheduleSchema, ...errors },
} as const;

export const putScheduleSchema = {
  operationId: 'setIntegrationSchedule',
  summary: "Set an integration's scan schedule",
  tags: ['integrations'],
  params,
  body: {
    type: 'object',
    required: ['cron'],
    additionalProperties: false,
    properties: { cron: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  response: { 200: scheduleSchema, ...errors },
} as const;

export const deleteScheduleSchema = {
  operationId: 'deleteIntegrationSchedule',
  summary: "Remove an integration's scan schedule",
  tags: ['integrations'],
  params,
  response: { 204: { type: 'null' }, ...errors },
} as const;
