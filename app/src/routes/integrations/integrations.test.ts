import { describe, expect, it } from 'vitest';
import type { Integration } from '#lib/api/types.ts';
import { configSummary, deleteQuestion, describeTest, splitArchived } from './integrations.ts';

const integration: Integration = {
  id: '3f1c1d2e-0000-4000-8000-000000000001',
  provider: 'aws',
  name: 'Production',
  config: {
    accountId: '123456789012',
    region: 'eu-west-1',
    services: ['s3', 'iam', 'kms', 'rds'],
    useConfig: true,
  },
  demo: false,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  archived_at: null,
};

describe('integrations page rules', () => {
  it('says who the credentials are, or why the test failed', () => {
    expect(describeTest({ ok: true, identity: 'arn:aws:iam::123456789012:user/scan' })).toBe(
      'Connected as arn:aws:iam::123456789012:user/scan.',
    );
    expect(describeTest({ ok: false, code: 'INVALID_CREDENTIALS', message: 'AWS refused the key' })).toBe(
      'The connection failed: AWS refused the key.',
    );
  });

  it('summarises short settings by their titles and leaves long lists and flags out', () => {
    expect(configSummary(integration, { accountId: 'Account id' })).toEqual([
      { label: 'Account id', value: '123456789012' },
      { label: 'region', value: 'eu-west-1' },
    ]);
  });

  it('names the integration in the archive question, and says its history is kept', () => {
    expect(deleteQuestion(integration)).toContain('Archive Production?');
    expect(deleteQuestion(integration)).toContain('kept for audit');
  });

  it('puts archived integrations apart, the newest archive first', () => {
    const old = { ...integration, id: 'a', name: 'Old', archived_at: '2026-02-01T00:00:00Z' };
    const newer = { ...integration, id: 'b', name: 'Newer', archived_at: '2026-03-01T00:00:00Z' };
    expect(splitArchived([old, integration, newer])).toEqual({
      active: [integration],
      archived: [newer, old],
    });
  });
});
