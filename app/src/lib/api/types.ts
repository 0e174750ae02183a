/**
 * Shapes the app reads from the ComplyWise API, named for the screens.
 *
 * Every shape is an alias of app/src/lib/api/openapi.d.ts, which scripts/gen-api-types.ts generates from the
 * OpenAPI document the API serves: a route schema change that breaks a screen fails `npm run check -w app`.
 * Type-only imports are erased at build time.
 */
import type { components, operations } from './openapi';

/** The JSON body of an operation's answer with `status` (200 unless given). */
export type ResponseBody<Operation extends keyof operations, Status extends number = 200> =
  operations[Operation]['responses'] extends Record<Status, { content: { 'application/json': infer Body } }>
    ? Body
    : never;

/** The body of every API error response. */
export type ApiErrorBody = components['schemas']['ErrorBody'];

/** The signed-in user, their tenant and role, as login and refresh return them. */
export type Session = ResponseBody<'login'>;

/** A connected account (AWS, Azure, GitHub, Okta). */
export type Integration = ResponseBody<'listIntegrations'>['items'][number];

/** A scan as `GET /api/scans/:id` returns it. */
export type Scan = ResponseBody<'getScan'>;

/** Lifecycle of a scan job. */
export type ScanStatus = Scan['status'];

/** Live progress of a scan, as the scanner reports it. */
export type ScanProgress = Scan['progress'];

/** An error a scanner hit (a call refused, a resource it could not read). */
export type ScanError = Scan['errors'][number];

/** Why a scan failed as a whole. */
export type ScanFailure = NonNullable<Scan['failure']>;

/** `GET /api/scores`: framework scores of the latest succeeded scan; scan_id is null before the first one. */
export type ScoresResponse = ResponseBody<'getLatestScores'>;

/** One framework's score after one scan. */
export type FrameworkScore = ScoresResponse['items'][number];

/** A control result as the API lists it, with the UCF control's title and objective. */
export type ControlSummary = ResponseBody<'listScanControls'>['items'][number];

/** Result status of a control or a finding. */
export type Status = ControlSummary['status'];

/** Per-status counts of the findings behind a control. */
export type StatusCounts = ControlSummary['counts'];

/** `GET /api/scans/:id/controls/:controlId`. */
export type ControlDetail = ResponseBody<'getScanControl'>;

/** How a UCF control maps to a framework requirement (NIST IR 8477 relationship). */
export type ControlMapping = ControlDetail['mappings'][number];

/** A finding with its row id, resource name and rule title. */
export type Finding = ControlDetail['findings'][number];

/** Finding severity. */
export type Severity = Finding['severity'];

/** `GET /api/evidence/:sha256`: one stored evidence artifact. */
export type Evidence = ResponseBody<'getEvidence'>;

/** `GET /api/frameworks`. */
export type FrameworksResponse = ResponseBody<'listFrameworks'>;

/** One framework catalog as `GET /api/frameworks` lists it, with `requirements` as a count. */
export type FrameworkInfo = FrameworksResponse['items'][number];

/** `GET /api/frameworks/coverage` and `GET /api/frameworks/coverage/:frameworkId`. */
export type CoverageResponse = ResponseBody<'listFrameworkCoverage'>;

/** One framework's coverage. */
export type FrameworkCoverage = CoverageResponse['frameworks'][number];

/** How far automated rules cover a requirement (engine/coverage.ts). */
export type CoverageLevel = FrameworkCoverage['requirements'][number]['coverage'];

/** A page of score snapshots, newest scan first; `next_cursor` is null on the last page. */
export type ScoreHistoryPage = ResponseBody<'getScoreHistory'>;

/** One framework's score after one succeeded scan (`GET /api/scores/history`). */
export type ScoreSnapshot = ScoreHistoryPage['items'][number];

/** The posture recorded at one past scoring event, each requirement as it was then (`GET /api/scores/events/:id`). */
export type ScoringEventSnapshot = ResponseBody<'getScoringEvent'>;

/** A member of the tenant and their role (`GET /api/members`). */
export type Member = ResponseBody<'listMembers'>['items'][number];

/** A role in a tenant. */
export type Role = Member['role'];

/** A pending invitation (`GET /api/invitations`); its token only travels by e-mail. */
export type Invitation = ResponseBody<'listInvitations'>['items'][number];

/** What accepting an invitation did (`POST /api/invitations/accept`). */
export type InvitationAcceptance = ResponseBody<'acceptInvitation'>;

/** `GET /api/auth/signup`: whether this server lets a new organisation sign up. */
export type SignupStatus = ResponseBody<'getSignupStatus'>;

/** `POST /api/auth/signup/complete`: the tenant created and its first admin. */
export type SignupCompletion = ResponseBody<'completeSignup', 201>;

/** One message of the demo mailbox (`GET /api/demo/outbox`), newest first. */
export type OutboxItem = ResponseBody<'listDemoOutbox'>['items'][number];

/** `GET /api/scores/controls/:controlId`: one control over the tenant's posture. */
export type PostureControl = ResponseBody<'getPostureControl'>;

/** A finding in the posture, with its integration and exception. */
export type PostureFinding = PostureControl['findings'][number];

/** `GET /api/scores/frameworks/:frameworkId/requirements/:requirementId`. */
export type PostureRequirement = ResponseBody<'getPostureRequirement'>;

/** `GET /api/findings/:findingId`. */
export type FindingDetail = ResponseBody<'getFinding'>;

/** `GET /api/resources/:resourceId`. */
export type ResourceDetail = ResponseBody<'getResource'>;

/** `GET /api/rules/:ruleId`: a deployed rule's metadata. */
export type RuleInfo = ResponseBody<'getRule'>;

/** One version of a rule (`GET /api/rules/:ruleId/versions`). */
export type RuleVersion = ResponseBody<'listRuleVersions'>['items'][number];

/** `GET /api/findings`: one page of the findings explorer. */
export type ExplorerPage = ResponseBody<'listFindings'>;

/** A finding as the explorer lists it: with its integration, account, region and whether it is new. */
export type ExplorerFinding = ExplorerPage['items'][number];

/** `GET /api/scans`: one page of scans, newest first. */
export type ScanPage = ResponseBody<'listScans'>;

/** One part of a split scan as `GET /api/scans/:id/parts` lists it: who collected it, with what result. */
export type ScanPart = ResponseBody<'listScanParts'>['items'][number];

/** `GET /api/scans/:id/resources`: one page of the resources a scan collected, with their total. */
export type ScanResourcePage = ResponseBody<'listScanResources'>;

/** A resource a scan collected: its part, evidence snapshot, place and findings in the scan. */
export type ScanResource = ScanResourcePage['items'][number];

/** An audit as `GET /api/audits` lists it. */
export type Audit = ResponseBody<'listAudits'>['items'][number];

/** `GET /api/audits/:id`: an audit with its auditors. */
export type AuditDetail = ResponseBody<'getAudit'>;

/** An auditor listed on an audit. */
export type Auditor = AuditDetail['auditors'][number];

/** A succeeded scan of an audit's period with its scores (`GET /api/audits/:id/results`). */
export type AuditResult = ResponseBody<'listAuditResults'>['items'][number];

/** A piece of evidence recorded in an audit's period (`GET /api/audits/:id/evidence`). */
export type AuditEvidence = ResponseBody<'listAuditEvidence'>['items'][number];

/** `GET /api/audits/:id/ledger`: a page of the period's ledger entries with the period's counts. */
export type AuditLedgerPage = ResponseBody<'listAuditLedgerEntries'>;

/** One ledger entry of an audit's period. */
export type AuditLedgerEntry = AuditLedgerPage['items'][number];

/** `GET /api/audits/:id/frameworks/:frameworkId/requirements/:requirementId/evidence`. */
export type AuditRequirementEvidence = ResponseBody<'getAuditRequirementEvidence'>;

/** A rule version in force during an audit's period (`GET /api/audits/:id/rule-versions`). */
export type AuditRuleVersion = ResponseBody<'listAuditRuleVersions'>['items'][number];

/** One page of the findings a rule version produced in an audit's period. */
export type RuleVersionFindingsPage = ResponseBody<'listAuditRuleVersionFindings'>;

/** `GET /api/audits/:id/exceptions`: the exceptions register of the period. */
export type ExceptionsRegister = ResponseBody<'listAuditExceptions'>;

/** One override or exception of the register. */
export type RegisterEntry = ExceptionsRegister['items'][number];

/** An auditor's mark on a requirement's evidence. */
export type AuditMark = ResponseBody<'listAuditMarks'>['items'][number];

/** `GET /api/rules/:ruleId/versions/:hash`: one version with its source files. */
export type RuleVersionDetail = ResponseBody<'getRuleVersion'>;

/** `GET /api/rules/:ruleId/versions/:hash/diff/:other`. */
export type RuleVersionDiff = ResponseBody<'diffRuleVersions'>;

/** A seeded sample drawn in an audit (`POST /api/audits/:id/samples`). */
export type AuditSample = ResponseBody<'drawAuditSample', 201>;

/** Manual evidence or an attestation attached to a control or a requirement. */
export type ManualEvidence = ResponseBody<'listManualEvidence'>['items'][number];
