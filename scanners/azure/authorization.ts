/**
 * Azure RBAC of a subscription: `GET /subscriptions/{id}/providers/Microsoft.Authorization/roleDefinitions`
 * (built-in and custom roles usable there) and `.../roleAssignments` (every assignment at the subscription,
 * its resource groups and resources), both paged with `nextLink`. One `azure.authorization.role_definition`
 * per custom role and one `azure.authorization.role_assignment` per assignment, named with its role.
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const AUTHORIZATION_API_VERSION = '2022-04-01';

export const AUTHORIZATION_PERMISSIONS = {
  'roleDefinitions.list': 'Microsoft.Authorization/roleDefinitions/read',
  'roleAssignments.listForSubscription': 'Microsoft.Authorization/roleAssignments/read',
} as const;

const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export async function scanAuthorization(arm: ArmReader): Promise<Resource[]> {
  const sub = `/subscriptions/${arm.subscriptionId}`;
  const definitions = await arm.list(
    'roleDefinitions.list',
    `${sub}/providers/Microsoft.Authorization/roleDefinitions`,
    AUTHORIZATION_API_VERSION,
  );
  const assignments = await arm.list(
    'roleAssignments.listForSubscription',
    `${sub}/providers/Microsoft.Authorization/roleAssignments`,
    AUTHORIZATION_API_VERSION,
  );
  // Role definition ids are compared by their last segment (the role's GUID), whatever scope prefixes them.
  const guid = (id: unknown): string =>
    String(id ?? '')
      .split('/')
      .pop()
      ?.toLowerCase() ?? '';
  const roles = new Map((definitions ?? []).map((d) => [guid(d.id), d]));
  const out: Resource[] = [];
  for (const d of definitions ?? []) {
    const p = obj(d.properties);
    if (p.type !== 'CustomRole') continue;
    const permissions = Array.isArray(p.permissions) ? (p.permissions as Json[]) : [];
    out.push(
      arm.envelope(
        { ...d, name: p.roleName ?? d.name, location: 'global' },
        'azure.authorization.role_definition',
        {
          role_name: String(p.roleName ?? ''),
          description: String(p.description ?? ''),
          actions: permissions.flatMap((x) => strings(x.actions)),
          not_actions: permissions.flatMap((x) => strings(x.notActions)),
          data_actions: permissions.flatMap((x) => strings(x.dataActions)),
          assignable_scopes: strings(p.assignableScopes),
        },
      ),
    );
  }
  for (const a of assignments ?? []) {
    const p = obj(a.properties);
    const role = roles.get(guid(p.roleDefinitionId));
    const scope = String(p.scope ?? '');
    out.push(
      arm.envelope({ ...a, location: 'global' }, 'azure.authorization.role_assignment', {
        role_definition_id: String(p.roleDefinitionId ?? ''),
        // Absent when the role definitions could not be read; null for a role not among them (deleted).
        ...(definitions
          ? {
              role_name: role ? String(obj(role.properties).roleName ?? '') : null,
              role_type: role
                ? obj(role.properties).type === 'CustomRole'
                  ? 'CustomRole'
                  : 'BuiltInRole'
                : null,
            }
          : {}),
        principal_id: String(p.principalId ?? ''),
        principal_type: String(p.principalType ?? 'Unknown'),
        scope,
        scope_level: scopeLevel(scope),
        conditional: typeof p.condition === 'string' && p.condition !== '',
      }),
    );
  }
  return out;
}

function scopeLevel(scope: string): string {
  if (/^\/providers\/Microsoft\.Management\/managementGroups\//i.test(scope)) return 'management_group';
  if (/^\/subscriptions\/[^/]+\/?$/i.test(scope)) return 'subscription';
  if (/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/?$/i.test(scope)) return 'resource_group';
  if (scope === '/') return 'root';
  return 'resource';
}
