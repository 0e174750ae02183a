import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.ts';
import { parseYamlSource } from '../yaml-source.ts';
import { attributesSchema, resolvePath, resourceTypeNames } from './attribute-schema.ts';
import { parseDslCheck } from './dsl.ts';
import { dslSchemaProblems } from './dsl-schema.ts';
import { exampleValue, firstBooleanPath } from './schema-example.ts';
import { validatorFor } from '../../schemas/index.ts';

/** Problems of a check: block (written as YAML lines, `check:` on line 1) against the schema of `type`. */
function problems(type: string, ...lines: string[]) {
  const src = parseYamlSource('rule.yaml', ['check:', ...lines, ''].join('\n'));
  const { check, problems: syntax } = parseDslCheck(src);
  expect(syntax).toEqual([]);
  return dslSchemaProblems(check!, 'rule.yaml', [type]).map((p) => [p.line, p.code, p.message]);
}

describe('DSL checks against the resource schemas', () => {
  it('refuses a misspelt attribute at its line, suggesting the sibling it was meant to be', () => {
    expect(
      problems('aws.rds.db_instance', '  assert:', '    attribute: deletion_protectoin', '    equals: true'),
    ).toEqual([
      [
        3,
        ERROR_CODES.UNKNOWN_REFERENCE,
        'attribute deletion_protectoin: aws.rds.db_instance has no attribute deletion_protectoin (did you mean deletion_protection?)',
      ],
    ]);
  });

  it('follows nested objects, oneOf branches and list items; a far-off name lists the known ones', () => {
    expect(
      problems(
        'aws.s3.bucket',
        '  assert:',
        '    all_of:',
        '      - attribute: public_access_block.block_public_acl',
        '        equals: true',
        '      - attribute: logging.enabled',
        '        equals: true',
        '      - attribute: versioning.xyz',
        '        exists: true',
      ),
    ).toEqual([
      [
        4,
        ERROR_CODES.UNKNOWN_REFERENCE,
        'attribute public_access_block.block_public_acl: aws.s3.bucket has no attribute block_public_acl under public_access_block (did you mean block_public_acls?)',
      ],
      [
        8,
        ERROR_CODES.UNKNOWN_REFERENCE,
        'attribute versioning.xyz: aws.s3.bucket has no attribute xyz under versioning (known: mfa_delete, status)',
      ],
    ]);
    expect(
      problems(
        'aws.iam.user',
        '  assert:',
        '    attribute: access_keys',
        '    all:',
        '      attribute: last_used_dat',
        '      age_days: { lte: 90 }',
      ),
    ).toEqual([
      [
        5,
        ERROR_CODES.UNKNOWN_REFERENCE,
        'attribute access_keys[].last_used_dat: aws.iam.user has no attribute last_used_dat under access_keys[] (did you mean last_used_date?)',
      ],
    ]);
  });

  it('lets any key through a map (additionalProperties) and refuses a field under a scalar', () => {
    expect(
      problems('aws.iam.role', '  assert:', '    attribute: trust_policy.Statement', '    exists: true'),
    ).toEqual([]);
    expect(
      problems('aws.rds.db_instance', '  assert:', '    attribute: engine.name', '    exists: true'),
    ).toEqual([
      [
        3,
        ERROR_CODES.UNKNOWN_REFERENCE,
        'attribute engine.name: aws.rds.db_instance has no attribute name: engine is a string',
      ],
    ]);
  });

  it('refuses an operator that does not fit the attribute type, and values outside its type or enum', () => {
    expect(
      problems(
        'aws.rds.db_instance',
        '  assert:',
        '    all_of:',
        '      - attribute: engine',
        '        gt: 3',
        '      - attribute: backup_retention_period',
        '        matches: "^[0-9]+$"',
        '      - attribute: storage_encrypted',
        '        all: { attribute: ., equals: true }',
        '      - attribute: storage_encrypted',
        '        equals: "true"',
        '      - attribute: backup_retention_period',
        '        gte: 7',
      ),
    ).toEqual([
      [
        4,
        ERROR_CODES.DSL_INVALID,
        'attribute engine: gt needs a number, but in aws.rds.db_instance it is a string',
      ],
      [
        6,
        ERROR_CODES.DSL_INVALID,
        'attribute backup_retention_period: matches needs a string, but in aws.rds.db_instance it is a number',
      ],
      [
        8,
        ERROR_CODES.DSL_INVALID,
        'attribute storage_encrypted: all needs a list, but in aws.rds.db_instance it is a boolean',
      ],
      [
        10,
        ERROR_CODES.DSL_INVALID,
        'attribute storage_encrypted: equals "true" is a string, but the attribute is a boolean (aws.rds.db_instance)',
      ],
    ]);
    expect(
      problems(
        'aws.s3.bucket',
        '  assert:',
        '    attribute: versioning.status',
        '    in: [Enabled, Suspendd]',
      ),
    ).toEqual([
      [
        3,
        ERROR_CODES.DSL_INVALID,
        'attribute versioning.status: in "Suspendd" is not one of its values ("Enabled", "Suspended", "Disabled"); did you mean Suspended? (aws.s3.bucket)',
      ],
    ]);
  });
});

describe('schema examples for rules new', () => {
  it('fills every resource type with attributes its schema accepts, and finds a boolean to test', () => {
    for (const type of resourceTypeNames()) {
      const schema = attributesSchema(type)!;
      const example = exampleValue(schema, true);
      const validate = validatorFor(`resources/${type}`)!;
      expect(validate(example), `${type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const path = firstBooleanPath(schema);
      if (path) expect('node' in resolvePath(schema, path), type).toBe(true);
    }
    expect(firstBooleanPath(attributesSchema('aws.s3.bucket')!)).toEqual(['encryption', 'enabled']);
  });
});
