import { describe, expect, it } from 'vitest';
import { bucket } from './testing.ts';
import { fillTemplate, findingMessage, placeholderProblem, UNREAD_ATTRIBUTE } from './messages.ts';

describe('finding messages', () => {
  const resource = bucket('acme-data', { versioning: { status: 'Suspended', mfa_delete: null } }, [
    'logging',
  ]);

  it('fills resource fields, attributes (strings as-is, others as JSON) and parameters', () => {
    expect(
      fillTemplate(
        '{name} in {region}: versioning {attributes.versioning.status}, mfa {attributes.versioning.mfa_delete}, ' +
          'block {attributes.public_access_block.block_public_acls}, limit {params.max_days}',
        resource,
        { max_days: 90 },
      ),
    ).toBe('acme-data in eu-west-1: versioning Suspended, mfa null, block true, limit 90');
  });

  it('counts a list or an object instead of printing it with |count', () => {
    const scanned = {
      ...resource,
      attributes: { analyzers: [{ status: 'ACTIVE' }, { status: 'DISABLED' }], tags: { a: '1' }, none: null },
    };
    expect(
      fillTemplate(
        '{attributes.analyzers|count} analyzers, {attributes.tags|count} tag, {attributes.none|count} none, ' +
          '{attributes.missing|count} missing',
        scanned,
      ),
    ).toBe(`2 analyzers, 1 tag, 0 none, ${UNREAD_ATTRIBUTE} missing`);
  });

  it('says an attribute was not collected instead of guessing', () => {
    expect(fillTemplate('logs to {attributes.logging.target_bucket}', resource)).toBe(
      `logs to ${UNREAD_ATTRIBUTE}`,
    );
  });

  it('replaces the rule message by the evaluation failure when there is one', () => {
    expect(findingMessage({ pass: 'ok', fail: 'bad {name}' }, 'fail', resource)).toBe('bad acme-data');
    expect(findingMessage({ pass: 'ok', fail: 'bad' }, 'error', resource, 'boom')).toBe(
      'The rule could not be evaluated on acme-data: boom',
    );
  });

  it('checks placeholders at build time', () => {
    expect(placeholderProblem('attributes.a.b', [])).toBeNull();
    expect(placeholderProblem('attributes.a.b|count', [])).toBeNull();
    expect(placeholderProblem('attributes.a|length', [])).toMatch(/^unknown placeholder/);
    expect(placeholderProblem('params.days', ['days'])).toBeNull();
    expect(placeholderProblem('params.weeks', ['days'])).toBe(
      '{params.weeks} names a parameter the rule does not declare',
    );
    expect(placeholderProblem('owner', [])).toMatch(/^unknown placeholder \{owner\}; use \{id\}, /);
  });
});
