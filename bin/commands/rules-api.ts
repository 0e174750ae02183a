/**
 * `complywise rules history|diff --api <url> --token <token>`: the auditor's view, read from the rule-version
 * registry of a running deployment (what was actually deployed, with its bundle revision, commit and time in
 * force) instead of from git. Any signed-in role may read it; an API token is the usual credential.
 */
import type { RuleVersionSummary } from '../../api/src/rule-versions/store.ts';

/** One registered version, as GET /api/rules/:id/versions lists it. */
export type RegisteredVersion = RuleVersionSummary;

interface RegistryDiff {
  rule_id: string;
  from: RegisteredVersion;
  to: RegisteredVersion;
  files: { name: string; changed: boolean; diff: string }[];
}

/** A failure talking to the registry, with the exit code it deserves (usage for 400/404, else environment). */
export class RegistryApiError extends Error {
  readonly usage: boolean;
  constructor(message: string, usage: boolean) {
    super(message);
    this.name = 'RegistryApiError';
    this.usage = usage;
  }
}

export interface RegistryClient {
  history(ruleId: string): Promise<RegisteredVersion[]>;
  diff(ruleId: string, from: string, to?: string): Promise<string>;
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function registryClient(api: string, token: string): RegistryClient {
  const base = api.replace(/\/+$/, '');
  let origin: URL;
  try {
    origin = new URL(base);
  } catch {
    throw new RegistryApiError(`--api ${api} is not a URL (e.g. https://complywise.example.com)`, true);
  }
  const get = async <T>(path: string): Promise<T> => {
    const url = new URL(`${origin.pathname.replace(/\/+$/, '')}${path}`, origin);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    } catch (e) {
      throw new RegistryApiError(
        `cannot reach ${origin.origin}: ${(e as Error).cause ?? (e as Error).message}`,
        false,
      );
    }
    const body = (await response.json().catch(() => null)) as {
      error?: { code: string; message: string };
    } | null;
    if (!response.ok) {
      const why = body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
      throw new RegistryApiError(
        `${url.pathname}: ${why}`,
        response.status === 400 || response.status === 404,
      );
    }
    return body as T;
  };
  const history = async (ruleId: string) =>
    (await get<{ items: RegisteredVersion[] }>(`/api/rules/${encodeURIComponent(ruleId)}/versions`)).items;

  /** A registered version by rule version (the newest registration of it) or hash (a unique prefix). */
  const pick = (versions: RegisteredVersion[], point: string | undefined): RegisteredVersion => {
    if (point === undefined) {
      const current = versions.find((v) => v.last_in_force_at === null);
      if (!current) throw new RegistryApiError('no version of the rule is in force: give <to>', true);
      return current;
    }
    const found = SEMVER.test(point)
      ? versions.filter((v) => v.version === point).slice(0, 1)
      : /^[0-9a-f]{7,64}$/.test(point)
        ? versions.filter((v) => v.hash.startsWith(point))
        : [];
    if (found.length !== 1) {
      const known = versions.map((v) => `${v.version} (${v.hash.slice(0, 12)})`).join(', ');
      const problem = found.length > 1 ? 'matches more than one version' : 'is not a registered version';
      throw new RegistryApiError(`${point} ${problem}; registered: ${known || 'none'}`, true);
    }
    return found[0]!;
  };

  return {
    history,
    async diff(ruleId, from, to) {
      const versions = await history(ruleId);
      const [a, b] = [pick(versions, from), pick(versions, to)];
      const result = await get<RegistryDiff>(
        `/api/rules/${encodeURIComponent(ruleId)}/versions/${a.hash}/diff/${b.hash}`,
      );
      const label = (v: RegisteredVersion) => `${v.version} ${v.hash.slice(0, 12)}`;
      const changed = result.files.filter((f) => f.changed);
      if (changed.length === 0) return `no source change between ${label(a)} and ${label(b)}\n`;
      return changed
        .map(
          (f) => `--- ${f.name} (${label(a)})\n+++ ${f.name} (${label(b)})\n${f.diff.replace(/\n?$/, '\n')}`,
        )
        .join('');
    },
  };
}

/** One line per registered version, newest first. */
export function historyText(ruleId: string, versions: readonly RegisteredVersion[]): string {
  if (versions.length === 0) return `${ruleId} has no registered version\n`;
  return `${versions
    .map(
      (v) =>
        `${v.hash.slice(0, 12)}  ${v.version}  ${v.first_in_force_at} → ${v.last_in_force_at ?? 'in force'}  bundle ${v.bundle_revision.slice(0, 12)}  commit ${v.git_commit?.slice(0, 12) ?? '-'}`,
    )
    .join('\n')}\n`;
}
