/**
 * Finding messages, built here from rule metadata and never in Rego (the wasm SDK's sprintf differs from
 * Go OPA's). Templates may name a few resource fields in braces.
 */
import type { Resource, RuleMetadata, Status } from '../schemas/index.ts';

/** The placeholders a message template may use. */
export const MESSAGE_PLACEHOLDERS = ['id', 'name', 'type', 'account', 'region'] as const;

const DEFAULT_MESSAGES: Record<'error' | 'not_applicable', string> = {
  error: 'Could not decide for {name}: the data this rule needs was not collected (see the scan errors).',
  not_applicable: 'Does not apply to {name}.',
};

type MessageResource = Pick<Resource, (typeof MESSAGE_PLACEHOLDERS)[number]>;

/** Fills a template's placeholders from the resource. */
export function fillTemplate(template: string, resource: MessageResource): string {
  return template.replace(
    /\{(id|name|type|account|region)\}/g,
    (_, key: keyof MessageResource) => resource[key],
  );
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
): string {
  if (failure) return `The rule could not be evaluated on ${resource.name}: ${failure}`;
  const template = messages[status] ?? DEFAULT_MESSAGES[status as 'error' | 'not_applicable'];
  return fillTemplate(template, resource);
}
