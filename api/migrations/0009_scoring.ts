/**
 * Scoring in the API (issue 4):
 * - scoring_policies: each tenant's scoring policy (schemas/scoring-policy.schema.json: roll-up mode and
 *   threshold, weights, evidence freshness, per framework), append-only: a change is a new row, the newest
 *   row is in force, and older rows say what was in force when an old score was computed.
 * - manual_evidence: evidence people attach to a UCF control or a framework requirement (the bytes are in
 *   the evidence store under their sha256, like scan evidence), with its verdict, who attested it and when
 *   it was collected. Append-only.
 * - tenant_frameworks: catalogs a tenant admin uploads (with their UCF mappings), versioned by revision.
 * - framework_scores records what each snapshot was computed with (the framework's policy, the manual
 *   evidence that counted, when), so an auditor can recompute it.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const lockDown = (table: string) => [
  `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
];

const statements = [
  `CREATE TABLE scoring_policies (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    policy jsonb NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX scoring_policies_tenant ON scoring_policies (tenant_id, created_at DESC, id)`,
  ...lockDown('scoring_policies'),
  `GRANT SELECT, INSERT ON scoring_policies TO ${APP_ROLE}`,
  `CREATE TABLE manual_evidence (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    control_id text CHECK (length(control_id) BETWEEN 1 AND 200),
    framework_id text CHECK (length(framework_id) BETWEEN 1 AND 200),
    framework_version text CHECK (length(framework_version) BETWEEN 1 AND 100),
    requirement_id text CHECK (length(requirement_id) BETWEEN 1 AND 200),
    verdict text NOT NULL CHECK (verdict IN ('pass', 'fail')),
    sha256 text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('file', 'note')),
    filename text,
    description text,
    attested_by uuid NOT NULL REFERENCES users (id),
    collected_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, sha256) REFERENCES evidence (tenant_id, sha256),
    CHECK ((control_id IS NULL) <> (requirement_id IS NULL)),
    CHECK ((requirement_id IS NULL) = (framework_id IS NULL AND framework_version IS NULL))
  )`,
  `CREATE INDEX manual_evidence_tenant ON manual_evidence (tenant_id, created_at DESC, id)`,
  ...lockDown('manual_evidence'),
  `GRANT SELECT, INSERT ON manual_evidence TO ${APP_ROLE}`,
  `CREATE TABLE tenant_frameworks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    framework_id text NOT NULL CHECK (length(framework_id) BETWEEN 1 AND 200),
    framework_version text NOT NULL CHECK (length(framework_version) BETWEEN 1 AND 100),
    revision integer NOT NULL CHECK (revision >= 1),
    catalog jsonb NOT NULL,
    mappings jsonb NOT NULL,
    source_format text NOT NULL CHECK (source_format IN ('yaml', 'json', 'oscal')),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, framework_id, framework_version, revision)
  )`,
  ...lockDown('tenant_frameworks'),
  `GRANT SELECT, INSERT ON tenant_frameworks TO ${APP_ROLE}`,
  `ALTER TABLE framework_scores ADD COLUMN needs_evidence integer NOT NULL DEFAULT 0`,
  `ALTER TABLE framework_scores ADD COLUMN weighted boolean NOT NULL DEFAULT false`,
  `ALTER TABLE framework_scores ADD COLUMN policy jsonb`,
  `ALTER TABLE framework_scores ADD COLUMN policy_sha256 text CHECK (policy_sha256 ~ '^[0-9a-f]{64}$')`,
  `ALTER TABLE framework_scores ADD COLUMN manual_evidence jsonb`,
  `ALTER TABLE framework_scores ADD COLUMN scored_at timestamptz NOT NULL DEFAULT now()`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const column of [
    'needs_evidence',
    'weighted',
    'policy',
    'policy_sha256',
    'manual_evidence',
    'scored_at',
  ]) {
    await knex.raw(`ALTER TABLE framework_scores DROP COLUMN IF EXISTS ${column}`);
  }
  for (const table of ['tenant_frameworks', 'manual_evidence', 'scoring_policies']) {
    await knex.raw(`DROP TABLE IF EXISTS ${table}`);
  }
}
