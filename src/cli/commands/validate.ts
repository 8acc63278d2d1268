import { parseArgs } from 'node:util';
import { relative, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { glob } from 'tinyglobby';
import { countBySeverity, sortDiagnostics, validateFile, FILE_KIND_GLOBS, type Diagnostic } from '../../core';
import { UsageError, type Command } from '../usage';

export const VALIDATE_HELP = `Usage: awb validate PATH... [--format text|json]

Validates dataset files: *.cases.jsonl, *.cases.yaml, *.dataset.yaml|json, personas.yaml,
models.yaml, *.bench.yaml, *.grid.yaml. PATH may be a file, a folder (every such file in it)
or a glob. Prints FILE:LINE:COL: severity: MESSAGE [rule], then a count.
Exit 0 when there are no errors, 1 when there are, 2 on usage errors.`;

async function expand(paths: string[], cwd: string): Promise<string[]> {
  const files = new Set<string>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      const patterns = Object.values(FILE_KIND_GLOBS).flat();
      for (const f of await glob(patterns, { cwd: abs, absolute: true, ignore: ['**/node_modules/**', '**/results/**'] })) files.add(f);
    } else if (/[*?[{]/.test(p)) {
      const found = await glob(p, { cwd, absolute: true, ignore: ['**/node_modules/**'] });
      if (found.length === 0) throw new UsageError(`no files match ${p}`);
      for (const f of found) files.add(f);
    } else files.add(abs);
  }
  return [...files].sort();
}

export const validateCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { io.out(VALIDATE_HELP); return 0; }
  if (positionals.length === 0) throw new UsageError('awb validate needs at least one PATH');
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, not ${values.format}`);
  const files = await expand(positionals, io.cwd);
  const all: Diagnostic[] = [];
  for (const file of files) {
    const display = relative(io.cwd, file) || file;
    all.push(...(await validateFile(file, { displayName: display.startsWith('..') ? file : display })));
  }
  sortDiagnostics(all);
  const counts = countBySeverity(all);
  if (values.format === 'json') {
    io.out(JSON.stringify(all.map(({ data: _data, ...d }) => d), null, 2));
  } else {
    for (const d of all) io.out(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.rule}]`);
    io.out(`${files.length} file${files.length === 1 ? '' : 's'} checked: ${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}`);
  }
  return counts.error > 0 ? 1 : 0;
};
