import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EndpointPolicyError, scoreRun } from '../../core';
import { UsageError, UserError, type Command } from '../usage';
import { allowedEndpointFlags, printRefusal } from '../endpointGate';
import { printMeasured, rejudgeCommand } from '../measured';
import { ProgressPrinter } from '../progressPrinter';

const SCORE_HELP = `Usage: awb score RUN_DIR --judge-model M [options]

Judges the answers of a run made with --score later (or re-judges), then rebuilds results.csv,
results.parquet and summary.csv exactly as a run scored as it went. A grid run is scored by its
grid's master scorer (-1..+1 along the grid's axis) and gets sycophancy.csv.

  --judge-model M       judge model (models.yaml entry of the run, or a default-provider name;
                        default gpt-5-mini; for a grid run the grid's scorer model, else the run's judge)
  --rescore MODE        pending (default: rows not scored yet), errors (also judge errors), all
  --concurrency N       judge requests in flight (default: the run's)
  --rate-limit-rps R    judge requests per second
  --timeout-s S         timeout of one call
  --max-retries N       retries on 408/409/429/5xx/connection errors
  --models-file FILE    roster to find the judge in (default: the run's)
  --no-registry         do not update the dataset registry's history with the scores
  --allow-endpoint URL  send the judge's key to URL's origin although a file names it; repeatable
  --allow-key-env NAME  let api_key_env read NAME although it does not end in _API_KEY

The judge's endpoint is checked as "awb run" checks it (the run's models file is a file too):
exit 2 when it is refused before any request, 1 on judge errors, 130 when cancelled.`;

export const scoreCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'judge-model': { type: 'string' }, rescore: { type: 'string' }, concurrency: { type: 'string' }, 'rate-limit-rps': { type: 'string' },
      'timeout-s': { type: 'string' }, 'max-retries': { type: 'string' }, 'models-file': { type: 'string' }, 'no-registry': { type: 'boolean' },
      'allow-endpoint': { type: 'string', multiple: true }, 'allow-key-env': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { io.out(SCORE_HELP); return 0; }
  if (positionals.length !== 1) throw new UsageError('needs exactly one RUN_DIR');
  const judgeModel = values['judge-model'];
  const rescore = values.rescore ?? 'pending';
  if (rescore !== 'pending' && rescore !== 'errors' && rescore !== 'all') throw new UsageError(`--rescore must be pending, errors or all, not "${rescore}"`);
  const runDir = resolve(io.cwd, positionals[0]!);
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) throw new UserError(`run folder not found: ${positionals[0]}`);
  const n = (name: string, v: string | undefined, int: boolean) => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0 || (int && !Number.isInteger(x))) throw new UsageError(`--${name} must be a ${int ? 'whole ' : ''}number, not "${v}"`);
    return x;
  };
  const opt = {
    concurrency: n('concurrency', values.concurrency, true), rateLimitRps: n('rate-limit-rps', values['rate-limit-rps'], false),
    timeoutS: n('timeout-s', values['timeout-s'], false), maxRetries: n('max-retries', values['max-retries'], true),
  };
  const allowEndpoints = values['allow-endpoint']?.length ? allowedEndpointFlags(values['allow-endpoint']) : undefined;
  const allowKeyEnvs = values['allow-key-env'];
  const printer = new ProgressPrinter(io, io.isTTY);
  const controller = new AbortController();
  const onSigint = () => { if (controller.signal.aborted) process.exit(130); printer.line('awb score: stopping…'); controller.abort(); };
  process.on('SIGINT', onSigint);
  try {
    const r = await scoreRun(runDir, {
      ...(judgeModel !== undefined ? { judgeModel } : {}), rescore, signal: controller.signal, onProgress: (p) => printer.update(p), log: printer.logger(), env: io.env,
      ...Object.fromEntries(Object.entries(opt).filter(([, v]) => v !== undefined)),
      ...(values['models-file'] ? { modelsFile: resolve(io.cwd, values['models-file']) } : {}),
      ...(values['no-registry'] ? { registry: false as const } : {}),
      ...(allowEndpoints ? { allowEndpoints } : {}), ...(allowKeyEnvs?.length ? { allowKeyEnvs } : {}),
    });
    printer.end();
    const c = r.counts;
    io.out(`scored ${r.scored} of ${r.attempted} rows with ${r.judgeModel} (${r.errors} judge errors); run: ${c.done}/${c.total} done, ${c.errors} generation errors, ${c.judge_errors} judge errors, ${c.judge_pending} not judged`);
    const problem = printMeasured(io, {
      counts: c, measured: r.measured, ...(r.firstJudgeError ? { firstJudgeError: r.firstJudgeError } : {}), judgeModel: r.judgeModel,
      scoreLater: false, order: r.order, rejudge: rejudgeCommand(io.cwd, runDir),
    });
    for (const a of r.artifacts) io.out(`  ${relative(io.cwd, a) || a}`);
    if (r.fatal) { io.err(`awb score: stopped early: ${r.fatal}`); return 1; }
    if (r.cancelled) return 130;
    if (problem) io.err(`awb score: ${problem}`);
    return r.errors > 0 || c.judge_errors > 0 ? 1 : 0;
  } catch (err) {
    printer.end();
    if (err instanceof EndpointPolicyError) return printRefusal(io, 'score', err);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
};
