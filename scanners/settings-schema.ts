/**
 * The JSON Schema of what an integration stores (its config and its credentials), one per provider, for
 * forms: `GET /api/integrations/providers` answers them and the app builds its add and edit forms from them.
 * They describe; the provider's `validate` stays the check the API applies. A credential marked `writeOnly`
 * is a secret: it is sent, never answered back.
 */

/** One setting: a string (one line, or several with `contentMediaType`), a flag, a list or a small object. */
export interface SettingSchema {
  readonly type: 'string' | 'boolean' | 'array' | 'object';
  readonly title: string;
  readonly description?: string;
  readonly format?: 'uri';
  readonly pattern?: string;
  /** A multi-line value such as a PEM file. */
  readonly contentMediaType?: string;
  /** A secret: sent, never answered back. */
  readonly writeOnly?: true;
  readonly examples?: readonly unknown[];
  readonly items?: { readonly type: 'string'; readonly enum?: readonly string[]; readonly pattern?: string };
  readonly minItems?: number;
  readonly properties?: Readonly<Record<string, SettingSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false;
}

/** The config or the credentials of one provider's integration. */
export interface SettingsSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, SettingSchema>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
  /** What the object as a whole needs beyond `required` (e.g. one of two ways to sign in). */
  readonly description?: string;
}

/** A one-line text setting. */
export function text(title: string, description: string, extra: Partial<SettingSchema> = {}): SettingSchema {
  return { type: 'string', title, description, ...extra };
}

/** A secret: write-only, one line, or several when `multiline` (a PEM file). */
export function secret(title: string, description: string, multiline = false): SettingSchema {
  return {
    type: 'string',
    title,
    description,
    writeOnly: true,
    ...(multiline ? { contentMediaType: 'application/x-pem-file' } : {}),
  };
}

/** A list of strings. */
export function list(
  title: string,
  description: string,
  items: SettingSchema['items'] = { type: 'string' },
  minItems?: number,
): SettingSchema {
  return { type: 'array', title, description, items, ...(minItems ? { minItems } : {}) };
}

/** An object of settings, with its required keys. */
export function settings(
  properties: Record<string, SettingSchema>,
  required: readonly string[] = [],
  description?: string,
): SettingsSchema {
  return {
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    ...(description ? { description } : {}),
  };
}
