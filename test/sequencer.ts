/**
 * The order test files start in: longest first, so on two workers the last files to start are short ones and
 * neither worker idles at the end while the other finishes a two-minute file. vitest orders by the durations
 * of this checkout's previous run when it has them; a fresh clone (CI) has none and would go by file size,
 * which puts short files with long waits (kill -9, worker timing) last. test/durations.json holds the
 * durations of a recent full run for that case (refresh: `node scripts/test-durations.ts`). It only orders:
 * a missing or stale entry changes no result. Files it does not know start after those it knows, larger first.
 */
import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds per test file (path from the repository root), from test/durations.json. */
export function recordedDurations(): Map<string, number> {
  const text = readFileSync(new URL('./durations.json', import.meta.url), 'utf8');
  return new Map(Object.entries(JSON.parse(text) as Record<string, number>));
}

export class DurationSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = recordedDurations();
    /** This checkout's last duration of the file (ms), else the recorded one, else 0. */
    const duration = (spec: TestSpecification): number => {
      const cached = this.ctx.cache.getTestSpecificationResult(spec)?.duration;
      if (cached !== undefined) return cached;
      return (recorded.get(relative(spec.project.config.root, spec.moduleId)) ?? 0) * 1000;
    };
    const keys = new Map(files.map((spec) => [spec, [duration(spec), statSync(spec.moduleId).size]]));
    return [...files].sort((a, b) => {
      const [durationA, sizeA] = keys.get(a)!;
      const [durationB, sizeB] = keys.get(b)!;
      return durationB! - durationA! || sizeB! - sizeA!;
    });
  }
}
