import { approvalsFile, approveEndpoint, EndpointPolicyError, readApprovedEndpoints, revokeEndpoint } from '../../core';
import { UsageError, UserError, type Command } from '../usage';

const ENDPOINTS_HELP = `Usage: awb endpoints approve URL | list | revoke URL

Endpoints you approved to receive API keys although a file (a models.yaml's base_url or
api_key_env, a run folder's models file) names them. Kept outside every workspace, for you
alone: ${'$'}AWB_ENDPOINTS_FILE, else ~/.alignment-workbench/endpoints.json. The editor uses the same list.

  approve URL   approve URL's origin (scheme, host and port); plain http only on this machine
  list          print the approved origins
  revoke URL    remove URL's origin

Without an approval, "awb run" and "awb score" refuse before any request. For one run only use
--allow-endpoint URL; in CI, AWB_ALLOW_ENDPOINTS=URL,URL. A key from the environment always may
go to its own provider's endpoint and to the URL you set for it (OPENAI_BASE_URL).`;

export const endpointsCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') { io.out(ENDPOINTS_HELP); return sub ? 0 : 2; }
  try {
    if (sub === 'list') {
      if (rest.length) throw new UsageError('list takes no arguments');
      const list = readApprovedEndpoints(io.env);
      if (!list.length) io.err(`no approved endpoints (${approvalsFile(io.env)})`);
      for (const e of list) io.out(`${e.origin}\tapproved ${e.approved_at}`);
      return 0;
    }
    if (sub === 'approve' || sub === 'revoke') {
      if (rest.length !== 1) throw new UsageError(`${sub} takes one URL`);
      if (sub === 'approve') {
        const r = approveEndpoint(io.env, rest[0]!);
        io.out(r.added ? `approved ${r.origin}: keys may now be sent there when a file names it` : `${r.origin} was already approved`);
      } else {
        const r = revokeEndpoint(io.env, rest[0]!);
        io.out(r.removed ? `revoked ${r.origin}` : `${r.origin} was not approved`);
      }
      return 0;
    }
  } catch (err) {
    if (err instanceof EndpointPolicyError) throw new UserError(err.message);
    throw err;
  }
  throw new UsageError(`unknown subcommand "${sub}" (approve, list, revoke)`);
};
