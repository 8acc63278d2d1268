import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import type { Diagnostic } from '../../core/diagnostics';
import { NotFoundError, evaluateOutputs, loadCardFile, readOutputsFile, resolveScorer, wireListing, type RegisterInput } from '../../core/registry';
import { UsageError } from '../usage';
import { oneId, parseSub, quality, safe, type RegistrySubcommand } from './registryArgs';
import { resultLine } from './registryRead';

const CARD_GLOBS = ['**/*.dataset.yaml', '**/*.dataset.yml', '**/*.dataset.json'];

async function expandCards(paths: string[], cwd: string): Promise<string[]> {
  const files = new Set<string>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      for (const f of await glob(CARD_GLOBS, { cwd: abs, absolute: true, ignore: ['**/node_modules/**'] })) files.add(f);
    } else if (!existsSync(abs) && /[*?[{]/.test(p)) {
      const found = await glob(p, { cwd, absolute: true, ignore: ['**/node_modules/**'] });
      if (found.length === 0) throw new UsageError(`no files match ${p}`);
      for (const f of found) files.add(f);
    } else files.add(abs); // a missing file is reported with the others, by name
  }
  return [...files].sort();
}

const diagLine = (d: Diagnostic): string => safe(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.rule}]`);

const register: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, { config: { type: 'string', short: 'c', multiple: true }, 'allow-outside-data': { type: 'boolean' } });
  if (values.help) {
    ctx.io.out(`Usage: awb registry register --config FILE | FILE... [--allow-outside-data] [--registry PATH|URL] [--format text|json]

Validates each card exactly as "awb validate" does (schema, data file present, size agreeing),
records the sha256 of its data, and registers them all in one write; if any card is invalid,
none is registered. Re-registering an id replaces its card and keeps downloads and reviews.
FILE may be any YAML or JSON card, a folder (its *.dataset.yaml|json) or a glob.

A card's path must lead into the card's folder or the current folder ("registry get" copies
that file); --allow-outside-data registers a path elsewhere.`);
    return 0;
  }
  const given = [...(values.config ?? []), ...positionals];
  if (given.length === 0) throw new UsageError('register needs --config FILE (or FILE...)');
  const files = await expandCards(given, ctx.io.cwd);
  if (files.length === 0) throw new UsageError(`no dataset cards (*.dataset.yaml|json) in ${given.join(', ')}`);
  const inputs: RegisterInput[] = [];
  const problems: Diagnostic[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const shown = relative(ctx.io.cwd, file);
    const display = !shown || shown.startsWith('..') ? file : shown;
    const loaded = await loadCardFile(file, { displayName: display, roots: [ctx.io.cwd], allowOutside: Boolean(values['allow-outside-data']) });
    for (const d of loaded.diagnostics) problems.push(d);
    if (!loaded.ok) continue;
    const id = loaded.input.card.dataset_id;
    const first = seen.get(id);
    if (first) {
      problems.push({ file: display, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: 'duplicate-dataset-id', message: `dataset_id "${id}" is also registered by ${first} in this command` });
      continue;
    }
    seen.set(id, display);
    inputs.push(loaded.input);
  }
  for (const d of problems) ctx.io.err(diagLine(d));
  const bad = files.length - inputs.length;
  if (bad > 0) {
    ctx.io.err(`awb registry register: ${bad} of ${files.length} card${files.length === 1 ? '' : 's'} invalid; nothing registered`);
    return 1;
  }
  const listings = await ctx.open().register(inputs);
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify(listings.map(wireListing), null, 2)); return 0; }
  for (const l of listings) {
    ctx.io.out(safe(`Registered [${l.dataset.dataset_id}] ${l.dataset.name}  quality=${quality(l.dataset.quality_score)}${l.sha256 ? `  sha256=${l.sha256.slice(0, 12)}` : ''}`));
  }
  ctx.io.err(`${listings.length} dataset${listings.length === 1 ? '' : 's'} registered in ${ctx.location}`);
  return 0;
};

const rate: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, { stars: { type: 'string' }, review: { type: 'string' }, author: { type: 'string' } });
  if (values.help) { ctx.io.out('Usage: awb registry rate ID --stars N [--review TEXT] [--author NAME] [--format text|json]\n\nAdds a review of 1 to 5 stars; the rating is the mean of all stars given.'); return 0; }
  const id = oneId(positionals, 'rate');
  const stars = Number(values.stars);
  if (values.stars === undefined || !Number.isInteger(stars) || stars < 1 || stars > 5) throw new UsageError(`--stars must be a whole number from 1 to 5${values.stars === undefined ? '' : `, not "${values.stars}"`}`);
  const listing = await ctx.open().addReview(id, { stars, ...(values.review ? { text: values.review } : {}), ...(values.author ? { author: values.author } : {}) });
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify(wireListing(listing), null, 2)); return 0; }
  ctx.io.out(safe(`[${id}] rating=${listing.rating.toFixed(2)}  reviews=${listing.reviews}`));
  return 0;
};

const evaluate: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, { outputs: { type: 'string' }, model: { type: 'string' }, scorer: { type: 'string' } });
  if (values.help) {
    ctx.io.out(`Usage: awb registry evaluate ID --outputs FILE [--model NAME] [--scorer FIELD|./scorer.mjs]

Scores each model output (FILE: a JSON list, {"outputs": [...]}, or JSONL such as a run's
partials.jsonl), records the result in ID's history and prints it. The default scorer reads each
output's "score" (a number clamped to 0..1; true is 1; missing or not a number is 0.5).
--scorer FIELD reads another field (dot path, e.g. overall); --scorer ./file.mjs calls the
module's default export (or "score") with each output.`);
    return 0;
  }
  const id = oneId(positionals, 'evaluate');
  if (!values.outputs) throw new UsageError('evaluate needs --outputs FILE');
  const file = resolve(ctx.io.cwd, values.outputs);
  const registry = ctx.open();
  // Fail on an unknown id before reading a possibly large outputs file.
  if (!(await registry.get(id))) throw new NotFoundError(id);
  const outputs = await readOutputsFile(file, values.outputs);
  const scorer = await resolveScorer(values.scorer, ctx.io.cwd);
  const result = await evaluateOutputs(registry, { datasetId: id, outputs, modelName: values.model ?? 'unknown', scorer });
  if (ctx.format === 'json') { ctx.io.out(JSON.stringify(result, null, 2)); return 0; }
  ctx.io.out(resultLine(result));
  return 0;
};

export const REGISTRY_WRITE_COMMANDS: Record<string, RegistrySubcommand> = { register, rate, evaluate };
