/**
 * The run folder's owner: its file names, `run.json` (type, reader, writer, status), the result
 * row, `partials.jsonl` (reader and writer) and the lock. Code elsewhere names a run file only
 * through RUN_FILES and reads `run.json` only through readRunJson.
 */
export { RUN_FILES } from './names';
export {
  finishedStatus, readRunJson, readRunJsonIfAny, writeRunJson, writeRunJsonInPlace, 
  type RunJson, type RunStatus, type RunCounts, type ShardRecord, type MergeRecord, type MergeShard, type MergeSource,
} from './runJson';
export { acquireRunLock, isLocked, RunLockedError } from './lock';
export * from './partials';
export * from './row';
export { StateDb } from './state';
