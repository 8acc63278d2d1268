// Import cycles, type-only imports included (ESLint's import-x/no-cycle skips `import type`):
// a type cycle still ties two modules together, so the layers of docs/architecture.md forbid it.
// Imports are read and resolved by the TypeScript compiler itself. Exit 1 and the cycles, else 0.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const options = { moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext, allowImportingTsExtensions: true };

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const files = ['src', 'webview'].flatMap((d) => tsFiles(join(root, d)));
const known = new Set(files);
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
  const deps = new Set();
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const r = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
    if (r && known.has(resolve(r))) deps.add(resolve(r));
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components, iterative (no recursion limit on deep graphs).
const index = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
let next = 0;
for (const start of files) {
  if (index.has(start)) continue;
  const work = [[start, [...graph.get(start)], 0]];
  index.set(start, next); low.set(start, next); next++; stack.push(start); onStack.add(start);
  while (work.length) {
    const frame = work[work.length - 1];
    const [v, deps] = frame;
    if (frame[2] < deps.length) {
      const w = deps[frame[2]++];
      if (!index.has(w)) {
        index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
        work.push([w, [...graph.get(w)], 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length) { const u = work[work.length - 1][0]; low.set(u, Math.min(low.get(u), low.get(v))); }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || graph.get(v).has(v)) cycles.push(comp.map((f) => relative(root, f)).sort());
    }
  }
}

if (cycles.length) {
  for (const c of cycles) console.error(`import cycle (type imports included): ${c.join(' ↔ ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${files.length} modules (type imports included)`);
