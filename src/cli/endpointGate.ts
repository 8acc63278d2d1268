import { endpointOrigin, type EndpointPolicyError } from '../core';
import { UsageError, type CliIO } from './usage';

/** `--allow-endpoint` values (awb run, awb score): each an http(s) URL (checked here, so a typo is a usage error). */
export function allowedEndpointFlags(urls: string[]): string[] {
  for (const u of urls) if (!endpointOrigin(u)) throw new UsageError(`--allow-endpoint takes an http(s) URL, not "${u}"`);
  return urls;
}

/** A refusal of the key gate: printed as is (it names file, line, URL and command); exit 2. */
export function printRefusal(io: CliIO, command: string, err: EndpointPolicyError): number {
  io.err(`awb ${command}: ${err.message}`);
  return 2;
}
