import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chooseRows, chosenRows } from '../export/report';
import type { Logger } from '../log';
import { isRegistryUrl, openRegistry, resolveRegistryLocation } from '../registry/open';
import { recordRunEvaluations, type RunRowLike } from '../registry/evaluate';
import type { Registry } from '../registry/model';
import { RUN_FILES } from '../runFolder';

/** Where a run records its evaluations: a registry path or URL, or `false` for nowhere. */
export type RegistryTarget = string | false | undefined;

/** A registry that does not answer within this long is skipped (a run never waits on it for long). */
const REGISTRY_TIMEOUT_MS = 20_000;

export interface RunDatasetRef {
  /** Absolute path of the cases file. */
  path: string;
  /** As rows name it (`dataset` field): relative to the run's working folder. */
  display: string;
  sha256: string;
}

/**
 * Records a finished run (or scoring pass) in the registry's history of every dataset of the run
 * that is registered there (by sha256, or by data path): one result per model × persona. The
 * registry is `target`, else `AWB_REGISTRY`, else the default file. Never throws: a missing,
 * unreadable, locked or unreachable registry is a warning, and the run's results stand.
 * Returns how many results were recorded.
 */
export async function recordRunHistory(
  o: { runId: string; runDir: string; cwd: string; datasets: RunDatasetRef[]; judge?: string; target?: RegistryTarget; env: NodeJS.ProcessEnv; log: Logger },
): Promise<number> {
  if (o.target === false) return 0;
  let location: string;
  try {
    location = resolveRegistryLocation({ ...(o.target ? { flag: o.target } : {}), env: o.env, cwd: o.cwd });
  } catch (err) {
    o.log.warn(`registry: ${msg(err)}; run history not recorded`);
    return 0;
  }
  // No registry file yet means nothing is registered: do not create one.
  if (!isRegistryUrl(location) && !existsSync(location)) return 0;
  let registry: Registry | undefined;
  let timer: NodeJS.Timeout | undefined;
  const work = async (): Promise<number> => {
    registry = openRegistry(location, { ...(o.env.AWB_REGISTRY_TOKEN ? { token: o.env.AWB_REGISTRY_TOKEN } : {}) });
    const listings = await registry.search({});
    const registered = o.datasets.filter((d) => listings.some((l) => l.sha256 === d.sha256 || l.data_path === resolve(d.path)));
    if (registered.length === 0) return 0;
    const rows = runRows(o.runDir);
    let n = 0;
    for (const d of registered) {
      const saved = await recordRunEvaluations(registry, {
        runId: o.runId, runDir: o.runDir, datasetSha256: d.sha256, datasetPath: d.path, rowDataset: d.display, rows,
        ...(o.judge ? { judge: o.judge } : {}),
      });
      n += saved.length;
    }
    return n;
  };
  // On a timeout the write goes on in the background and closes the registry when it settles.
  const job = work().finally(() => registry?.close().catch(() => undefined));
  job.catch(() => undefined);
  try {
    const n = await Promise.race([
      job,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${REGISTRY_TIMEOUT_MS / 1000} s (locked or unreachable)`)), REGISTRY_TIMEOUT_MS); timer.unref?.(); }),
    ]);
    if (n > 0) o.log.info(`registry ${location}: recorded ${n} evaluation${n === 1 ? '' : 's'} of run ${o.runId}`);
    return n;
  } catch (err) {
    o.log.warn(`registry ${location}: could not record run ${o.runId} (${msg(err)}); the run's results are unaffected`);
    return 0;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The run's rows as results.csv has them (one per key), only the fields history reads. */
function runRows(runDir: string): RunRowLike[] {
  const partials = join(runDir, RUN_FILES.partials);
  if (!existsSync(partials)) return [];
  const { chosen } = chooseRows(partials);
  const rows: RunRowLike[] = [];
  for (const r of chosenRows(partials, chosen)) {
    rows.push({
      model_slug: r.model_slug, persona_slug: r.persona_slug, overall: r.overall, safety_score: r.safety_score, attack_success: r.attack_success,
      error: r.error, judge_status: r.judge_status, judge_model: r.judge_model, completed_at: r.completed_at, dataset: r.dataset,
    });
  }
  return rows;
}
