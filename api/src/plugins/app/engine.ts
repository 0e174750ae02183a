/**
 * The policy engine and the framework catalogs, loaded once per process (lazily: the API starts without
 * reading the bundle) and shared by the scan worker and the read routes.
 */
import { availableParallelism } from 'node:os';
import fp from 'fastify-plugin';
import type * as EngineExports from '../../../../engine/index.ts';
import type { CatalogRule, Frameworks } from '../../../../engine/index.ts';
import type { ControlResult, Finding, FrameworkScore, UcfControl } from '../../../../schemas/index.ts';

type EngineModule = typeof EngineExports;
export type PolicyEngine = Awaited<ReturnType<EngineModule['loadPolicyEngine']>>;
type ParallelPolicyEngine = Awaited<ReturnType<EngineModule['loadParallelPolicyEngine']>>;

let engineModule: Promise<EngineModule> | undefined;
/** The engine is imported on first use: an API-only process that never scans never loads OPA's wasm. */
function engine(): Promise<EngineModule> {
  engineModule ??= import('../../../../engine/index.ts');
  return engineModule;
}

/** One framework requirement a UCF control maps to, with titles for display. */
export interface ControlMappingView {
  framework_id: string;
  framework_version: string;
  framework_title: string;
  requirement_id: string;
  requirement_title: string;
  relationship: string;
  rationale: string;
}

export interface EngineRuntimeOptions {
  rulesBundleDir?: string;
  frameworksDir?: string;
  /**
   * Inventories of at least this many resources are evaluated on worker threads (default 5,000): below it,
   * starting and feeding workers costs more than it saves (bench/engine).
   */
  parallelThreshold?: number;
  /** Worker threads of the parallel engine (default: available cores - 1, at least 1, at most 4). */
  engineWorkers?: number;
}

/** Resources from which the scan worker uses the parallel engine unless configured otherwise. */
export const DEFAULT_PARALLEL_THRESHOLD = 5_000;

function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** Lazily loaded engine parts with the lookups the API needs. */
export class EngineRuntime {
  readonly #options: EngineRuntimeOptions;
  #policy: Promise<PolicyEngine> | undefined;
  #parallel: Promise<ParallelPolicyEngine> | undefined;
  #frameworks: Promise<Frameworks> | undefined;

  constructor(options: EngineRuntimeOptions = {}) {
    this.#options = options;
  }

  /** The compiled rule bundle (loaded on first use). */
  policyEngine(): Promise<PolicyEngine> {
    const policy = (this.#policy ??= engine()
      .then((m) => m.loadPolicyEngine(this.#options.rulesBundleDir))
      .catch((error: unknown) => {
        this.#policy = undefined;
        throw error;
      }));
    return policy;
  }

  /**
   * The engine for an inventory of `resources` resources: the worker-thread engine (started on first use)
   * from the configured threshold on, the serial one below it. Both give the same findings in the same order.
   */
  policyEngineFor(resources: number): Promise<PolicyEngine> {
    const threshold = this.#options.parallelThreshold ?? DEFAULT_PARALLEL_THRESHOLD;
    if (resources < threshold) return this.policyEngine();
    const parallel = (this.#parallel ??= engine()
      .then((m) =>
        m.loadParallelPolicyEngine(
          this.#options.engineWorkers ?? defaultWorkers(),
          this.#options.rulesBundleDir,
        ),
      )
      .catch((error: unknown) => {
        this.#parallel = undefined;
        throw error;
      }));
    return parallel;
  }

  /** Stops the parallel engine's worker threads, if they were started. */
  async close(): Promise<void> {
    const parallel = this.#parallel;
    this.#parallel = undefined;
    await (await parallel?.catch(() => undefined))?.close();
  }

  /** The UCF, framework catalogs and rule → control links (loaded on first use). */
  frameworks(): Promise<Frameworks> {
    const frameworks = (this.#frameworks ??= engine()
      .then((m) =>
        m.loadFrameworks(
          this.#options.frameworksDir,
          this.#options.rulesBundleDir ? { catalog: this.#options.rulesBundleDir } : {},
        ),
      )
      .catch((error: unknown) => {
        this.#frameworks = undefined;
        throw error;
      }));
    return frameworks;
  }

  async evaluateControls(findings: Finding[]): Promise<ControlResult[]> {
    return (await engine()).evaluateControls(findings, await this.frameworks());
  }

  async scoreFrameworks(results: ControlResult[]): Promise<FrameworkScore[]> {
    return (await engine()).scoreFrameworks(results, await this.frameworks());
  }

  /** The UCF control `id`, or undefined. */
  async control(id: string): Promise<UcfControl | undefined> {
    return (await this.frameworks()).controls.find((c) => c.id === id);
  }

  /** The rule `id` of the deployed bundle (metadata, source folder, content hash), or undefined. */
  async rule(id: string): Promise<CatalogRule | undefined> {
    return (await this.policyEngine()).catalog.rules.find((r) => r.id === id);
  }

  /** A control result with the UCF control's title, objective and domain. */
  async describeControl(
    result: ControlResult,
  ): Promise<ControlResult & { title: string; objective: string; domain: string | null }> {
    const control = await this.control(result.control_id);
    return {
      ...result,
      title: control?.title ?? result.control_id,
      objective: control?.objective ?? '',
      domain: control?.domain ?? null,
    };
  }

  /** The framework requirements control `id` maps to, with framework and requirement titles. */
  async mappingsOf(id: string): Promise<ControlMappingView[]> {
    const frameworks = await this.frameworks();
    const control = frameworks.controls.find((c) => c.id === id);
    if (!control) return [];
    return control.mappings.map((m) => {
      const framework = frameworks.frameworks.find(
        (f) => f.id === m.framework && f.version === m.framework_version,
      );
      const requirement = framework?.requirements.find((r) => r.id === m.requirement);
      return {
        framework_id: m.framework,
        framework_version: m.framework_version,
        framework_title: framework?.title ?? m.framework,
        requirement_id: m.requirement,
        requirement_title: requirement?.title ?? m.requirement,
        relationship: m.relationship,
        rationale: m.rationale,
      };
    });
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    engine: EngineRuntime;
  }
}

/** Decorates `app.engine`. */
export const engineRuntimePlugin = fp<EngineRuntimeOptions>(
  async (app, options) => {
    const runtime = new EngineRuntime(options);
    app.decorate('engine', runtime);
    app.addHook('onClose', () => runtime.close());
  },
  { name: 'engine' },
);
