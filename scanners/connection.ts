/**
 * Connection test of an integration: its provider's cheapest call that proves the credentials work for the
 * configured account (`ScannerProvider.identify`), through the same SDKs and sign-in code the scanners use.
 * The answer never carries a credential: every message is redacted of the integration's secret values.
 */
import { redact, safeErrorMessage } from './aws/aws-errors.ts';
import { egressDenial } from './egress.ts';
import { assertUrlSettingsAllowed, secretsOf, type ConnectionOptions } from './provider.ts';
import { SCANNABLE_PROVIDERS, scannerFor, type ScannableIntegration } from './registry.ts';
import { ScanFailedError, type ScanFailureCode } from './types.ts';

export type ConnectionResult =
  { ok: true; identity: string } | { ok: false; code: ScanFailureCode; message: string };

/** Tests one integration; never throws for a provider answer or a network failure. */
export async function testConnection(
  integration: ScannableIntegration,
  options: ConnectionOptions = {},
): Promise<ConnectionResult> {
  const secrets = secretsOf(integration.credentials ?? {});
  try {
    const scanner = scannerFor(integration.provider);
    if (!scanner) {
      throw new ScanFailedError(
        'UNSUPPORTED_PROVIDER',
        `no scanner exists for ${JSON.stringify(integration.provider)} (only ${SCANNABLE_PROVIDERS.join(', ')})`,
      );
    }
    assertUrlSettingsAllowed(scanner, integration.config ?? {}, options.egress);
    return { ok: true, identity: await scanner.identify(integration, options) };
  } catch (error) {
    const denied = egressDenial(error);
    if (denied) return { ok: false, code: 'EGRESS_DENIED', message: denied.message };
    if (error instanceof ScanFailedError) {
      return { ok: false, code: error.code, message: redact(error.message, secrets) };
    }
    return { ok: false, code: 'PROVIDER_ERROR', message: safeErrorMessage(error, secrets) };
  }
}
