/**
 * Tenant posture (issue 15): a tenant's score per framework over the latest succeeded scan of every
 * integration, plus manual evidence, recomputed at each scoring event.
 * - scoring_events: one row per scoring event (a scan succeeded, manual evidence was attached), saying which
 *   integration and scan changed the posture (null for evidence) and which scan of each integration it was
 *   computed from (`sources`). `seq` orders events: timestamps may come from an explicit clock.
 * - posture_scores: the tenant's score of each framework version at that event, with what it was computed
 *   with (policy, manual evidence, scored_at), like framework_scores for one scan.
 * Append-only. Scans and integrations are not foreign keys: history outlives a deleted integration.
 *
 * Existing per-scan snapshots become the first events (`migrated`, one per succeeded scan with scores), so
 * score history goes on; their scores are still those of one scan until the tenant's next scoring event.
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
  `CREATE TABLE scoring_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    seq bigint GENERATED ALWAYS AS IDENTITY,
    reason text NOT NULL CHECK (reason IN ('scan', 'manual_evidence', 'migrated')),
    integration_id uuid,
    scan_id uuid,
    sources jsonb NOT NULL,
    scored_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
  )`,
  `CREATE INDEX scoring_events_tenant_seq ON scoring_events (tenant_id, seq DESC)`,
  ...lockDown('scoring_events'),
  `GRANT SELECT, INSERT ON scoring_events TO ${APP_ROLE}`,
  `CREATE TABLE posture_scores (
    tenant_id uuid NOT NULL,
    event_id uuid NOT NULL,
    framework_id text NOT NULL,
    framework_version text NOT NULL,
    title text NOT NULL,
    score double precision CHECK (score BETWEEN 0 AND 1),
    passed integer NOT NULL,
    failed integer NOT NULL,
    not_applicable integer NOT NULL,
    needs_evidence integer NOT NULL DEFAULT 0,
    weighted boolean NOT NULL DEFAULT false,
    requirements jsonb NOT NULL,
    policy jsonb,
    policy_sha256 text CHECK (policy_sha256 ~ '^[0-9a-f]{64}$'),
    manual_evidence jsonb,
    PRIMARY KEY (tenant_id, event_id, framework_id, framework_version),
    FOREIGN KEY (tenant_id, event_id) REFERENCES scoring_events (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX posture_scores_framework ON posture_scores (tenant_id, framework_id, framework_version)`,
  ...lockDown('posture_scores'),
  `GRANT SELECT, INSERT ON posture_scores TO ${APP_ROLE}`,
  // The per-scan snapshots so far, oldest first so that seq follows time.
  `INSERT INTO scoring_events (tenant_id, id, reason, integration_id, scan_id, sources, scored_at, created_at)
   SELECT s.tenant_id, s.id, 'migrated', s.integration_id, s.id,
     jsonb_build_array(jsonb_build_object('integration_id', s.integration_id, 'scan_id', s.id,
       'finished_at', s.finished_at)),
     (SELECT max(fs.scored_at) FROM framework_scores fs WHERE fs.tenant_id = s.tenant_id AND fs.scan_id = s.id),
     s.finished_at
   FROM scans s
   WHERE s.status = 'succeeded' AND s.finished_at IS NOT NULL
     AND EXISTS (SELECT 1 FROM framework_scores fs WHERE fs.tenant_id = s.tenant_id AND fs.scan_id = s.id)
   ORDER BY s.finished_at, s.id`,
  `INSERT INTO posture_scores (tenant_id, event_id, framework_id, framework_version, title, score, passed, failed,
     not_applicable, needs_evidence, weighted, requirements, policy, policy_sha256, manual_evidence)
   SELECT fs.tenant_id, fs.scan_id, fs.framework_id, fs.framework_version, fs.title, fs.score, fs.passed,
     fs.failed, fs.not_applicable, fs.needs_evidence, fs.weighted, fs.requirements, fs.policy, fs.policy_sha256,
     fs.manual_evidence
   FROM framework_scores fs
   JOIN scoring_events e ON e.tenant_id = fs.tenant_id AND e.id = fs.scan_id AND e.reason = 'migrated'`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['posture_scores', 'scoring_events']) await knex.raw(`DROP TABLE IF EXISTS ${table}`);
}
