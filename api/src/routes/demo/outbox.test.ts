/**
 * GET /api/demo/outbox: in the demo with the local outbox it lists the messages sent, newest first, with the
 * links inside (so the demo's flows work without a mail server); without the demo, or with SMTP, it is 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers.ts';

describe('the demo mailbox', () => {
  let demo: TestApp;
  let plain: TestApp;
  let smtp: TestApp;

  beforeAll(async () => {
    demo = await startTestApp({ name: 'pglite' }, { worker: false, configOverrides: { demo: true } });
    plain = await startTestApp({ name: 'pglite' }, { worker: false });
    // Never contacted: the route answers before anything is sent.
    smtp = await startTestApp(
      { name: 'pglite' },
      { worker: false, configOverrides: { demo: true, smtpUrl: 'smtp://127.0.0.1:9' } },
    );
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
    await plain?.close();
    await smtp?.close();
  });

  it('lists the messages newest first in the demo', async () => {
    expect((await demo.app.inject({ url: '/api/demo/outbox' })).json()).toEqual({ items: [] });
    for (const email of ['first@example.com', 'second@example.com'])
      await demo.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
    const listed = await demo.app.inject({ url: '/api/demo/outbox' });
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items as {
      id: string;
      to: string;
      subject: string;
      text: string;
      created_at: string;
    }[];
    expect(items.map((m) => m.to)).toEqual(['second@example.com', 'first@example.com']);
    expect(items[0]).toEqual({
      id: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      to: 'second@example.com',
      subject: 'Reset your ComplyWise password',
      text: expect.stringContaining('no account uses it'),
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(Date.parse(items[0]!.created_at)).toBeGreaterThanOrEqual(Date.parse(items[1]!.created_at));
  });

  it('is 404 without the demo, and with real mail', async () => {
    for (const t of [plain, smtp]) {
      const answer = await t.app.inject({ url: '/api/demo/outbox' });
      expect([answer.statusCode, answer.json().error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
    }
  });
});
