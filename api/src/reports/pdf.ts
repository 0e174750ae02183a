/**
 * The framework readiness report as a PDF (pdfkit, built-in Helvetica: no font files to ship). Pure layout:
 * every number comes in `ReadinessData`, which the service builds from the same functions the score and
 * control routes answer with. Page 1 holds the cover and the summary figures, so a reader (or a test that
 * renders that page) sees the score and status counts at once.
 */
import PDFDocument from 'pdfkit';
import type { FrameworkScoringPolicy, FrameworkScore } from '../../../schemas/index.ts';
import type { DescribedControl } from './csv.ts';

/** Manual evidence attached to a requirement or one of its controls. */
export interface ManualEvidenceRef {
  sha256: string;
  verdict: 'pass' | 'fail';
  collected_at: Date;
  /** The control it was attached to, or null when attached to the requirement itself. */
  control_id: string | null;
  /** When it was attached (an audit's report flags evidence attached after the period it was collected in). */
  attached_at: Date;
}

/** An exception that set aside failing findings of the scan, with how many. */
export interface ExceptionInForce {
  id: string;
  rule_id: string;
  reason: string;
  approver: string;
  expires_at: string;
  findings: number;
}

/** One point of the framework's posture score over time (a scoring event). */
export interface ScorePoint {
  at: Date;
  /** The score as a fraction, or null when nothing passed or failed. */
  score: number | null;
}

/** Everything the readiness report shows. */
export interface ReadinessData {
  tenant: string;
  generated_at: Date;
  /** The report row this file belongs to; null when it is made for an audit package. */
  report_id: string | null;
  /** The audit period the report is made for (an audit package), printed on the cover. */
  audit?: { id: string; name: string; period_start: Date; period_end: Date } | null;
  scan: { id: string; finished_at: Date | null; bundle_revision: string | null };
  score: FrameworkScore;
  controls: ReadonlyMap<string, DescribedControl>;
  /** Per rule, the distinct resource snapshots its findings cite. */
  snapshotsByRule: ReadonlyMap<string, number>;
  /** Per requirement id, the manual evidence that names it or its controls. */
  manualEvidence: ReadonlyMap<string, ManualEvidenceRef[]>;
  exceptions: ExceptionInForce[];
  policy: FrameworkScoringPolicy;
  /** The tenant's posture score of this framework version over time, oldest first (GET /api/scores/history). */
  history: ScorePoint[];
}

/** The score as the report prints it: a percentage with one decimal, or "no score". */
export function scoreText(score: number | null): string {
  return score === null ? 'no score (nothing passed or failed)' : `${(score * 100).toFixed(1)}%`;
}

/** Requirements per status, as the summary prints them. */
export function statusCounts(
  score: FrameworkScore,
): Record<'pass' | 'fail' | 'error' | 'not_applicable', number> {
  const counts = { pass: 0, fail: 0, error: 0, not_applicable: 0 };
  for (const r of score.requirements) counts[r.status] += 1;
  return counts;
}

const STATUS_LABEL: Record<string, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  not_applicable: 'NOT APPLICABLE',
};

/** The methodology in our words: what the scoring policy in force does for this framework. */
export function methodology(policy: FrameworkScoringPolicy): string[] {
  const rollup = policy.requirements ?? { mode: 'all_pass' as const };
  const rule =
    rollup.mode === 'threshold'
      ? `A requirement passes when at least ${Math.round(rollup.pass_threshold * 100)}% of the contributions of its controls pass; otherwise it fails if any failed, else it is in error, else it waits for evidence.`
      : 'A requirement passes only when every control that contributes to it passes: one failing control fails it, a control whose rules could not decide puts it in error, and a requirement nothing applies to is not applicable.';
  const days = policy.evidence_freshness_days ?? 365;
  const pending =
    policy.needs_evidence_counts_as === 'failed'
      ? 'A requirement still waiting for such evidence counts as failed.'
      : 'A requirement still waiting for such evidence is left out of the score and listed as needing evidence.';
  const weights = Object.keys(policy.weights ?? {}).length;
  return [
    'Each finding comes from one rule version of the deployed bundle evaluated against a resource snapshot. The findings of the rules linked to a UCF control decide that control; findings set aside by an approved exception are kept and shown, but do not count. Controls reach framework requirements through the UCF mappings.',
    `${rule} Controls that people assess contribute the verdict of their latest manual evidence if it was collected within the last ${days} days. ${pending}`,
    `The score is the passed requirements divided by the passed and failed ones (a requirement in error counts as failed; not applicable ones are left out)${weights > 0 ? `, with ${weights} requirement weight${weights === 1 ? '' : 's'} set by the tenant's policy` : ', every requirement weighing the same'}. These are the numbers the API and the dashboard show for the same scan.`,
  ];
}

/** Renders the report; resolves with the PDF bytes. `onPage` is told each requirement rendered (progress). */
export function renderReadinessPdf(
  data: ReadinessData,
  onRequirement: (done: number, total: number) => void = () => {},
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Readiness report: ${data.score.title} ${data.score.framework_version}`,
      Author: 'ComplyWise',
      CreationDate: data.generated_at,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  cover(doc, data);
  requirements(doc, data, onRequirement);
  exceptions(doc, data);
  doc.addPage().font('Helvetica-Bold').fontSize(16).text('Methodology').moveDown(0.5);
  doc.font('Helvetica').fontSize(10);
  for (const paragraph of methodology(data.policy)) doc.text(paragraph).moveDown(0.5);
  doc.end();
  return done;
}

function line(doc: PDFKit.PDFDocument, label: string, value: string): void {
  doc.font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
}

/**
 * `text` as a paragraph `indent` points in from the left margin, its wrapped lines `hang` points further in.
 * Lines break at spaces only: left to pdfkit, a line also breaks after any hyphen, cutting rule and control
 * ids (CW-AWS-<break>S3-001) in two. A single word wider than the line is still broken by pdfkit.
 */
function paragraph(doc: PDFKit.PDFDocument, text: string, indent = 0, hang = 0): void {
  const left = doc.page.margins.left;
  const full = doc.page.width - left - doc.page.margins.right;
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    const width = full - indent - (lines.length > 0 ? hang : 0);
    if (current !== '' && doc.widthOfString(candidate) > width) {
      lines.push(current);
      current = word;
    } else current = candidate;
  }
  lines.push(current);
  lines.forEach((text, index) => {
    const x = left + indent + (index > 0 ? hang : 0);
    doc.text(text, x, doc.y, { width: full - (x - left) });
  });
  doc.x = left;
}

/** Page 1: who, what, when, which bundle, and the summary figures. */
function cover(doc: PDFKit.PDFDocument, data: ReadinessData): void {
  const { score } = data;
  doc.font('Helvetica-Bold').fontSize(22).text('Framework readiness report').moveDown(0.3);
  doc.fontSize(16).text(`${score.title} (${score.framework_id} ${score.framework_version})`).moveDown(1);
  doc.fontSize(11);
  line(doc, 'Tenant', data.tenant);
  line(doc, 'Generated at', data.generated_at.toISOString());
  line(doc, 'Scan', `${data.scan.id}, finished ${data.scan.finished_at?.toISOString() ?? 'unknown'}`);
  line(doc, 'Bundle revision', data.scan.bundle_revision ?? 'unknown');
  if (data.report_id) line(doc, 'Report', data.report_id);
  if (data.audit) {
    line(doc, 'Audit', `${data.audit.name} (${data.audit.id})`);
    line(doc, 'Period', `${data.audit.period_start.toISOString()} to ${data.audit.period_end.toISOString()}`);
  }
  doc.moveDown(1);
  doc.font('Helvetica-Bold').fontSize(16).text('Summary').moveDown(0.3);
  doc.fontSize(11);
  line(doc, 'Score', scoreText(score.score));
  line(doc, 'Passed requirements', String(score.passed));
  line(doc, 'Failed requirements', String(score.failed));
  line(doc, 'Not applicable requirements', String(score.not_applicable));
  line(doc, 'Requirements needing evidence', String(score.needs_evidence ?? 0));
  line(doc, 'Requirements', String(score.requirements.length));
  const counts = statusCounts(score);
  doc.moveDown(0.5).font('Helvetica-Bold').text('Requirements by status').font('Helvetica');
  for (const status of ['pass', 'fail', 'error', 'not_applicable'] as const)
    doc.text(`${STATUS_LABEL[status]}: ${counts[status]}`);
  line(doc, 'Exceptions in force', String(data.exceptions.length));
  scoreHistory(doc, data.history);
}

/** What the history chart shows, in words: how many points over which dates, the lowest, highest and latest. */
export function historySummary(history: readonly ScorePoint[]): Record<string, string> {
  const scored = history.filter((p) => p.score !== null).map((p) => p.score!);
  if (history.length === 0) return { 'History points': '0' };
  const percent = (value: number | undefined) => (value === undefined ? 'none' : scoreText(value));
  return {
    'History points': `${history.length} from ${history[0]!.at.toISOString()} to ${history.at(-1)!.at.toISOString()}`,
    Lowest: percent(scored.length > 0 ? Math.min(...scored) : undefined),
    Highest: percent(scored.length > 0 ? Math.max(...scored) : undefined),
    Latest: percent(history.at(-1)!.score ?? undefined),
  };
}

/**
 * The posture score over time: the summary in words, then a line chart (time across, 0-100% up, one dot per
 * point; a point with no score breaks the line). Drawn as vectors, so it prints sharp at any size.
 */
function scoreHistory(doc: PDFKit.PDFDocument, history: readonly ScorePoint[]): void {
  doc.moveDown(1).font('Helvetica-Bold').fontSize(16).text('Score history').moveDown(0.3);
  doc.fontSize(11);
  for (const [label, value] of Object.entries(historySummary(history))) line(doc, label, value);
  if (history.length === 0) {
    doc.font('Helvetica').text('No scoring event yet for this framework version.');
    return;
  }
  const axis = 34;
  const left = doc.page.margins.left + axis;
  const width = doc.page.width - doc.page.margins.right - left;
  const height = 120;
  const top = doc.y + 10;
  if (top + height + 20 > doc.page.height - doc.page.margins.bottom) return;
  doc.font('Helvetica').fontSize(8).lineWidth(0.5).strokeColor('#999999').fillColor('#555555');
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + height * (1 - tick);
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .stroke();
    doc.text(`${tick * 100}%`, doc.page.margins.left, y - 3, { width: axis - 6, align: 'right' });
  }
  const first = history[0]!.at.getTime();
  const span = Math.max(history.at(-1)!.at.getTime() - first, 1);
  const xOf = (p: ScorePoint) =>
    history.length === 1 ? left + width / 2 : left + ((p.at.getTime() - first) / span) * width;
  const yOf = (score: number) => top + height * (1 - score);
  doc.lineWidth(1.5).strokeColor('#1f5fa8').fillColor('#1f5fa8');
  let drawing = false;
  for (const point of history) {
    if (point.score === null) {
      drawing = false;
      continue;
    }
    if (drawing) doc.lineTo(xOf(point), yOf(point.score));
    else doc.moveTo(xOf(point), yOf(point.score));
    drawing = true;
  }
  doc.stroke();
  for (const point of history) if (point.score !== null) doc.circle(xOf(point), yOf(point.score), 2).fill();
  doc.fillColor('#555555').fontSize(8);
  // Dates alone when the points span days; with the time (UTC) when they fall within a day or two.
  const stamp = (at: Date) =>
    at
      .toISOString()
      .slice(0, span < 2 * 86_400_000 ? 16 : 10)
      .replace('T', ' ');
  doc.text(stamp(history[0]!.at), left, top + height + 4, { lineBreak: false });
  doc.text(stamp(history.at(-1)!.at), left, top + height + 4, { width, align: 'right' });
  doc.fillColor('black').strokeColor('black').lineWidth(1);
  doc.x = doc.page.margins.left;
  doc.y = top + height + 20;
}

/** Every requirement: status, mapped controls with their rules and evidence, manual evidence. */
function requirements(
  doc: PDFKit.PDFDocument,
  data: ReadinessData,
  onRequirement: (done: number, total: number) => void,
): void {
  doc.addPage().font('Helvetica-Bold').fontSize(16).text('Requirements').moveDown(0.5);
  const total = data.score.requirements.length;
  data.score.requirements.forEach((requirement, index) => {
    doc.font('Helvetica-Bold').fontSize(11);
    // A requirement left out of the score only because people have not yet given evidence says so, rather
    // than reading as one nothing applies to.
    const label =
      requirement.status === 'not_applicable' && requirement.needs_evidence
        ? 'NEEDS EVIDENCE'
        : STATUS_LABEL[requirement.status];
    doc.text(`${requirement.requirement_id}  ${label}`, { continued: false });
    doc.font('Helvetica').fontSize(10);
    paragraph(doc, requirement.title);
    doc.fontSize(9);
    if (requirement.control_ids.length === 0) doc.text('No control is mapped to this requirement.');
    for (const controlId of requirement.control_ids) {
      const control = data.controls.get(controlId);
      const rules = control?.rule_ids ?? [];
      const snapshots = rules.reduce((sum, rule) => sum + (data.snapshotsByRule.get(rule) ?? 0), 0);
      const counts = control?.counts;
      const findings = counts
        ? `; findings ${counts.pass} pass, ${counts.fail} fail, ${counts.not_applicable} not applicable, ${counts.error} error`
        : '';
      const tested =
        rules.length > 0
          ? `rules ${rules.join(', ')}; ${snapshots} resource snapshot${snapshots === 1 ? '' : 's'} cited${findings}`
          : 'assessed by people';
      paragraph(
        doc,
        `- ${controlId} ${control?.title ?? ''}: ${STATUS_LABEL[control?.status ?? 'not_applicable']}; ${tested}`,
        10,
        8,
      );
    }
    if (requirement.needs_evidence)
      paragraph(doc, `Needs evidence on: ${(requirement.evidence_needed ?? []).join(', ')}`, 10, 8);
    for (const ref of data.manualEvidence.get(requirement.requirement_id) ?? [])
      paragraph(doc, manualEvidenceLine(ref, data.audit), 10, 8);
    doc.moveDown(0.5);
    onRequirement(index + 1, total);
  });
}

/**
 * A manual evidence line of a requirement. Evidence belongs to the period it describes: in an audit's report,
 * a piece collected by the period's end but attached after it counts, and says when it was attached.
 */
export function manualEvidenceLine(ref: ManualEvidenceRef, audit?: { period_end: Date } | null): string {
  const late =
    audit && ref.collected_at <= audit.period_end && ref.attached_at > audit.period_end
      ? `, attached after the period on ${ref.attached_at.toISOString()}`
      : '';
  return `Manual evidence ${ref.sha256} (${ref.verdict}, collected ${ref.collected_at.toISOString()}${ref.control_id ? `, on ${ref.control_id}` : ''}${late})`;
}

/** The exceptions that set aside failing findings of the scan. */
function exceptions(doc: PDFKit.PDFDocument, data: ReadinessData): void {
  doc.addPage().font('Helvetica-Bold').fontSize(16).text('Exceptions in force').moveDown(0.5);
  doc.font('Helvetica').fontSize(10);
  if (data.exceptions.length === 0) {
    doc.text('No exception set aside a finding of this scan.');
    return;
  }
  for (const exception of data.exceptions) {
    doc.font('Helvetica-Bold').text(`${exception.id} on ${exception.rule_id}`).font('Helvetica');
    paragraph(doc, `Reason: ${exception.reason}`, 10, 8);
    paragraph(doc, `Approved by: ${exception.approver}`, 10, 8);
    paragraph(doc, `Expires: ${new Date(exception.expires_at).toISOString()}`, 10, 8);
    paragraph(doc, `Findings set aside: ${exception.findings}`, 10, 8);
    doc.moveDown(0.3);
  }
}
