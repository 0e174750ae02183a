// Password hashing: the product hashes at the production argon2id cost; the test suite's cheaper cost
// (test/setup.ts) cannot be switched on by the product; and hashes verify across costs, since each carries its
// own parameters.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTION_HASH_COST, hashPassword, verifyPassword } from './passwords.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const module = fileURLToPath(new URL('./passwords.ts', import.meta.url));

/** What the passwords module does in a fresh node process outside vitest (as in the product). */
function outsideVitest(): { hash: string; lowered: string } {
  const env = { ...process.env };
  delete env.VITEST;
  const code = `const m = await import(${JSON.stringify(module)});
    const hash = await m.hashPassword('correct horse');
    let lowered = 'lowered';
    try { m.useTestHashCost(); } catch (error) { lowered = error.message; }
    process.stdout.write(JSON.stringify({ hash, lowered }));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(output) as { hash: string; lowered: string };
}

describe('password hashing', () => {
  let product: { hash: string; lowered: string };
  beforeAll(() => {
    product = outsideVitest();
  });

  it('hashes at the production cost in the product', () => {
    const { memoryCost, timeCost, parallelism } = PRODUCTION_HASH_COST;
    expect(product.hash).toMatch(
      new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},p=${parallelism},t=${timeCost}\\$`),
    );
  });

  it('refuses the test cost outside vitest, and only the suite setup asks for it', () => {
    expect(product.lowered).toBe('useTestHashCost is for the test suite only');
    const tracked = execFileSync('git', ['grep', '-l', '--untracked', 'useTestHashCost(', '--', '*.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(tracked.trim().split('\n').sort()).toEqual([
      'api/src/plugins/app/passwords.test.ts',
      'api/src/plugins/app/passwords.ts',
      'test/setup.ts',
    ]);
    expect(readFileSync(`${root}/vitest.config.ts`, 'utf8')).toContain("setupFiles: ['test/setup.ts']");
  });

  it('hashes at the cheap cost in the suite, and a hash of either cost verifies under the other', async () => {
    const cheap = await hashPassword('correct horse');
    expect(cheap).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    const production = await argon2.hash('correct horse', { type: argon2.argon2id, ...PRODUCTION_HASH_COST });
    // The product's own hash, made at the production cost in another process, verifies here too.
    for (const hash of [cheap, production, product.hash]) {
      expect(await verifyPassword(hash, 'correct horse')).toBe(true);
      expect(await verifyPassword(hash, 'correct horse ')).toBe(false);
    }
  });
});
