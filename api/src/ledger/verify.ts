/**
 * Offline verification of an evidence bundle: recomputes every entry hash, follows the chain, checks every
 * checkpoint signature and that signed checkpoints pin both ends, checks the entries and artifacts against
 * the signed manifest (so an end cut at an inner checkpoint or a manifest from another export shows), and
 * re-hashes every artifact. Each problem
 * names what is wrong and where (entry sequence number or artifact hash), so an auditor can say which.
 */
import { createHash } from 'node:crypto';
import {
  BUNDLE_FORMAT,
  checkpointSignatureValid,
  entryHash,
  keyIdOf,
  manifestSignatureValid,
  type BundleManifest,
  type LedgerCheckpoint,
  type LedgerEntry,
  type Signature,
} from './chain.ts';
import { createPublicKey } from 'node:crypto';

export type ProblemKind =
  | 'malformed'
  | 'edited_entry'
  | 'deleted_entry'
  | 'reordered_entry'
  | 'broken_chain'
  | 'bad_signature'
  | 'checkpoint_mismatch'
  | 'unpinned_end'
  | 'bad_manifest_signature'
  | 'manifest_mismatch'
  | 'cut_end'
  | 'edited_artifact'
  | 'corrupted_artifact'
  | 'missing_artifact';

export interface Problem {
  kind: ProblemKind;
  message: string;
  seq?: number;
  sha256?: string;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  artifacts: number;
  checkpoints: number;
  problems: Problem[];
  /** Artifacts absent because retention deleted them, each with the signed entry that records it. */
  pruned: { sha256: string; seq: number }[];
}

interface BundleShape {
  format?: unknown;
  manifest?: BundleManifest;
  manifest_signature?: Signature;
  public_key?: { pem?: unknown; key_id?: unknown };
  entries?: unknown;
  checkpoints?: unknown;
  artifacts?: unknown;
  pruned?: { entries?: unknown; checkpoints?: unknown };
}

/**
 * sha256 → seq of the retention entry that records its deletion, for the entries of the bundle's `pruned`
 * section that are intact (hash), of the bundle's tenant, and pinned by a valid checkpoint on exactly that
 * entry: without the signing key nobody can make a deleted artifact pass for pruned.
 */
function retentionRecords(
  section: BundleShape['pruned'],
  tenantId: string | undefined,
  publicKeyPem: string,
): Map<string, number> {
  const records = new Map<string, number>();
  const entries = Array.isArray(section?.entries) ? (section.entries as LedgerEntry[]) : [];
  const checkpoints = Array.isArray(section?.checkpoints) ? (section.checkpoints as LedgerCheckpoint[]) : [];
  for (const entry of entries) {
    const { entry_hash, ...rest } = entry;
    if (entry.kind !== 'retention.applied' || entry.tenant_id !== tenantId) continue;
    if (entryHash(rest) !== entry_hash) continue;
    const pinned = checkpoints.some(
      (c) =>
        c.tenant_id === tenantId &&
        c.seq === entry.seq &&
        c.entry_hash === entry_hash &&
        checkpointSignatureValid(c, publicKeyPem),
    );
    if (!pinned) continue;
    const list = (entry.payload as { pruned_evidence?: unknown }).pruned_evidence;
    for (const sha of Array.isArray(list) ? list : [])
      if (typeof sha === 'string') records.set(sha, entry.seq);
  }
  return records;
}

/** Verifies a parsed bundle; `trustedPublicKeyPem` (when given) must be the key that signed it. */
export function verifyBundle(bundle: unknown, trustedPublicKeyPem?: string): VerifyResult {
  const problems: Problem[] = [];
  const b = (bundle ?? {}) as BundleShape;
  const entries = Array.isArray(b.entries) ? (b.entries as LedgerEntry[]) : [];
  const checkpoints = Array.isArray(b.checkpoints) ? (b.checkpoints as LedgerCheckpoint[]) : [];
  const artifacts = Array.isArray(b.artifacts)
    ? (b.artifacts as { sha256: string; content_base64: string }[])
    : [];
  const pruned: VerifyResult['pruned'] = [];
  const result = () => ({
    ok: problems.length === 0,
    entries: entries.length,
    artifacts: artifacts.length,
    checkpoints: checkpoints.length,
    problems,
    pruned,
  });
  if (b.format !== BUNDLE_FORMAT || !Array.isArray(b.entries) || typeof b.public_key?.pem !== 'string') {
    problems.push({
      kind: 'malformed',
      message: `not a ComplyWise evidence bundle (format ${BUNDLE_FORMAT}, entries or public_key missing)`,
    });
    return result();
  }
  const publicKeyPem = trustedPublicKeyPem ?? b.public_key.pem;
  if (trustedPublicKeyPem && b.public_key.pem.trim() !== trustedPublicKeyPem.trim()) {
    const trustedId = keyIdOf(createPublicKey(trustedPublicKeyPem));
    problems.push({
      kind: 'bad_signature',
      message: `the bundle names key ${String(b.public_key.key_id)}, not the trusted key ${trustedId}`,
    });
  }

  // Entries: each hash recomputed, each link followed, sequence numbers consecutive.
  const bySeq = new Map<number, LedgerEntry>();
  entries.forEach((entry, index) => {
    const { entry_hash, ...rest } = entry;
    if (entryHash(rest) !== entry_hash) {
      problems.push({
        kind: 'edited_entry',
        seq: entry.seq,
        message: `entry ${entry.seq} (${entry.kind}) was changed: its content no longer matches its hash`,
      });
    }
    bySeq.set(entry.seq, entry);
    if (index === 0) return;
    const previous = entries[index - 1]!;
    if (entry.seq <= previous.seq) {
      problems.push({
        kind: 'reordered_entry',
        seq: entry.seq,
        message: `entry ${entry.seq} comes after entry ${previous.seq}: entries were reordered`,
      });
    } else if (entry.seq > previous.seq + 1) {
      const gap = entry.seq - previous.seq - 1;
      problems.push({
        kind: 'deleted_entry',
        seq: previous.seq + 1,
        message: `${gap === 1 ? 'entry' : `${gap} entries from`} ${previous.seq + 1} ${gap === 1 ? 'is' : 'are'} missing (deleted)`,
      });
    } else if (entry.prev_hash !== previous.entry_hash) {
      problems.push({
        kind: 'broken_chain',
        seq: entry.seq,
        message: `entry ${entry.seq} does not follow entry ${previous.seq} (previous-hash link broken)`,
      });
    }
  });

  // Checkpoints: valid signatures, matching the entries they name, and pinning the first and last entry.
  for (const checkpoint of checkpoints) {
    if (!checkpointSignatureValid(checkpoint, publicKeyPem)) {
      problems.push({
        kind: 'bad_signature',
        seq: checkpoint.seq,
        message: `checkpoint at entry ${checkpoint.seq} has an invalid signature`,
      });
      continue;
    }
    const entry = bySeq.get(checkpoint.seq);
    if (!entry) {
      problems.push({
        kind: 'deleted_entry',
        seq: checkpoint.seq,
        message: `entry ${checkpoint.seq}, signed by a checkpoint, is missing (deleted)`,
      });
    } else if (entry.entry_hash !== checkpoint.entry_hash) {
      problems.push({
        kind: 'checkpoint_mismatch',
        seq: checkpoint.seq,
        message: `entry ${checkpoint.seq} differs from the one its signed checkpoint names`,
      });
    }
  }
  if (entries.length > 0) {
    const signedSeqs = new Set(
      checkpoints.filter((c) => checkpointSignatureValid(c, publicKeyPem)).map((c) => c.seq),
    );
    const first = Math.min(...entries.map((e) => e.seq));
    const last = Math.max(...entries.map((e) => e.seq));
    const signedFirst = Math.min(...signedSeqs);
    const signedLast = Math.max(...signedSeqs);
    if (!(signedFirst <= first))
      problems.push({
        kind: 'unpinned_end',
        seq: first,
        message: `no signed checkpoint pins the first entry (${first}): entries before it may have been cut`,
      });
    if (!(signedLast >= last))
      problems.push({
        kind: 'unpinned_end',
        seq: last,
        message: `no signed checkpoint pins the last entry (${last}): entries after it may have been cut`,
      });
    if (signedLast > last)
      problems.push({
        kind: 'deleted_entry',
        seq: signedLast,
        message: `entries up to ${signedLast}, signed by a checkpoint, are missing (deleted)`,
      });
  }

  const corrupted = checkManifest(b, entries, artifacts, publicKeyPem, problems);

  // Artifacts: named by their sha256, every referenced one present.
  const present = new Set<string>();
  for (const artifact of artifacts) {
    const actual = createHash('sha256')
      .update(Buffer.from(artifact.content_base64 ?? '', 'base64'))
      .digest('hex');
    if (actual !== artifact.sha256) {
      problems.push({
        kind: 'edited_artifact',
        sha256: artifact.sha256,
        message: `artifact ${artifact.sha256} does not hash to its name: it was edited or swapped`,
      });
    }
    present.add(artifact.sha256);
  }
  const prunedBy = retentionRecords(b.pruned, entries[0]?.tenant_id, publicKeyPem);
  for (const entry of entries) {
    if (entry.artifact_sha256 && !present.has(entry.artifact_sha256)) {
      if (corrupted.has(entry.artifact_sha256)) continue;
      const seq = prunedBy.get(entry.artifact_sha256);
      if (seq !== undefined) {
        pruned.push({ sha256: entry.artifact_sha256, seq });
        continue;
      }
      problems.push({
        kind: 'missing_artifact',
        seq: entry.seq,
        sha256: entry.artifact_sha256,
        message: `artifact ${entry.artifact_sha256} of entry ${entry.seq} is missing`,
      });
    }
  }
  return result();
}

/**
 * Checks the signed manifest against what the bundle holds: both ends, the head hash, the entry count and
 * the artifact list. Returns the artifacts the export found corrupted in storage (each reported once).
 */
function checkManifest(
  b: BundleShape,
  entries: LedgerEntry[],
  artifacts: { sha256: string }[],
  publicKeyPem: string,
  problems: Problem[],
): Set<string> {
  const manifest = b.manifest;
  if (!manifest || !manifestSignatureValid(manifest, b.manifest_signature, publicKeyPem)) {
    problems.push({
      kind: 'bad_manifest_signature',
      message:
        'the manifest is missing, unsigned or does not match its signature: the ends and artifact list of the export cannot be checked',
    });
    return new Set();
  }
  const mismatch = (message: string, seq?: number) =>
    problems.push({ kind: 'manifest_mismatch', message, ...(seq === undefined ? {} : { seq }) });
  const first = entries[0]?.seq ?? null;
  const last = entries.at(-1)?.seq ?? null;
  const tenant = entries[0]?.tenant_id;
  if (tenant !== undefined && manifest.tenant_id !== tenant)
    mismatch(`the signed manifest is for tenant ${manifest.tenant_id}, the entries for ${tenant}`);
  let endsAgree = true;
  if (manifest.last_seq !== null && (last === null || manifest.last_seq > last)) {
    endsAgree = false;
    const after = last ?? (manifest.first_seq ?? 1) - 1;
    problems.push({
      kind: 'cut_end',
      seq: after + 1,
      message: `entries after ${after} were cut: the signed manifest ends at entry ${manifest.last_seq}`,
    });
  } else if (last !== null && (manifest.last_seq === null || manifest.last_seq < last)) {
    endsAgree = false;
    mismatch(
      `the signed manifest ends at entry ${String(manifest.last_seq)} but the bundle runs to ${last}: it belongs to another export`,
    );
  }
  if (manifest.first_seq !== null && first !== null && manifest.first_seq < first) {
    endsAgree = false;
    problems.push({
      kind: 'cut_end',
      seq: first - 1,
      message: `entries before ${first} were cut: the signed manifest starts at entry ${manifest.first_seq}`,
    });
  } else if (first !== null && (manifest.first_seq === null || manifest.first_seq > first)) {
    endsAgree = false;
    mismatch(
      `the signed manifest starts at entry ${String(manifest.first_seq)} but the bundle at ${first}: it belongs to another export`,
    );
  }
  if (endsAgree && last !== null && manifest.head_hash !== entries.at(-1)!.entry_hash)
    mismatch(
      `the signed manifest names head ${String(manifest.head_hash)}, not the hash of entry ${last}`,
      last,
    );
  if (endsAgree && manifest.entries !== entries.length)
    mismatch(`the signed manifest counts ${manifest.entries} entries, the bundle holds ${entries.length}`);
  const listed = new Set(manifest.artifacts);
  const included = new Set(artifacts.map((a) => a.sha256));
  for (const sha256 of listed)
    if (!included.has(sha256))
      problems.push({
        kind: 'missing_artifact',
        sha256,
        message: `artifact ${sha256}, listed in the signed manifest, was removed from the bundle`,
      });
  for (const sha256 of included)
    if (!listed.has(sha256)) mismatch(`artifact ${sha256} is not listed in the signed manifest`);
  const corrupted = new Set<string>();
  for (const { sha256, reason } of manifest.missing_artifacts ?? []) {
    if (reason !== 'corrupted') continue;
    corrupted.add(sha256);
    problems.push({
      kind: 'corrupted_artifact',
      sha256,
      message: `artifact ${sha256} was corrupted in storage at export: its stored bytes no longer hash to its name (expected hash ${sha256})`,
    });
  }
  return corrupted;
}
