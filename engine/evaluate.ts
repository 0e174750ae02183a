/**
 * The policy engine: loads rules/dist (policy.wasm, .manifest, catalog.json) once and evaluates inventories.
 * Resources go in through setData, one chunk of one resource type at a time; each chunk is evaluated with a
 * single call of that type's entrypoint. If that call aborts, the chunk is split until the resource and rule
 * at fault are isolated: they get an `error` finding, everything else its real status.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { Finding, Resource, Status } from '../schemas/index.ts';
import { CATALOG_FORMAT, type Catalog, type CatalogRule } from './catalog.ts';
import { ENGINE_HOST_BUILTINS } from './compile/capabilities.ts';
import { EngineError, ERROR_CODES } from './errors.ts';
import { findingMessage } from './messages.ts';
import { parameterValidators, resolveParams, type RuleParams } from './params.ts';
import { DEFAULT_BUNDLE_DIR } from './paths.ts';
import { timestampIndex } from './timestamps.ts';
import { describeWasmError, requiredHostBuiltins } from './wasm-abi.ts';

export interface EvaluateContext {
  /** When the inventory was collected; rules see it as data.scan. */
  scanTime: Date;
  /** Tenant overrides of rule parameters, by rule id; merged over the defaults. */
  params?: RuleParams;
}

export interface PolicyEngine {
  /** The bundle revision (from .manifest); every finding carries it. */
  revision: string;
  catalog: Catalog;
  /**
   * One finding per (rule, resource of a type the rule evaluates). Resources of types no rule evaluates give
   * none; a resource id seen twice for one type is evaluated once (the first occurrence).
   */
  evaluate(resources: readonly Resource[], ctx: EvaluateContext): Promise<Finding[]>;
  /** How many times the wasm instance was replaced because its memory outgrew EngineOptions.maxMemoryBytes. */
  readonly recycled: number;
}

export interface EngineOptions {
  /**
   * Resources per setData call (default 500). The wasm heap is not freed during one evaluation, so very large
   * chunks get slower per resource (measured in bench/engine: 5,000 iam users took 3-5x longer than 5 x 1,000).
   */
  chunkSize?: number;
  /**
   * Wasm memory (bytes) the instance starts with, and past which it is replaced between chunks (default 256
   * MiB).
   */
  maxMemoryBytes?: number;
}

/** One chunk of one resource type: the unit of setData and of work handed to a worker thread. */
export interface Chunk {
  type: string;
  resources: Resource[];
}

/**
 * Groups resources by type (in order of first appearance), drops types no rule evaluates and repeated ids
 * (the first occurrence wins), and cuts each type into chunks of at most `chunkSize`.
 */
export function chunksOf(resources: readonly Resource[], catalog: Catalog, chunkSize: number): Chunk[] {
  const byType = new Map<string, Map<string, Resource>>();
  for (const resource of resources) {
    if (!catalog.types[resource.type]) continue;
    const ofType = byType.get(resource.type) ?? new Map<string, Resource>();
    if (!ofType.has(resource.id)) ofType.set(resource.id, resource);
    byType.set(resource.type, ofType);
  }
  const chunks: Chunk[] = [];
  for (const [type, ofType] of byType) {
    const list = [...ofType.values()];
    for (let start = 0; start < list.length; start += chunkSize)
      chunks.push({ type, resources: list.slice(start, start + chunkSize) });
  }
  return chunks;
}

/** Resources per setData call unless EngineOptions.chunkSize says otherwise. */
export const DEFAULT_CHUNK_SIZE = 500;

/** Wasm memory past which the instance is replaced between chunks unless EngineOptions says otherwise. */
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

/** Bytes in a WebAssembly memory page. */
const WASM_PAGE_BYTES = 64 * 1024;

/** The SDK's own default initial memory (5 pages), kept as the floor for very small maxMemoryBytes. */
const MIN_INITIAL_PAGES = 5;

/**
 * A new wasm instance of the bundle whose memory starts at `maxMemoryBytes`. OPA's allocator grows the memory
 * one 64 KiB page at a time, and V8 answers growth of a large memory with full garbage collections (external
 * memory pressure): grown from the SDK's 320 KiB, the first evaluation of 10,000 resources ran about 60
 * mark-compacts and cost four times the CPU of the next one (bench/README.md, Engine). Starting at the size
 * past which the instance is recycled anyway leaves nothing to grow in the usual case; pages never written
 * are not resident, so this reserves address space, not RSS.
 */
function instantiate(wasm: Buffer, maxMemoryBytes: number): Promise<LoadedPolicy> {
  const initial = Math.max(MIN_INITIAL_PAGES, Math.floor(maxMemoryBytes / WASM_PAGE_BYTES));
  return loadPolicy(wasm, { initial }, ENGINE_HOST_BUILTINS);
}

/** One shared decision per valid status: a chunk's decisions are many, and none is ever changed. */
const DECISIONS: ReadonlyMap<string, Decision> = new Map(
  (['pass', 'fail', 'not_applicable', 'error'] as const).map((status) => [status, Object.freeze({ status })]),
);

/** By rule id, one decision per resource of the chunk, in chunk order. */
type ChunkDecisions = Map<string, (Decision | undefined)[]>;

/** One decision per (rule, resource): a status, plus why when evaluation failed. */
interface Decision {
  status: Status;
  detail?: string;
}

async function readBundleFile(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, name);
  if (!existsSync(file)) {
    throw new EngineError(ERROR_CODES.BUNDLE_INVALID, `${file} is missing: run \`complywise rules build\``, {
      file,
    });
  }
  return readFile(file);
}

function parseJson<T>(dir: string, name: string, bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new EngineError(
      ERROR_CODES.BUNDLE_INVALID,
      `${join(dir, name)} is not valid JSON: ${(e as Error).message}`,
    );
  }
}

class WasmPolicyEngine implements PolicyEngine {
  readonly revision: string;
  readonly catalog: Catalog;
  private policy: LoadedPolicy;
  private readonly wasm: Buffer;
  private readonly maxMemoryBytes: number;
  /** How many times the wasm instance was replaced because its memory grew past maxMemoryBytes. */
  recycled = 0;
  private readonly chunkSize: number;
  private readonly rulesById: Map<string, CatalogRule>;
  private readonly validators: ReturnType<typeof parameterValidators>;

  constructor(
    policy: LoadedPolicy,
    wasm: Buffer,
    catalog: Catalog,
    chunkSize: number,
    maxMemoryBytes: number,
  ) {
    this.policy = policy;
    this.wasm = wasm;
    this.maxMemoryBytes = maxMemoryBytes;
    this.catalog = catalog;
    this.revision = catalog.revision;
    this.chunkSize = chunkSize;
    this.rulesById = new Map(catalog.rules.map((r) => [r.id, r]));
    this.validators = parameterValidators(catalog.rules);
  }

  async evaluate(resources: readonly Resource[], ctx: EvaluateContext): Promise<Finding[]> {
    const params = resolveParams(this.catalog.rules, this.validators, ctx.params);
    const scan = {
      time: ctx.scanTime.toISOString(),
      unix_seconds: Math.floor(ctx.scanTime.getTime() / 1000),
    };
    const findings: Finding[] = [];
    for (const { type, resources: chunk } of chunksOf(resources, this.catalog, this.chunkSize)) {
      const ruleIds = this.catalog.types[type]!.rule_ids;
      const decisions = this.decideChunk(type, chunk, params, scan);
      await this.recycleIfGrown();
      for (const ruleId of ruleIds) {
        const byResource = decisions.get(ruleId);
        chunk.forEach((resource, j) =>
          findings.push(this.finding(ruleId, resource, byResource?.[j], params[ruleId])),
        );
      }
    }
    return findings;
  }

  /** Evaluates one chunk; on an abort, bisects the chunk so only the resource at fault is affected. */
  private decideChunk(type: string, chunk: Resource[], params: RuleParams, scan: object): ChunkDecisions {
    try {
      const { entrypoint, rule_ids } = this.catalog.types[type]!;
      return toDecisions(this.run(type, chunk, params, scan, entrypoint), rule_ids, chunk);
    } catch (e) {
      if (chunk.length === 1) return this.decideAlone(type, chunk[0]!, params, scan, describeWasmError(e));
      const middle = Math.ceil(chunk.length / 2);
      const first = this.decideChunk(type, chunk.slice(0, middle), params, scan);
      const second = this.decideChunk(type, chunk.slice(middle), params, scan);
      const ruleIds = this.catalog.types[type]!.rule_ids;
      return new Map(
        ruleIds.map((id) => [
          id,
          [
            ...(first.get(id) ?? Array<undefined>(middle)),
            ...(second.get(id) ?? Array<undefined>(chunk.length - middle)),
          ],
        ]),
      );
    }
  }

  /** One resource whose type evaluation aborted: evaluate each rule alone, so only the rule at fault errors. */
  private decideAlone(type: string, resource: Resource, params: RuleParams, scan: object, typeError: string) {
    const out: ChunkDecisions = new Map();
    for (const ruleId of this.catalog.types[type]!.rule_ids) {
      let decision: Decision;
      try {
        const result = this.run(
          type,
          [resource],
          params,
          scan,
          this.rulesById.get(ruleId)!.entrypoint,
        ) as Record<string, string>;
        decision = asDecision(result[resource.id]);
      } catch (e) {
        decision = { status: 'error', detail: describeWasmError(e) || typeError };
      }
      out.set(ruleId, [decision]);
    }
    return out;
  }

  /**
   * A wasm memory never shrinks: after a chunk that made it grow past maxMemoryBytes, start a fresh instance
   * of the same module so one large chunk does not pin that memory for the life of the process.
   */
  private async recycleIfGrown(): Promise<void> {
    const memory = (this.policy as unknown as { mem: { buffer: ArrayBuffer } }).mem.buffer.byteLength;
    if (memory <= this.maxMemoryBytes) return;
    this.policy = await instantiate(this.wasm, this.maxMemoryBytes);
    this.recycled++;
  }

  /**
   * setData with this chunk as the whole inventory (and the seconds of its timestamps, which spare the policy
   * parsing them: engine/timestamps.ts), then one evaluate call of `entrypoint`.
   */
  private run(
    type: string,
    chunk: Resource[],
    params: RuleParams,
    scan: object,
    entrypoint: string,
  ): unknown {
    const timestamp_index = timestampIndex(type, chunk);
    this.policy.setData({ inventory: { [type]: chunk }, params, scan, timestamp_index });
    const result = this.policy.evaluate({}, entrypoint) as { result?: unknown }[];
    return result[0]?.result ?? {};
  }

  private finding(
    ruleId: string,
    resource: Resource,
    decision: Decision | undefined,
    params: Record<string, unknown> = {},
  ): Finding {
    const rule = this.rulesById.get(ruleId)!;
    const { status, detail } = decision ?? {
      status: 'error' as const,
      detail: 'the bundle returned no decision',
    };
    return {
      rule_id: rule.id,
      rule_version: rule.version,
      rule_hash: rule.hash,
      bundle_revision: this.revision,
      resource_id: resource.id,
      resource_type: resource.type,
      status,
      severity: rule.severity,
      message: findingMessage(rule.messages, status, resource, detail, params),
      evidence_sha256: null,
    };
  }
}

function asDecision(value: unknown): Decision {
  return (
    (typeof value === 'string' && DECISIONS.get(value)) || {
      status: 'error',
      detail: `the bundle returned an invalid status ${JSON.stringify(value)}`,
    }
  );
}

/**
 * The decisions of a type's entrypoint (engine/compile/generate.ts, typeStatusesModule): one array per rule of
 * the type, in catalog order, of statuses in chunk order. A result of any other shape throws, so the chunk is
 * bisected down to the rules' own entrypoints rather than decisions being paired with the wrong resource.
 */
function toDecisions(
  result: unknown,
  ruleIds: readonly string[],
  chunk: readonly Resource[],
): ChunkDecisions {
  const rows = result as unknown[][];
  if (!Array.isArray(rows) || rows.length !== ruleIds.length)
    throw new Error(
      `the bundle returned ${JSON.stringify(result)?.slice(0, 200)} for ${ruleIds.length} rules`,
    );
  const out: ChunkDecisions = new Map();
  rows.forEach((statuses, i) => {
    if (!Array.isArray(statuses) || statuses.length !== chunk.length)
      throw new Error(`the bundle returned no status for every resource of rule ${ruleIds[i]}`);
    out.set(ruleIds[i]!, statuses.map(asDecision));
  });
  return out;
}

/**
 * Loads the compiled bundle (default rules/dist) once. Throws BUNDLE_INVALID when a file is missing, does not
 * parse, .manifest and catalog.json come from different builds, or the wasm needs builtins we do not provide.
 */
export async function loadPolicyEngine(
  bundleDir: string = DEFAULT_BUNDLE_DIR,
  options: EngineOptions = {},
): Promise<PolicyEngine> {
  const dir = isAbsolute(bundleDir) ? bundleDir : resolve(bundleDir);
  const [wasm, manifestBytes, catalogBytes] = await Promise.all(
    ['policy.wasm', '.manifest', 'catalog.json'].map((name) => readBundleFile(dir, name)),
  );
  const manifest = parseJson<{ revision?: string }>(dir, '.manifest', manifestBytes!);
  const catalog = parseJson<Catalog>(dir, 'catalog.json', catalogBytes!);
  if (catalog.format !== CATALOG_FORMAT) {
    throw new EngineError(
      ERROR_CODES.BUNDLE_INVALID,
      `catalog.json has format ${catalog.format}, expected ${CATALOG_FORMAT}`,
    );
  }
  if (manifest.revision !== catalog.revision) {
    throw new EngineError(
      ERROR_CODES.BUNDLE_INVALID,
      `.manifest (revision ${manifest.revision}) and catalog.json (revision ${catalog.revision}) come from different builds`,
    );
  }
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError('chunkSize must be a positive integer');
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const policy = await instantiate(wasm!, maxMemoryBytes);
  const missing = requiredHostBuiltins(policy).filter((b) => !(b in ENGINE_HOST_BUILTINS));
  if (missing.length > 0) {
    throw new EngineError(
      ERROR_CODES.BUNDLE_INVALID,
      `policy.wasm needs builtins the engine does not provide: ${missing.join(', ')}`,
    );
  }
  return new WasmPolicyEngine(policy, wasm!, catalog, chunkSize, maxMemoryBytes);
}
