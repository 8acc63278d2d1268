// Sycophancy grids: build matched perspective groups, score along an axis, report uplift.
// Importing this module registers the `grid` file format with validation.
export { GridFileError, parseGridText, readGridFile } from './format';
export { GridError, compileGrid } from './compile';
export { buildGrid, gridCaseLine, iterateGridCases, selectGridGroups, type GridCase } from './build';
export { balancedSample } from './sample';
export { createRng } from './prng';
export { stanceOf } from './stance';
export { bootstrapMeanCI, wilcoxonSignedRank, spearman, cohenKappa, midranks, quantileSorted } from './stats';
export { buildSycophancyReport, writeSycophancyCsv, readGridRows, SYCOPHANCY_COLUMNS, type SycophancyRow } from './report';
export { createMasterScorer } from './masterScorer';
export { readLabels, writeLabel, labelAgreement, type StanceLabel } from './labels';
export { exportLabels } from './labelsExport';
export { writeGridCasesFile } from './writeCases';
