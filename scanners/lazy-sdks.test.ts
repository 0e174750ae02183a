// The Azure and Okta SDKs are imported on a scan's first use, not when the scanners load: together they cost
// about 1.5 s of CPU to import, which every process that loads the scanners (API, worker, CLI, each test
// file that builds the app) would otherwise pay. Checked in a fresh node process, which reports every
// package it resolved; the provider tests (scanners/azure, scanners/okta) show the scans still load them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** The packages a fresh node process resolves while it runs `code` (an ES module body). */
function packagesResolvedBy(code: string): string[] {
  const hook = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      const m = /node_modules\\/((@[^/]+\\/)?[^/]+)\\//.exec(resolved.url);
      if (m) seen.add(m[1]);
      return resolved;
    } });
    process.on('exit', () => process.stdout.write(JSON.stringify([...seen])));
  `;
  const out = execFileSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(hook)}`, '--input-type=module', '-e', code],
    { cwd: root, encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

describe('the provider SDKs load on first use', () => {
  it('loading every scanner resolves neither SDK; an Azure connection test does', () => {
    const loaded = packagesResolvedBy(`await import('./scanners/index.ts');`);
    // The scanners did load (the AWS SDK is imported at the top of its scanner), so the list is real.
    expect(loaded).toContain('@aws-sdk/client-s3');
    expect(loaded.filter((name) => name.startsWith('@azure/'))).toEqual([]);
    expect(loaded).not.toContain('@okta/okta-sdk-nodejs');

    // A connection test to a TLS endpoint no one answers on: it fails, but only after loading the SDK.
    const tried = packagesResolvedBy(`
      const { azureCredential } = await import('./scanners/azure/azure.ts');
      const { ScanContext } = await import('./scanners/scan-context.ts');
      const ctx = new ScanContext('azure', ['secret'], {}, 20);
      await azureCredential(
        { tenantId: 't', clientId: 'c', clientSecret: 'secret', subscriptionIds: [] },
        'https://127.0.0.1:9',
        ctx,
      );
    `);
    expect(tried).toContain('@azure/identity');
  });
});
