/**
 * Who a resource policy (SNS topic, SQS queue) lets in: whether any Allow statement grants anyone at all
 * (a wildcard principal with no condition narrowing it to an account, organization, source or network), and
 * which other AWS accounts it names. Deny statements never widen access and are not read.
 */

/** Condition keys that narrow a wildcard principal to known callers. */
const NARROWING_KEYS = new Set([
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceip',
]);

export interface PolicyAccess {
  /** An Allow statement lets any principal in without a narrowing condition. */
  public: boolean;
  /** Account ids of other accounts named as AWS principals, sorted. */
  crossAccounts: string[];
}

type Json = Record<string, unknown>;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The access a policy document (JSON text) grants; null when there is no policy; undefined when unreadable. */
export function policyAccess(
  policy: string | undefined | null,
  ownAccount: string,
): PolicyAccess | null | undefined {
  if (policy === undefined || policy === null || policy === '') return null;
  let doc: Json;
  try {
    doc = JSON.parse(policy) as Json;
  } catch {
    return undefined;
  }
  let isPublic = false;
  const accounts = new Set<string>();
  for (const raw of asList(doc.Statement)) {
    const s = (raw && typeof raw === 'object' ? raw : {}) as Json;
    if (s.Effect !== 'Allow' || s.NotPrincipal !== undefined) continue;
    const principals: string[] = [];
    if (s.Principal === '*') principals.push('*');
    else if (s.Principal && typeof s.Principal === 'object') {
      const p = s.Principal as Json;
      for (const v of asList(p.AWS)) if (typeof v === 'string') principals.push(v);
      if (asList(p.CanonicalUser).includes('*')) principals.push('*');
    }
    const conditionKeys = Object.values((s.Condition ?? {}) as Json).flatMap((block) =>
      block && typeof block === 'object' ? Object.keys(block as Json).map((k) => k.toLowerCase()) : [],
    );
    const narrowed = conditionKeys.some((k) => NARROWING_KEYS.has(k));
    for (const principal of principals) {
      if (principal === '*') {
        if (!narrowed) isPublic = true;
        continue;
      }
      const account = /^\d{12}$/.test(principal)
        ? principal
        : /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(principal)?.[1];
      if (account && account !== ownAccount) accounts.add(account);
    }
  }
  return { public: isPublic, crossAccounts: [...accounts].sort() };
}
