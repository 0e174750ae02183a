/**
 * Finding messages, built here from rule metadata and never in Rego (the wasm SDK's sprintf differs from
 * Go OPA's). Templates name resource fields, attributes and parameters in braces.
 */
import type { Resource, RuleMetadata, Status } from '../schemas/index.ts';

/** The resource fields a message template may name directly. */
export const MESSAGE_PLACEHOLDERS = ['id', 'name', 'type', 'account', 'region'] as const;

/**
 * `{attributes.<dotted path>}`, optionally `|count` (how many items a list or keys an object holds, so a
 * message can say how many without printing them all), and `{params.<name>}`, besides the fields above.
 */
const ATTRIBUTE_PLACEHOLDER = /^attributes\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\|count)?$/;
const COUNT_SUFFIX = '|count';
const PARAM_PLACEHOLDER = /^params\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** Shown for an attribute the scanner could not read. */
export const UNREAD_ATTRIBUTE = '(not collected)';

const DEFAULT_MESSAGES: Record<'error' | 'not_applicable', string> = {
  error: 'Could not decide for {name}: the data this rule needs was not collected (see the scan errors).',
  not_applicable: 'Does not apply to {name}.',
};

type MessageResource = Pick<Resource, (typeof MESSAGE_PLACEHOLDERS)[number]> & {
  attributes?: Record<string, unknown>;
};

/**
 * Why a placeholder name cannot be filled, or null when it can. `params`: the names the rule declares.
 */
export function placeholderProblem(name: string, params: readonly string[]): string | null {
  if ((MESSAGE_PLACEHOLDERS as readonly string[]).includes(name) || ATTRIBUTE_PLACEHOLDER.test(name))
    return null;
  const param = PARAM_PLACEHOLDER.exec(name)?.[1];
  if (param !== undefined) {
    return params.includes(param) ? null : `{${name}} names a parameter the rule does not declare`;
  }
  return `unknown placeholder {${name}}; use ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}, {attributes.<path>}, {attributes.<path>|count} or {params.<name>}`;
}

function render(value: unknown): string {
  if (value === undefined) return UNREAD_ATTRIBUTE;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** How many items a list, or keys an object, holds; null counts as none. Anything else renders as itself. */
function renderCount(value: unknown): string {
  if (value === undefined) return UNREAD_ATTRIBUTE;
  if (value === null) return '0';
  if (Array.isArray(value)) return String(value.length);
  if (typeof value === 'object') return String(Object.keys(value).length);
  return render(value);
}

function attributeAt(attributes: Record<string, unknown> | undefined, path: string[]): unknown {
  let here: unknown = attributes;
  for (const step of path) {
    if (here === null) return null; // read as not configured: the whole path reads as null, as in rules
    if (typeof here !== 'object' || Array.isArray(here) || !Object.hasOwn(here, step)) return undefined;
    here = (here as Record<string, unknown>)[step];
  }
  return here;
}

/** One piece of a template: literal text, or a placeholder read from the resource or parameters. */
type Piece = string | ((resource: MessageResource, params: Record<string, unknown>) => string);

/** Templates split into pieces once: a scan fills the same few templates for every finding. */
const compiled = new Map<string, Piece[]>();

function compile(template: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    pieces.push(template.slice(last, match.index));
    last = match.index + match[0].length;
    const [whole, name] = match as unknown as [string, string];
    if ((MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
      pieces.push((resource) => resource[name as keyof MessageResource] as string);
    } else if (ATTRIBUTE_PLACEHOLDER.test(name)) {
      const counted = name.endsWith(COUNT_SUFFIX);
      const path = name
        .slice(0, counted ? -COUNT_SUFFIX.length : undefined)
        .split('.')
        .slice(1);
      const show = counted ? renderCount : render;
      pieces.push((resource) => show(attributeAt(resource.attributes, path)));
    } else {
      const param = PARAM_PLACEHOLDER.exec(name)?.[1];
      pieces.push(
        param === undefined
          ? whole
          : (_, params) => (Object.hasOwn(params, param) ? render(params[param]) : whole),
      );
    }
  }
  pieces.push(template.slice(last));
  return pieces;
}

/** Fills a template's placeholders from the resource (and the rule's effective parameters). */
export function fillTemplate(
  template: string,
  resource: MessageResource,
  params: Record<string, unknown> = {},
): string {
  let pieces = compiled.get(template);
  if (!pieces) {
    pieces = compile(template);
    compiled.set(template, pieces);
  }
  let out = '';
  for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(resource, params);
  return out;
}

/**
 * The message of a finding with `status` on `resource`. `failure` (why evaluation itself failed) replaces the
 * rule's own error message, which is about data that could not be read.
 */
export function findingMessage(
  messages: RuleMetadata['messages'],
  status: Status,
  resource: MessageResource,
  failure?: string,
  params: Record<string, unknown> = {},
): string {
  if (failure) return `The rule could not be evaluated on ${resource.name}: ${failure}`;
  const template = messages[status] ?? DEFAULT_MESSAGES[status as 'error' | 'not_applicable'];
  return fillTemplate(template, resource, params);
}
