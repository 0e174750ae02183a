/** The shapes of an integration: what the API shows, what the scan worker opens, what a client sends. */
import type { ScannableIntegration } from '../../../scanners/index.ts';
import type { EncryptedCredentials } from '../plugins/app/crypto.ts';

/** What the API shows of an integration (never its credentials). */
export interface IntegrationView {
  id: string;
  provider: string;
  name: string;
  config: Record<string, unknown>;
  demo: boolean;
  created_at: Date;
  updated_at: Date;
  /** When it was archived; null while active. */
  archived_at: Date | null;
}

/** An integration with its sealed credentials, for the scan worker only. */
export interface IntegrationRecord extends IntegrationView, EncryptedCredentials {}

/** An integration to store: any provider a scanner exists for, its config and (to be sealed) credentials. */
export type NewIntegration = ScannableIntegration & { name: string; demo?: boolean };

/** What PATCH may change; credentials, when given, replace the stored ones entirely. */
export interface IntegrationChanges {
  name?: string;
  config?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
}

/** A provider an integration can be made for, with the JSON Schema of its config and credentials. */
export interface ProviderSettings {
  id: string;
  name: string;
  config: object;
  credentials: object;
}
