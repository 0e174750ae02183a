import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.ts';
import { parseYamlSource } from '../yaml-source.ts';
import { parseDslCheck } from './dsl.ts';

/** Parses a check: block written as YAML lines (the block starts on line 1). */
function parse(...lines: string[]) {
  return parseDslCheck(parseYamlSource('rule.yaml', ['check:', ...lines, ''].join('\n')));
}

describe('DSL parser', () => {
  it('parses when/assert into a tree that keeps every line', () => {
    const { check, problems } = parse(
      '  when:',
      '    attribute: versioning.status',
      '    equals: Enabled',
      '  assert:',
      '    any_of:',
      '      - attribute: encryption.enabled',
      '        equals: true',
      '      - not:',
      '          attribute: public_access_block',
      '          exists: false',
    );
    expect(problems).toEqual([]);
    const leaf = (line: number, path: string[], operator: string, value: unknown) => ({
      kind: 'leaf',
      line,
      path,
      operator,
      operand: { kind: 'value', value },
    });
    expect(check).toEqual({
      line: 1,
      when: leaf(3, ['versioning', 'status'], 'equals', 'Enabled'),
      assert: {
        kind: 'any_of',
        line: 6,
        items: [
          leaf(7, ['encryption', 'enabled'], 'equals', true),
          { kind: 'not', line: 9, items: [leaf(10, ['public_access_block'], 'exists', false)] },
        ],
      },
    });
  });

  it('parses quantifiers, comparisons and $params references', () => {
    const { check, problems } = parseDslCheck(
      parseYamlSource(
        'rule.yaml',
        [
          'parameters:',
          '  type: object',
          '  properties:',
          '    max_age: {type: integer, default: 90}',
          'check:',
          '  assert:',
          '    attribute: keys',
          '    all:',
          '      attribute: created',
          '      age_days: {lte: $params.max_age}',
          '',
        ].join('\n'),
      ),
    );
    expect(problems).toEqual([]);
    expect(check?.assert).toEqual({
      kind: 'quantifier',
      line: 7,
      path: ['keys'],
      quantifier: 'all',
      item: {
        kind: 'leaf',
        line: 9,
        path: ['created'],
        operator: 'age_days',
        comparison: 'lte',
        operand: { kind: 'param', name: 'max_age' },
      },
    });
  });

  it.each([
    [
      'an unknown logical operator',
      ['  assert:', '    one_of:', '      - attribute: a', '        equals: 1'],
      ERROR_CODES.DSL_UNKNOWN_OPERATOR,
      3,
      expect.stringMatching(
        /^check.assert: unknown operator 'one_of'; known operators: all_of, any_of, not, equals, not_equals, in, .*, cidr_contains, is_public_cidr, all, any, none$/,
      ),
    ],
    [
      'an unknown comparison, nested',
      [
        '  assert:',
        '    all_of:',
        '      - attribute: a',
        '        equals: 1',
        '      - attribute: b',
        '        greater_than: 2',
      ],
      ERROR_CODES.DSL_UNKNOWN_OPERATOR,
      7,
      expect.stringMatching(
        /^check.assert.all_of\[1\]: unknown operator 'greater_than' for attribute b; known operators: equals, .*, gt, /,
      ),
    ],
    [
      'two operators on one attribute',
      ['  assert:', '    attribute: a', '    equals: 1', '    exists: true'],
      ERROR_CODES.DSL_INVALID,
      3,
      expect.stringMatching(
        /^check.assert: attribute a needs exactly one operator \(equals, .*\), found equals, exists$/,
      ),
    ],
    [
      'a leaf operator without attribute',
      ['  assert:', '    equals: 1'],
      ERROR_CODES.DSL_INVALID,
      3,
      expect.stringMatching(
        /^check.assert: unknown operator 'equals' \('equals' needs an 'attribute:' beside it\); known operators: all_of, /,
      ),
    ],
    [
      'an empty any_of',
      ['  assert:', '    any_of: []'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert.any_of: expects a non-empty list of expressions',
    ],
    [
      'a malformed attribute path',
      ['  assert:', '    attribute: encryption..enabled', '    equals: true'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert.attribute: expected a dotted attribute path like encryption.enabled, got string "encryption..enabled"',
    ],
    [
      'a non-boolean exists',
      ['  assert:', '    attribute: a', '    exists: "yes"'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.exists: expects true or false, got string "yes"',
    ],
    [
      'a $-reference',
      ['  assert:', '    attribute: a', '    equals: $params.level'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.equals: $params.level is not declared under parameters.properties',
    ],
    [
      'a list where an expression belongs',
      ['  when:', '    - attribute: a', '      equals: 1', '  assert:', '    attribute: a', '    equals: 1'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.when: expected an expression (a mapping), got a list',
    ],
    [
      'a malformed reference',
      ['  assert:', '    attribute: a', '    equals: $param.level'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.equals: values starting with \'$\' are references, written $params.<name>; got "$param.level"',
    ],
    [
      'a string where gt needs a number',
      ['  assert:', '    attribute: a', '    gt: ten'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.gt: expects a number, got string "ten"',
    ],
    [
      'in without a list',
      ['  assert:', '    attribute: a', '    in: x'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.in: expects a list of values, got string "x"',
    ],
    [
      'an invalid regular expression',
      ['  assert:', '    attribute: a', '    matches: "([a-z"'],
      ERROR_CODES.DSL_INVALID,
      4,
      expect.stringMatching(/^check.assert.matches: is not a valid regular expression/),
    ],
    [
      'a lookahead, which Go regular expressions lack',
      ['  assert:', '    attribute: a', '    matches: "^(?!tmp)"'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.matches: uses lookaround or backreferences, which Go/RE2 regular expressions lack, got string "^(?!tmp)"',
    ],
    [
      'a malformed CIDR block',
      ['  assert:', '    attribute: a', '    cidr_contains: 10.0.0.0/33'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.cidr_contains: expects an IP address or CIDR block such as 10.0.0.0/8, got string "10.0.0.0/33"',
    ],
    [
      'a comparison without its operator',
      ['  assert:', '    attribute: a', '    length: 3'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.length: expects one comparison (equals, gt, gte, lt, lte) with a number, e.g. { gte: 1 }, got number 3',
    ],
    [
      'a comparison with a string',
      ['  assert:', '    attribute: a', '    age_days:', '      gt: soon'],
      ERROR_CODES.DSL_INVALID,
      5,
      'check.assert.age_days.gt: expects a number, got string "soon"',
    ],
    [
      "'.' outside a quantifier",
      ['  assert:', '    attribute: .', '    equals: 1'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert.attribute: expected a dotted attribute path like encryption.enabled, got string "." (\'.\' names the list element, inside all/any/none only)',
    ],
    [
      'an unknown operator inside a quantifier',
      ['  assert:', '    attribute: a', '    any:', '      attribute: b', '      bigger: 1'],
      ERROR_CODES.DSL_UNKNOWN_OPERATOR,
      6,
      expect.stringMatching(
        /^check.assert.any: unknown operator 'bigger' for attribute b; known operators: /,
      ),
    ],
  ])('rejects %s with its line', (_what, lines, code, line, message) => {
    expect(parse(...lines)).toEqual({ check: null, problems: [{ code, file: 'rule.yaml', line, message }] });
  });
});

describe('DSL parameter references', () => {
  const withParams = (...lines: string[]) =>
    parseDslCheck(
      parseYamlSource(
        'rule.yaml',
        [
          'parameters:',
          '  type: object',
          '  properties:',
          '    zones:',
          '      type: array',
          '      default: [a]',
          '    days:',
          '      type: integer',
          '      default: 3',
          'check:',
          ...lines,
          '',
        ].join('\n'),
      ),
    );

  it('accepts a parameter whose type fits the operator', () => {
    expect(withParams('  assert:', '    attribute: z', '    in: $params.zones').problems).toEqual([]);
  });

  it('rejects a parameter of the wrong type, naming both', () => {
    expect(withParams('  assert:', '    attribute: z', '    gt: $params.zones').problems).toEqual([
      {
        code: ERROR_CODES.DSL_INVALID,
        file: 'rule.yaml',
        line: 13,
        message:
          'check.assert.gt: $params.zones has type "array", but this operand must be a number (type: number or integer)',
      },
    ]);
  });

  it('rejects an undeclared parameter, listing the declared ones', () => {
    expect(withParams('  assert:', '    attribute: z', '    in: $params.zone').problems[0]?.message).toBe(
      'check.assert.in: $params.zone is not declared under parameters.properties (declared: zones, days)',
    );
  });
});
