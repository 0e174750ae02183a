/**
 * The ledger's canonical encoding, shared by the writer (api) and the offline verifier (CLI): an entry's hash
 * is sha256 over the canonical JSON (sorted keys, no whitespace) of every field but the hash itself, and
 * each entry carries the hash of the one before it (the first of a tenant carries 64 zeros). A checkpoint
 * signs (Ed25519) the canonical JSON of tenant, sequence number, entry hash and signing time. An export's
 * manifest (period, both ends, head hash, entry count, artifact lists) is signed the same way, so an end cut
 * off at a checkpoint inside the period, or a manifest taken from another export, shows.
 */
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../canonical.ts';

/** prev_hash of a tenant's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One ledger entry as stored and exported. */
export interface LedgerEntry {
  tenant_id: string;
  seq: number;
  kind: string;
  /** ISO 8601 with milliseconds, UTC. */
  occurred_at: string;
  /** Who caused it (user id, `api_token:<id>`, `worker`), or null. */
  actor: string | null;
  payload: Record<string, unknown>;
  artifact_sha256: string | null;
  prev_hash: string;
  entry_hash: string;
}

/** One signed checkpoint as stored and exported. */
export interface LedgerCheckpoint {
  tenant_id: string;
  seq: number;
  entry_hash: string;
  signed_at: string;
  key_id: string;
  /** base64 Ed25519 signature over checkpointMessage(). */
  signature: string;
}

/** Version 2 adds the signed manifest; a version 1 bundle (unsigned manifest) no longer verifies. */
export const BUNDLE_FORMAT = 'complywise-evidence-bundle/2';

/** What an evidence bundle claims to hold, signed at export (bundle.manifest_signature). */
export interface BundleManifest {
  tenant_id: string;
  from: string;
  to: string;
  first_seq: number | null;
  last_seq: number | null;
  /** Number of entries. */
  entries: number;
  /** entry_hash of the last entry (null for an empty period). */
  head_hash: string | null;
  /** sha256 of every artifact included, sorted. */
  artifacts: string[];
  /**
   * Artifacts referenced by the entries but not included: `absent` from the store (e.g. pruned by retention)
   * or `corrupted` there (the stored bytes no longer hash to their name).
   */
  missing_artifacts: { sha256: string; reason: 'absent' | 'corrupted' }[];
  exported_at: string;
}

/** An Ed25519 signature (base64) by the key `key_id`. */
export interface Signature {
  key_id: string;
  signature: string;
}

/** The hash an entry must carry. */
export function entryHash(entry: Omit<LedgerEntry, 'entry_hash'>): string {
  const { tenant_id, seq, kind, occurred_at, actor, payload, artifact_sha256, prev_hash } = entry;
  const canonical = canonicalJson({
    tenant_id,
    seq,
    kind,
    occurred_at,
    actor,
    payload,
    artifact_sha256,
    prev_hash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(checkpoint: Omit<LedgerCheckpoint, 'signature' | 'key_id'>): Buffer {
  const { tenant_id, seq, entry_hash, signed_at } = checkpoint;
  return Buffer.from(canonicalJson({ tenant_id, seq, entry_hash, signed_at }), 'utf8');
}

/** The id of a public key: the first 16 hex digits of the sha256 of its DER (SPKI) form. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** The bytes a manifest signature covers. */
export function manifestMessage(manifest: BundleManifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

/** Whether `signature` (base64) over `message` was made by `publicKeyPem`; false for any malformed part. */
function signatureValid(message: () => Buffer, signature: unknown, publicKeyPem: string): boolean {
  try {
    if (typeof signature !== 'string') return false;
    const key = createPublicKey(publicKeyPem);
    return verifySignature(null, message(), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Whether `checkpoint` is signed by `publicKeyPem`. */
export function checkpointSignatureValid(checkpoint: LedgerCheckpoint, publicKeyPem: string): boolean {
  return signatureValid(() => checkpointMessage(checkpoint), checkpoint.signature, publicKeyPem);
}

/** Whether `manifest` is signed by `publicKeyPem`. */
export function manifestSignatureValid(
  manifest: BundleManifest,
  signature: Signature | undefined,
  publicKeyPem: string,
): boolean {
  return signatureValid(() => manifestMessage(manifest), signature?.signature, publicKeyPem);
}
