/**
 * The engine over worker_threads: the inventory is cut into chunks (one resource type each, as in the serial
 * engine) and the chunks are spread over workers that each hold their own wasm instance. Findings come back
 * in the same order as the serial engine gives them. Parameters are validated here first, so a tenant
 * configuration error is raised once, before any work starts.
 */
import { Worker } from 'node:worker_threads';
import type { Finding, Resource } from '../schemas/index.ts';
import type { Catalog } from './catalog.ts';
import { EngineError, type ErrorCode } from './errors.ts';
import {
  chunksOf,
  DEFAULT_CHUNK_SIZE,
  loadPolicyEngine,
  type EngineOptions,
  type EvaluateContext,
  type PolicyEngine,
} from './evaluate.ts';
import { parameterValidators, resolveParams } from './params.ts';
import { DEFAULT_BUNDLE_DIR } from './paths.ts';

const WORKER = new URL('./evaluate-worker.ts', import.meta.url);

interface Reply {
  id: number;
  findings?: Finding[];
  error?: { name: string; code?: ErrorCode; message: string; details: Record<string, unknown> };
}

/** A PolicyEngine whose evaluate() runs on worker threads; close() stops them. */
export interface ParallelPolicyEngine extends PolicyEngine {
  readonly workers: number;
  close(): Promise<void>;
}

class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  readonly all: Worker[];
  constructor(workers: Worker[]) {
    this.all = workers;
    for (const w of workers) {
      w.unref(); // an idle pool never keeps the process alive
      this.idle.push(w);
    }
  }
  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => this.waiting.push(resolve));
  }
  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else {
      w.unref();
      this.idle.push(w);
    }
  }
  /** Runs one job on the next free worker. */
  async run(job: {
    id: number;
    resources: Resource[];
    scanTime: string;
    params: object;
  }): Promise<Finding[]> {
    const w = await this.acquire();
    w.ref();
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const onMessage = (m: Reply) => {
          if (m.id !== job.id) return;
          w.off('message', onMessage);
          w.off('error', reject);
          resolve(m);
        };
        w.on('message', onMessage);
        w.once('error', reject);
        w.postMessage(job);
      });
      if (reply.error) {
        throw reply.error.code
          ? new EngineError(reply.error.code, reply.error.message, reply.error.details)
          : new Error(reply.error.message);
      }
      return reply.findings!;
    } finally {
      this.release(w);
    }
  }
}

function startWorker(bundleDir: string, options: EngineOptions): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { bundleDir, options } });
    w.once('message', () => resolve(w));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`engine worker exited with code ${code} while starting`)));
  });
}

/**
 * Loads the bundle (default rules/dist) in this thread (for the catalog and parameter validation) and in
 * `workers` worker threads, which evaluate chunks of `options.chunkSize` resources.
 */
export async function loadParallelPolicyEngine(
  workers: number,
  bundleDir: string = DEFAULT_BUNDLE_DIR,
  options: EngineOptions = {},
): Promise<ParallelPolicyEngine> {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers must be a positive integer');
  const local = await loadPolicyEngine(bundleDir, options);
  const catalog: Catalog = local.catalog;
  const validators = parameterValidators(catalog.rules);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const pool = new WorkerPool(
    await Promise.all(Array.from({ length: workers }, () => startWorker(bundleDir, options))),
  );
  let nextId = 0;
  return {
    revision: local.revision,
    catalog,
    workers,
    get recycled() {
      return local.recycled;
    },
    async evaluate(resources: readonly Resource[], ctx: EvaluateContext): Promise<Finding[]> {
      resolveParams(catalog.rules, validators, ctx.params); // throws PARAMS_INVALID before any work
      const chunks = chunksOf(resources, catalog, chunkSize);
      const results = await Promise.all(
        chunks.map((chunk) =>
          pool.run({
            id: nextId++,
            resources: chunk.resources,
            scanTime: ctx.scanTime.toISOString(),
            params: ctx.params ?? {},
          }),
        ),
      );
      return results.flat();
    },
    async close() {
      await Promise.all(pool.all.map((w) => w.terminate()));
    },
  };
}
