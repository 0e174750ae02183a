/**
 * Route permissions. Every /api route declares `config: { permission }` next to its schema; this plugin turns
 * the declaration into the request guards (authenticate, then the role check) when the route is registered,
 * and refuses to register a route that declares nothing. The permission → roles table below is the one
 * written in docs/security.md; the route catalog (`app.routeCatalog`) lets tests walk every route.
 */
import type { FastifyInstance, FastifySchema, RouteOptions, preValidationHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { requireRole, type RequestGuard } from './auth.ts';
import type { Role } from '../../auth/role.ts';

/** Every role, in the order the docs list them. */
export const ROLES: readonly Role[] = ['admin', 'auditor', 'user'];

/**
 * What each permission lets through: `null` = anyone, no token needed; otherwise the roles (in the caller's
 * tenant, from the access token) that may call the route.
 */
export const PERMISSIONS = {
  /** Login, refresh, logout, health and the demo hint: no token. */
  public: null,
  /** Read the tenant's results, scans, evidence, integrations (without secrets) and the catalogs. */
  'tenant:read': ['admin', 'auditor', 'user'],
  /** Queue a scan of an existing integration. */
  'scan:start': ['admin', 'user'],
  /** Connect, change and remove integrations and their credentials. */
  'integration:manage': ['admin'],
  /** Create, list and revoke API tokens for automation. */
  'token:manage': ['admin'],
  /** Read the tenant's rule overrides (parameters, severities, exceptions), retired ones included. */
  'override:read': ['admin', 'auditor'],
  /** Create and retire rule overrides. */
  'override:manage': ['admin'],
  /** Enable and disable rule packs (a per-pack view and score; no rule stops or starts running). */
  'pack:manage': ['admin'],
  /** List the tenant's members and their roles. */
  'member:read': ['admin', 'auditor'],
  /** Add members, change their roles and remove them (their tokens are revoked). */
  'member:manage': ['admin'],
  /** Change the tenant's scoring policy and upload the tenant's own framework catalogs. */
  'scoring:manage': ['admin'],
  /** Attach manual evidence (a file or a note) to a UCF control or a framework requirement. */
  'evidence:attach': ['admin', 'user'],
  /**
   * Read the audit log (ledger), export evidence bundles, and read audits: their period's results, evidence,
   * rule versions, exceptions register, ledger entries, feedback marks and package.
   */
  'audit:read': ['admin', 'auditor'],
  /** Open and close audits and invite their auditors. */
  'audit:manage': ['admin'],
  /**
   * Mark a requirement's evidence accepted, flagged or not applicable within an audit: the one change an
   * auditor can make (and only in an audit that lists them).
   */
  'audit:feedback': ['auditor'],
  /**
   * Draw a seeded sample of a population within an audit (recorded, a ledger entry): admins, and auditors of
   * an audit that lists them. It changes no result.
   */
  'audit:sample': ['admin', 'auditor'],
  /** Read the tenant's retention windows and legal hold. */
  'retention:read': ['admin', 'auditor'],
  /** Change the retention windows, set and lift the legal hold. */
  'retention:manage': ['admin'],
  /**
   * Ask for a readiness report (made in the background). Auditors may: a report records itself and a ledger
   * entry but changes no result, and reports are what auditors read.
   */
  'report:create': ['admin', 'auditor', 'user'],
} as const satisfies Record<string, readonly Role[] | null>;

export type Permission = keyof typeof PERMISSIONS;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see PERMISSIONS). Required on every /api route. */
    permission?: Permission;
  }
  interface FastifyInstance {
    /** Every route registered so far, with its declared permission (for tests and the OpenAPI document). */
    routeCatalog: RouteCatalogEntry[];
  }
}

export interface RouteCatalogEntry {
  method: string;
  url: string;
  permission: Permission | undefined;
  /** The route's declared schemas (params, querystring, body, response), as given at registration. */
  schema: FastifySchema | undefined;
}

/** The roles a permission admits, or null for a public route. */
export function rolesOf(permission: Permission): readonly Role[] | null {
  return PERMISSIONS[permission];
}

/** Thrown at registration for a route without (or with an unknown) permission. */
export class MissingPermissionError extends Error {
  constructor(method: string, url: string) {
    super(
      `route ${method} ${url} declares no permission: add config: { permission } (one of ${Object.keys(PERMISSIONS).join(', ')})`,
    );
    this.name = 'MissingPermissionError';
  }
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The role check of a permission; a refusal is appended to the tenant's ledger before the 403 goes out. */
function roleGuard(app: FastifyInstance, permission: Permission, roles: readonly Role[]): RequestGuard {
  const check = requireRole(...roles);
  return async (request) => {
    try {
      await check(request);
    } catch (error) {
      const principal = request.principal;
      if (principal && app.hasDecorator('ledger')) {
        await app.ledger.record(principal.tenantId, [
          {
            kind: 'authorization.denied',
            actor: principal.userId,
            payload: {
              method: request.method,
              route: request.routeOptions.url ?? '',
              permission,
              role: principal.role,
              request_id: request.id,
            },
          },
        ]);
      }
      throw error;
    }
  };
}

/** Records every route of the whole app in `app.routeCatalog` (register on the root instance, first). */
export function recordRoutes(app: FastifyInstance): void {
  const catalog: RouteCatalogEntry[] = [];
  app.decorate('routeCatalog', catalog);
  app.addHook('onRoute', (route) => {
    for (const method of asArray(route.method)) {
      catalog.push({ method, url: route.url, permission: route.config?.permission, schema: route.schema });
    }
  });
}

/**
 * Enforces the declared permission of every route registered after it in its scope (the /api scope): the
 * authenticate and role guards run first in preValidation, before the route's own hooks and before body
 * validation, so a caller without the right learns nothing about the body schema.
 */
export const accessControlPlugin = fp(
  async (app) => {
    let guards: Map<Permission, RequestGuard> | undefined;
    app.addHook('onRoute', (route: RouteOptions) => {
      const permission = route.config?.permission;
      if (!permission || !(permission in PERMISSIONS)) {
        throw new MissingPermissionError(asArray(route.method).join(','), route.url);
      }
      const roles = rolesOf(permission);
      if (!roles) return;
      guards ??= new Map();
      let guard = guards.get(permission);
      if (!guard) {
        guard = roleGuard(app, permission, roles);
        guards.set(permission, guard);
      }
      const existing = asArray(route.preValidation);
      const authenticate = app.authenticate as preValidationHookHandler;
      // Fastify derives the HEAD route from the GET options: do not add the guards twice.
      if (existing.includes(authenticate)) return;
      route.preValidation = [authenticate, guard as preValidationHookHandler, ...existing];
    });
  },
  { name: 'access-control', dependencies: ['auth'] },
);
