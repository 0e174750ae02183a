/**
 * The administration calls (integrations, schedules, API tokens, scoring policy, retention and legal hold)
 * on the app's one client, with their shapes from the generated OpenAPI types.
 */
import type { ApiClient } from './client.ts';
import type { Integration, ResponseBody } from './types.ts';

/** A provider with the JSON Schema of its integration's config and credentials. */
export type ProviderForm = ResponseBody<'listIntegrationProviders'>['items'][number];

/** `POST /api/integrations/:id/test`: who the credentials are, or why they failed. */
export type ConnectionResult = ResponseBody<'testIntegration'>;

/** An integration's scan schedule (cron null: none) and its next occurrences. */
export type Schedule = ResponseBody<'getIntegrationSchedule'>;

/** An API token as listed (never the token itself). */
export type ApiToken = ResponseBody<'listApiTokens'>['items'][number];

/** A new API token: the only answer that holds the token. */
export type CreatedApiToken = ApiToken & { token: string };

/** The retention windows and legal hold. */
export type RetentionSettings = ResponseBody<'getRetention'>;

/** The retention windows, in days or null (keep). */
export type RetentionWindows = Pick<
  RetentionSettings,
  'raw_scan_data_days' | 'findings_days' | 'evidence_days' | 'audit_log_days'
>;

/** The tenant's scoring policy as stored. */
export type PolicyView = ResponseBody<'getScoringPolicy'>;

/** What an integration form sends: a new one whole, a change only what changed. */
export interface IntegrationInput {
  provider?: string;
  name?: string;
  config?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
}

const id = encodeURIComponent;

/** The administration calls on `api`. */
export function adminCalls(api: ApiClient) {
  const { request } = api;
  return {
    providers: (): Promise<{ items: ProviderForm[] }> => request('/api/integrations/providers'),
    /** Active and archived integrations (these carry `archived_at`). */
    integrations: (): Promise<{ items: Integration[]; next_cursor: string | null }> =>
      request('/api/integrations?limit=500&include=archived'),
    createIntegration: (input: IntegrationInput): Promise<Integration> =>
      request('/api/integrations', { method: 'POST', body: input }),
    updateIntegration: (integrationId: string, changes: IntegrationInput): Promise<Integration> =>
      request(`/api/integrations/${id(integrationId)}`, { method: 'PATCH', body: changes }),
    testIntegration: (integrationId: string): Promise<ConnectionResult> =>
      request(`/api/integrations/${id(integrationId)}/test`, { method: 'POST', body: {} }),
    /** DELETE archives: credentials destroyed, history kept. */
    deleteIntegration: (integrationId: string): Promise<void> =>
      request(`/api/integrations/${id(integrationId)}`, { method: 'DELETE' }),
    schedule: (integrationId: string): Promise<Schedule> =>
      request(`/api/integrations/${id(integrationId)}/schedule`),
    setSchedule: (integrationId: string, cron: string): Promise<Schedule> =>
      request(`/api/integrations/${id(integrationId)}/schedule`, { method: 'PUT', body: { cron } }),
    clearSchedule: (integrationId: string): Promise<void> =>
      request(`/api/integrations/${id(integrationId)}/schedule`, { method: 'DELETE' }),
    tokens: (): Promise<{ items: ApiToken[]; next_cursor: string | null }> =>
      request('/api/tokens?limit=500'),
    createToken: (input: { name: string; role: string; expires_in_days: number }): Promise<CreatedApiToken> =>
      request('/api/tokens', { method: 'POST', body: input }),
    revokeToken: (tokenId: string): Promise<void> =>
      request(`/api/tokens/${id(tokenId)}`, { method: 'DELETE' }),
    scoringPolicy: (): Promise<PolicyView> => request('/api/settings/scoring'),
    setScoringPolicy: (policy: object): Promise<PolicyView> =>
      request('/api/settings/scoring', { method: 'PUT', body: policy }),
    retention: (): Promise<RetentionSettings> => request('/api/settings/retention'),
    setRetention: (windows: Partial<RetentionWindows>): Promise<RetentionSettings> =>
      request('/api/settings/retention', { method: 'PUT', body: windows }),
    setLegalHold: (reason: string): Promise<RetentionSettings> =>
      request('/api/settings/legal-hold', { method: 'PUT', body: { reason } }),
    releaseLegalHold: (): Promise<RetentionSettings> =>
      request('/api/settings/legal-hold', { method: 'DELETE' }),
  };
}
