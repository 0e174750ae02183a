import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../schemas/index.ts';
import { loadFrameworks } from './frameworks.ts';
import { evaluateControls } from './map.ts';
import { assessmentResultsToOscal, catalogToOscal, oscalToken, stableUuid } from './oscal-export.ts';
import { readOscalCatalog } from './oscal-read.ts';
import { scoreFrameworks } from './score.ts';
import { EXAMPLE_OSCAL_CATALOG } from './testing.ts';
import { describeWithReference, referencePath } from '../test/reference.ts';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
// The official NIST OSCAL 1.1.3 JSON schemas (the reference tier, see ../shared/reference/oscal/README.md).
const REFERENCE = referencePath('oscal');

function officialValidator(file: string): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(REFERENCE, 'schemas/v1.1.3', file), 'utf8')) as object);
}

const errorsOf = (validate: ValidateFunction, doc: unknown) =>
  validate(doc) ? [] : (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The metadata every OSCAL document must have, checked without the official schema. */
const oscalMetadata = {
  title: expect.any(String),
  'last-modified': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/),
  version: expect.any(String),
  'oscal-version': '1.1.3',
};

async function committedCatalogs() {
  const { frameworks } = await loadFrameworks(undefined, { catalog: null });
  return frameworks.map((fw) => ({ fw, doc: catalogToOscal(fw, { now: new Date('2026-01-01T00:00:00Z') }) }));
}

describe('OSCAL catalog export', () => {
  it('exports every committed catalog as an OSCAL catalog our reader reads back, every requirement once', async () => {
    for (const { fw, doc } of await committedCatalogs()) {
      expect(doc, fw.id).toMatchObject({
        catalog: { uuid: expect.stringMatching(UUID), metadata: oscalMetadata },
      });
      const read = readOscalCatalog(`${fw.id}.json`, JSON.stringify(doc));
      expect(read.title).toBe(fw.title);
      // Every requirement is there once, under its official id as label.
      const labels: string[] = [];
      type Node = { controls?: Node[]; groups?: Node[]; props?: { name: string; value: string }[] };
      const walk = (node: Node) => {
        for (const c of node.controls ?? []) {
          labels.push(c.props!.find((p) => p.name === 'label')!.value);
          walk(c);
        }
        for (const g of node.groups ?? []) walk(g);
      };
      walk((doc as { catalog: Node }).catalog);
      expect(labels.sort(), fw.id).toEqual(fw.requirements.map((r) => r.id).sort());
    }
  });

  it('nests implementation specifications under their HIPAA standard and turns citations into OSCAL ids', async () => {
    const { frameworks } = await loadFrameworks(undefined, { catalog: null });
    const hipaa = frameworks.find((f) => f.id === 'hipaa-security')!;
    const doc = catalogToOscal(hipaa) as {
      catalog: {
        uuid: string;
        groups: { controls: { id: string; controls?: { id: string; props: object[] }[] }[] }[];
      };
    };
    const standard = doc.catalog.groups[0]!.controls[0]!;
    expect(standard.id).toBe('id_164.308_a_1_i');
    expect(standard.controls!.map((c) => c.id)).toEqual([
      'id_164.308_a_1_ii_A',
      'id_164.308_a_1_ii_B',
      'id_164.308_a_1_ii_C',
      'id_164.308_a_1_ii_D',
    ]);
    expect(standard.controls![0]!.props).toContainEqual({
      name: 'implementation',
      ns: 'https://complywise.dev/ns/oscal',
      value: 'required',
    });
    expect(doc.catalog.uuid).toBe(stableUuid('catalog:hipaa-security@2013'));
    expect(oscalToken('x', new Set(['x']))).toBe('x_2');
  });

  it('marks requirements that apply to some entities only (PCI DSS service providers, issuers, ...)', async () => {
    const { frameworks } = await loadFrameworks(undefined, { catalog: null });
    const pci = frameworks.find((f) => f.id === 'pci-dss')!;
    type Node = { controls?: Node[]; groups?: Node[]; props?: { name: string; value: string }[] };
    const marked = new Map<string, string>();
    const walk = (n: Node) => {
      const label = n.props?.find((p) => p.name === 'label')?.value;
      const appliesTo = n.props?.find((p) => p.name === 'applies-to')?.value;
      if (label && appliesTo) marked.set(label, appliesTo);
      for (const child of [...(n.groups ?? []), ...(n.controls ?? [])]) walk(child);
    };
    walk((catalogToOscal(pci) as { catalog: Node }).catalog);
    const expected = new Map(
      pci.requirements.filter((r) => r.applies_to).map((r) => [r.id, r.applies_to as string]),
    );
    expect(expected.size).toBeGreaterThan(20);
    expect(marked).toEqual(expected);
  });
});

/** The assessment results of a small scan: two rules on two buckets, one failing. */
async function exampleAssessmentResults(): Promise<unknown> {
  const frameworks = await loadFrameworks();
  const finding = (rule_id: string, resource_id: string, status: Finding['status']): Finding => ({
    rule_id,
    rule_version: '1.0.0',
    rule_hash: 'a'.repeat(64),
    bundle_revision: 'rev-1',
    resource_id,
    resource_type: 'aws.s3.bucket',
    status,
    severity: 'high',
    message: `${rule_id} on ${resource_id}: ${status}`,
    evidence_sha256: status === 'fail' ? 'b'.repeat(64) : null,
  });
  const findings = [
    finding('CW-AWS-S3-001', 'arn:aws:s3:::logs', 'pass'),
    finding('CW-AWS-S3-001', 'arn:aws:s3:::public-site', 'pass'),
    finding('CW-AWS-S3-002', 'arn:aws:s3:::logs', 'pass'),
    finding('CW-AWS-S3-002', 'arn:aws:s3:::public-site', 'fail'),
  ];
  const controls = evaluateControls(findings, frameworks);
  const scores = scoreFrameworks(controls, frameworks);
  return assessmentResultsToOscal(
    {
      scan_id: 'scan-1',
      started_at: '2026-05-01T10:00:00Z',
      finished_at: '2026-05-01T10:01:00Z',
      bundle_revision: 'rev-1',
      subject: 'Demo',
    },
    findings,
    controls,
    scores,
    { now: new Date('2026-05-01T10:02:00Z') },
  );
}

describe('OSCAL assessment-results export', () => {
  it('exports a scan (findings, control results, scores) as OSCAL assessment results', async () => {
    const doc = await exampleAssessmentResults();
    expect(doc).toMatchObject({
      'assessment-results': { uuid: expect.stringMatching(UUID), metadata: oscalMetadata },
    });
    const result = (
      doc as {
        'assessment-results': {
          results: {
            observations: { uuid: string }[];
            findings: {
              target: { 'target-id': string; status: { state: string } };
              'related-observations': object[];
            }[];
            props: { class: string; value: string }[];
          }[];
        };
      }
    )['assessment-results'].results[0]!;
    expect(result.observations).toHaveLength(4);
    expect(
      result.findings.map((f) => [
        f.target['target-id'],
        f.target.status.state,
        f['related-observations'].length,
      ]),
    ).toEqual([
      ['UCF-DP-01', 'satisfied', 2],
      ['UCF-DP-02', 'not-satisfied', 2],
    ]);
    expect(result.props).toContainEqual(expect.objectContaining({ class: 'soc2_2017' }));
  });
});

describeWithReference('OSCAL export against the official NIST OSCAL 1.1.3 schemas', () => {
  // Compiled only when the tier runs: the body of a skipped suite still runs to collect its tests.
  let validCatalog: ValidateFunction;
  beforeAll(() => {
    validCatalog = officialValidator('oscal_catalog_schema.json');
  });

  it('uses a validator that rejects what the schema forbids and accepts NIST’s own catalog and ours', () => {
    expect(errorsOf(validCatalog, { catalog: { uuid: 'not-a-uuid', metadata: {} } }).length).toBeGreaterThan(
      0,
    );
    const nist = JSON.parse(
      readFileSync(join(REFERENCE, 'NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json'), 'utf8'),
    ) as unknown;
    expect(errorsOf(validCatalog, nist)).toEqual([]);
    // Our own test catalog (the always-on tier's stand-in for NIST's) is real OSCAL too.
    const ours = JSON.parse(readFileSync(EXAMPLE_OSCAL_CATALOG.json, 'utf8')) as unknown;
    expect(errorsOf(validCatalog, ours)).toEqual([]);
  });

  it('exports every committed catalog as a catalog valid against the official schema', async () => {
    for (const { fw, doc } of await committedCatalogs())
      expect(errorsOf(validCatalog, doc), `${fw.id}@${fw.version}`).toEqual([]);
  });

  it('exports a scan as assessment results valid against the official schema', async () => {
    const validResults = officialValidator('oscal_assessment-results_schema.json');
    expect(errorsOf(validResults, await exampleAssessmentResults())).toEqual([]);
  });
});
