/** The JSON schema of one ledger entry, as the ledger routes and the audit routes answer it. */
export const ledgerEntrySchema = {
  type: 'object',
  required: ['seq', 'kind', 'occurred_at', 'actor', 'payload', 'artifact_sha256', 'prev_hash', 'entry_hash'],
  properties: {
    tenant_id: { type: 'string' },
    seq: { type: 'integer' },
    kind: { type: 'string' },
    occurred_at: { type: 'string', format: 'date-time' },
    actor: { type: ['string', 'null'] },
    payload: { type: 'object', additionalProperties: true },
    artifact_sha256: { type: ['string', 'null'] },
    prev_hash: { type: 'string' },
    entry_hash: { type: 'string' },
  },
} as const;

/** The query of a page of ledger entries, newest first: `limit` and `before_seq`. */
export const ledgerPageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    before_seq: { type: 'integer', minimum: 1 },
  },
} as const;

/** A page of ledger entries, newest first, and the `before_seq` of the next page (null at the end). */
export const ledgerPageSchema = {
  type: 'object',
  required: ['items', 'next_before_seq'],
  properties: {
    items: { type: 'array', items: ledgerEntrySchema },
    next_before_seq: { type: ['integer', 'null'] },
  },
} as const;
