/**
 * The one contract every provider folder fulfils (scanners/<provider>/provider.ts), so that the API, the
 * CLI and the scanners' own entry points treat every provider alike and a new provider is its folder plus
 * one line in scanners/registry.ts.
 */
import { checkUrlSettings, EgressDeniedError, type EgressPolicy, type UrlSetting } from './egress.ts';
import type { AddProblem, Fields } from './fields.ts';
import type { SettingsSchema } from './settings-schema.ts';
import { ScanFailedError, type ScanOptions, type ScanOutcome } from './types.ts';

/** What an integration stores: its provider, its settings and its (decrypted) credentials. */
export interface StoredIntegration {
  provider: string;
  config: object;
  credentials: object;
}

export interface ScannerProvider<I extends StoredIntegration = StoredIntegration> {
  /** The provider id stored on the integration. */
  readonly id: I['provider'];
  /** The provider's name in messages. */
  readonly name: string;
  /**
   * The keys an integration's config and credentials may hold. Anything else is refused rather than
   * stored: a misspelt optional key (`roleARN`) would otherwise be silently ignored.
   */
  readonly keys: { readonly config: readonly string[]; readonly credentials: readonly string[] };
  /**
   * The JSON Schema of the config and of the credentials, with exactly the keys above, for forms; secret
   * credentials are `writeOnly`. `validate` stays the check.
   */
  readonly settings: { readonly config: SettingsSchema; readonly credentials: SettingsSchema };
  /**
   * The config settings that hold a URL the scanner sends credentials to, with the hosts of the
   * provider's own public service: each is subject to the egress policy (scanners/egress.ts).
   */
  readonly urlSettings: readonly UrlSetting[];
  /** What the scan needs granted, by call: the IAM action, OAuth scope or RBAC permission. */
  readonly permissions: Readonly<Record<string, string>>;
  /** Shape checks of config and credentials (known keys are checked before); never quotes a secret. */
  validate(config: Fields, credentials: Fields, add: AddProblem): void;
  /**
   * The provider's cheapest call that proves the credentials work for the configured account; resolves
   * with who the credentials are, rejects with ScanFailedError (or a provider error).
   */
  identify(integration: Omit<I, 'provider'>, options: ConnectionOptions): Promise<string>;
  /**
   * The parts a scan of the integration can be split into, so that several workers collect them (each
   * part is `scan` with `options.part`), from its settings alone (no call). Absent: the provider cannot
   * split and a scan is one part, WHOLE_SCAN.
   */
  parts?(integration: Omit<I, 'provider'>): string[];
  /**
   * The parts of a scan whose split only calls can tell (an AWS organization's member accounts), listed
   * once when the scan is planned, through `options` (egress, call limit, signal) like a scan; null when
   * `parts` decides from the settings. Rejects as `scan` does when the listing cannot be made.
   */
  listParts?(integration: Omit<I, 'provider'>, options: ScanOptions): Promise<string[] | null>;
  /**
   * Whether `key` has the shape of a part `listParts` lists, checked without calls before a part is scanned
   * (the listing itself is not repeated: the plan's keys are kept for every retry).
   */
  acceptsPart?(integration: Omit<I, 'provider'>, key: string): boolean;
  /**
   * Scans the integration, or only `options.part` of it; rejects with ScanFailedError only when the scan
   * cannot proceed at all (INVALID_CONFIG for a part key neither `parts` lists nor `acceptsPart` accepts).
   */
  scan(integration: Omit<I, 'provider'>, options: ScanOptions): Promise<ScanOutcome>;
}

export interface ConnectionOptions {
  /** Where the test's calls may go (see ScanOptions.egress). */
  egress?: EgressPolicy;
}

/**
 * Refuses, before any call, an integration whose URL settings the egress policy does not allow (an
 * internal address, or a host that is neither the provider's public service nor operator-allowed).
 */
export function assertUrlSettingsAllowed(
  provider: ScannerProvider,
  config: object,
  egress: EgressPolicy | undefined,
): void {
  if (!egress) return;
  try {
    checkUrlSettings(egress, provider.urlSettings, config as Record<string, unknown>);
  } catch (error) {
    if (error instanceof EgressDeniedError) throw new ScanFailedError('EGRESS_DENIED', error.message);
    throw error;
  }
}

/** A connection test's calls each wait at most this long: it answers quickly or says the endpoint is unreachable. */
export const CONNECTION_TIMEOUT_MS = 10_000;

/** Every string value of the credentials: what no message may contain. */
export function secretsOf(credentials: object): string[] {
  return Object.values(credentials).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}
