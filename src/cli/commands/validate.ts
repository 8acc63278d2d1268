import { parseArgs } from 'node:util';
import { relative, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { glob } from 'tinyglobby';
import { appendAll, countBySeverity, detectKind, sortDiagnostics, validateFile, FILE_KIND_GLOBS, type Diagnostic } from '../../core';
import { UsageError, type Command } from '../usage';

const VALIDATE_HELP = `Usage: awb validate PATH... [--format text|json]

Validates dataset files: *.cases.jsonl, *.cases.yaml, *.dataset.yaml|json, personas.yaml,
models.yaml, *.bench.yaml, *.grid.yaml. PATH may be a file, a folder (every such file in it)
or a glob. Prints FILE:LINE:COL: severity: MESSAGE [rule], then a count.
Exit 0 when there are no errors, 1 when there are, 2 on usage errors.`;

/** The files to check, and the folders given that hold none (each an error). */
async function expand(paths: string[], cwd: string): Promise<{ files: string[]; emptyFolders: string[] }> {
  const files = new Set<string>();
  const emptyFolders: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      const patterns = Object.values(FILE_KIND_GLOBS).flat();
      const found = await glob(patterns, { cwd: abs, absolute: true, ignore: ['**/node_modules/**', '**/results/**'] });
      if (found.length === 0) emptyFolders.push(p);
      for (const f of found) files.add(f);
    } else if (/[*?[{]/.test(p)) {
      const found = await glob(p, { cwd, absolute: true, ignore: ['**/node_modules/**'] });
      if (found.length === 0) throw new UsageError(`no files match ${p}`);
      for (const f of found) files.add(f);
    } else files.add(abs);
  }
  return { files: [...files].sort(), emptyFolders };
}

export const validateCommand: Command = async (argv, io) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { io.out(VALIDATE_HELP); return 0; }
  if (positionals.length === 0) throw new UsageError('needs at least one PATH');
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, not ${values.format}`);
  const { files, emptyFolders } = await expand(positionals, io.cwd);
  const shown = (file: string) => { const r = relative(io.cwd, file); return !r || r.startsWith('..') ? file : r; };
  const all: Diagnostic[] = [];
  for (const folder of emptyFolders) {
    // A folder named like a dataset file (`x.cases.jsonl/`) was most likely meant as a file.
    const message = detectKind(folder) ? 'this is a folder, not a file' : `no dataset files in this folder (looked for ${Object.values(FILE_KIND_GLOBS).flat().map((g) => g.replace('**/', '')).join(', ')})`;
    all.push({ file: folder, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: detectKind(folder) ? 'not-a-file' : 'no-files', message });
  }
  for (const file of files) {
    // Each file's diagnostics are capped by the validator; appended one by one, never spread.
    appendAll(all, await validateFile(file, { displayName: shown(file) }));
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
