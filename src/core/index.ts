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
export { validateText, validateFile, knownPersonaSlugs } from './validate/validate';
export { JsonlDocumentValidator } from './validate/jsonl';
export { parseYaml } from './validate/yamlDoc';
export * from './runFolder/row';
export * from './language/assist';
export * from './language/fieldDocs';
export * from './language/rosterEdit';
export * from './schemas/jsonSchemas';
export * from './schemas/grid';
export * from './grid';
// --- the benchmark engine (runner, providers, judge, run folder, exporters) ---
export { type Logger, type LogLevel, redact } from './log';
export { resolveRunConfig, displayPath, ConfigError, type RunInput, type ResolvedRunConfig } from './run/config';
export { runBenchmark, callsOf } from './run/runner';
export { describeEndpoints } from './run/dryRun';
export { resumeCommand, shellQuote } from './run/resumeCommand';
export { fmtDuration, formatProgress, type RunProgress, type RunSummary } from './run/progress';
export { describeOutcome, attackSuccessText, type OutcomeInput } from './run/outcome';
export { readRunJson, readRunJsonIfAny, RUN_FILES } from './runFolder';
export { scoreRun, resolveScoreJudge, type ScoreOptions, type ScoreSummary } from './run/score';
export { rebuildReport, chooseRows, chosenRows } from './export/report';
export { type MeasuredCell } from './export/summary';
export { DataError, loadModelsFile, loadPersonas, loadBenchFile } from './data/load';
export { type ResolvedModel } from './providers/models';
export {
    endpointOrigin, canonicalEndpoint,   approvalsFile, readApprovedEndpoints,
  approveEndpoint, revokeEndpoint, approvedOrigins, checkEndpoint, endpointIsFileNamed,  EndpointPolicyError,
     
} from './providers/endpoints';
// --- the dataset registry (its HTTP server is in ./registry/server, imported on its own: it pulls Fastify) ---
// --- the results view's data layer (browser-safe parts: ./results/query, ./results/aggregate, ./results/types) ---
