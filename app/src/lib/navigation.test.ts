import { describe, expect, it } from 'vitest';
import { isPublicRoute, safeNextPath } from './navigation.ts';

describe('safeNextPath', () => {
  it('keeps paths on this site, with their query', () => {
    expect(safeNextPath('/scans/1/controls/ucf-1?x=1', '/')).toBe('/scans/1/controls/ucf-1?x=1');
  });

  it('falls back for missing, absolute or protocol-relative targets', () => {
    expect(safeNextPath(null, '/')).toBe('/');
    expect(safeNextPath('', '/')).toBe('/');
    expect(safeNextPath('https://evil.example/', '/')).toBe('/');
    expect(safeNextPath('//evil.example/', '/')).toBe('/');
    expect(safeNextPath('/\\evil.example/', '/')).toBe('/');
    expect(safeNextPath('javascript:alert(1)', '/')).toBe('/');
  });
});

describe('isPublicRoute', () => {
  it('lets a signed-out visitor open the login page and the pages mailed links lead to', () => {
    for (const id of ['/login', '/accept-invitation', '/reset-password', '/signup', '/demo/outbox'])
      expect(isPublicRoute(id), id).toBe(true);
  });

  it('keeps every other page, and an unknown route, behind the sign-in', () => {
    for (const id of ['/', '/members', '/overrides', '/frameworks', '/demo', '/login/x', null])
      expect(isPublicRoute(id), String(id)).toBe(false);
  });
});
