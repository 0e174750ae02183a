/**
 * The password policy, after NIST SP 800-63B: length is what counts (12 to 1,024 Unicode characters,
 * counted as code points), there are no composition rules, and a password is refused when it is known to
 * attackers (the common-password list shipped with @zxcvbn-ts/language-common), is one character
 * repeated (or two), holds the account's e-mail or its local part, or contains a NUL character (which no
 * login form can send back reliably). Each refusal has its own code, so the client can say why.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { ApiError, type ErrorCode } from '../errors.ts';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;
/** E-mail local parts shorter than this are too common as substrings to refuse on ("al", "jo"). */
const MIN_LOCAL_PART = 3;

/** Common and breached passwords, lowercased (about 49,000 entries). */
const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export interface PasswordRefusal {
  code: Extract<ErrorCode, `PASSWORD_${string}`>;
  message: string;
}

/** Why `password` may not be set for the account `email`, or null when it is acceptable. */
export function passwordRefusal(password: string, email?: string): PasswordRefusal | null {
  if (password.includes('\0'))
    return { code: 'PASSWORD_INVALID_CHARACTER', message: 'the password must not contain a NUL character' };
  const characters = [...password];
  if (characters.length < PASSWORD_MIN_LENGTH)
    return {
      code: 'PASSWORD_TOO_SHORT',
      message: `the password must be at least ${PASSWORD_MIN_LENGTH} characters long`,
    };
  if (characters.length > PASSWORD_MAX_LENGTH)
    return {
      code: 'PASSWORD_TOO_LONG',
      message: `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`,
    };
  if (new Set(characters).size <= 2)
    return {
      code: 'PASSWORD_REPETITIVE',
      message: 'the password repeats one or two characters: choose a longer phrase',
    };
  const folded = password.normalize('NFKC').toLowerCase();
  if (COMMON.has(folded) || COMMON.has(folded.trim()))
    return {
      code: 'PASSWORD_COMMON',
      message: 'the password is on a list of common or breached passwords',
    };
  if (email) {
    const address = email.trim().toLowerCase();
    const local = address.split('@')[0] ?? '';
    if (folded.includes(address) || ([...local].length >= MIN_LOCAL_PART && folded.includes(local)))
      return {
        code: 'PASSWORD_CONTAINS_EMAIL',
        message: 'the password must not contain the e-mail address or its name part',
      };
  }
  return null;
}

/** Throws the 400 ApiError naming why `password` is refused for `email`; returns when it is acceptable. */
export function assertPasswordAcceptable(password: string, email?: string): void {
  const refusal = passwordRefusal(password, email);
  if (refusal)
    throw new ApiError(refusal.code, refusal.message, [{ field: 'password', message: refusal.message }]);
}
