/** `awb compare`: two runs (or two models / personas of one run) key by key, with paired tests. */
export { loadRunSide, splitBy, toCompareRow, caseHash, readCaseHashes, judgeFromRunJson, CompareDataError, type RunSide, type CompareRow, type RowState, type JudgeInfo, type ByDimension } from './load';
export { compareSides, type Comparison, type CompareOptions, type GroupStats, type KeyChange, type ChangeKind, type PairedStat, type SideCounts, type SideValue } from './compare';
export { mcnemarExact, type McNemarResult } from './stats';
export { parseGate, evaluateGate, fmtP, GateSyntaxError, GATE_HELP, type GateCondition } from './gate';
export { formatTerminal, formatMarkdown, formatJson, headline, mdText, stateText, MARKDOWN_LIMIT } from './format';
