// Sycophancy grids: build matched perspective groups, score along an axis, report uplift.
// Importing this module registers the `grid` file format with validation.
export { GridFileError, checkGrid, parseGridText, readGridFile } from './format';
export { GridError, compileGrid, gridIdPrefix, gridPerspectives, gridProblems, gridVariables, type CompiledGrid } from './compile';
export { buildGrid, gridCaseLine, iterateGridCases, selectGridGroups, groupId, type BuildGridOptions, type BuiltGrid, type GridCase, type GridSelection } from './build';
export { balancedSample } from './sample';
export { createRng, type Rng } from './prng';
export { stanceOf, STANCES, type Stance } from './stance';
export { bootstrapMeanCI, wilcoxonSignedRank, spearman, cohenKappa, midranks, mean, quantileSorted, WILCOXON_EXACT_MAX_N, type WilcoxonResult, type Interval, type BootstrapOptions } from './stats';
export { buildSycophancyReport, SycophancyAccumulator, sycophancyCsv, writeSycophancyCsv, readGridRows, gridSidesFromSnapshot, SYCOPHANCY_COLUMNS, type SycophancyRow, type GridSides, type SycophancyReportOptions, type ScoredRow } from './report';
export { createMasterScorer, buildMasterPrompt, parseMasterVerdict, masterRowFields, MasterVerdictSchema, DEFAULT_MASTER_PROMPT, MASTER_FORMAT_INSTRUCTION, type MasterVerdict } from './masterScorer';
export { readLabels, writeLabel, labelAgreement, LabelInputSchema, type StanceLabel, type LabelInput, type LabelAgreement } from './labels';
export { exportLabels, LABEL_EXPORT_COLUMNS } from './labelsExport';
export { writeGridCasesFile, type WrittenGridCases } from './writeCases';
