import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeShards } from '../../core/merge/merge';
import { UsageError, type Command } from '../usage';
import { cliGarbageCollector } from '../garbageCollector';

const MERGE_HELP = `Usage: awb merge SHARD_DIR... --out DIR [--allow-partial]

Puts the shards of a sharded run (awb run --shard I/N) back together into one ordinary run
folder DIR: partials.jsonl with each key's row once, state.sqlite, results.csv, results.parquet,
summary.csv (and sycophancy.csv for a grid) recomputed from the rows, run.json with each shard's
provenance; human labels and reviews in the shard folders are carried over.

Refuses shards of different runs or plans, two folders holding different rows for one key, and
missing shards or keys (naming each shard, how many keys it misses and the command that runs it).

  --out DIR               the merged run folder (e.g. results/RUNID); an earlier merge there of
                          the same run is read too, so merging a late shard into it completes it
  --allow-partial         write the run even when keys are missing, marked partial, listing them
  --lock-timeout-s S      wait at most S seconds for another merge into DIR (default 600)

Merging is idempotent: the same shards give the same run. Exit 0 when written (complete, or
partial with --allow-partial), 1 when refused, 2 on usage errors. See docs/sharding.md.`;

export const mergeCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'allow-partial': { type: 'boolean' }, 'lock-timeout-s': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { io.out(MERGE_HELP); return 0; }
  if (!values.out) throw new UsageError('--out DIR is required (the merged run folder)');
  if (!positionals.length) throw new UsageError('give the shard folders to merge');
  const lockS = values['lock-timeout-s'] === undefined ? 600 : Number(values['lock-timeout-s']);
  if (!(lockS >= 0)) throw new UsageError(`--lock-timeout-s must be a number ≥ 0, not "${values['lock-timeout-s']}"`);
  // Refusals (MergeError), a corrupt partials line or a locked folder are expected errors: the
  // message is printed and the exit code is 1 (cli/main.ts).
  {
    // A merge allocates a few MB of short-lived garbage per thousand rows (parsing, CSV, Parquet)
    // that the young generation absorbs; at the default 12 MB of growth the collector's heap
    // figure (young generation included) crossed the mark at every row group, and the full GCs
    // cost ~15% of the merge without lowering its peak RSS (that is reached while reading shards).
    const gc = cliGarbageCollector(24e6);
    const r = await mergeShards({ ...(gc ? { collectGarbage: gc } : {}), dirs: positionals, out: values.out, allowPartial: Boolean(values['allow-partial']), lockTimeoutMs: lockS * 1000, cwd: io.cwd, warn: (m) => io.err(`warning: ${m}`) });
    io.out(`merged run ${r.runId}: ${r.status} — ${r.rows} rows, ${r.planKeys - r.missingKeys}/${r.planKeys} keys done${r.labels || r.reviews ? `; carried over ${r.labels} labels and ${r.reviews} reviews` : ''}`);
    for (const s of r.shards) if (s.missing) io.err(`awb merge: shard ${s.index}/${r.shards.length}: ${s.status === 'missing' ? 'no folder given' : 'incomplete'}; ${s.missing} of ${s.keys} keys missing — run: ${s.command}`);
    for (const f of r.files) io.out(`  ${relative(io.cwd, f) || f}`);
    return 0;
  }
};
