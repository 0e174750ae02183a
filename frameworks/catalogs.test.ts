/**
 * The committed catalogs have the sizes their publishers give (checked against the official publications and,
 * for NIST CSF 2.0, against NIST's OSCAL catalog in ../shared/reference/oscal/).
 */
import { describe, expect, it } from 'vitest';
import { loadFrameworkDefinitions } from '../engine/frameworks.ts';
import type { FrameworkCatalog } from '../schemas/index.ts';

const definitions = await loadFrameworkDefinitions();

function catalog(id: string, version: string): FrameworkCatalog {
  const found = definitions.frameworks.find((f) => f.id === id && f.version === version);
  if (!found) throw new Error(`no catalog ${id} ${version}`);
  return found;
}

/** Number of requirements under each top-level group (following parents up the tree). */
function countByRoot(fw: FrameworkCatalog, kind?: string): Record<string, number> {
  const parentOf = new Map<string, string | undefined>([
    ...(fw.groups ?? []).map((g) => [g.id, g.parent] as const),
    ...fw.requirements.map((r) => [r.id, r.parent] as const),
  ]);
  const counts: Record<string, number> = {};
  for (const r of fw.requirements) {
    if (kind && r.kind !== kind) continue;
    let at = r.id;
    while (parentOf.get(at) !== undefined) at = parentOf.get(at)!;
    counts[at] = (counts[at] ?? 0) + 1;
  }
  return counts;
}

const groupsOfKind = (fw: FrameworkCatalog, kind: string) => (fw.groups ?? []).filter((g) => g.kind === kind);

describe('framework catalogs', () => {
  it('SOC 2 2017 TSC: 61 criteria (CC 33, A 3, C 2, PI 5, P 18)', () => {
    const fw = catalog('soc2', '2017');
    expect(fw.requirements).toHaveLength(61);
    expect(countByRoot(fw)).toEqual({ CC: 33, A: 3, C: 2, PI: 5, P: 18 });
  });

  it('ISO/IEC 27001:2022: clauses 4-10 and 93 Annex A controls (37/8/14/34)', () => {
    const fw = catalog('iso27001', '2022');
    const annex = fw.requirements.filter((r) => r.id.startsWith('A.'));
    expect(annex).toHaveLength(93);
    const byTheme: Record<string, number> = {};
    for (const r of annex) byTheme[r.parent!] = (byTheme[r.parent!] ?? 0) + 1;
    expect(byTheme).toEqual({ 'A.5': 37, 'A.6': 8, 'A.7': 14, 'A.8': 34 });
    const clauses = countByRoot(fw, 'clause');
    expect(Object.keys(clauses).sort((a, b) => Number(a) - Number(b))).toEqual([
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
    ]);
  });

  it('NIST CSF 2.0: 6 functions, 22 categories, 106 subcategories', () => {
    const fw = catalog('nist-csf', '2.0');
    expect(groupsOfKind(fw, 'function')).toHaveLength(6);
    expect(groupsOfKind(fw, 'category')).toHaveLength(22);
    expect(fw.requirements.filter((r) => r.kind === 'subcategory')).toHaveLength(106);
  });

  it('NIST SP 800-171 r2: 110 requirements in 14 families', () => {
    const fw = catalog('nist-800-171', 'r2');
    expect(fw.requirements).toHaveLength(110);
    expect(groupsOfKind(fw, 'family')).toHaveLength(14);
    expect(Object.keys(countByRoot(fw))).toHaveLength(14);
  });

  it('CMMC 2.0: Level 1 has 15 practices, Level 2 has 110, each linked to SP 800-171 r2', () => {
    const fw = catalog('cmmc', '2.0');
    expect(countByRoot(fw)).toEqual({ L1: 15, L2: 110 });
    const sp171 = new Set(catalog('nist-800-171', 'r2').requirements.map((r) => r.id));
    const level2 = fw.requirements.filter((r) => r.id.includes('.L2-'));
    for (const r of level2) {
      const target = r.id.split('.L2-')[1]!;
      expect(r.links).toEqual([
        { framework: 'nist-800-171', framework_version: 'r2', requirement: target, relationship: 'equal' },
      ]);
    }
    expect(new Set(level2.map((r) => r.links![0]!.requirement))).toEqual(sp171);
    expect(fw.requirements.find((r) => r.id === 'AC.L2-3.1.1')).toBeDefined();
  });

  it('HIPAA Security Rule: 22 standards and 43 implementation specifications, each required or addressable', () => {
    const fw = catalog('hipaa-security', '2013');
    const standards = fw.requirements.filter((r) => r.kind === 'standard');
    const specs = fw.requirements.filter((r) => r.kind === 'implementation_specification');
    expect([standards.length, specs.length]).toEqual([22, 43]);
    for (const r of fw.requirements) expect(['required', 'addressable']).toContain(r.implementation);
    expect(specs.filter((r) => r.implementation === 'addressable')).toHaveLength(22);
    expect(countByRoot(fw)).toEqual({
      '164.308': 30,
      '164.310': 12,
      '164.312': 12,
      '164.314': 6,
      '164.316': 5,
    });
  });

  it('PCI DSS v4.0.1: 12 principal requirements, 71 sub-requirements and 278 defined requirements', () => {
    const fw = catalog('pci-dss', '4.0.1');
    // Sub-requirements (x.y): 63 under the 12 principal requirements and 8 in Appendix A1-A3.
    expect(countByRoot(fw, 'sub_requirement')).toEqual({
      '1': 5,
      '2': 3,
      '3': 7,
      '4': 2,
      '5': 4,
      '6': 5,
      '7': 3,
      '8': 6,
      '9': 5,
      '10': 7,
      '11': 6,
      '12': 10,
      A1: 2,
      A2: 1,
      A3: 5,
    });
    // Defined requirements (x.y.z and x.y.z.w): 250 in requirements 1-12 (19 + 11 + 29 + 6 + 13 + 19 + 12 + 29
    // + 27 + 27 + 21 + 37) and 28 in the appendices (A1 7, A2 1, A3 20): 278, so 349 requirements in all.
    expect(countByRoot(fw, 'defined_requirement')).toEqual({
      '1': 19,
      '2': 11,
      '3': 29,
      '4': 6,
      '5': 13,
      '6': 19,
      '7': 12,
      '8': 29,
      '9': 27,
      '10': 27,
      '11': 21,
      '12': 37,
      A1: 7,
      A2: 1,
      A3: 20,
    });
    expect(fw.requirements).toHaveLength(349);
    const byId = new Map(fw.requirements.map((r) => [r.id, r]));
    for (const r of fw.requirements.filter((r) => r.kind === 'defined_requirement')) {
      // x.y.z sits under x.y, x.y.z.w under x.y.z: the parent is the id without its last number.
      expect(r.parent, r.id).toBe(r.id.slice(0, r.id.lastIndexOf('.')));
      expect(byId.has(r.parent!), r.id).toBe(true);
      expect(r.summary, r.id).toMatch(/^[A-Z].{20,}\.$/);
    }
    for (const r of fw.requirements.filter((r) => r.kind === 'sub_requirement')) {
      expect(
        fw.requirements.some((c) => c.parent === r.id),
        `${r.id} has defined requirements`,
      ).toBe(true);
    }
    expect(
      ['3.3.1.3', '8.3.10.1', '9.5.1.2.1', '10.2.1.7', '12.5.2.1', 'A2.1.1', 'A3.3.1.1'].map(
        (id) => byId.get(id)?.kind,
      ),
    ).toEqual(Array(7).fill('defined_requirement'));
    const appliesTo = (value: string) =>
      fw.requirements
        .filter((r) => r.applies_to === value && r.kind === 'defined_requirement')
        .map((r) => r.id);
    expect(appliesTo('service_providers')).toEqual([
      '3.6.1.1',
      '3.7.9',
      '8.2.3',
      '8.3.10',
      '8.3.10.1',
      '10.7.1',
      '11.4.6',
      '11.5.1.1',
      '12.4.1',
      '12.4.2',
      '12.4.2.1',
      '12.5.2.1',
      '12.5.3',
      '12.9.1',
      '12.9.2',
    ]);
    expect(appliesTo('multi_tenant_service_providers')).toEqual([
      '11.4.7',
      ...['1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '2.3'].map((n) => `A1.${n}`),
    ]);
    expect(appliesTo('issuers')).toEqual(['3.3.3']);
    expect(appliesTo('designated_entities')).toHaveLength(20);
  });

  it('HITRUST CSF v11: 14 control categories, 49 control objectives, 156 control references, ids only', () => {
    const fw = catalog('hitrust-csf', '11');
    expect(groupsOfKind(fw, 'control_category').map((g) => g.id)).toEqual(
      Array.from({ length: 14 }, (_, i) => String(i).padStart(2, '0')),
    );
    const objectives = groupsOfKind(fw, 'control_objective');
    expect(objectives).toHaveLength(49);
    expect(fw.groups).toHaveLength(14 + 49);
    // An objective NN.MM sits in category NN; a reference NN.x sits in an objective of category NN.
    for (const o of objectives) expect(o.id).toMatch(new RegExp(`^${o.parent}\\.\\d\\d$`));
    const objectiveIds = new Set(objectives.map((o) => o.id));
    for (const r of fw.requirements) {
      expect(objectiveIds.has(r.parent!), r.id).toBe(true);
      expect(r.id.slice(0, 3)).toBe(`${r.parent!.slice(0, 2)}.`);
    }
    const perCategory = (counts: number[]) =>
      Object.fromEntries(counts.map((n, i) => [String(i).padStart(2, '0'), n]));
    expect(fw.requirements).toHaveLength(156);
    expect(countByRoot(fw)).toEqual(perCategory([1, 25, 9, 4, 2, 11, 10, 5, 13, 32, 13, 5, 5, 21]));
    const objectivesPerCategory: Record<string, number> = {};
    for (const o of objectives)
      objectivesPerCategory[o.parent!] = (objectivesPerCategory[o.parent!] ?? 0) + 1;
    expect(objectivesPerCategory).toEqual(perCategory([1, 7, 4, 1, 1, 2, 3, 2, 2, 10, 6, 2, 1, 7]));
    expect(fw.requirements.map((r) => r.id).slice(-3)).toEqual(['13.s', '13.t', '13.u']);
    expect(fw.requirements.find((r) => r.id === '09.af')?.parent).toBe('09.10');
    for (const r of fw.requirements) expect(r.title).toBe(`Control reference ${r.id}`);
  });

  it('every catalog records owner, source, license and text policy, and ships no official text', () => {
    expect(definitions.frameworks).toHaveLength(8);
    for (const fw of definitions.frameworks) {
      expect(fw.owner.length).toBeGreaterThan(0);
      expect(fw.license.length).toBeGreaterThan(0);
      expect(fw.text_policy).toBe('ids_and_own_summaries');
      for (const r of fw.requirements) expect(r.statement).toBeUndefined();
    }
  });
});

describe('the Unified Control Framework', () => {
  it('has 150-250 common controls grouped by domain, keeping the ids rules already use', () => {
    const { controls } = definitions;
    expect(controls.length).toBeGreaterThanOrEqual(150);
    expect(controls.length).toBeLessThanOrEqual(250);
    expect(controls.slice(0, 2).map((c) => c.id)).toEqual(['UCF-DP-01', 'UCF-DP-02']);
    expect(new Set(controls.map((c) => c.domain)).size).toBeGreaterThanOrEqual(15);
  });

  it('gives every mapping a rationale and a provenance, and every manual control the evidence it needs', () => {
    for (const control of definitions.controls) {
      if (!control.automated) expect(control.evidence?.length, control.id).toBeGreaterThan(0);
      expect(control.mappings.length, control.id).toBeGreaterThan(0);
      for (const m of control.mappings) {
        expect(m.rationale.length, `${control.id} → ${m.requirement}`).toBeGreaterThan(10);
        expect(m.provenance, `${control.id} → ${m.requirement}`).toBeTruthy();
      }
    }
  });

  it('maps every requirement of every catalog, the HITRUST privacy references (13.x) only as overlapping the privacy programme', () => {
    const mapped = new Set(
      definitions.controls.flatMap((c) =>
        c.mappings.map((m) => `${m.framework}@${m.framework_version}/${m.requirement}`),
      ),
    );
    const unmapped = definitions.frameworks.flatMap((fw) =>
      fw.requirements
        .filter(
          (r) =>
            !r.out_of_scope &&
            !mapped.has(`${fw.id}@${fw.version}/${r.id}`) &&
            !(r.links ?? []).some(
              (l) =>
                l.relationship === 'equal' &&
                mapped.has(`${l.framework}@${l.framework_version}/${l.requirement}`),
            ),
        )
        .map((r) => `${fw.id}/${r.id}`),
    );
    expect(unmapped).toEqual([]);
    // Without the licensed text the HITRUST privacy references (13.a-13.u) are only known to overlap the
    // privacy programme control: intersects_with, so they never count as covered by automated rules.
    const privacy = definitions.controls.flatMap((c) =>
      c.mappings
        .filter((m) => m.framework === 'hitrust-csf' && m.requirement.startsWith('13.'))
        .map((m) => `${c.id} ${m.relationship} ${m.requirement}`),
    );
    expect(privacy).toEqual(
      Array.from({ length: 21 }, (_, i) => `UCF-PRV-10 intersects_with 13.${String.fromCharCode(97 + i)}`),
    );
  });
});
