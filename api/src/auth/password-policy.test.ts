/** The password policy on the weak passwords it must refuse and the strong ones it must take. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.ts';
import { DEMO_LOGIN } from '../seed/demo.ts';
import { assertPasswordAcceptable, passwordRefusal } from './password-policy.ts';

const email = 'Jane.Doe@Example.com';

describe('password policy', () => {
  it.each([
    ['twelve spaces', ' '.repeat(12), 'PASSWORD_REPETITIVE'],
    ['one repeated character', 'aaaaaaaaaaaa', 'PASSWORD_REPETITIVE'],
    ['two alternating characters', 'abababababab', 'PASSWORD_REPETITIVE'],
    ['a common password', 'password1234', 'PASSWORD_COMMON'],
    ['a common password in another case', 'PassWord1234', 'PASSWORD_COMMON'],
    ['the e-mail itself', email, 'PASSWORD_CONTAINS_EMAIL'],
    ['the e-mail lowercased inside', `my ${email.toLowerCase()}!`, 'PASSWORD_CONTAINS_EMAIL'],
    ['the local part', 'xx-JANE.DOE-2026', 'PASSWORD_CONTAINS_EMAIL'],
    ['eleven characters', 'correcthors', 'PASSWORD_TOO_SHORT'],
    ['eleven emoji (22 UTF-16 units)', '🐴'.repeat(6) + '🔋🔋🔋📎📎', 'PASSWORD_TOO_SHORT'],
    ['1,025 characters', 'abc'.repeat(341) + 'ab', 'PASSWORD_TOO_LONG'],
    ['a NUL inside', 'correct horse\0battery', 'PASSWORD_INVALID_CHARACTER'],
  ])('refuses %s', (_name, password, code) => {
    expect(passwordRefusal(password, email)?.code).toBe(code);
    expect(() => assertPasswordAcceptable(password, email)).toThrow(ApiError);
  });

  it.each([
    ['a passphrase', 'correct horse battery staple'],
    ['twelve characters with no composition', 'bluewhalesky'],
    ['1,024 characters', 'abc'.repeat(341) + 'a'],
    ['twelve code points of another script', 'пароль-мост-дом'],
  ])('accepts %s', (_name, password) => {
    expect(passwordRefusal(password, email)).toBeNull();
  });

  it('accepts the published demo password, checked without its e-mail as the seed does', () => {
    // The demo account is public by design (GET /api/auth/demo hands out its login), so only the rules
    // that do not depend on the account apply to it; "demo" in its password is not a secret given away.
    expect(passwordRefusal(DEMO_LOGIN.password)).toBeNull();
    expect(passwordRefusal(DEMO_LOGIN.password, DEMO_LOGIN.email)?.code).toBe('PASSWORD_CONTAINS_EMAIL');
  });

  it('answers with a 400 naming the reason and the field', () => {
    try {
      assertPasswordAcceptable('password1234', email);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        statusCode: 400,
        code: 'PASSWORD_COMMON',
        details: [{ field: 'password' }],
      });
    }
  });
});
