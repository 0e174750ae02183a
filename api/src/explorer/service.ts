/**
 * The findings explorer: every finding of the tenant's posture (the latest succeeded scan of each
 * integration, merged as GET /api/scores merges their results), or of one scan, filtered, sorted and paged
 * with a cursor. The findings CSV reads its rows through `list`, so the file holds exactly the rows the
 * explorer pages through for the same filters.
 */
import type { Frameworks } from '../../../engine/index.ts';
import { ApiError } from '../errors.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import { withExceptions } from '../overrides/store.ts';
import { decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import type { Page } from '../scans/types.ts';
import { explorerPage, postureSources, scanSource } from './store.ts';
import type { ExplorerFinding, ExplorerQuery, ExplorerSort, FindingFilters, ScanSource } from './types.ts';

/** The total order of each sort: the sort's column, then keys that make it unique (the id last). */
const ORDERS: Record<ExplorerSort, string[]> = {
  severity: ['severity_rank', 'rule_id', 'resource_id', 'id'],
  rule_id: ['rule_id', 'resource_id', 'id'],
  resource_id: ['resource_id', 'rule_id', 'id'],
  resource_type: ['resource_type', 'rule_id', 'resource_id', 'id'],
};

/** The sort keys of `sort` (all ascending). */
export function explorerOrder(sort: ExplorerSort): SortKey[] {
  return ORDERS[sort].map((column) => ({ column, direction: 'asc' }));
}

/**
 * The rules whose findings the framework and control filters keep (undefined: no such filter). A control
 * keeps the rules that test it; a framework keeps the rules testing any control mapped to one of its
 * requirements (any version, the tenant's uploads included). 404 for a framework or control nobody knows.
 */
export function rulesOfFilters(
  frameworks: Frameworks,
  filters: Pick<FindingFilters, 'framework' | 'control'>,
): string[] | undefined {
  if (filters.framework === undefined && filters.control === undefined) return undefined;
  const controls = new Set(frameworks.controls.map((c) => c.id));
  if (filters.control !== undefined) {
    if (!controls.has(filters.control))
      throw new ApiError('CONTROL_NOT_FOUND', `no control ${filters.control}`);
    controls.clear();
    controls.add(filters.control);
  }
  if (filters.framework !== undefined) {
    const id = filters.framework;
    if (!frameworks.frameworks.some((f) => f.id === id))
      throw new ApiError('FRAMEWORK_NOT_FOUND', `no framework ${id}`);
    const mapped = frameworks.controls.filter((c) => c.mappings.some((m) => m.framework === id));
    for (const control of [...controls]) if (!mapped.some((c) => c.id === control)) controls.delete(control);
  }
  return Object.entries(frameworks.rule_controls)
    .filter(([, ids]) => ids.some((id) => controls.has(id)))
    .map(([rule]) => rule)
    .sort();
}

/** Read the tenant's findings across its posture. */
export class ExplorerService {
  readonly #withTenant: WithTenant;
  readonly #engine: EngineRuntime;

  constructor(withTenant: WithTenant, engine: EngineRuntime) {
    this.#withTenant = withTenant;
    this.#engine = engine;
  }

  /**
   * One page of findings under `query`'s filters and sort. 404 for an unknown scan, framework or control; an
   * integration or provider the posture does not have simply matches nothing.
   */
  async list(tenantId: string, query: ExplorerQuery): Promise<Page<ExplorerFinding>> {
    const sort = query.sort ?? 'severity';
    const order = explorerOrder(sort);
    const after = query.cursor ? decodeCursor(query.cursor, sort, order) : null;
    const base = await this.#engine.frameworks();
    return this.#withTenant(tenantId, async (trx) => {
      const ruleIds = rulesOfFilters(await tenantFrameworks(trx, base), query);
      let sources: ScanSource[];
      if (query.scan_id !== undefined) {
        const source = await scanSource(trx, query.scan_id);
        if (!source) throw new ApiError('SCAN_NOT_FOUND', `no scan ${query.scan_id}`);
        sources = [source];
      } else {
        sources = await postureSources(trx);
      }
      sources = sources.filter(
        (s) =>
          (query.integration_id === undefined || s.integration_id === query.integration_id) &&
          (query.provider === undefined || s.provider === query.provider),
      );
      const rows = await explorerPage(trx, sources, query, ruleIds, order, after, query.limit);
      type Row = (typeof rows)[number];
      const page = toPage(rows as unknown as Record<string, unknown>[], query.limit, sort, order);
      const items = (page.items as unknown as Row[]).map(
        ({ severity_rank: _rank, ...finding }): ExplorerFinding => finding,
      );
      return { items: await withExceptions(trx, items), next_cursor: page.next_cursor };
    });
  }
}
