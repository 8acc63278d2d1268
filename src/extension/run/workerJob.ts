import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { DataError, type Diagnostic, type Logger, type ResolvedModel, type RunProgress } from '../../core';
import type { FromWorker, ToWorker, WorkerError, WorkerJob } from './workerProtocol';

/** An error the job threw in the worker, with the name, message and stack it had there. */
export class WorkerJobError extends Error {
  readonly known: boolean;
  readonly diagnostics?: Diagnostic[];
  constructor(e: WorkerError) {
    super(e.message);
    this.name = e.name;
    this.known = e.known;
    if (e.diagnostics) this.diagnostics = e.diagnostics;
    if (e.stack) this.stack = e.stack;
  }
}

export interface WorkerJobHooks {
  log: Logger;
  keyResolver: (model: ResolvedModel) => Promise<string | undefined>;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
}

/** The worker bundle, beside the extension bundle in dist/. */
const RUN_WORKER_FILE = join(__dirname, 'runWorker.js');

/**
 * Runs a job in a worker thread and resolves with its result. The host answers key requests
 * (SecretStorage stays on this side), forwards cancellation and relays log lines and progress.
 */
export function runInWorker<T>(job: WorkerJob, hooks: WorkerJobHooks, workerFile = RUN_WORKER_FILE): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(workerFile, { workerData: job });
    const send = (m: ToWorker) => worker.postMessage(m);
    let settled = false;
    const onAbort = () => send({ type: 'abort' });
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'log': hooks.log[m.level](m.message); break;
        case 'progress': hooks.onProgress?.(m.progress); break;
        case 'key':
          hooks.keyResolver(m.model).then(
            (key) => send({ type: 'key', id: m.id, key }),
            (err: unknown) => { hooks.log.warn(`reading the key of ${m.model.slug} failed: ${String(err)}`); send({ type: 'key', id: m.id, key: undefined }); },
          );
          break;
        case 'done': settle(() => resolve(m.result as T)); break;
        case 'error': settle(() => reject(m.error.diagnostics ? Object.assign(new DataError(m.error.diagnostics), { stack: m.error.stack }) : new WorkerJobError(m.error))); break;
      }
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the run worker stopped unexpectedly (exit code ${code}); what was done is kept, Resume Run continues it`))));
  });
}
