/**
 * Drill-down reads over the tenant's posture (docs/scoring.md, "Tenant posture"): the scans its newest scoring
 * event merged, one requirement with its controls and evidence, one control with the policy that decided it
 * and its findings, one finding, one resource with every finding on it. Each call opens the tenant's
 * transaction, so another tenant's objects are simply not there (404).
 */
import { mergeControlResults, requirementState, type Frameworks } from '../../../engine/index.ts';
import type { ControlResult, RollupRule } from '../../../schemas/index.ts';
import { ApiError } from '../errors.ts';
import { listManualEvidence } from '../evidence/store.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import { withExceptions, type FindingException } from '../overrides/store.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import {
  controlResultsOf,
  findingById,
  findingsOfScans,
  findScan,
  type ScannedFinding,
} from '../scans/store.ts';
import { currentPolicy, latestScoringEvent, postureScoresOf } from './store.ts';

/** One scan the posture merged: its integration, and when it finished. */
export interface PostureSource {
  integration_id: string;
  integration_name: string;
  scan_id: string;
  finished_at: string;
}

/** A finding as the drill-down shows it: where it comes from and, when excepted, the exception. */
export type PostureFinding = ScannedFinding & {
  rule_title: string | null;
  integration_id: string | null;
  integration_name: string | null;
  exception: FindingException | null;
};

/** The roll-up rule that decided a control, and the same in words. */
export interface PolicyExplanation {
  mode: 'all_pass' | 'threshold';
  pass_threshold: number | null;
  description: string;
}

/** The parts of the engine runtime the drill-down reads. */
type Engine = Pick<EngineRuntime, 'frameworks' | 'describeControl' | 'mappingsOf' | 'policyEngine'>;

/** The policy's `controls` rule in words, with the counts of one control when given. */
export function explainRollup(rule: RollupRule, counts?: ControlResult['counts']): PolicyExplanation {
  if (rule.mode === 'threshold') {
    const share = `${Math.round(rule.pass_threshold * 1000) / 10}%`;
    let description = `Threshold policy: the control passes when at least ${share} of its applicable findings pass.`;
    if (counts) {
      const applicable = counts.pass + counts.fail + counts.error;
      if (applicable > 0) {
        const got = `${Math.round((counts.pass / applicable) * 1000) / 10}%`;
        description += ` Here ${counts.pass} of ${applicable} pass (${got}).`;
      }
    }
    return { mode: 'threshold', pass_threshold: rule.pass_threshold, description };
  }
  return {
    mode: 'all_pass',
    pass_threshold: null,
    description:
      'All-pass policy: the control passes only when every applicable finding passes; one failing finding ' +
      'fails it. Excepted findings are left out.',
  };
}

export class PostureService {
  readonly #withTenant: WithTenant;
  readonly #engine: Engine;
  readonly #store: Pick<EvidenceStore, 'get'>;

  constructor(withTenant: WithTenant, engine: Engine, store: Pick<EvidenceStore, 'get'>) {
    this.#withTenant = withTenant;
    this.#engine = engine;
    this.#store = store;
  }

  /** The sources of the newest scoring event with their integrations' names (none before the first). */
  async #sources(trx: Trx): Promise<{ eventId: string | null; sources: PostureSource[] }> {
    const event = await latestScoringEvent(trx);
    if (!event) return { eventId: null, sources: [] };
    const sources: PostureSource[] = [];
    for (const source of event.sources) {
      const scan = await findScan(trx, source.scan_id);
      // A source whose scan retention removed no longer contributes findings.
      if (scan) sources.push({ ...source, integration_name: scan.integration_name });
    }
    return { eventId: event.id, sources };
  }

  /** The merged control results of the sources under the tenant's current `controls` rule. */
  async #controls(trx: Trx, sources: readonly PostureSource[]): Promise<Map<string, ControlResult>> {
    const results = [];
    for (const source of sources)
      results.push({ ...source, controls: await controlResultsOf(trx, source.scan_id) });
    const { policy } = await currentPolicy(trx);
    return new Map(mergeControlResults(results, policy.controls).map((c) => [c.control_id, c]));
  }

  /** Findings tagged with their source's integration, and their exceptions. */
  async #tag(trx: Trx, findings: ScannedFinding[], sources: readonly PostureSource[]) {
    const byScan = new Map(sources.map((s) => [s.scan_id, s]));
    const titles = await this.#ruleTitles();
    const tagged = findings.map((f) => ({
      ...f,
      rule_title: titles.get(f.rule_id) ?? null,
      integration_id: byScan.get(f.scan_id)?.integration_id ?? null,
      integration_name: byScan.get(f.scan_id)?.integration_name ?? null,
    }));
    return (await withExceptions(trx, tagged)) as PostureFinding[];
  }

  /** The title of each rule of the deployed bundle, by rule id. */
  async #ruleTitles(): Promise<Map<string, string>> {
    const { catalog } = await this.#engine.policyEngine();
    return new Map(catalog.rules.map((r) => [r.id, r.title]));
  }

  /**
   * One UCF control over the posture: its merged result, the policy that decided it in words, the
   * requirements it maps to, and the findings of its rules in every source (excepted ones carry their
   * exception). 404 when the posture has no result for it.
   */
  control(tenantId: string, controlId: string) {
    return this.#withTenant(tenantId, async (trx) => {
      const { sources } = await this.#sources(trx);
      const result = (await this.#controls(trx, sources)).get(controlId);
      if (!result)
        throw new ApiError('CONTROL_NOT_FOUND', `the posture has no result for control ${controlId}`);
      const { policy } = await currentPolicy(trx);
      const findings = await findingsOfScans(
        trx,
        sources.map((s) => s.scan_id),
        { ruleIds: result.rule_ids },
      );
      return {
        control: await this.#engine.describeControl(result),
        policy: explainRollup(policy.controls ?? { mode: 'all_pass' }, result.counts),
        mappings: await this.#engine.mappingsOf(controlId),
        sources,
        findings: await this.#tag(trx, findings, sources),
      };
    });
  }

  /**
   * One requirement of a framework (`id` or `id@version`; a bare id is its newest version in the posture):
   * our summary, the official text when the tenant's catalog has it, its state, the mapped controls with
   * their relationship and posture result, and the evidence behind them: the resource snapshots of the
   * controls' findings and the manual evidence attached to the controls or the requirement.
   */
  requirement(tenantId: string, frameworkRef: string, requirementId: string) {
    return this.#withTenant(tenantId, async (trx) => {
      const { eventId, sources } = await this.#sources(trx);
      const frameworks = await tenantFrameworks(trx, await this.#engine.frameworks());
      const [id, version] = splitRef(frameworkRef);
      const catalogs = frameworks.frameworks.filter(
        (f) => f.id === id && (version === undefined || f.version === version),
      );
      const catalog = catalogs.at(-1);
      if (!catalog) throw new ApiError('FRAMEWORK_NOT_FOUND', `no framework ${frameworkRef}`);
      const definition = catalog.requirements.find((r) => r.id === requirementId);
      if (!definition)
        throw new ApiError(
          'REQUIREMENT_NOT_FOUND',
          `${catalog.id} ${catalog.version} has no requirement ${requirementId}`,
        );
      const scores = eventId ? await postureScoresOf(trx, eventId) : [];
      const score = scores.find(
        (s) => s.framework_id === catalog.id && s.framework_version === catalog.version,
      );
      const scored = score?.requirements.find((r) => r.requirement_id === requirementId);
      const relationships = requirementControls(frameworks, catalog, definition);
      const controlIds = scored?.control_ids ?? [...relationships.keys()];
      const merged = await this.#controls(trx, sources);
      const controls = [];
      for (const controlId of controlIds) {
        const result = merged.get(controlId);
        const ucf = frameworks.controls.find((c) => c.id === controlId);
        controls.push({
          control_id: controlId,
          title: ucf?.title ?? controlId,
          relationship: relationships.get(controlId) ?? null,
          status: result?.status ?? null,
          counts: result?.counts ?? null,
          rule_ids: result?.rule_ids ?? [],
          evidence_needed: scored?.evidence_needed?.includes(controlId) ?? false,
        });
      }
      const ruleIds = [...new Set(controls.flatMap((c) => c.rule_ids))];
      const findings = await this.#tag(
        trx,
        await findingsOfScans(
          trx,
          sources.map((s) => s.scan_id),
          { ruleIds },
        ),
        sources,
      );
      const manual = (await listManualEvidence(trx)).filter(
        (e) =>
          (e.control_id !== null && controlIds.includes(e.control_id)) ||
          (e.framework_id === catalog.id &&
            e.framework_version === catalog.version &&
            e.requirement_id === requirementId),
      );
      return {
        framework: {
          framework_id: catalog.id,
          framework_version: catalog.version,
          title: catalog.title,
          text_policy: catalog.text_policy,
        },
        requirement: {
          requirement_id: definition.id,
          title: definition.title,
          summary: definition.summary ?? null,
          statement: definition.statement ?? null,
          kind: definition.kind ?? null,
          parent: definition.parent ?? null,
          out_of_scope: definition.out_of_scope ?? null,
          status: scored?.status ?? null,
          state: scored ? requirementState(scored) : null,
        },
        controls,
        evidence: {
          automated: automatedEvidence(findings),
          manual,
        },
        sources,
      };
    });
  }

  /** One finding of the tenant (any scan), with its exception, its integration and whether the posture counts it. */
  finding(tenantId: string, findingId: string) {
    return this.#withTenant(tenantId, async (trx) => {
      const row = await findingById(trx, findingId);
      if (!row) throw new ApiError('FINDING_NOT_FOUND', `no finding ${findingId}`);
      const scan = await findScan(trx, row.scan_id);
      const { sources } = await this.#sources(trx);
      const source = scan && {
        integration_id: scan.integration_id,
        integration_name: scan.integration_name,
        scan_id: scan.id,
        finished_at: '',
      };
      const [finding] = await this.#tag(trx, [row], source ? [source] : []);
      const frameworks = await this.#engine.frameworks();
      return {
        ...finding!,
        scan_finished_at: scan?.finished_at ?? null,
        in_posture: sources.some((s) => s.scan_id === row.scan_id),
        control_ids: frameworks.rule_controls[row.rule_id] ?? [],
      };
    });
  }

  /**
   * One resource as the posture sees it: its normalized snapshot (the evidence of its newest finding) and
   * every finding on it in the posture's sources. 404 when no source has a finding on it.
   */
  async resource(tenantId: string, resourceId: string) {
    const found = await this.#withTenant(tenantId, async (trx) => {
      const { sources } = await this.#sources(trx);
      const findings = await this.#tag(
        trx,
        await findingsOfScans(
          trx,
          sources.map((s) => s.scan_id),
          { resourceId },
        ),
        sources,
      );
      return { findings, sources };
    });
    const { findings } = found;
    if (findings.length === 0)
      throw new ApiError('RESOURCE_NOT_FOUND', `no resource ${resourceId} in the posture`);
    const first = findings[0]!;
    const sha256 = findings.find((f) => f.evidence_sha256)?.evidence_sha256 ?? null;
    const bytes = sha256 ? await this.#store.get(sha256) : null;
    const snapshot = bytes ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>) : null;
    return {
      resource_id: resourceId,
      resource_type: first.resource_type,
      resource_name: first.resource_name,
      provider: typeof snapshot?.provider === 'string' ? snapshot.provider : null,
      account: typeof snapshot?.account === 'string' ? snapshot.account : null,
      region: typeof snapshot?.region === 'string' ? snapshot.region : null,
      collected_at: typeof snapshot?.collected_at === 'string' ? snapshot.collected_at : null,
      attributes: (snapshot?.attributes as Record<string, unknown> | undefined) ?? null,
      evidence_sha256: sha256,
      integration_id: first.integration_id,
      integration_name: first.integration_name,
      findings,
    };
  }
}

/** `id@version` → [id, version]; a bare id → [id, undefined]. */
function splitRef(ref: string): [string, string | undefined] {
  const at = ref.lastIndexOf('@');
  return at > 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
}

/**
 * The UCF controls behind one requirement, each with its relationship (control id → relationship): those
 * mapped to it, and those of a requirement it is linked to as equal (it inherits their controls).
 */
export function requirementControls(
  frameworks: Frameworks,
  catalog: { id: string; version: string },
  definition: Frameworks['frameworks'][number]['requirements'][number],
): Map<string, string | null> {
  const relationships = relationshipsOf(frameworks, catalog.id, catalog.version, definition.id);
  for (const link of definition.links ?? []) {
    if (link.relationship !== 'equal') continue;
    const inherited = relationshipsOf(frameworks, link.framework, link.framework_version, link.requirement);
    for (const [controlId, relationship] of inherited)
      if (!relationships.has(controlId)) relationships.set(controlId, relationship);
  }
  return relationships;
}

/** Control id → its relationship to one requirement, from the UCF mappings. */
function relationshipsOf(
  frameworks: Frameworks,
  frameworkId: string,
  version: string,
  requirementId: string,
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const control of frameworks.controls)
    for (const m of control.mappings)
      if (m.framework === frameworkId && m.framework_version === version && m.requirement === requirementId)
        out.set(control.id, m.relationship ?? null);
  return out;
}

/** The resource snapshots behind findings: one entry per artifact, with the findings that cite it. */
function automatedEvidence(findings: readonly PostureFinding[]) {
  const bySha = new Map<
    string,
    {
      sha256: string;
      resource_id: string;
      resource_type: string;
      resource_name: string;
      integration_name: string | null;
      findings: { finding_id: string; rule_id: string; status: string; excepted: boolean }[];
    }
  >();
  for (const f of findings) {
    if (!f.evidence_sha256) continue;
    let entry = bySha.get(f.evidence_sha256);
    if (!entry)
      bySha.set(
        f.evidence_sha256,
        (entry = {
          sha256: f.evidence_sha256,
          resource_id: f.resource_id,
          resource_type: f.resource_type,
          resource_name: f.resource_name,
          integration_name: f.integration_name,
          findings: [],
        }),
      );
    entry.findings.push({
      finding_id: f.id,
      rule_id: f.rule_id,
      status: f.status,
      excepted: f.exception_id !== null,
    });
  }
  // Failing evidence first: it is what an auditor opens.
  const failing = (e: { findings: { status: string; excepted: boolean }[] }) =>
    e.findings.some((f) => f.status === 'fail' && !f.excepted) ? 0 : 1;
  return [...bySha.values()].sort(
    (a, b) =>
      failing(a) - failing(b) || (a.resource_id < b.resource_id ? -1 : a.resource_id > b.resource_id ? 1 : 0),
  );
}
