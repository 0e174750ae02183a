/**
 * The ledger service: appends entries to a tenant's hash chain inside the caller's transaction (so an entry
 * exists exactly when the change it records is committed), signs checkpoints, and exports an evidence
 * bundle for a period. Appends for one tenant are serialised by a transaction-scoped advisory lock, so
 * concurrent writers never fork the chain.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fp from 'fastify-plugin';
import { EvidenceCorruptedError, type EvidenceStore } from '../plugins/app/evidence.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import {
  BUNDLE_FORMAT,
  GENESIS_HASH,
  checkpointMessage,
  entryHash,
  keyIdOf,
  manifestMessage,
  type BundleManifest,
  type LedgerCheckpoint,
  type LedgerEntry,
  type Signature,
} from './chain.ts';
import {
  checkpointAt,
  checkpointsBetween,
  checkpointsOn,
  entriesBetween,
  entriesNaming,
  entriesOfKind,
  entryCountBetween,
  entryCountsBetween,
  entryHead,
  entryPage,
  entryPageBetween,
  type EntryFilter,
  insertCheckpoint,
  insertEntries,
  lockChain,
  SYSTEM_ACTOR,
} from './store.ts';

/** What a caller appends; the service adds sequence, time and hashes. */
export interface LedgerEvent {
  kind: string;
  actor?: string | null;
  payload?: Record<string, unknown>;
  artifact_sha256?: string | null;
}

/** The signing key pair of checkpoints. */
export interface LedgerSigner {
  keyId: string;
  publicKeyPem: string;
  sign(message: Buffer): string;
}

/** Signer over an Ed25519 private key (PKCS#8 PEM). */
export function ledgerSigner(privateKeyPem: string): LedgerSigner {
  const privateKey: KeyObject = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the ledger signing key must be Ed25519');
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (message) => sign(null, message, privateKey).toString('base64'),
  };
}

/**
 * The signing key from COMPLYWISE_LEDGER_SIGNING_KEY (PKCS#8 PEM) or `${dataDir}/ledger-signing.pem`,
 * generated (mode 0600) on first use. Several API instances must share one key: set the variable.
 */
export function loadLedgerSigner(options: { ledgerSigningKey?: string; dataDir: string }): LedgerSigner {
  if (options.ledgerSigningKey) return ledgerSigner(options.ledgerSigningKey);
  const file = join(options.dataDir, 'ledger-signing.pem');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      writeFileSync(file, pem, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return ledgerSigner(readFileSync(file, 'utf8'));
}

/** An evidence bundle: everything an auditor needs to check a period offline. */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  manifest: BundleManifest;
  /** The manifest signed with the ledger key: the bundle's ends and contents as exported. */
  manifest_signature: Signature;
  public_key: { key_id: string; pem: string };
  entries: LedgerEntry[];
  checkpoints: LedgerCheckpoint[];
  artifacts: { sha256: string; content_base64: string }[];
  /**
   * Present when artifacts of the period were deleted by retention: the `retention.applied` entries (from
   * any time) that list them, and the checkpoints signed on exactly those entries when the run wrote them.
   */
  pruned?: { entries: LedgerEntry[]; checkpoints: LedgerCheckpoint[] };
}

/** A page of a period's entries with the period's counts (see LedgerService.periodPage). */
export interface PeriodPage {
  items: LedgerEntry[];
  next_before_seq: number | null;
  /** Entries of the whole period the filter leaves (all of them without a filter). */
  total: number;
  kinds: { kind: string; count: number }[];
  /** Entries with no actor (the system's own work) are counted under SYSTEM_ACTOR. */
  actors: { actor: string; count: number }[];
}

/** Appends, checkpoints and exports. */
export class LedgerService {
  readonly #withTenant: WithTenant;
  readonly #signer: LedgerSigner;
  readonly #store: EvidenceStore;
  constructor(withTenant: WithTenant, signer: LedgerSigner, store: EvidenceStore) {
    this.#withTenant = withTenant;
    this.#signer = signer;
    this.#store = store;
  }

  get signer(): LedgerSigner {
    return this.#signer;
  }

  /** Appends `events` in order to the chain of `tenantId`, inside `trx` (which must be scoped to it). */
  async append(trx: Trx, tenantId: string, events: LedgerEvent[]): Promise<LedgerEntry[]> {
    if (events.length === 0) return [];
    await lockChain(trx, tenantId);
    const last = await entryHead(trx, tenantId);
    let seq = last?.seq ?? 0;
    let prev = last?.entry_hash ?? GENESIS_HASH;
    // Milliseconds only: the value must survive the database round trip unchanged for the hash to hold.
    const occurredAt = new Date(Math.floor(Date.now()));
    const entries: LedgerEntry[] = events.map((event) => {
      seq += 1;
      const partial = {
        tenant_id: tenantId,
        seq,
        kind: event.kind,
        occurred_at: occurredAt.toISOString(),
        actor: event.actor ?? null,
        payload: event.payload ?? {},
        artifact_sha256: event.artifact_sha256 ?? null,
        prev_hash: prev,
      };
      const entry = { ...partial, entry_hash: entryHash(partial) };
      prev = entry.entry_hash;
      return entry;
    });
    await insertEntries(trx, entries);
    return entries;
  }

  /** Appends in a transaction of its own (events that change nothing else, e.g. a refused request). */
  record(tenantId: string, events: LedgerEvent[]): Promise<LedgerEntry[]> {
    return this.#withTenant(tenantId, (trx) => this.append(trx, tenantId, events));
  }

  /** Signs a checkpoint over entry `seq` (default: the newest) unless one exists; null for an empty chain. */
  async checkpoint(trx: Trx, tenantId: string, seq?: number): Promise<LedgerCheckpoint | null> {
    const entry = await entryHead(trx, tenantId, seq);
    if (!entry) return null;
    const existing = await checkpointAt(trx, tenantId, entry.seq);
    if (existing) return existing;
    const unsigned = {
      tenant_id: tenantId,
      seq: entry.seq,
      entry_hash: entry.entry_hash,
      signed_at: new Date().toISOString(),
    };
    const checkpoint: LedgerCheckpoint = {
      ...unsigned,
      key_id: this.#signer.keyId,
      signature: this.#signer.sign(checkpointMessage(unsigned)),
    };
    await insertCheckpoint(trx, checkpoint);
    return checkpoint;
  }

  /** One page of a tenant's entries (the audit log), newest first. */
  entries(tenantId: string, limit: number, beforeSeq?: number): Promise<LedgerEntry[]> {
    return this.#withTenant(tenantId, (trx) => entryPage(trx, tenantId, limit, beforeSeq));
  }

  /**
   * One page of the entries of a period (an audit's), newest first, narrowed by kind and/or actor: with how
   * many entries the filter leaves in the whole period, and the period's kinds and actors with their counts
   * (unfiltered, so a filter can be changed without losing the other choices). One transaction: the counts
   * and the page see the same entries.
   */
  periodPage(
    tenantId: string,
    window: { from: Date; to: Date },
    options: { limit: number; before_seq?: number } & EntryFilter,
  ): Promise<PeriodPage> {
    const { limit, before_seq, ...filter } = options;
    return this.#withTenant(tenantId, async (trx) => {
      const items = await entryPageBetween(trx, tenantId, window, limit + 1, before_seq, filter);
      const page = items.slice(0, limit);
      const kinds = await entryCountsBetween(trx, tenantId, window, 'kind');
      const actors = await entryCountsBetween(trx, tenantId, window, 'actor');
      return {
        items: page,
        next_before_seq: items.length > limit ? page.at(-1)!.seq : null,
        total: await entryCountBetween(trx, tenantId, window, filter),
        kinds: kinds.map(({ value, count }) => ({ kind: value ?? '', count })),
        actors: actors.map(({ value, count }) => ({ actor: value ?? SYSTEM_ACTOR, count })),
      };
    });
  }

  /** The entries of `kinds` whose payload names one of `values` under one of `keys`, oldest first. */
  entriesNaming(
    tenantId: string,
    kinds: readonly string[],
    keys: readonly string[],
    values: readonly string[],
  ): Promise<LedgerEntry[]> {
    return this.#withTenant(tenantId, (trx) => entriesNaming(trx, tenantId, kinds, keys, values));
  }

  /**
   * The bundle of entries that occurred in [from, to], their artifacts, signed checkpoints on the first and
   * the last entry (signed now if missing), and a manifest signed now that names both ends, the head hash and
   * the artifacts, so neither end can be cut off unnoticed, even at a checkpoint inside the period.
   */
  async exportBundle(tenantId: string, from: Date, to: Date): Promise<EvidenceBundle> {
    const { entries, checkpoints } = await this.#withTenant(tenantId, async (trx) => {
      const rows = await entriesBetween(trx, tenantId, from, to);
      if (rows.length > 0) {
        await this.checkpoint(trx, tenantId, rows[0]!.seq);
        await this.checkpoint(trx, tenantId, rows[rows.length - 1]!.seq);
      }
      const first = rows[0]?.seq ?? 0;
      const last = rows[rows.length - 1]?.seq ?? -1;
      return { entries: rows, checkpoints: await checkpointsBetween(trx, tenantId, first, last) };
    });
    const shas = [...new Set(entries.map((e) => e.artifact_sha256).filter((s): s is string => !!s))].sort();
    const artifacts: EvidenceBundle['artifacts'] = [];
    const missing: BundleManifest['missing_artifacts'] = [];
    for (const sha256 of shas) {
      const bytes = await this.#store.get(sha256).catch((error: unknown) => {
        // A damaged object must not sink the whole export: it is listed, and verify names it.
        if (error instanceof EvidenceCorruptedError) return 'corrupted' as const;
        throw error;
      });
      if (bytes === 'corrupted') missing.push({ sha256, reason: 'corrupted' });
      else if (bytes) artifacts.push({ sha256, content_base64: bytes.toString('base64') });
      else missing.push({ sha256, reason: 'absent' });
    }
    const absent = new Set(missing.filter((m) => m.reason === 'absent').map((m) => m.sha256));
    const pruned = absent.size > 0 ? await this.#prunedBy(tenantId, absent) : null;
    const manifest: BundleManifest = {
      tenant_id: tenantId,
      from: from.toISOString(),
      to: to.toISOString(),
      first_seq: entries[0]?.seq ?? null,
      last_seq: entries.at(-1)?.seq ?? null,
      entries: entries.length,
      head_hash: entries.at(-1)?.entry_hash ?? null,
      artifacts: artifacts.map((a) => a.sha256),
      missing_artifacts: missing,
      exported_at: new Date().toISOString(),
    };
    return {
      format: BUNDLE_FORMAT,
      manifest,
      manifest_signature: {
        key_id: this.#signer.keyId,
        signature: this.#signer.sign(manifestMessage(manifest)),
      },
      public_key: { key_id: this.#signer.keyId, pem: this.#signer.publicKeyPem },
      entries,
      checkpoints,
      artifacts,
      ...(pruned ? { pruned } : {}),
    };
  }

  /**
   * The retention entries that list any of `missing` as pruned, with the checkpoints on them. None is signed
   * here: only the retention run's own checkpoint makes such an entry count (api/src/retention/run.ts).
   */
  async #prunedBy(tenantId: string, missing: Set<string>): Promise<NonNullable<EvidenceBundle['pruned']>> {
    return this.#withTenant(tenantId, async (trx) => {
      const rows = await entriesOfKind(trx, tenantId, 'retention.applied');
      const listing = rows.filter((row) => {
        const list = (row.payload as { pruned_evidence?: unknown }).pruned_evidence;
        return Array.isArray(list) && list.some((sha) => missing.has(sha as string));
      });
      const seqs = listing.map((row) => row.seq);
      return { entries: listing, checkpoints: await checkpointsOn(trx, tenantId, seqs) };
    });
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    ledger: LedgerService;
  }
}

/** Decorates `app.ledger`. */
export const ledgerPlugin = fp<{ signer: LedgerSigner }>(
  async (app, { signer }) => {
    app.decorate('ledger', new LedgerService(app.withTenant, signer, app.evidenceStore));
  },
  { name: 'ledger', dependencies: ['tenancy', 'evidence'] },
);
