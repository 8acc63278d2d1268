// The run worker: runs one benchmark or scoring pass off the extension host's thread, so
// sockets opening, JSON parsing, sql.js checkpoints and GC never stall the editor. It imports
// only the core (no vscode); keys come from the host on request, never from workspace files.
import { isExpectedError } from '../../core/errors';
import { parentPort, workerData } from 'node:worker_threads';
import {
  DataError, runBenchmark, scoreRun,
  type Logger, type ResolvedModel, type RunProgress } from '../../core';
import { compareSides, headline, loadRunSide } from '../../core/compare';
import { compareData } from '../compare/compareData';
import type { FromWorker, ToWorker, WorkerError, WorkerJob } from './workerProtocol';

function main(port: NonNullable<typeof parentPort>, job: WorkerJob): void {
  const post = (m: FromWorker) => port.postMessage(m);
  if (job.kind === 'compare') {
    try {
      const c = compareSides(loadRunSide(job.baseDir, job.labels[0]), loadRunSide(job.newDir, job.labels[1]));
      post({ type: 'done', result: { ...compareData(c), headline: headline(c) } });
    } catch (err) {
      post({ type: 'error', error: toWorkerError(err) });
    }
    return;
  }
  const controller = new AbortController();
  const pendingKeys = new Map<number, (key: string | undefined) => void>();
  let nextKeyId = 0;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'abort') controller.abort();
    else if (m.type === 'key') { pendingKeys.get(m.id)?.(m.key); pendingKeys.delete(m.id); }
  });
  const log: Logger = {
    trace: (message) => post({ type: 'log', level: 'trace', message }),
    debug: (message) => post({ type: 'log', level: 'debug', message }),
    info: (message) => post({ type: 'log', level: 'info', message }),
    warn: (message) => post({ type: 'log', level: 'warn', message }),
    error: (message) => post({ type: 'log', level: 'error', message }),
  };
  const keyResolver = (model: ResolvedModel) => new Promise<string | undefined>((resolve) => {
    const id = nextKeyId++;
    pendingKeys.set(id, resolve);
    post({ type: 'key', id, model });
  });
  const common = { signal: controller.signal, log, keyResolver, env: job.env, registry: job.registry, onProgress: (progress: RunProgress) => post({ type: 'progress', progress }) };
  const work = job.kind === 'run' ? runBenchmark(job.cfg, { ...common, ...(job.allowEndpoints ? { allowEndpoints: job.allowEndpoints } : {}) }) : scoreRun(job.runDir, { ...job.options, ...common });
  // The host terminates the worker once it has the outcome (idle keep-alive sockets would keep it up).
  work.then(
    (result) => post({ type: 'done', result }),
    (err: unknown) => post({ type: 'error', error: toWorkerError(err) }),
  );
}

function toWorkerError(err: unknown): WorkerError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), known: false };
  const known = isExpectedError(err);
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(err instanceof DataError ? { diagnostics: err.diagnostics } : {}), known };
}

if (parentPort) main(parentPort, workerData as WorkerJob);
