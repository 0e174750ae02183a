import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, AuditLedgerPage } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { AUDIT_DEPENDENCY, LEDGER_PAGE, ledgerFilters, ledgerQuery } from '../../audits.ts';

/**
 * The audit's period ledger: one page of the ledger entries of its period, of the kind and actor the URL
 * names, with the period's counts per kind and actor, and the members' e-mails to name the actors.
 */
export const load: PageLoad = async ({ params, parent, depends, url }) => {
  depends(AUDIT_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const filters = ledgerFilters(url.searchParams);
  const query = ledgerQuery(filters);
  const [audit, page, members] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<AuditLedgerPage>(`${base}/ledger?limit=${LEDGER_PAGE}${query ? `&${query}` : ''}`),
      api.listMembers(),
    ]),
  );
  return {
    audit,
    page,
    filters,
    people: Object.fromEntries(members.items.map((m) => [m.user_id, m.email])),
  };
};
