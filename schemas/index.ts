/**
 * Runtime validation for the JSON Schemas in this folder (the same files generate ./types.ts).
 * Every schema is compiled once, on first use.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Resource } from './types.ts';

export type * from './types.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const dir = new URL('./', import.meta.url);

function loadSchemas(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.schema.json'),
  );
  for (const file of files) ajv.addSchema(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
  return ajv;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction | null>();

/** The compiled validator for schemas/<name>.schema.json, or null when there is no such schema. */
export function validatorFor(name: string): ValidateFunction | null {
  if (!validators.has(name)) {
    ajv ??= loadSchemas();
    validators.set(name, ajv.getSchema(`https://complywise.dev/schemas/${name}.schema.json`) ?? null);
  }
  return validators.get(name) ?? null;
}

/** Thrown when data does not match its schema; `issues` lists every problem with its JSON path. */
export class SchemaValidationError extends Error {
  readonly issues: string[];
  constructor(what: string, issues: string[]) {
    super(`${what} is invalid: ${issues.join('; ')}`);
    this.name = 'SchemaValidationError';
    this.issues = issues;
  }
}

/** Formats ajv errors as "path: message" lines a human can act on. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

/** Validates data against schemas/<name>.schema.json and returns it typed, or throws SchemaValidationError. */
export function assertValid<T>(name: string, data: unknown, what = name): T {
  const validate = validatorFor(name);
  if (!validate) throw new Error(`no schema named ${name}`);
  if (!validate(data)) throw new SchemaValidationError(what, describeErrors(validate.errors));
  return data as T;
}

/**
 * Validates a normalized resource: the envelope, then its attributes against
 * schemas/resources/<type>.schema.json when that type has one.
 */
export function assertValidResource(data: unknown): Resource {
  const resource = assertValid<Resource>('resource', data, 'resource');
  const attributes = validatorFor(`resources/${resource.type}`);
  if (attributes && !attributes(resource.attributes)) {
    const issues = describeErrors(attributes.errors).map((i) => `attributes${i === '/' ? '' : i}`);
    throw new SchemaValidationError(`resource ${resource.id}`, issues);
  }
  return resource;
}
