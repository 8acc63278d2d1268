// The core's public API. The extension and the CLI import from here; nothing here imports vscode.
export * from './diagnostics';
export * from './schemas/cases';
export * from './schemas/card';
export * from './schemas/personas';
export * from './schemas/models';
export * from './schemas/bench';
export * from './schemas/judge';
export { BUILTIN_PERSONAS } from './personas/builtin';
export { detectKind, FILE_KIND_GLOBS, type FileKind } from './validate/kinds';
export { validateText, validateFile, registerFormat, countCases, knownPersonaSlugs, benchRosterFile, unknownModelMessage, STRUCTURED_FORMATS } from './validate/validate';
export { validateCasesJsonlFile, JsonlDocumentValidator } from './validate/jsonl';
export { parseYaml, nodeAtPath, offsetSpan, placeYamlProblem, MAX_YAML_BYTES, MAX_YAML_ALIASES } from './validate/yamlDoc';
export { findPlaceholders, renderTemplate } from './validate/placeholders';
export { readLines } from './validate/lineReader';
export { fileProblem, ioMessage, isIoError } from './validate/fileCheck';
export * from "./runFolder/row";
export * from './language/assist';
export * from './language/fieldDocs';
export * from './language/rosterEdit';
export * from './schemas/jsonSchemas';
export * from './schemas/grid';
export * from './grid';
// --- the benchmark engine (runner, providers, judge, run folder, exporters) ---
export { type Logger, type LogLevel, noopLogger, teeLogger, redactingLogger, redact } from './log';
export { resolveRunConfig, newRunId, storedInput, displayPath, ConfigError, type RunInput, type ResolvedRunConfig, type ResolvedPersona } from './run/config';
export { runBenchmark, callsOf, type RunOptions } from './run/runner';
export { resumeCommand, describeEndpoints } from './run/dryRun';
export { fmtDuration, formatProgress, type RunProgress, type RunSummary, type ModelStats } from './run/progress';
export { describeOutcome, attackSuccessText, type OutcomeInput, type RunOutcome } from './run/outcome';
export { readRunJson, readRunJsonIfAny, isLocked, finishedStatus, RUN_FILES, RunLockedError, RunJsonError, type RunJson, type RunStatus, type RunCounts } from './runFolder';
export { ResumeMismatchError, diffFingerprints, type Fingerprint } from './run/fingerprint';
export { PartialsCorruptError, scanPartials, rowIsDone } from './runFolder';
export { StateDb } from './runFolder';
export { loadSqlJs, locateSqlWasm } from './storage/sqljs';
export { scoreRun, resolveScoreJudge, type ScoreOptions, type ScoreSummary } from './run/score';
export { buildReport, rebuildReport, chooseRows, chosenRows, type ReportResult } from './export/report';
export { escapeFormula } from './export/csv';
export { SUMMARY_COLUMNS, type MeasuredCell } from './export/summary';
export { DataError, loadCases, loadModelsFile, loadPersonas, loadBenchFile } from './data/load';
export { type ResolvedModel, type KeySource, type ModelSource, defaultProviderModel, modelFromEntry, isLoopback } from './providers/models';
export {
  isLoopbackHost, isLoopbackUrl, endpointOrigin, canonicalEndpoint, keyEnvOrigins, keyEnvAllowed, approvalsFile, readApprovedEndpoints,
  approveEndpoint, revokeEndpoint, approvedOrigins, checkEndpoint, endpointIsFileNamed, policyMessage, EndpointPolicyError,
  type EndpointPolicy, type EndpointProblem, type ApprovedEndpoint, type KeyOrigin,
} from './providers/endpoints';
export { authorizeKeys, type AuthorizedKeys, type AuthorizeOptions } from './providers/keys';
export { ProviderPool, type PoolOptions } from './providers/pool';
export { ProviderError, type ChatMessage, type ChatResult } from './providers/client';
export { TokenBucket, ModelGate, retryAfterMs, type Clock } from './providers/limits';
export { type Scorer, parseVerdict, reaskMessage } from './judge/scorer';
export { safetyJudge, DEFAULT_JUDGE_PROMPT, JUDGE_FORMAT_INSTRUCTION, renderJudgePrompt, renderConversation } from './judge/safetyJudge';
export { judgeRow, MAX_JUDGE_REASKS } from './judge/judge';
// --- the dataset registry (its HTTP server is in ./registry/server, imported on its own: it pulls Fastify) ---
export {
  openRegistry, resolveRegistryLocation, defaultRegistryPath, recordRunEvaluations, LocalRegistry, RemoteRegistry,
  NotFoundError as RegistryNotFoundError, type Registry, type Listing, type EvaluationResult, type RecordRunOptions, type RunRowLike,
} from './registry';
// --- the results view's data layer (browser-safe parts: ./results/query, ./results/aggregate, ./results/types) ---
export { PartialsReader } from './results/reader';
export { readReviews, saveReview, reviewsCsv, REVIEWS_CSV_COLUMNS } from './results/reviews';
export { aggregateByModelPersona, judgeHumanAgreement, cohensKappa, humanAttackSuccess } from '../shared/results/aggregate';
export { RowTable, type RowFilter, type SortSpec } from '../shared/results/query';
export type { Review, ViewRow, Aggregate, Agreement } from '../shared/results/types';
