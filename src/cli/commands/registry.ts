import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { openRegistry, resolveRegistryLocation, type Registry } from '../../core/registry';
import { UsageError, type Command } from '../usage';
import { COMMON_OPTIONS, type RegistryContext, type RegistrySubcommand } from './registryArgs';
import { REGISTRY_READ_COMMANDS } from './registryRead';
import { REGISTRY_WRITE_COMMANDS } from './registryWrite';
import { registryServe } from './registryServe';

const REGISTRY_HELP = `Usage: awb registry <subcommand> [options]

Publish, find and track alignment datasets (aumai-alignment's marketplace, kept in one SQLite file).

Subcommands:
  register --config FILE | FILE...   register dataset cards (*.dataset.yaml|json or any YAML/JSON card)
  search [--query Q] [--category C] [--min-quality F] [--sort quality|downloads|rating|name] [--limit N]
  show ID                            a dataset's card, downloads, rating, reviews and latest results
  get ID [--to DIR] [--force]        fetch its data (local path or download_url), verify sha256, count the download
  rate ID --stars N [--review TEXT] [--author NAME]
  evaluate ID --outputs FILE [--model NAME] [--scorer FIELD|./scorer.mjs]
  results ID                         evaluation history, newest first
  serve [--port 8000] [--host 127.0.0.1] [--token T] [--cors ORIGIN]

Options for every subcommand:
  --registry PATH|URL   registry file, or http(s) URL of a remote registry
                        (default: $AWB_REGISTRY, else ~/.alignment-workbench/registry.sqlite)
  --token T             bearer token for writes to a remote registry (default: $AWB_REGISTRY_TOKEN)
  --format text|json    output format (json uses aumai-alignment's field names)

Exit 0 on success, 1 when a dataset is not found or a card is invalid, 2 on usage errors.`;

const SUBCOMMANDS: Record<string, RegistrySubcommand> = {
  ...REGISTRY_READ_COMMANDS,
  ...REGISTRY_WRITE_COMMANDS,
  serve: registryServe,
};

export const registryCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') { io.out(REGISTRY_HELP); return sub ? 0 : 2; }
  const run = SUBCOMMANDS[sub];
  if (!run) throw new UsageError(`unknown subcommand "${sub}" (use register, search, show, get, rate, evaluate, results or serve)`);
  if (sub !== 'serve') {
    // One-shot commands: V8 otherwise spends ~100 ms optimising sql.js's wasm in the background
    // and the process waits for it before exiting. Never set in the extension host (it is global).
    setFlagsFromString('--liftoff-only');
  }
  // Peek at the common options; each subcommand parses its own argv strictly.
  const { values } = parseArgs({ args: rest, options: COMMON_OPTIONS, strict: false, allowPositionals: true });
  const format = values.format;
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not ${String(format)}`);
  const location = resolveRegistryLocation({ flag: typeof values.registry === 'string' ? values.registry : undefined, env: io.env, cwd: io.cwd });
  const token = (typeof values.token === 'string' ? values.token : undefined) || io.env.AWB_REGISTRY_TOKEN || undefined;
  let registry: Registry | undefined;
  const ctx: RegistryContext = { io, format, location, token, open: () => (registry ??= openRegistry(location, { token })) };
  try {
    return await run(rest, ctx);
  } finally {
    await registry?.close();
  }
};
