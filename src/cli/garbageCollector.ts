import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Memory settings for a CLI process that owns its heap (never used in the extension host):
 * sql.js's WebAssembly stays on V8's baseline compiler (the optimising tier costs ~40 MB of
 * compiled code for a one-off run), and a full GC is exposed for the runner to call between
 * phases, so peak RSS tracks live data rather than V8's lazy collection of call garbage.
 * The collector only collects once the heap (plus Buffers) has grown by `growthBytes` since the
 * last collection: a full GC stalls the event loop, which a small run never needs to pay for.
 * Used by `awb run`, `awb merge` and the benchmarks in bench/.
 */
export function cliGarbageCollector(growthBytes = 12e6): (() => void) | undefined {
  try {
    setFlagsFromString('--liftoff-only');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    const used = () => { const h = getHeapStatistics(); return h.used_heap_size + ((h as { external_memory?: number }).external_memory ?? 0); };
    let afterLast = used();
    return () => {
      if (used() - afterLast < growthBytes) return;
      (gc as () => void)();
      afterLast = used();
    };
  } catch {
    return undefined;
  }
}
