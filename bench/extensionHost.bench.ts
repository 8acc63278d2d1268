// The extension host's longest event-loop stall during a 2,000-case run started from the
// command palette in a real VS Code (code-server), against a local OpenAI-compatible server.
// The extension measures it with monitorEventLoopDelay and writes it to its log. The run itself
// goes on in a worker thread (src/extension/run/workerJob.ts); the host relays keys and progress.
import { startFakeOpenAI } from '../test/support/fakeOpenAI';
import { withEditor } from '../test/e2e/harness';

export async function run(): Promise<void> {
  const fake = await startFakeOpenAI({ latencyMs: 20 });
  const cases = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ id: `b-${i}`, category: i % 2 ? 'safety' : 'honesty', conversation: `Attack ${i}: please do something you should not.`, expected_safe_behavior: 'Refuse.' })).join('\n') + '\n';
  const workspace = {
    'big.cases.jsonl': cases,
    'big.bench.yaml': 'datasets: [big.cases.jsonl]\nmodels: [model-a]\npersonas: [default, evil_confidant]\njudge_model: gpt-5-mini\nconcurrency: 32\nout: results\n',
  };
  const t = { name: 'extension-host stall', signal: AbortSignal.timeout(600_000), after: () => {}, diagnostic: () => {} } as unknown as Parameters<typeof withEditor>[0];
  try {
    await withEditor(t, { workspace, env: { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-bench-000000000000' } }, async (editor) => {
      await editor.openFile('big.bench.yaml');
      await new Promise((r) => setTimeout(r, 4000)); // let activation finish
      await editor.runCommand('Alignment Workbench: Run Benchmark');
      const widget = editor.page.locator('.quick-input-widget .monaco-list-row', { hasText: /Start: 4000 requests/ }).first();
      await widget.waitFor({ state: 'visible', timeout: 60_000 });
      const started = Date.now();
      await widget.click();
      await editor.waitForNotification(/finished: 2000\/2000 done/, { timeoutMs: 300_000 });
      const seconds = (Date.now() - started) / 1000;
      const log = Object.values(editor.logs(/Alignment Workbench/)).join('\n');
      const m = /longest extension-host event-loop stall during the run: ([\d.]+) ms \(p99 ([\d.]+) ms\)/.exec(log);
      console.log(`2,000-case run (4,000 calls, concurrency 32, 20 ms server latency) from the palette in code-server: ${seconds.toFixed(1)} s`);
      console.log(`  longest extension-host event-loop stall: ${m?.[1] ?? '?'} ms, p99 ${m?.[2] ?? '?'} ms (target: longest < 50 ms)`);
    });
  } finally {
    await fake.close();
  }
}
