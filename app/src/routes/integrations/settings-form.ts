/**
 * The integration form's pure rules (unit-tested in settings-form.test.ts): the fields a provider's settings
 * schema (GET /api/integrations/providers) asks for, their starting values, and the config and credentials
 * they make. Secrets are write-only: an edit form starts with every credential empty, and sends credentials
 * only when some were entered (they then replace the stored ones whole: a rotation).
 */

/** The part of the JSON Schema the form reads (see scanners/settings-schema.ts). */
export interface SettingSchema {
  type: string;
  title?: string;
  description?: string;
  format?: string;
  contentMediaType?: string;
  writeOnly?: boolean;
  items?: { type?: string; enum?: readonly string[] };
  properties?: Record<string, SettingSchema>;
  required?: readonly string[];
}

export interface SettingsSchema {
  properties?: Record<string, SettingSchema>;
  required?: readonly string[];
  description?: string;
}

export type FieldKind = 'text' | 'url' | 'secret' | 'multiline' | 'list' | 'choices' | 'flag';

/** One input of the form. */
export interface FormField {
  /** `config.accountId`, `credentials.secretAccessKey`, `config.organization.memberRoleName`. */
  path: string;
  part: 'config' | 'credentials';
  label: string;
  description: string;
  kind: FieldKind;
  required: boolean;
  /** A secret (write-only): never shown back. */
  secret: boolean;
  /** The values a `choices` field offers. */
  options: readonly string[];
}

export type FieldValue = string | boolean | string[];
export type FormValues = Record<string, FieldValue>;

function kindOf(schema: SettingSchema): FieldKind {
  if (schema.type === 'boolean') return 'flag';
  if (schema.type === 'array') return schema.items?.enum ? 'choices' : 'list';
  if (schema.contentMediaType) return 'multiline';
  if (schema.writeOnly) return 'secret';
  return schema.format === 'uri' ? 'url' : 'text';
}

/** The inputs of one part (config or credentials); a small nested object's settings come flattened. */
export function fieldsOf(part: 'config' | 'credentials', schema: SettingsSchema): FormField[] {
  const fields: FormField[] = [];
  const walk = (
    properties: Record<string, SettingSchema>,
    required: readonly string[],
    prefix: string,
    parent = '',
  ) => {
    for (const [key, setting] of Object.entries(properties)) {
      const path = `${prefix}.${key}`;
      if (setting.type === 'object' && setting.properties) {
        walk(setting.properties, [], path, setting.title ?? key);
        continue;
      }
      fields.push({
        path,
        part,
        label: parent ? `${parent}: ${setting.title ?? key}` : (setting.title ?? key),
        description: setting.description ?? '',
        kind: kindOf(setting),
        required: required.includes(key),
        secret: setting.writeOnly === true,
        options: setting.items?.enum ?? [],
      });
    }
  };
  walk(schema.properties ?? {}, schema.required ?? [], part);
  return fields;
}

function valueAt(root: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .slice(1)
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      root,
    );
}

/**
 * Starting values: empty for a new integration; for an edit, the stored config (credentials are never
 * answered, so they start empty whatever is stored).
 */
export function initialValues(
  fields: readonly FormField[],
  config: Record<string, unknown> = {},
): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const stored = field.part === 'config' ? valueAt(config, field.path) : undefined;
    if (field.kind === 'flag') values[field.path] = stored === true;
    else if (field.kind === 'choices') values[field.path] = Array.isArray(stored) ? stored.map(String) : [];
    else if (field.kind === 'list')
      values[field.path] = Array.isArray(stored) ? stored.map(String).join('\n') : '';
    else values[field.path] = typeof stored === 'string' ? stored : '';
  }
  return values;
}

/** A list typed one per line or separated by commas. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The value to send for one field, or undefined when the field is left empty. */
function sent(field: FormField, value: FieldValue | undefined): unknown {
  if (field.kind === 'flag') return value === true ? true : undefined;
  if (field.kind === 'choices') return Array.isArray(value) && value.length > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (field.kind === 'list') {
    const items = splitList(value);
    return items.length > 0 ? items : undefined;
  }
  // Secrets and PEM files are sent as typed; other text without surrounding blanks.
  const text = field.secret || field.kind === 'multiline' ? value : value.trim();
  return text.trim() === '' ? undefined : text;
}

/** The config and credentials the values make; empty fields are left out (the API's defaults apply). */
export function settingsOf(
  fields: readonly FormField[],
  values: FormValues,
): { config: Record<string, unknown>; credentials: Record<string, unknown> } {
  const out = { config: {} as Record<string, unknown>, credentials: {} as Record<string, unknown> };
  for (const field of fields) {
    const value = sent(field, values[field.path]);
    if (value === undefined) continue;
    const [, ...keys] = field.path.split('.');
    let node = out[field.part];
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return out;
}

/**
 * What an edit sends: the name when it changed, the config, and credentials only when some were entered
 * (they replace the stored ones whole). Nothing entered in a credential field keeps the stored secrets.
 */
export function changesOf(
  fields: readonly FormField[],
  values: FormValues,
  name: string,
  storedName: string,
): { name?: string; config: Record<string, unknown>; credentials?: Record<string, unknown> } {
  const { config, credentials } = settingsOf(fields, values);
  return {
    ...(name.trim() !== storedName ? { name: name.trim() } : {}),
    config,
    ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
  };
}

/** The problems an API refusal names, by field path (`config.accountId`), for the inputs to show. */
export function problemsByField(details: unknown): Record<string, string> {
  const list = Array.isArray(details)
    ? details
    : details && typeof details === 'object' && Array.isArray((details as { problems?: unknown }).problems)
      ? (details as { problems: unknown[] }).problems
      : [];
  const problems: Record<string, string> = {};
  for (const item of list) {
    if (item && typeof item === 'object' && typeof (item as { field?: unknown }).field === 'string') {
      const { field, message } = item as { field: string; message?: unknown };
      problems[field] = typeof message === 'string' ? message : 'is not valid';
    }
  }
  return problems;
}
