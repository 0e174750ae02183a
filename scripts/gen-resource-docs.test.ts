// docs/resources.md must list every resource type and attribute exactly as the schemas define them.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSection } from './gen-resource-docs.ts';

const dir = new URL('../schemas/resources/', import.meta.url);
const schemaFiles = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));

describe('resource type documentation', () => {
  it('keeps docs/resources.md generated from the schemas', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-resource-docs.ts', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('documents every top-level attribute with a meaning and its source call', async () => {
    const section = await generateSection();
    for (const file of schemaFiles) {
      const type = file.replace('.schema.json', '');
      const schema = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
        properties: Record<string, { description?: string; $comment?: string }>;
      };
      // aws.s3.bucket is documented by hand above the generated section, with its sources.
      if (type === 'aws.s3.bucket') continue;
      expect(section).toContain(`## \`${type}\``);
      for (const [name, property] of Object.entries(schema.properties)) {
        expect(property.description, `${type}.${name} description`).toBeTruthy();
        expect(property.$comment, `${type}.${name} source`).toMatch(/^source: \S/);
        expect(section).toContain(`\`${name}\``);
      }
    }
  });
});
