/**
 * A worker thread of the parallel engine (parallel.ts): loads its own wasm instance of the bundle and
 * evaluates the chunks it is sent. Messages in: { id, resources, scanTime, params }; out: { id, findings } or
 * { id, error: { name, code, message, details } }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Resource } from '../schemas/index.ts';
import { EngineError } from './errors.ts';
import { loadPolicyEngine, type EngineOptions } from './evaluate.ts';
import type { RuleParams } from './params.ts';

interface Job {
  id: number;
  resources: Resource[];
  scanTime: string;
  params: RuleParams;
}

const { bundleDir, options } = workerData as { bundleDir: string; options: EngineOptions };
const engine = await loadPolicyEngine(bundleDir, options);
parentPort!.on('message', (job: Job) => {
  engine.evaluate(job.resources, { scanTime: new Date(job.scanTime), params: job.params }).then(
    (findings) => parentPort!.postMessage({ id: job.id, findings }),
    (e: unknown) => {
      const error = e as Error;
      parentPort!.postMessage({
        id: job.id,
        error: {
          name: error.name,
          code: e instanceof EngineError ? e.code : undefined,
          message: error.message ?? String(e),
          details: e instanceof EngineError ? e.details : {},
        },
      });
    },
  );
});
parentPort!.postMessage({ ready: true });
