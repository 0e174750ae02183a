import { describe, expect, it } from 'vitest';
import { readOscalCatalog } from './oscal-read.ts';

const xmlCatalog = (version: string, controlId: string) => `<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="00000000-0000-4000-8000-000000000001">
  <metadata><title>Sample</title><version>${version}</version></metadata>
  <group id="g1"><title>Group 007</title>
    <control id="${controlId}"><title>0.10</title></control>
  </group>
</catalog>`;

describe('readOscalCatalog (XML)', () => {
  // Text that looks like a number stays text: "1.0" is not 1 and "1.10" is not "1.1".
  it('keeps versions, ids and titles as the exact text of the document', () => {
    const catalog = readOscalCatalog('c.xml', xmlCatalog('1.10', '007'));
    expect(catalog.version).toBe('1.10');
    expect(catalog.nodes[0]!.title).toBe('Group 007');
    expect(catalog.nodes[0]!.children[0]).toMatchObject({ id: '007', title: '0.10' });
  });

  it('reads a version of 1.0 as "1.0"', () => {
    expect(readOscalCatalog('c.xml', xmlCatalog('1.0', 'ac-1')).version).toBe('1.0');
  });
});
