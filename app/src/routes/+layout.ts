// A single-page app: nothing is rendered on a server; the API serves build/index.html for every page URL.
import { redirect } from '@sveltejs/kit';
import { resolve } from '$app/paths';
import { api, restoreSession } from '#lib/api/session.svelte.ts';
import { isPublicRoute, safeNextPath } from '#lib/navigation.ts';
import type { LayoutLoad } from './$types';

export const ssr = false;

/**
 * Restores the session from the refresh cookie once, then sends signed-out visitors to /login, except on
 * the public pages (see isPublicRoute).
 */
export const load: LayoutLoad = async ({ url, route }) => {
  await restoreSession();
  const loginPath = resolve('/login');
  const onLogin = route.id === '/login';
  if (!api.session && !isPublicRoute(route.id)) {
    const next = `${url.pathname}${url.search}`;
    redirect(307, `${loginPath}?next=${encodeURIComponent(next)}`);
  }
  if (api.session && onLogin) redirect(307, safeNextPath(url.searchParams.get('next'), resolve('/')));
  return {};
};
