import { displayPath, type ResolvedRunConfig } from './config';

/** `s` as one POSIX shell word: as is when it is plain, else single-quoted. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that continues a run (its inputs are read back from run.json). */
export function resumeCommand(cfg: Pick<ResolvedRunConfig, 'runId' | 'outDir' | 'cwd'> & { shard?: ResolvedRunConfig['shard'] }): string {
  const out = displayPath(cfg.cwd, cfg.outDir);
  return `awb run --run-id ${shellQuote(cfg.runId)}${cfg.shard ? ` --shard ${cfg.shard.index}/${cfg.shard.count}` : ''}${out === 'results' ? '' : ` --out ${shellQuote(out)}`}`;
}
