/**
 * The ledger's canonical encoding, shared by the writer (api) and the offline verifier (CLI): an entry's hash
 * is sha256 over the canonical JSON (sorted keys, no whitespace) of every field but the hash itself, and
 * each entry carries the hash of the one before it (the first of a tenant carries 64 zeros). A checkpoint
 * signs (Ed25519) the canonical JSON of tenant, sequence number, entry hash and signing time.
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

/** Whether `checkpoint` is signed by `publicKeyPem`. */
export function checkpointSignatureValid(checkpoint: LedgerCheckpoint, publicKeyPem: string): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    return verifySignature(
      null,
      checkpointMessage(checkpoint),
      key,
      Buffer.from(checkpoint.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
