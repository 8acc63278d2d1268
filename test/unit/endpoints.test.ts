// The key gate's decisions (src/core/providers/endpoints.ts), in process: the table docs/security.md shows.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkEndpoint, isLoopbackUrl, isLoopbackHost, approveEndpoint, readApprovedEndpoints, revokeEndpoint } from '../../src/core/providers/endpoints';
import { defaultProviderModel, modelFromEntry, isLoopback } from '../../src/core/providers/models';
import { hostHeaderIsLoopback, isLoopback as serverIsLoopback } from '../../src/core/registry/serverSupport';
import type { ModelEntry } from '../../src/core/schemas/models';
import { tempDir } from '../support/runnerFixtures';

const entry = (e: Partial<ModelEntry>): ModelEntry => ({ slug: 'm', concurrency: 1, ...e }) as ModelEntry;
const from = { file: '/ws/models.yaml', line: 2, baseUrlLine: 4, keyEnvLine: 5 };

describe('loopback: one test for the key gate, the client and the registry server', () => {
  test('this machine by name or address; a look-alike host name is not', () => {
    for (const u of ['http://127.0.0.1:8000/v1', 'http://127.9.8.7/', 'http://localhost:1/', 'http://LOCALHOST/', 'http://[::1]:5/v1']) {
      assert.equal(isLoopbackUrl(u), true, u);
      assert.equal(isLoopback(u), true, u);
    }
    for (const u of ['http://127.0.0.1.evil.example/v1', 'http://localhost.evil.example/', 'http://0.0.0.0/', 'http://10.0.0.1/', 'not a url']) {
      assert.equal(isLoopbackUrl(u), false, u);
      assert.equal(isLoopback(u), false, u);
    }
    assert.equal(serverIsLoopback, isLoopbackHost, 'the registry server uses the same function');
    assert.equal(hostHeaderIsLoopback('[::1]:8080'), true);
    assert.equal(hostHeaderIsLoopback('127.0.0.1.evil.example'), false);
  });
});

describe('checkEndpoint: where a key may go', () => {
  const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1', GROQ_API_KEY: 'g', GITHUB_TOKEN: 't' };
  const p = { env };
  test('an environment key goes to its own provider and to the URL the user set for it', () => {
    assert.equal(checkEndpoint(defaultProviderModel('gpt', 1, env), 'model', 'env', p), undefined);
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'groq' }), env, from), 'model', 'env', p), undefined);
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'openai', base_url: 'https://api.openai.com/v1' }), env, from), 'model', 'env', p), undefined);
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'openai', base_url: 'http://127.0.0.1:9000/other' }), env, from), 'model', 'env', p), undefined);
  });
  test('an endpoint or key variable a file names needs approval; the refusal names the line', () => {
    const moved = checkEndpoint(modelFromEntry(entry({ provider: 'openai', base_url: 'https://gateway.example/v1' }), env, from), 'model', 'env', p);
    assert.equal(moved?.kind, 'not-approved');
    assert.equal(moved?.line, 4);
    assert.equal(moved?.origin, 'https://gateway.example');
    // The groq key sent to OpenAI's origin: not its own.
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'openai', api_key_env: 'GROQ_API_KEY' }), env, from), 'model', 'env', p)?.kind, 'not-approved');
    const approved = { env: { ...env, AWB_ALLOW_ENDPOINTS: 'https://gateway.example/anything' } };
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'openai', base_url: 'https://gateway.example/v1' }), env, from), 'model', 'env', approved), undefined);
    assert.equal(checkEndpoint(modelFromEntry(entry({ provider: 'openai', base_url: 'https://gateway.example/v1' }), env, from), 'model', 'env', { env, allowEndpoints: ['https://gateway.example'] }), undefined);
    // A stored key (bound to its origin by the editor) and keyless calls need no approval.
    assert.equal(checkEndpoint(modelFromEntry(entry({ base_url: 'https://gateway.example/v1' }), env, from), 'model', 'stored', p), undefined);
    assert.equal(checkEndpoint(modelFromEntry(entry({ base_url: 'http://127.0.0.1:1234/v1' }), env, from), 'model', 'none', p), undefined);
  });
  test('api_key_env names a model key variable only; plain http only on this machine', () => {
    const gh = checkEndpoint(modelFromEntry(entry({ base_url: 'https://gateway.example/v1', api_key_env: 'GITHUB_TOKEN' }), env, from), 'model', 'env', { env, allowEndpoints: ['https://gateway.example'] });
    assert.equal(gh?.kind, 'key-env-name');
    assert.equal(gh?.line, 5);
    assert.equal(checkEndpoint(modelFromEntry(entry({ base_url: 'https://gateway.example/v1', api_key_env: 'GITHUB_TOKEN' }), env, from), 'model', 'env', { env, allowEndpoints: ['https://gateway.example'], allowKeyEnvs: ['GITHUB_TOKEN'] }), undefined);
    for (const url of ['http://gateway.example/v1', 'http://127.0.0.1.evil.example/v1']) {
      const r = checkEndpoint(modelFromEntry(entry({ base_url: url }), env, from), 'model', 'none', { env, allowEndpoints: [url] });
      assert.equal(r?.kind, 'plain-http', url);
    }
    assert.equal(checkEndpoint(defaultProviderModel('gpt', 1, { ...env, OPENAI_BASE_URL: 'http://gateway.example/v1' }), 'model', 'env', p)?.kind, 'plain-http');
  });
  test('the user-level list: approve, read back, revoke; plain http to another machine cannot be approved', () => {
    const { dir, cleanup } = tempDir();
    try {
      const e = { AWB_ENDPOINTS_FILE: join(dir, 'sub', 'endpoints.json') };
      assert.deepEqual(approveEndpoint(e, 'https://Gateway.example:8443/v1/'), { origin: 'https://gateway.example:8443', added: true });
      assert.deepEqual(approveEndpoint(e, 'https://gateway.example:8443'), { origin: 'https://gateway.example:8443', added: false });
      assert.deepEqual(readApprovedEndpoints(e).map((x) => x.origin), ['https://gateway.example:8443']);
      assert.throws(() => approveEndpoint(e, 'http://gateway.example/v1'), /plain http/);
      assert.equal(revokeEndpoint(e, 'https://gateway.example:8443/x').removed, true);
      assert.deepEqual(readApprovedEndpoints(e), []);
    } finally {
      cleanup();
    }
  });
});
