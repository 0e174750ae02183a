/**
 * A subscription's activity log: where it is exported (`GET /subscriptions/{id}/providers/
 * Microsoft.Insights/diagnosticSettings`, the subscription-scope diagnostic settings) and which activity log
 * alerts watch it (`GET /subscriptions/{id}/providers/Microsoft.Insights/activityLogAlerts`). One
 * `azure.monitor.diagnostic_setting` per setting, one `azure.monitor.activity_log_alert` per alert, and one
 * `azure.monitor.activity_log` per subscription holding both lists, so that rules can ask whether any
 * setting or alert of the subscription does what they require (a subscription without any is still there
 * to fail). A list that cannot be read is absent from the activity log resource.
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const MONITOR_API_VERSIONS = {
  diagnosticSettings: '2021-05-01-preview',
  activityLogAlerts: '2020-10-01',
} as const;

export const MONITOR_PERMISSIONS = {
  'subscriptionDiagnosticSettings.list': 'Microsoft.Insights/DiagnosticSettings/Read',
  'activityLogAlerts.listBySubscriptionId': 'Microsoft.Insights/ActivityLogAlerts/Read',
} as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export async function scanMonitor(arm: ArmReader): Promise<Resource[]> {
  const sub = `/subscriptions/${arm.subscriptionId}`;
  const settings = await arm.list(
    'subscriptionDiagnosticSettings.list',
    `${sub}/providers/Microsoft.Insights/diagnosticSettings`,
    MONITOR_API_VERSIONS.diagnosticSettings,
  );
  const alerts = await arm.list(
    'activityLogAlerts.listBySubscriptionId',
    `${sub}/providers/Microsoft.Insights/activityLogAlerts`,
    MONITOR_API_VERSIONS.activityLogAlerts,
  );
  const settingAttrs = (settings ?? []).map(diagnosticSetting);
  const alertAttrs = (alerts ?? []).map((a) => activityLogAlert(a, sub));
  const out: Resource[] = [
    ...(settings ?? []).map((s, i) =>
      arm.envelope({ ...s, location: 'global' }, 'azure.monitor.diagnostic_setting', settingAttrs[i] ?? {}),
    ),
    ...(alerts ?? []).map((a, i) =>
      arm.envelope({ ...a, location: 'global' }, 'azure.monitor.activity_log_alert', alertAttrs[i] ?? {}),
    ),
  ];
  const log: Json = {};
  if (settings)
    log.diagnostic_settings = settingAttrs.map((s, i) => ({ name: String(settings[i]?.name ?? ''), ...s }));
  if (alerts)
    log.alerts = alertAttrs.map((a, i) => ({
      name: String(alerts[i]?.name ?? ''),
      enabled: a.enabled,
      subscription_wide: a.subscription_wide,
      category: a.category,
      operation_names: a.operation_names,
      action_group_count: (a.action_group_ids as string[]).length,
    }));
  out.push(
    arm.envelope(
      {
        id: `${sub}/providers/Microsoft.Insights/eventtypes/management`,
        name: 'activity log',
        location: 'global',
      },
      'azure.monitor.activity_log',
      log,
    ),
  );
  return out;
}

/** A subscription-scope diagnostic setting: the activity log categories it sends, and where. */
function diagnosticSetting(s: Json): Json {
  const p = (s.properties ?? {}) as Json;
  const logs = Array.isArray(p.logs) ? (p.logs as Json[]) : [];
  return {
    enabled_categories: logs
      .filter((l) => l.enabled === true)
      .map((l) => String(l.category ?? l.categoryGroup ?? '')),
    workspace_id: text(p.workspaceId),
    storage_account_id: text(p.storageAccountId),
    event_hub_authorization_rule_id: text(p.eventHubAuthorizationRuleId),
    event_hub_name: text(p.eventHubName),
  };
}

/**
 * An activity log alert. Its condition is an `allOf` of leaf conditions (`field` with `equals` or
 * `containsAny`) and `anyOf` groups of them; the operations it fires on are the operationName values of
 * either (an `anyOf` fires on any of its members).
 */
function activityLogAlert(a: Json, subscriptionScope: string): Json {
  const p = (a.properties ?? {}) as Json;
  const condition = (p.condition ?? {}) as Json;
  const leaves: { field: string; values: string[] }[] = [];
  const leaf = (c: Json): void => {
    const values = [
      ...(typeof c.equals === 'string' ? [c.equals] : []),
      ...(Array.isArray(c.containsAny) ? (c.containsAny as unknown[]).map(String) : []),
    ];
    if (typeof c.field === 'string') leaves.push({ field: c.field, values });
  };
  for (const c of (condition.allOf as Json[] | undefined) ?? []) {
    if (Array.isArray(c.anyOf)) for (const inner of c.anyOf as Json[]) leaf(inner);
    else leaf(c);
  }
  const valuesOf = (field: string): string[] =>
    leaves.filter((l) => l.field.toLowerCase() === field.toLowerCase()).flatMap((l) => l.values);
  const scopes = Array.isArray(p.scopes) ? (p.scopes as unknown[]).map(String) : [];
  const actions = ((p.actions ?? {}) as Json).actionGroups;
  return {
    enabled: p.enabled !== false,
    scopes,
    subscription_wide: scopes.some(
      (s) => s.replace(/\/$/, '').toLowerCase() === subscriptionScope.toLowerCase(),
    ),
    category: valuesOf('category')[0] ?? null,
    // ARM compares operation names without regard to case: kept lower-case, so rules can compare them.
    operation_names: valuesOf('operationName').map((o) => o.toLowerCase()),
    action_group_ids: Array.isArray(actions)
      ? (actions as Json[]).map((g) => String(g.actionGroupId ?? ''))
      : [],
  };
}
