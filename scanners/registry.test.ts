// The provider registry: every provider keeps the one contract, and nothing outside the registry picks a
// provider's code by switching on its id.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS, SCANNABLE_PROVIDERS, scannerFor } from './registry.ts';

const ROOT = join(import.meta.dirname, '..');

/** Every TypeScript source file under a folder (node_modules and build output aside). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|svelte)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !/node_modules|\/\.svelte-kit\/|\/build\//.test(path));
}

describe('provider registry', () => {
  it('lists each provider under its own id, with the whole contract', () => {
    expect(SCANNABLE_PROVIDERS).toEqual(['aws', 'github', 'okta', 'azure']);
    for (const [id, provider] of Object.entries(PROVIDERS)) {
      expect(provider.id).toBe(id);
      expect(scannerFor(id)).toBe(provider);
      expect(provider.name).not.toBe('');
      expect(typeof provider.validate).toBe('function');
      expect(typeof provider.identify).toBe('function');
      expect(typeof provider.scan).toBe('function');
      expect(Object.keys(provider.permissions).length).toBeGreaterThan(0);
      // A URL setting is a config key the integration may store.
      for (const setting of provider.urlSettings) expect(provider.keys.config).toContain(setting.key);
    }
  });

  it("describes each provider's settings with exactly its keys, secrets write-only", () => {
    for (const provider of Object.values(PROVIDERS)) {
      const { config, credentials } = provider.settings;
      expect(Object.keys(config.properties).sort(), provider.id).toEqual([...provider.keys.config].sort());
      expect(Object.keys(credentials.properties).sort(), provider.id).toEqual(
        [...provider.keys.credentials].sort(),
      );
      for (const schema of [config, credentials]) {
        for (const key of schema.required) expect(Object.keys(schema.properties)).toContain(key);
        for (const [key, setting] of Object.entries(schema.properties)) {
          expect(setting.title, `${provider.id}.${key}`).not.toBe('');
          expect(setting.description, `${provider.id}.${key}`).toBeTruthy();
        }
      }
      // No setting in config is secret: config is answered back, credentials never are.
      expect(Object.values(config.properties).filter((s) => s.writeOnly)).toEqual([]);
      expect(
        Object.values(credentials.properties).some((s) => s.writeOnly),
        provider.id,
      ).toBe(true);
    }
    const secrets = Object.values(PROVIDERS).flatMap((provider) =>
      Object.entries(provider.settings.credentials.properties)
        .filter(([, setting]) => setting.writeOnly)
        .map(([key]) => `${provider.id}.${key}`),
    );
    expect(secrets).toEqual([
      'aws.secretAccessKey',
      'aws.sessionToken',
      'github.token',
      'github.privateKey',
      'okta.token',
      'okta.privateKey',
      'azure.clientSecret',
      'azure.certificate',
    ]);
  });

  it('knows no provider by an inherited property name', () => {
    expect(scannerFor('constructor')).toBeUndefined();
    expect(scannerFor('toString')).toBeUndefined();
    expect(scannerFor(undefined)).toBeUndefined();
  });

  it('is the only place that chooses code by provider: no switch on a provider elsewhere', () => {
    const offenders = ['scanners', 'api/src', 'bin', 'app/src']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .filter((path) => /switch\s*\([^)]*provider[^)]*\)/i.test(readFileSync(path, 'utf8')))
      .map((path) => relative(ROOT, path));
    expect(offenders).toEqual([]);
  });
});
