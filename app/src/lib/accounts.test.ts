import { describe, expect, it } from 'vitest';
import { ApiError } from './api/errors.ts';
import {
  asSentence,
  describeAccountError,
  isDeadLink,
  isPasswordRefusal,
  linkParts,
  linkStepOf,
  tokenFromFragment,
} from './accounts.ts';

const TOKEN = 'Zm9vYmFyYmF6cXV1eC1hYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg';

describe('tokenFromFragment', () => {
  it('reads the token of a mailed link, with or without the leading #', () => {
    expect(tokenFromFragment(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromFragment(`token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromFragment(`#from=mail&token=${TOKEN}`)).toBe(TOKEN);
  });

  it('answers null for no fragment, no token, or what cannot be a token', () => {
    expect(tokenFromFragment('')).toBeNull();
    expect(tokenFromFragment('#')).toBeNull();
    expect(tokenFromFragment('#main')).toBeNull();
    expect(tokenFromFragment('#token=')).toBeNull();
    expect(tokenFromFragment('#token=short')).toBeNull();
    expect(tokenFromFragment(`#token=${TOKEN}%20<script>`)).toBeNull();
    expect(tokenFromFragment(`#token=${'a'.repeat(513)}`)).toBeNull();
  });
});

describe('account error messages', () => {
  it('says what happened and what to do for each dead link, in the page’s own words', () => {
    const cases: [string, number, RegExp][] = [
      ['INVITATION_EXPIRED', 410, /expired.*invite you again/],
      ['INVITATION_USED', 410, /already been used.*sign in/],
      ['INVITATION_NOT_FOUND', 404, /not valid.*whole link/],
      ['RESET_TOKEN_EXPIRED', 400, /expired.*new one/],
      ['RESET_TOKEN_USED', 400, /already been used/],
      ['RESET_TOKEN_INVALID', 400, /not valid/],
      ['SIGNUP_TOKEN_EXPIRED', 400, /expired.*Sign up again/],
      ['SIGNUP_TOKEN_USED', 400, /already been used/],
      ['SIGNUP_TOKEN_INVALID', 400, /not valid/],
    ];
    for (const [code, status, expected] of cases) {
      const error = new ApiError(status, code, 'api wording');
      expect(isDeadLink(error), code).toBe(true);
      expect(describeAccountError(error), code).toMatch(expected);
      expect(describeAccountError(error), code).not.toContain(code);
    }
  });

  it('tells a person signed in as someone else to switch accounts, for invitations and sign-ups', () => {
    for (const code of ['INVITATION_OTHER_ACCOUNT', 'SIGNUP_OTHER_ACCOUNT']) {
      const error = new ApiError(403, code, 'api wording');
      expect(isDeadLink(error), code).toBe(false);
      expect(describeAccountError(error), code).toMatch(/another e-mail address\. Sign out/);
    }
  });

  it('asks to wait after too many attempts', () => {
    expect(describeAccountError(new ApiError(429, 'TOO_MANY_REQUESTS', 'too many'))).toMatch(/Wait a minute/);
  });

  it('shows the password policy’s reason as a sentence', () => {
    const error = new ApiError(
      400,
      'PASSWORD_COMMON',
      'the password is on a list of common or breached passwords',
    );
    expect(isPasswordRefusal(error)).toBe(true);
    expect(isDeadLink(error)).toBe(false);
    expect(describeAccountError(error)).toBe(
      'This password cannot be used: the password is on a list of common or breached passwords.',
    );
  });

  it('falls back to the general wording for other errors', () => {
    expect(describeAccountError(new ApiError(500, 'INTERNAL_ERROR', 'boom'))).toMatch(/could not complete/);
    expect(
      describeAccountError(new ApiError(401, 'INVALID_CREDENTIALS', 'Email or password is wrong.')),
    ).toBe('Email or password is wrong.');
    expect(describeAccountError(new Error('offline'))).toBe('offline');
  });

  it('makes a sentence of the API’s lower-case reason', () => {
    expect(asSentence('the password must be at least 12 characters long')).toBe(
      'The password must be at least 12 characters long.',
    );
    expect(asSentence('Already one.')).toBe('Already one.');
    expect(asSentence('  ')).toBe('');
  });
});

describe('linkStepOf', () => {
  it('asks for a password when the API needs one for a new account', () => {
    const error = new ApiError(400, 'VALIDATION_ERROR', 'choose a password', [
      { field: 'password', message: 'is required to create your account' },
    ]);
    expect(linkStepOf(error)).toEqual({ step: 'choose-password' });
  });

  it('asks to sign in when the e-mail has an account', () => {
    expect(linkStepOf(new ApiError(409, 'SIGN_IN_TO_ACCEPT', 'sign in'))).toEqual({ step: 'sign-in' });
  });

  it('shows a dead link as such, and any other refusal as a problem', () => {
    expect(linkStepOf(new ApiError(410, 'INVITATION_USED', 'used'))).toMatchObject({ step: 'dead-link' });
    // A malformed request (schema error on the token) does not ask for a password.
    const schema = new ApiError(400, 'VALIDATION_ERROR', 'body/token too short', [
      { in: 'body', path: '/token', message: 'too short' },
    ]);
    expect(linkStepOf(schema)).toEqual({ step: 'problem', message: 'body/token too short' });
  });
});

describe('linkParts', () => {
  it('makes the http(s) links of a message clickable and keeps the rest as text', () => {
    const text = `Accept it (once): http://127.0.0.1:3000/accept-invitation#token=${TOKEN}.\nThanks`;
    expect(linkParts(text)).toEqual([
      { text: 'Accept it (once): ', href: null },
      {
        text: `http://127.0.0.1:3000/accept-invitation#token=${TOKEN}`,
        href: `http://127.0.0.1:3000/accept-invitation#token=${TOKEN}`,
      },
      { text: '.\nThanks', href: null },
    ]);
  });

  it('leaves other schemes as text', () => {
    expect(linkParts('javascript:alert(1) and mailto:a@b.c')).toEqual([
      { text: 'javascript:alert(1) and mailto:a@b.c', href: null },
    ]);
  });
});
