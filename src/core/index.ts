// The core's public API. The extension and the CLI import from here; nothing here imports vscode.
export * from './diagnostics';
export * from './schemas/cases';
export * from './schemas/card';
export * from './schemas/personas';
export * from './schemas/models';
export * from './schemas/bench';
export * from './schemas/judge';
export { BUILTIN_PERSONAS } from './personas/builtin';
export { detectKind, FILE_KIND_GLOBS, type FileKind } from './validate/kinds';
export { validateText, validateFile, registerFormat, countCases, knownPersonaSlugs, STRUCTURED_FORMATS } from './validate/validate';
export { validateCasesJsonlFile, JsonlDocumentValidator } from './validate/jsonl';
export { parseYaml, nodeAtPath, offsetSpan, placeYamlProblem, MAX_YAML_BYTES, MAX_YAML_ALIASES } from './validate/yamlDoc';
export { findPlaceholders, renderTemplate } from './validate/placeholders';
export { readLines } from './validate/lineReader';
export * from "./run/row";
export * from './language/assist';
export * from './language/fieldDocs';
export * from './schemas/jsonSchemas';
