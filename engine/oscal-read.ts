/**
 * Reads an OSCAL catalog (JSON or XML) into one small tree of groups and controls with their official titles
 * and statements, so importers never deal with the two encodings. Anything that is not an OSCAL catalog is a
 * SourceError at the line that shows it.
 */
import { XMLParser } from 'fast-xml-parser';
import { ERROR_CODES, SourceError } from './errors.ts';
import { keyLineAt, parseYamlSource } from './yaml-source.ts';

/** One OSCAL group or control. */
export interface OscalNode {
  kind: 'group' | 'control';
  /** The OSCAL id attribute, e.g. ac-2.1, GV.OC-01, SP_800_171_03.01.01. */
  id: string;
  /** The preferred `label` prop, when there is one (e.g. AC-2(1), Organizational Context (GV.OC)). */
  label?: string;
  /** Every `label` prop value (some catalogs give zero-padded variants too). */
  labels: string[];
  title: string;
  class?: string;
  withdrawn: boolean;
  /** The statement part as plain text (nested items on their own lines), when there is one. */
  statement?: string;
  children: OscalNode[];
}

export interface OscalCatalog {
  title: string;
  version?: string;
  nodes: OscalNode[];
}

const notOscal = (file: string, line: number, message: string) =>
  new SourceError([{ code: ERROR_CODES.IMPORT_INVALID, file, line, message }]);

/** Parses OSCAL catalog JSON or XML (chosen by the first non-blank character). */
export function readOscalCatalog(file: string, text: string): OscalCatalog {
  return text.trimStart().startsWith('<') ? readXml(file, text) : readJson(file, text);
}

// ---------- JSON

interface JsonPart {
  name?: string;
  props?: JsonProp[];
  prose?: string;
  parts?: JsonPart[];
}
interface JsonProp {
  name?: string;
  value?: string;
  class?: string;
}
interface JsonNode {
  id?: string;
  class?: string;
  title?: string;
  props?: JsonProp[];
  parts?: JsonPart[];
  params?: { id: string; label?: string }[];
  groups?: JsonNode[];
  controls?: JsonNode[];
}

function readJson(file: string, text: string): OscalCatalog {
  type Root = { catalog?: { metadata?: { title?: string; version?: string } } & JsonNode } | null;
  let data: Root;
  try {
    data = JSON.parse(text) as Root;
  } catch {
    data = null;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data) || !data.catalog) {
    // The slower, position-keeping parser only on the error path, to name the line (or the syntax error).
    const src = parseYamlSource(file, text);
    const doc = src.data as Record<string, unknown> | null;
    const first = doc && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc)[0] : undefined;
    throw notOscal(
      file,
      first ? keyLineAt(src, [first]) : 1,
      `not an OSCAL catalog: the top-level object must have a "catalog" key${first ? `, found "${first}"` : ''}`,
    );
  }
  const catalog = data.catalog;
  const labels = new Map<string, string>();
  const walk = (node: JsonNode, kind: OscalNode['kind']): OscalNode => {
    for (const p of node.params ?? []) if (p.label) labels.set(p.id, p.label);
    const props = node.props ?? [];
    const statement = (node.parts ?? []).find((p) => p.name === 'statement');
    const labelProps = props.filter((p) => p.name === 'label' && p.value);
    return {
      kind,
      id: node.id ?? '',
      label: (labelProps.find((p) => !p.class) ?? labelProps[0])?.value,
      labels: labelProps.map((p) => p.value!),
      title: node.title ?? '',
      class: node.class,
      withdrawn: props.some((p) => p.name === 'status' && p.value === 'withdrawn'),
      statement: statement ? jsonPartText(statement, labels) || undefined : undefined,
      children: [
        ...(node.groups ?? []).map((g) => walk(g, 'group')),
        ...(node.controls ?? []).map((c) => walk(c, 'control')),
      ],
    };
  };
  const root = walk(catalog, 'group');
  return { title: catalog.metadata?.title ?? '', version: catalog.metadata?.version, nodes: root.children };
}

function jsonPartText(part: JsonPart, labels: Map<string, string>): string {
  const prose = (part.prose ?? '').replace(
    /\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}/g,
    (_, id: string) => `[${labels.get(id) ?? id}]`,
  );
  const label = part.props?.find((p) => p.name === 'label')?.value;
  const own = [label, prose.trim()].filter(Boolean).join(' ');
  return [own, ...(part.parts ?? []).map((p) => jsonPartText(p, labels))].filter(Boolean).join('\n');
}

// ---------- XML

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const tagOf = (n: XmlNode) => Object.keys(n).find((k) => k !== ':@')!;
const childrenOf = (n: XmlNode) => (n[tagOf(n)] as XmlNode[] | undefined) ?? [];
const attr = (n: XmlNode, name: string) => n[':@']?.[name];

function readXml(file: string, text: string): OscalCatalog {
  let doc: XmlNode[];
  try {
    doc = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      trimValues: false,
      // OSCAL text is text: a version "1.0" or a title "0.10" must not come back as a number.
      parseTagValue: false,
      processEntities: true,
      htmlEntities: true,
    }).parse(text, true) as XmlNode[];
  } catch (e) {
    const line = (e as { line?: number }).line ?? 1;
    throw notOscal(file, line, `XML syntax: ${(e as Error).message.split('\n')[0]}`);
  }
  const root = doc.find((n) => !tagOf(n).startsWith('?') && tagOf(n) !== '#text' && tagOf(n) !== '#comment');
  const name = root ? tagOf(root) : undefined;
  if (
    !root ||
    name !== 'catalog' ||
    !String(attr(root, 'xmlns') ?? '').startsWith('http://csrc.nist.gov/ns/oscal')
  ) {
    const line = name ? text.slice(0, Math.max(0, text.indexOf(`<${name}`))).split('\n').length : 1;
    throw notOscal(
      file,
      line,
      name
        ? `not an OSCAL catalog: the root element is <${name}>${name === 'catalog' ? ' outside the OSCAL namespace' : ''}, expected <catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">`
        : 'not an OSCAL catalog: no root element',
    );
  }
  const labels = new Map<string, string>();
  const walk = (node: XmlNode, kind: OscalNode['kind']): OscalNode => {
    const kids = childrenOf(node);
    const props = kids.filter((k) => tagOf(k) === 'prop');
    for (const p of kids.filter((k) => tagOf(k) === 'param')) {
      const label = childrenOf(p).find((k) => tagOf(k) === 'label');
      if (label) labels.set(attr(p, 'id') ?? '', xmlText(label, labels).trim());
    }
    const title = kids.find((k) => tagOf(k) === 'title');
    const statement = kids.find((k) => tagOf(k) === 'part' && attr(k, 'name') === 'statement');
    const labelProps = props.filter((p) => attr(p, 'name') === 'label' && attr(p, 'value'));
    return {
      kind,
      id: attr(node, 'id') ?? '',
      label:
        labelProps.length > 0
          ? attr(labelProps.find((p) => !attr(p, 'class')) ?? labelProps[0]!, 'value')
          : undefined,
      labels: labelProps.map((p) => attr(p, 'value')!),
      title: title ? collapse(xmlText(title, labels)) : '',
      class: attr(node, 'class'),
      withdrawn: props.some((p) => attr(p, 'name') === 'status' && attr(p, 'value') === 'withdrawn'),
      statement: statement ? xmlPartText(statement, labels) || undefined : undefined,
      children: kids
        .filter((k) => tagOf(k) === 'group' || tagOf(k) === 'control')
        .map((k) => walk(k, tagOf(k) as OscalNode['kind'])),
    };
  };
  const top = walk(root, 'group');
  const metadata = childrenOf(root).find((k) => tagOf(k) === 'metadata');
  const metaChild = (tag: string) => {
    const found = metadata && childrenOf(metadata).find((k) => tagOf(k) === tag);
    return found ? collapse(xmlText(found, labels)) : undefined;
  };
  return { title: metaChild('title') ?? '', version: metaChild('version'), nodes: top.children };
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Text of a markup element, with `<insert type="param">` replaced by the parameter's label. */
function xmlText(node: XmlNode, labels: Map<string, string>): string {
  const tag = tagOf(node);
  if (tag === '#text') return String(node['#text'] ?? '');
  if (tag === 'insert') return `[${labels.get(attr(node, 'id-ref') ?? '') ?? attr(node, 'id-ref') ?? ''}]`;
  return childrenOf(node)
    .map((k) => xmlText(k, labels))
    .join('');
}

/** A part's paragraphs and nested parts, one per line, whitespace collapsed. */
function xmlPartText(part: XmlNode, labels: Map<string, string>): string {
  const lines: string[] = [];
  for (const k of childrenOf(part)) {
    const tag = tagOf(k);
    if (tag === 'part') lines.push(xmlPartText(k, labels));
    else if (tag === 'p' || tag === 'ol' || tag === 'ul' || tag === 'li') lines.push(xmlText(k, labels));
    else if (tag === 'prop' && attr(k, 'name') === 'label') lines.push(`${attr(k, 'value')}`);
  }
  return lines
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}
