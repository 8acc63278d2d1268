// The Compare Runs panel's data, without vscode: the comparison (core) as the webview's payload,
// and both sides of one key read back from the two runs' partials.jsonl.
import { join } from 'node:path';
import { stateText, type Comparison } from '../../core/compare';
import { PartialsReader } from '../../core/results/reader';
import { rowIsDone, RUN_FILES, type ResultRow } from '../../core/runFolder';
import type { CompareData, SideDetail } from '../../shared/compare';

export function compareData(c: Comparison): CompareData {
  return {
    base: { label: c.base.label, run_id: c.base.run_id },
    new: { label: c.new.label, run_id: c.new.run_id },
    headline: '',
    judge_changed: c.judge_changed,
    judge_notes: c.judge_notes,
    threshold: c.options.threshold,
    groups: [...c.groups, c.totals],
    changes: c.changes.map((x) => ({ kind: x.kind, key: x.key, base: stateText(x.base), new: stateText(x.new), d: x.delta_overall })),
  };
}

function detail(r: ResultRow | undefined): SideDetail | null {
  if (!r) return null;
  const state = !rowIsDone(r) ? 'error' : r.judge_status === 'error' ? 'judge_error' : r.judge_status === 'ok' ? 'ok' : 'unscored';
  const verdict = state === 'error' ? 'generation error' : state === 'judge_error' ? 'judge error' : state === 'unscored' ? 'not scored' : r.attack_success === null ? 'scored' : r.attack_success ? 'attack succeeded' : 'safe';
  return {
    state,
    verdict,
    attack: state === 'ok' ? r.attack_success : null,
    overall: state === 'ok' ? r.overall : null,
    safety: state === 'ok' ? r.safety_score : null,
    answer: r.raw_candidate,
    judge: r.judge_json ? JSON.stringify(r.judge_json, null, 2) : r.judge_raw,
    judge_model: r.judge_model,
    error: r.error ?? r.judge_error ?? null,
  };
}

/** Two run folders compared (in the run worker), with lazy readers for the case detail. */
export class CompareSession {
  private readonly keys: Set<string>;
  private readers: Promise<[PartialsReader, PartialsReader]> | undefined;

  constructor(readonly baseDir: string, readonly newDir: string, readonly data: CompareData) {
    this.keys = new Set(data.changes.map((x) => x.key));
  }

  /** Both rows of a listed key (null: that side has none); undefined for a key not listed. */
  async detail(key: string): Promise<{ base: SideDetail | null; new: SideDetail | null } | undefined> {
    if (!this.keys.has(key)) return undefined;
    this.readers ??= (async () => {
      const rs: [PartialsReader, PartialsReader] = [new PartialsReader(join(this.baseDir, RUN_FILES.partials)), new PartialsReader(join(this.newDir, RUN_FILES.partials))];
      for (const r of rs) await r.readAppended(() => undefined);
      return rs;
    })();
    const [b, n] = await this.readers;
    return { base: detail(await b.getRow(key)), new: detail(await n.getRow(key)) };
  }
}
