/** `awb compare`: two runs (or two models / personas of one run) key by key, with paired tests. */
export { loadRunSide, splitBy, CompareDataError, type RunSide, type CompareRow, type ByDimension } from './load';
export { compareSides, type Comparison } from './compare';
export { mcnemarExact } from './stats';
export { parseGate, evaluateGate, GateSyntaxError, GATE_HELP } from './gate';
export { formatTerminal, formatMarkdown, formatJson, headline, mdText, stateText, MARKDOWN_LIMIT } from './format';
