import { resolve } from 'node:path';
import { fetchDataset } from '../../core/registry';
import { oneId, parseSub, safe, type RegistrySubcommand } from './registryArgs';

/** `awb registry get ID [--to DIR] [--force]`: fetch the data, verify it, count the download. */
export const registryGet: RegistrySubcommand = async (argv, ctx) => {
  const { values, positionals } = parseSub(argv, { to: { type: 'string' }, force: { type: 'boolean' } });
  if (values.help) {
    ctx.io.out(`Usage: awb registry get ID [--to DIR] [--force] [--format text|json]

Copies the dataset's data from its registered path (or downloads its download_url) into DIR
(default: the current folder), verifies the sha256 recorded when it was registered, writes
ID.dataset.json beside it and counts the download. An existing different file is kept unless --force.`);
    return 0;
  }
  const id = oneId(positionals, 'get');
  const got = await fetchDataset(ctx.open(), id, { toDir: resolve(ctx.io.cwd, values.to ?? '.'), force: Boolean(values.force) });
  if (ctx.format === 'json') {
    ctx.io.out(JSON.stringify({ dataset_id: id, file: got.file, card: got.cardFile, sha256: got.sha256, verified: got.verified, source: got.source, downloads: got.listing.downloads }, null, 2));
    return 0;
  }
  ctx.io.out(safe(`${got.file}  sha256=${got.sha256}${got.verified ? ' (verified)' : ' (not recorded at registration; not verified)'}`));
  ctx.io.out(safe(`${got.cardFile}  downloads=${got.listing.downloads}`));
  return 0;
};
