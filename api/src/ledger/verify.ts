/**
 * Offline verification of an evidence bundle: recomputes every entry hash, follows the chain, checks every
 * checkpoint signature and that signed checkpoints pin both ends, and re-hashes every artifact. Each problem
 * names what is wrong and where (entry sequence number or artifact hash), so an auditor can say which.
 */
import { createHash } from 'node:crypto';
import {
  checkpointSignatureValid,
  entryHash,
  keyIdOf,
  type LedgerCheckpoint,
  type LedgerEntry,
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
  | 'edited_artifact'
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
  if (
    b.format !== 'complywise-evidence-bundle/1' ||
    !Array.isArray(b.entries) ||
    typeof b.public_key?.pem !== 'string'
  ) {
    problems.push({
      kind: 'malformed',
      message: 'not a ComplyWise evidence bundle (format, entries or public_key missing)',
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
