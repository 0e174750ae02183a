/**
 * complywise evidence verify <bundle> [--public-key <pem file>] [--format text|json]: checks an exported
 * evidence bundle offline (api/src/ledger/verify.ts) and names every problem (edited, deleted or reordered
 * entry, broken chain, bad or missing checkpoint signature, an end cut off or a manifest that is unsigned or
 * from another export, edited, swapped, missing or corrupted artifact). An
 * artifact retention deleted counts as accounted for when a signed `retention.applied` entry lists it.
 * Exit codes: 0 the bundle verifies, 1 it does not, 3 the file cannot be read or parsed.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { verifyBundle } from '../../api/src/ledger/verify.ts';

export interface EvidenceIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_ENVIRONMENT = 3;

/** Registers `complywise evidence …`. */
export function registerEvidenceCommands(
  program: Command,
  io: EvidenceIo,
  setCode: (code: number) => void,
): void {
  const group = program.command('evidence').description('verify exported evidence bundles offline');
  group
    .command('verify')
    .argument('<bundle>', 'evidence bundle JSON exported from GET /api/ledger/export')
    .option('--public-key <file>', 'PEM public key to trust (default: the key named in the bundle)')
    .option('--format <format>', 'text or json', 'text')
    .description('check every entry hash, the chain, checkpoint signatures and artifact hashes')
    .action(async (file: string, options: { publicKey?: string; format: string }) => {
      let bundle: unknown;
      let trusted: string | undefined;
      try {
        bundle = JSON.parse(await readFile(file, 'utf8'));
        if (options.publicKey) trusted = await readFile(options.publicKey, 'utf8');
      } catch (error) {
        io.stderr(`${file}: cannot read the bundle: ${(error as Error).message}\n`);
        setCode(EXIT_ENVIRONMENT);
        return;
      }
      const result = verifyBundle(bundle, trusted);
      if (options.format === 'json') {
        io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        for (const problem of result.problems) io.stderr(`${file}: ${problem.kind}: ${problem.message}\n`);
        const pruned =
          result.pruned.length > 0 ? `, ${result.pruned.length} deleted by retention (signed)` : '';
        const summary = `${result.entries} entries, ${result.checkpoints} signed checkpoints, ${result.artifacts} artifacts${pruned}`;
        if (result.ok) io.stdout(`${file}: OK (${summary})\n`);
        else io.stdout(`${file}: FAILED with ${result.problems.length} problem(s) (${summary})\n`);
        if (!trusted && result.ok) {
          io.stdout(
            'note: checked against the key inside the bundle; pass --public-key to pin the key you trust\n',
          );
        }
      }
      setCode(result.ok ? EXIT_OK : EXIT_INVALID);
    });
}
