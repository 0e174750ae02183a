import { describe, expect, it } from 'vitest';
import { ApiError, errorStatus, toErrorBody } from './errors.ts';

describe('error bodies', () => {
  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('answers ApiErrors with their code, message and details', () => {
    expect(toErrorBody(new ApiError('SCAN_NOT_FOUND', 'no scan x', { id: 'x' }))).toEqual({
      status: 404,
      body: { error: { code: 'SCAN_NOT_FOUND', message: 'no scan x', details: { id: 'x' } } },
    });
  });

  it('hides the message of server faults', () => {
    expect(toErrorBody(new Error('password=hunter2 in a stack trace'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL_ERROR', message: 'internal error' } },
    });
  });

  it('turns a malformed value rejected by PostgreSQL into a 400, not a 500', () => {
    const pgError = Object.assign(new Error('invalid input syntax for type uuid: "x"'), { code: '22P02' });
    expect(toErrorBody(pgError).status).toBe(400);
    expect(toErrorBody(pgError).body.error.code).toBe('VALIDATION_ERROR');
  });

  it('turns a NUL character PostgreSQL cannot store (text or JSON) into a 400', () => {
    for (const code of ['22021', '22P05']) {
      const pgError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code });
      expect(toErrorBody(pgError).status, code).toBe(400);
    }
  });

  it('answers mapped Fastify routing errors with the status of our code', () => {
    const longParam = Object.assign(new Error("'/api/x' is exceeding the max param length"), {
      statusCode: 414,
      code: 'FST_ERR_MAX_PARAM_LENGTH',
    });
    expect(toErrorBody(longParam).status).toBe(414);
    expect(toErrorBody(longParam).body.error.code).toBe('URI_TOO_LONG');
    const badUrl = Object.assign(new Error("'%zz' is not a valid url component"), {
      statusCode: 400,
      code: 'FST_ERR_BAD_URL',
    });
    expect(toErrorBody(badUrl)).toMatchObject({ status: 404, body: { error: { code: 'ROUTE_NOT_FOUND' } } });
  });

  it('keeps Fastify client errors as 4xx with our codes', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toErrorBody(tooLarge)).toEqual({
      status: 413,
      body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' } },
    });
  });
});
