import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkEvidence, citationPath, sha256Hex, sha256OfBytes } from './evidence.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined members', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: undefined }, A: 'x' };
    expect(canonicalJson(value)).toBe('{"A":"x","a":{"d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same text for the same value whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vector', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 bytes of the text, as node:crypto does', async () => {
    const text = 'bucket “Café” ✓';
    expect(await sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});

describe('checkEvidence', () => {
  const content = { id: 'arn:aws:s3:::logs', attributes: { versioning: { status: 'Enabled' } } };

  it('verifies content whose canonical JSON hashes to the given name', async () => {
    const sha256 = await sha256Hex(canonicalJson(content));
    await expect(checkEvidence({ sha256, content })).resolves.toEqual({ result: 'verified', sha256 });
    // JSON text with other key order and whitespace is the same evidence.
    const text = JSON.stringify(
      { attributes: { versioning: { status: 'Enabled' } }, id: 'arn:aws:s3:::logs' },
      null,
      2,
    );
    await expect(checkEvidence({ sha256, content: text })).resolves.toMatchObject({ result: 'verified' });
  });

  it('reports a mismatch when the content was changed', async () => {
    const sha256 = await sha256Hex(canonicalJson(content));
    const tampered = { ...content, attributes: { versioning: { status: 'Suspended' } } };
    const check = await checkEvidence({ sha256, content: tampered });
    expect(check.result).toBe('mismatch');
    expect(check).toHaveProperty('computed', await sha256Hex(canonicalJson(tampered)));
  });

  it('cannot verify content that is not JSON', async () => {
    await expect(checkEvidence({ sha256: 'ab', content: 'not json' })).resolves.toMatchObject({
      result: 'unavailable',
    });
  });
});

describe('sha256OfBytes', () => {
  it('hashes raw bytes as node does', async () => {
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    expect(await sha256OfBytes(bytes.buffer)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('citationPath', () => {
  const citation = {
    id: 'id-1',
    at: '2026-12-07T00:00:00.000Z',
    label: 'x',
    resource_id: null,
    framework_id: null,
    framework_version: null,
    requirement_id: null,
    control_id: null,
  };
  it('links each subject that cites an artifact to its screen', () => {
    expect(citationPath({ ...citation, kind: 'scan' })).toBe('/findings?scan_id=id-1');
    expect(citationPath({ ...citation, kind: 'audit_package' })).toBe('/audits/id-1');
    expect(citationPath({ ...citation, kind: 'report', framework_id: 'soc2' })).toBe('/frameworks/soc2');
    const report = { ...citation, kind: 'report' as const, framework_id: 'soc2', framework_version: '2017' };
    expect(citationPath(report)).toBe('/frameworks/soc2%402017');
    expect(citationPath({ ...citation, kind: 'manual', control_id: 'UCF-GOV-01' })).toBe(
      '/controls/UCF-GOV-01',
    );
    expect(
      citationPath({
        ...citation,
        kind: 'manual',
        framework_id: 'soc2',
        framework_version: '2017',
        requirement_id: 'CC1.1',
      }),
    ).toBe('/frameworks/soc2%402017/requirements/CC1.1');
  });
});
