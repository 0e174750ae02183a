/**
 * The providers that have a scanner: one line each. Everything that differs by provider (what an
 * integration stores and how it is checked, the connection test, the scan, the permissions and URL
 * settings) is reached through the provider's contract found here, never by a switch on its id.
 */
import { awsProvider } from './aws/provider.ts';
import { azureProvider } from './azure/provider.ts';
import { githubProvider } from './github/provider.ts';
import { oktaProvider } from './okta/provider.ts';
import type { ScannerProvider, StoredIntegration } from './provider.ts';

export const PROVIDERS = {
  aws: awsProvider,
  github: githubProvider,
  okta: oktaProvider,
  azure: azureProvider,
} as const;

export type ProviderId = keyof typeof PROVIDERS;

type IntegrationOf<P> = P extends ScannerProvider<infer I> ? I : never;

/** Every integration a scanner exists for. */
export type ScannableIntegration = { [K in ProviderId]: IntegrationOf<(typeof PROVIDERS)[K]> }[ProviderId];

/** Providers that have a scanner, for the API to validate integration records against. */
export const SCANNABLE_PROVIDERS = Object.keys(PROVIDERS) as ProviderId[];

/** The contract of a provider id, or undefined when no scanner exists for it. */
export function scannerFor(provider: unknown): ScannerProvider | undefined {
  return typeof provider === 'string' && Object.hasOwn(PROVIDERS, provider)
    ? (PROVIDERS[provider as ProviderId] as unknown as ScannerProvider<StoredIntegration>)
    : undefined;
}
