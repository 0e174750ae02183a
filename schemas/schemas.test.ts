import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertValidResource, SchemaValidationError } from './index.ts';

const bucket = {
  id: 'arn:aws:s3:::logs',
  provider: 'aws',
  account: '111122223333',
  region: 'us-east-1',
  type: 'aws.s3.bucket',
  name: 'logs',
  attributes: { public_access_block: null, versioning: { status: 'Enabled', mfa_delete: false } },
  collected_at: '2026-11-26T10:00:00.000Z',
};

describe('schemas', () => {
  it('accepts a well-formed resource and checks its attributes against the type schema', () => {
    expect(assertValidResource(bucket).id).toBe('arn:aws:s3:::logs');
    const bad = { ...bucket, attributes: { versioning: { status: 'On', mfa_delete: false } } };
    expect(() => assertValidResource(bad)).toThrow(SchemaValidationError);
    expect(() => assertValidResource(bad)).toThrow(/attributes\/versioning\/status/);
  });

  it('rejects an envelope with a missing field, naming it', () => {
    const { account: _account, ...noAccount } = bucket;
    expect(() => assertValidResource(noAccount)).toThrow(/must have required property 'account'/);
  });

  it('keeps schemas/types.ts generated from the schemas', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-types.ts', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
