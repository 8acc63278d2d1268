/** The file formats Alignment Workbench validates, recognised by name. */
export type FileKind = 'cases-jsonl' | 'cases-yaml' | 'card' | 'personas' | 'models' | 'bench' | 'grid';

export const FILE_KIND_GLOBS: Record<FileKind, string[]> = {
  'cases-jsonl': ['**/*.cases.jsonl'],
  'cases-yaml': ['**/*.cases.yaml', '**/*.cases.yml'],
  card: ['**/*.dataset.yaml', '**/*.dataset.yml', '**/*.dataset.json'],
  personas: ['**/personas.yaml', '**/personas.yml', '**/*.personas.yaml'],
  models: ['**/models.yaml', '**/models.yml', '**/*.models.yaml'],
  bench: ['**/*.bench.yaml', '**/*.bench.yml'],
  grid: ['**/*.grid.yaml', '**/*.grid.yml'],
};

export function detectKind(fileName: string): FileKind | undefined {
  const base = fileName.replace(/\\/g, '/').split('/').pop()!.toLowerCase();
  if (base.endsWith('.cases.jsonl')) return 'cases-jsonl';
  if (/\.cases\.ya?ml$/.test(base)) return 'cases-yaml';
  if (/\.dataset\.(ya?ml|json)$/.test(base)) return 'card';
  if (/^personas\.ya?ml$/.test(base) || /\.personas\.ya?ml$/.test(base)) return 'personas';
  if (/^models\.ya?ml$/.test(base) || /\.models\.ya?ml$/.test(base)) return 'models';
  if (/\.bench\.ya?ml$/.test(base)) return 'bench';
  if (/\.grid\.ya?ml$/.test(base)) return 'grid';
  return undefined;
}
