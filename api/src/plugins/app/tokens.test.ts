import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  AccessTokenVerifier,
  InvalidAccessToken,
  signAccessToken,
  verifyAccessToken,
} from './tokens.ts';

const secret = new TextEncoder().encode('a test secret of at least thirty-two characters');
const claims = { userId: 'u-1', tenantId: 't-1', role: 'admin' as const, sessionId: 's-1' };

async function refusal(promise: Promise<unknown>): Promise<InvalidAccessToken> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidAccessToken);
  return error as InvalidAccessToken;
}

describe('AccessTokenVerifier', () => {
  afterEach(() => vi.useRealTimers());

  it('accepts a valid token again with the same claims, each answer its own copy', async () => {
    const verifier = new AccessTokenVerifier(secret);
    const token = await signAccessToken(secret, claims);
    const first = await verifier.verify(token);
    expect(first).toEqual(await verifyAccessToken(secret, token));
    const second = await verifier.verify(token);
    expect(second).toEqual(first);
    second.role = 'user';
    expect(await verifier.verify(token)).toMatchObject(claims);
  });

  it('refuses a remembered token once it has expired, as the full check does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verifier = new AccessTokenVerifier(secret);
    const token = await signAccessToken(secret, claims);
    await verifier.verify(token);
    vi.setSystemTime(Date.now() + (ACCESS_TOKEN_TTL_SECONDS - 2) * 1000);
    expect(await verifier.verify(token)).toMatchObject(claims);
    vi.setSystemTime(Date.now() + 3_000);
    expect((await refusal(verifier.verify(token))).expired).toBe(true);
    expect((await refusal(verifyAccessToken(secret, token))).expired).toBe(true);
  });

  it('refuses a token that differs from a remembered one by its signature, or comes from another secret', async () => {
    const verifier = new AccessTokenVerifier(secret);
    const token = await signAccessToken(secret, claims);
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const flipped = signature!.startsWith('A') ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
    expect((await refusal(verifier.verify(`${header}.${payload}.${flipped}`))).expired).toBe(false);
    const other = new AccessTokenVerifier(
      new TextEncoder().encode('another secret, also thirty-two characters'),
    );
    await refusal(other.verify(token));
    // A rejected token is not remembered: it is refused every time.
    await refusal(other.verify(token));
  });
});
