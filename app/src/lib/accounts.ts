/**
 * The pure rules of the account pages (accept an invitation, reset a password, sign up): reading the token
 * from a mailed link, and turning the API's error codes into what a person reads and can do next.
 * Unit-tested in accounts.test.ts.
 */
import { ApiError, describeError } from './api/errors.ts';

/**
 * Tokens are 32 random bytes in base64url (43 characters); the bounds follow the API's schema, so a link cut
 * short or padded with junk is recognised before anything is sent.
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,512}$/;

/**
 * The `token` of a URL fragment such as `#token=abc`, or null when there is none or it cannot be a token.
 * Mailed links carry the token in the fragment because a browser never sends a fragment to a server: it
 * stays out of request logs and Referer headers.
 */
export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash).get('token');
  return token !== null && TOKEN_PATTERN.test(token) ? token : null;
}

/** What the page says for each account error code: what happened and what to do about it. */
const ACCOUNT_MESSAGES: Record<string, string> = {
  INVITATION_NOT_FOUND:
    'This invitation link is not valid. Check that you opened the whole link from the e-mail, or ask an admin of the organisation to invite you again.',
  INVITATION_USED:
    'This invitation has already been used or was withdrawn. If you accepted it, sign in; otherwise ask an admin of the organisation for a new invitation.',
  INVITATION_EXPIRED:
    'This invitation has expired (invitations are valid for 7 days). Ask an admin of the organisation to invite you again.',
  INVITATION_OTHER_ACCOUNT:
    'This invitation is for another e-mail address. Sign out, then open the link again and sign in with the invited address.',
  RESET_TOKEN_INVALID:
    'This password reset link is not valid. Check that you opened the whole link from the e-mail, or ask for a new one below.',
  RESET_TOKEN_USED:
    'This password reset link has already been used. Ask for a new one below if you still need it.',
  RESET_TOKEN_EXPIRED:
    'This password reset link has expired (links are valid for one hour). Ask for a new one below.',
  SIGNUP_TOKEN_INVALID:
    'This sign-up link is not valid. Check that you opened the whole link from the e-mail, or sign up again.',
  SIGNUP_TOKEN_USED:
    'This sign-up link has already been used. Sign in to reach your organisation, or sign up again for a new one.',
  SIGNUP_TOKEN_EXPIRED:
    'This sign-up link has expired (links are valid for 24 hours). Sign up again for a new one.',
  SIGNUP_OTHER_ACCOUNT:
    'This sign-up link is for another e-mail address. Sign out, then open the link again and sign in with that address (or choose a password if it has no account yet).',
  SIGNUP_DISABLED:
    'Sign-up is not open on this server. Ask the person who runs it to create your organisation.',
  TOO_MANY_REQUESTS: 'Too many attempts in a short time. Wait a minute, then try again.',
};

/** The codes that mean the link itself can no longer be used: the page shows the message instead of a form. */
const DEAD_LINK_CODES = new Set([
  'INVITATION_NOT_FOUND',
  'INVITATION_USED',
  'INVITATION_EXPIRED',
  'RESET_TOKEN_INVALID',
  'RESET_TOKEN_USED',
  'RESET_TOKEN_EXPIRED',
  'SIGNUP_TOKEN_INVALID',
  'SIGNUP_TOKEN_USED',
  'SIGNUP_TOKEN_EXPIRED',
]);

/** True when `error` says the mailed link is unknown, used or expired. */
export function isDeadLink(error: unknown): boolean {
  return error instanceof ApiError && DEAD_LINK_CODES.has(error.code);
}

/** True when `error` is the password policy refusing a password (its message names the reason). */
export function isPasswordRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.status === 400 && error.code.startsWith('PASSWORD_');
}

/** The API's lower-case reason as a sentence: capital first letter, closing full stop. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/**
 * A message for the account pages, whatever was thrown: the page's own wording for the codes it knows, the
 * policy's reason for a refused password, and describeError's for the rest.
 */
export function describeAccountError(error: unknown): string {
  if (error instanceof ApiError) {
    const known = ACCOUNT_MESSAGES[error.code];
    if (known) return known;
    if (isPasswordRefusal(error))
      return `This password cannot be used: ${lowerFirst(asSentence(error.message))}`;
  }
  return describeError(error);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * What a page completing a mailed link (an invitation, a sign-up) shows after asking the API about the
 * token without a password while signed out, which can never complete anything: a form to choose a
 * password (no account has the e-mail yet), a sign-in form (one has), or the dead link's message.
 */
export type LinkStep =
  | { step: 'choose-password' }
  | { step: 'sign-in' }
  | { step: 'dead-link'; message: string }
  | { step: 'problem'; message: string };

/** Reads the API's refusal of a password-less completion (see LinkStep). */
export function linkStepOf(error: unknown): LinkStep {
  if (error instanceof ApiError) {
    if (error.code === 'SIGN_IN_TO_ACCEPT') return { step: 'sign-in' };
    if (asksForPassword(error)) return { step: 'choose-password' };
  }
  if (isDeadLink(error)) return { step: 'dead-link', message: describeAccountError(error) };
  return { step: 'problem', message: describeAccountError(error) };
}

/** True when `error` is the 400 that asks for a password ({ field: 'password' } in its details). */
export function asksForPassword(error: ApiError): boolean {
  return (
    error.code === 'VALIDATION_ERROR' &&
    Array.isArray(error.details) &&
    error.details.some((detail) => (detail as { field?: unknown } | null)?.field === 'password')
  );
}

/** A run of a message's text: plain, or a web link to show clickable. */
export interface TextPart {
  text: string;
  href: string | null;
}

/** http(s) URLs up to white space; closing punctuation of the sentence is not part of the link. */
const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;

/**
 * Splits a plain-text e-mail into text and links (the demo mailbox shows links clickable). Only http and
 * https URLs become links; everything else stays text, which Svelte escapes.
 */
export function linkParts(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    if (match.index > last) parts.push({ text: text.slice(last, match.index), href: null });
    parts.push({ text: url, href: url });
    last = match.index + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), href: null });
  return parts;
}
