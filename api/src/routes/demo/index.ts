/**
 * /api/demo/outbox: the demo's mailbox. In the demo the mailer writes to the local outbox, and this lists its
 * messages (invitations, resets, sign-ups with their links) so the flows work without a mail server. Public
 * because the demo is a local sandbox; any other server (no demo, or real SMTP) answers 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { readOutbox } from '../../mail/mailer.ts';

/** The newest messages listed; older ones stay in the folder. */
const OUTBOX_LIMIT = 200;

const outboxSchema = {
  operationId: 'listDemoOutbox',
  summary: 'The demo mailbox: messages the server sent, newest first (demo with the local outbox only)',
  tags: ['demo'],
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'to', 'subject', 'text', 'created_at'],
            properties: {
              id: { type: 'string' },
              to: { type: 'string' },
              subject: { type: 'string' },
              text: { type: 'string' },
              created_at: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
    404: errorBodySchema,
  },
} as const;

const demoRoutes: FastifyPluginAsync<{ demo: boolean }> = async (app, { demo }) => {
  app.get('/outbox', { schema: outboxSchema, config: { permission: 'public' } }, async () => {
    const outboxDir = app.mailer.outboxDir;
    if (!demo || outboxDir === null)
      throw new ApiError('ROUTE_NOT_FOUND', 'the demo mailbox exists only in the demo with the local outbox');
    const items = readOutbox(outboxDir)
      .slice(-OUTBOX_LIMIT)
      .reverse()
      .map(({ id, to, subject, text, created_at }) => ({ id, to, subject, text, created_at }));
    return { items };
  });
};

export default demoRoutes;
