import { describe, expect, it } from 'vitest';
import { safeNextPath } from './navigation.ts';

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
