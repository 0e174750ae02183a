/**
 * OSCAL exports (JSON, OSCAL 1.1.3). Catalog export of any framework catalog: groups become OSCAL groups, requirements
 * controls (nested under their parent), our ids go to `label` props and become NCName-safe OSCAL ids, titles,
 * summaries and imported statements become parts. UUIDs are derived from the content's identity, so the same
 * catalog exports to the same document apart from `last-modified`.
 */
import { createHash } from 'node:crypto';
import type {
  ControlResult,
  Finding,
  FrameworkCatalog,
  FrameworkRequirement,
  FrameworkScore,
} from '../schemas/index.ts';

/** Our namespace for props OSCAL does not define. */
export const COMPLYWISE_OSCAL_NS = 'https://complywise.dev/ns/oscal';
export const OSCAL_VERSION = '1.1.3';

/** A name-based (version 5 style) UUID, stable for the same name. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`complywise:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An OSCAL token (XML NCName) for an id such as `164.308(a)(1)(i)` or `A.5.1`, unique within `taken`. */
export function oscalToken(id: string, taken: Set<string>): string {
  let token = id.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/_+$/, '');
  if (!/^(\p{L}|_)/u.test(token)) token = `id_${token}`;
  let unique = token;
  for (let n = 2; taken.has(unique); n++) unique = `${token}_${n}`;
  taken.add(unique);
  return unique;
}

interface OscalPart {
  id: string;
  name: string;
  prose: string;
}
interface OscalControl {
  id: string;
  class?: string;
  title: string;
  props: { name: string; value: string; ns?: string }[];
  parts?: OscalPart[];
  controls?: OscalControl[];
}
interface OscalGroup {
  id: string;
  class?: string;
  title: string;
  props: { name: string; value: string }[];
  groups?: OscalGroup[];
  controls?: OscalControl[];
}

/** The OSCAL catalog document for one framework catalog. */
export function catalogToOscal(fw: FrameworkCatalog, options: { now?: Date } = {}): { catalog: object } {
  const taken = new Set<string>();
  const groups = new Map<string, OscalGroup>();
  const controls = new Map<string, OscalControl>();
  for (const g of fw.groups ?? []) {
    groups.set(g.id, {
      id: oscalToken(g.id, taken),
      ...(g.kind ? { class: g.kind } : {}),
      title: g.title,
      props: [{ name: 'label', value: g.id }],
    });
  }
  for (const r of fw.requirements) controls.set(r.id, toControl(r, taken));
  const topGroups: OscalGroup[] = [];
  const topControls: OscalControl[] = [];
  for (const g of fw.groups ?? []) {
    const group = groups.get(g.id)!;
    const parent = g.parent ? groups.get(g.parent) : undefined;
    if (parent) (parent.groups ??= []).push(group);
    else topGroups.push(group);
  }
  for (const r of fw.requirements) {
    const control = controls.get(r.id)!;
    const inGroup = r.parent ? groups.get(r.parent) : undefined;
    const inControl = r.parent ? controls.get(r.parent) : undefined;
    if (inGroup) (inGroup.controls ??= []).push(control);
    else if (inControl) (inControl.controls ??= []).push(control);
    else topControls.push(control);
  }
  const now = (options.now ?? new Date()).toISOString();
  return {
    catalog: {
      uuid: stableUuid(`catalog:${fw.id}@${fw.version}`),
      metadata: {
        title: fw.title,
        'last-modified': now,
        version: fw.version,
        'oscal-version': OSCAL_VERSION,
        props: [
          { name: 'framework-id', ns: COMPLYWISE_OSCAL_NS, value: fw.id },
          { name: 'text-policy', ns: COMPLYWISE_OSCAL_NS, value: fw.text_policy },
        ],
        links: [{ href: fw.source, rel: 'reference' }],
        remarks: `Published by ${fw.owner}. ${fw.license}`,
      },
      ...(topGroups.length > 0 ? { groups: topGroups } : {}),
      ...(topControls.length > 0 ? { controls: topControls } : {}),
    },
  };
}

function toControl(r: FrameworkRequirement, taken: Set<string>): OscalControl {
  const id = oscalToken(r.id, taken);
  const props: OscalControl['props'] = [{ name: 'label', value: r.id }];
  if (r.implementation)
    props.push({ name: 'implementation', ns: COMPLYWISE_OSCAL_NS, value: r.implementation });
  if (r.out_of_scope) props.push({ name: 'out-of-scope', ns: COMPLYWISE_OSCAL_NS, value: 'true' });
  // Who must meet it (PCI DSS service providers, issuers, ...); absent: every assessed entity.
  if (r.applies_to) props.push({ name: 'applies-to', ns: COMPLYWISE_OSCAL_NS, value: r.applies_to });
  const parts: OscalPart[] = [];
  if (r.statement) parts.push({ id: `${id}_smt`, name: 'statement', prose: r.statement });
  if (r.summary) parts.push({ id: `${id}_ovw`, name: 'overview', prose: r.summary });
  return {
    id,
    ...(r.kind ? { class: r.kind } : {}),
    title: r.title,
    props,
    ...(parts.length > 0 ? { parts } : {}),
  };
}

/** What an assessment-results export needs from one finished scan. */
export interface ScanForExport {
  scan_id: string;
  started_at: string;
  finished_at?: string | null;
  bundle_revision: string;
  /** Who was assessed, for the title (e.g. the tenant's name). */
  subject?: string;
}

const OBSERVATION_STATE: Record<string, string> = {
  pass: 'pass',
  fail: 'fail',
  error: 'error',
  not_applicable: 'not-applicable',
};

/**
 * The OSCAL assessment-results document for one scan: one result whose observations are the findings
 * (automated tests of one resource by one rule), whose findings are the UCF control results that passed or
 * failed (satisfied / not-satisfied), with the framework scores as props.
 */
export function assessmentResultsToOscal(
  scan: ScanForExport,
  findings: readonly Finding[],
  controlResults: readonly ControlResult[],
  scores: readonly FrameworkScore[],
  options: { now?: Date } = {},
): { 'assessment-results': object } {
  const taken = new Set<string>();
  const observationOf = new Map<string, string[]>();
  const observations = findings.map((f) => {
    const uuid = stableUuid(`observation:${scan.scan_id}:${f.rule_id}:${f.resource_id}`);
    observationOf.set(f.rule_id, [...(observationOf.get(f.rule_id) ?? []), uuid]);
    return {
      uuid,
      title: `${f.rule_id} on ${f.resource_id}`,
      description: f.message,
      props: [
        { name: 'rule-id', ns: COMPLYWISE_OSCAL_NS, value: f.rule_id },
        { name: 'rule-version', ns: COMPLYWISE_OSCAL_NS, value: f.rule_version },
        { name: 'status', ns: COMPLYWISE_OSCAL_NS, value: OBSERVATION_STATE[f.status] ?? f.status },
        { name: 'severity', ns: COMPLYWISE_OSCAL_NS, value: f.severity },
      ],
      methods: ['TEST'],
      types: ['finding'],
      subjects: [
        {
          'subject-uuid': stableUuid(`resource:${f.resource_id}`),
          type: 'resource',
          title: f.resource_id,
          props: [{ name: 'resource-type', ns: COMPLYWISE_OSCAL_NS, value: f.resource_type }],
        },
      ],
      ...(f.evidence_sha256
        ? {
            'relevant-evidence': [
              {
                href: `urn:sha256:${f.evidence_sha256}`,
                description: 'Evidence record of this finding (sha256).',
              },
            ],
          }
        : {}),
      collected: scan.finished_at ?? scan.started_at,
    };
  });
  const oscalFindings = controlResults
    .filter((r) => r.status === 'pass' || r.status === 'fail')
    .map((r) => ({
      uuid: stableUuid(`finding:${scan.scan_id}:${r.control_id}`),
      title: `${r.control_id}: ${r.status === 'pass' ? 'satisfied' : 'not satisfied'}`,
      description: `UCF control ${r.control_id} rolled up from rules ${r.rule_ids.join(', ')}: ${r.counts.pass} pass, ${r.counts.fail} fail, ${r.counts.error} error, ${r.counts.not_applicable} not applicable.`,
      target: {
        type: 'objective-id',
        'target-id': oscalToken(r.control_id, taken),
        status: { state: r.status === 'pass' ? 'satisfied' : 'not-satisfied' },
      },
      'related-observations': r.rule_ids
        .flatMap((id) => observationOf.get(id) ?? [])
        .map((uuid) => ({ 'observation-uuid': uuid })),
    }))
    .map((f) => (f['related-observations'].length > 0 ? f : { ...f, 'related-observations': undefined }));
  // Prop classes are OSCAL tokens, so the framework is spelled id_version there and plainly in the remarks.
  const scoreProps = scores.map((s) => ({
    name: 'framework-score',
    ns: COMPLYWISE_OSCAL_NS,
    class: oscalToken(`${s.framework_id}_${s.framework_version}`, new Set()),
    value: s.score === null ? 'none' : s.score.toFixed(4),
    remarks: `${s.title} (${s.framework_id} ${s.framework_version}): ${s.passed} passed, ${s.failed} failed, ${s.not_applicable} not applicable.`,
  }));
  const now = (options.now ?? new Date()).toISOString();
  return {
    'assessment-results': {
      uuid: stableUuid(`assessment-results:${scan.scan_id}`),
      metadata: {
        title: `ComplyWise assessment results${scan.subject ? ` for ${scan.subject}` : ''}, scan ${scan.scan_id}`,
        'last-modified': now,
        version: scan.bundle_revision,
        'oscal-version': OSCAL_VERSION,
      },
      'import-ap': {
        href: `urn:complywise:scan:${scan.scan_id}`,
        remarks:
          'ComplyWise scans have no separate OSCAL assessment plan; the rule bundle revision is the plan.',
      },
      results: [
        {
          uuid: stableUuid(`result:${scan.scan_id}`),
          title: `Scan ${scan.scan_id}`,
          description: `Automated assessment by rule bundle ${scan.bundle_revision}.`,
          start: scan.started_at,
          ...(scan.finished_at ? { end: scan.finished_at } : {}),
          ...(scoreProps.length > 0 ? { props: scoreProps } : {}),
          'reviewed-controls': { 'control-selections': [{ 'include-all': {} }] },
          ...(observations.length > 0 ? { observations } : {}),
          ...(oscalFindings.length > 0
            ? { findings: JSON.parse(JSON.stringify(oscalFindings)) as object[] }
            : {}),
        },
      ],
    },
  };
}
