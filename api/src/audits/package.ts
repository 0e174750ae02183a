/**
 * The audit package: one zip, written as a stream (fflate), with a SHA256SUMS file at the end naming every
 * other file's hash and a README.txt saying how to check the lot. Knows nothing of where the files come from
 * (the audits service hands them over one by one) nor of HTTP.
 */
import { createHash } from 'node:crypto';
import { Zip, ZipDeflate } from 'fflate';

/** One file of the package: its path in the zip and its bytes, whole or as a stream of chunks. */
export interface PackageFile {
  name: string;
  content: string | Uint8Array | AsyncIterable<string | Uint8Array>;
}

/** What the finished zip was: its sha256 and size, and each file's sha256 (SHA256SUMS lists the same). */
export interface PackageSummary {
  sha256: string;
  size: number;
  files: { name: string; sha256: string; size: number }[];
}

const asBytes = (chunk: string | Uint8Array): Uint8Array =>
  typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;

async function* chunksOf(content: PackageFile['content']): AsyncGenerator<Uint8Array> {
  if (typeof content === 'string' || content instanceof Uint8Array) yield asBytes(content);
  else for await (const chunk of content) yield asBytes(chunk);
}

/**
 * The zip of `files` (in order) and a closing SHA256SUMS, chunk by chunk: each file is compressed as it is
 * read, so memory holds one chunk of it at a time. When the last byte is out, `onComplete` is awaited with
 * the summary; if it throws, so does the stream (a download is cut rather than left unrecorded).
 */
export async function* zipPackage(
  files: AsyncIterable<PackageFile>,
  onComplete: (summary: PackageSummary) => Promise<void>,
  mtime: Date = new Date(),
): AsyncGenerator<Uint8Array> {
  const ready: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else ready.push(chunk);
  });
  const zipHash = createHash('sha256');
  let zipSize = 0;
  function* take(): Generator<Uint8Array> {
    if (failure) throw failure;
    while (ready.length > 0) {
      const chunk = ready.shift()!;
      zipHash.update(chunk);
      zipSize += chunk.length;
      yield chunk;
    }
  }
  const listed: PackageSummary['files'] = [];
  async function* add(name: string, content: PackageFile['content']): AsyncGenerator<Uint8Array> {
    const entry = new ZipDeflate(name, { level: 6 });
    entry.mtime = mtime;
    zip.add(entry);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of chunksOf(content)) {
      hash.update(chunk);
      size += chunk.length;
      entry.push(chunk);
      yield* take();
    }
    entry.push(new Uint8Array(0), true);
    listed.push({ name, sha256: hash.digest('hex'), size });
    yield* take();
  }
  for await (const file of files) yield* add(file.name, file.content);
  const sums = listed.map((file) => `${file.sha256}  ${file.name}\n`).join('');
  yield* add('SHA256SUMS', sums);
  zip.end();
  yield* take();
  await onComplete({ sha256: zipHash.digest('hex'), size: zipSize, files: listed });
}

/** What the README says about the audit it ships with. */
export interface ReadmeFacts {
  audit: { id: string; name: string; period_start: Date; period_end: Date; status: string };
  tenant: string;
  generated_at: Date;
  bundle_window: { from: Date; to: Date };
  scan: { id: string; finished_at: Date | null } | null;
  frameworks: { framework_id: string; framework_version: string; included: boolean }[];
}

/** README.txt: what each file is and how to check it, in plain words. */
export function packageReadme(facts: ReadmeFacts): string {
  const { audit } = facts;
  const iso = (d: Date) => d.toISOString();
  const reports = facts.frameworks.map((f) =>
    f.included
      ? `  reports/readiness-${f.framework_id}-${f.framework_version}.pdf and reports/control-matrix-${f.framework_id}-${f.framework_version}.csv`
      : `  (${f.framework_id} ${f.framework_version}: the scan has no score for it, so no report is included)`,
  );
  return [
    `Audit package: ${audit.name}`,
    '',
    `Audit id:      ${audit.id} (${audit.status})`,
    `Tenant:        ${facts.tenant}`,
    `Period:        ${iso(audit.period_start)} to ${iso(audit.period_end)}`,
    `Generated at:  ${iso(facts.generated_at)}`,
    facts.scan
      ? `Results from:  scan ${facts.scan.id}, the newest that succeeded by the end of the period (finished ${facts.scan.finished_at ? iso(facts.scan.finished_at) : 'at an unknown time'})`
      : 'Results from:  no scan succeeded by the end of the period, so results, reports and CSVs are not included',
    '',
    'What is in here',
    '',
    `  evidence-bundle.json  The signed evidence bundle of the ledger entries recorded from`,
    `                        ${iso(facts.bundle_window.from)} to ${iso(facts.bundle_window.to)}, with the`,
    '                        artifacts (resource snapshots, attached evidence, report files) they name.',
    ...(facts.scan
      ? [
          '  oscal/assessment-results.json  The scan results as an OSCAL 1.1.3 assessment-results document.',
          ...reports,
          '  reports/findings.csv  Every finding of the scan, with the exception that set it aside, if any.',
        ]
      : []),
    '  audit.json            The audit as recorded: frameworks, period, auditors.',
    '  SHA256SUMS            The sha256 of every other file in this package.',
    '',
    'How to check it',
    '',
    '1. The package itself: its sha256 is written in the tenant ledger, in the entry that records this',
    '   download or the closing of the audit (kind audit.package.generated or audit.closed, field',
    '   package_sha256). Compare it with: sha256sum <package>.zip',
    '',
    '2. The files: from the folder you unzipped to, run: sha256sum -c SHA256SUMS',
    '   Every line must say OK.',
    '',
    '3. The evidence bundle, with the ComplyWise command line (no server or network needed):',
    '',
    '     complywise evidence verify evidence-bundle.json --public-key <ledger-public-key.pem>',
    '',
    '   It recomputes the hash of every ledger entry, follows the chain from entry to entry, checks the',
    '   signatures on the checkpoints and on the manifest (so an entry cut from either end shows), and',
    '   re-hashes every artifact. It prints OK, or names each problem with the sequence number of the entry',
    '   or the sha256 of the artifact concerned. Without --public-key it checks against the key carried in',
    '   the bundle, which proves the bundle is intact but not who signed it: ask the tenant for its ledger',
    '   public key through another channel and pass it.',
    '',
    '4. Any finding or control in the CSVs and the PDF can be traced: each finding names its rule version',
    '   (rule_id and rule_hash) and the sha256 of the resource snapshot it was computed from, which is an',
    '   artifact of the evidence bundle when it was recorded in the period.',
    '',
  ].join('\n');
}
