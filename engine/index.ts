/**
 * The engine's public surface: evaluate inventories with the compiled rule bundle, map findings to UCF
 * controls, score frameworks. Nothing here knows HTTP or SQL.
 */
export { loadPolicyEngine, type EngineOptions, type EvaluateContext, type PolicyEngine } from './evaluate.ts';
export { loadParallelPolicyEngine, type ParallelPolicyEngine } from './parallel.ts';
export { loadFrameworks, type Frameworks } from './frameworks.ts';
export { evaluateControls, restrictToRules } from './map.ts';
export {
  mergeControlResults,
  REQUIREMENT_STATES,
  requirementState,
  scoreBasis,
  sourceAges,
  stateCounts,
  type IntegrationResult,
  type RequirementState,
  type SourceAge,
} from './posture.ts';
export {
  controlsByRequirement,
  evidenceFreshnessDays,
  frameworkPolicy,
  scoreFrameworks,
  testedControls,
  type ManualEvidence,
} from './score.ts';
export { COVERAGE_LEVELS, frameworkCoverage, type FrameworkCoverage } from './coverage.ts';
export { checkFrameworkUpload, type FrameworkUpload } from './framework-upload.ts';
export { assessmentResultsToOscal } from './oscal-export.ts';
export type { Catalog, CatalogPack, CatalogRule, CatalogType } from './catalog.ts';
export {
  EngineError,
  ERROR_CODES,
  SourceError,
  formatProblem,
  type ErrorCode,
  type SourceProblem,
} from './errors.ts';
export { parameterValidators, type RuleParams } from './params.ts';
export {
  applyOverrides,
  assertValidOverrides,
  effectiveOverrides,
  overrideParams,
  overrideProblems,
  overridesHash,
  type AppliedOverrides,
  type ExceptionSelector,
  type ExceptedFinding,
  type OverrideProblem,
  type ResourceException,
  type RuleOverride,
  type Severity,
  type TenantOverrides,
} from './overrides.ts';
export { bundleGitCommit, deployedRuleVersions, type RuleVersionRecord } from './rule-versions.ts';
