/**
 * compose.yaml and the Dockerfile against the code: the services the deployment docs promise, and no
 * setting the product does not read (a misspelt variable would be ignored silently at run time).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const productServices = Object.entries(services).filter(([, service]) => service.build === '.');

/** Variables the product reads: `env.NAME` in its configuration and key providers, and the AWS SDK's. */
const productVariables = new Set(
  ['api/src/config.ts', 'api/src/plugins/app/crypto.ts', 'api/src/ledger/ledger.ts']
    .flatMap((file) => [...read(file).matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!))
    .concat(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'NODE_ENV']),
);

describe('compose.yaml', () => {
  it('runs PostgreSQL, an S3 store, one API and two workers of the image built here', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgres', 's3', 's3-bucket', 'api', 'worker-1', 'worker-2']),
    );
    const roles = productServices.map(([name, service]) => [name, service.environment?.COMPLYWISE_ROLE]);
    expect(roles).toEqual([
      ['api', 'api'],
      ['worker-1', 'worker'],
      ['worker-2', 'worker'],
    ]);
    // Workers start after the API has migrated the database.
    expect(services['worker-1']?.depends_on?.api).toEqual({ condition: 'service_healthy' });
  });

  it('sets only variables the product reads, and points them at its own services', () => {
    for (const [name, service] of productServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((key) => !productVariables.has(key));
      expect(unknown, name).toEqual([]);
      const environment = service.environment ?? {};
      expect(new URL(environment.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'x')).hostname).toBe('postgres');
      expect(new URL(environment.COMPLYWISE_EVIDENCE_S3_ENDPOINT!).hostname).toBe('s3');
      expect(services['s3-bucket']?.command?.at(-1)).toBe(
        `store/${environment.COMPLYWISE_EVIDENCE_S3_BUCKET}`,
      );
    }
  });
});

describe('Dockerfile', () => {
  it('sets only variables the product reads, and runs as a numeric user other than root', () => {
    const dockerfile = read('Dockerfile');
    const envBlock = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
    const names = [...envBlock.matchAll(/([A-Z][A-Z0-9_]+)=/g)].map((m) => m[1]!);
    expect(names).toContain('COMPLYWISE_DATA_DIR');
    expect(names.filter((name) => !productVariables.has(name))).toEqual([]);
    const uid = /^ARG APP_UID=(\d+)$/m.exec(dockerfile)?.[1];
    expect(Number(uid)).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^USER \$\{APP_UID\}:\$\{APP_UID\}$/m);
  });
});
