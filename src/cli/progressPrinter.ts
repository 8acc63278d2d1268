import { formatProgress, type Logger, type RunProgress } from '../core';
import type { CliIO } from './usage';

/**
 * The live progress of `awb run` and `awb score`: for a terminal one line redrawn in place (at
 * most 10 times a second), for logs a plain line every 10% or 15 s. Log lines printed meanwhile
 * clear the live line first.
 */
export class ProgressPrinter {
  private live = '';
  private lastDraw = 0;
  private lastPlain = 0;
  private lastPct = -1;
  private rowWarnings = 0;

  constructor(private readonly io: CliIO, private readonly tty: boolean, private readonly write: (s: string) => void = (s) => process.stderr.write(s)) {}

  update(p: RunProgress): void {
    if (p.phase !== 'running') return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && p.done < p.total) return;
      this.lastDraw = now;
      this.live = formatProgress(p);
      this.write(`\r\x1b[2K${this.live}`);
      return;
    }
    const pct = p.total ? Math.floor((10 * p.done) / p.total) : 10;
    if (pct !== this.lastPct || now - this.lastPlain >= 15_000) {
      this.lastPct = pct;
      this.lastPlain = now;
      this.io.err(formatProgress(p));
    }
  }

  /** Prints a log line above the live line. */
  line(s: string): void {
    if (this.tty && this.live) this.write('\r\x1b[2K');
    this.io.err(s);
    if (this.tty && this.live) this.write(this.live);
  }

  end(): void {
    if (this.tty && this.live) this.write('\r\x1b[2K');
    this.live = '';
  }

  logger(): Logger {
    const rowLine = /^\S+\|\S*\|\S+: /; // per-row problems: show a few, the rest are in run.log
    const warn = (level: string) => (m: string) => {
      if (rowLine.test(m) && ++this.rowWarnings > 20) {
        if (this.rowWarnings === 21) this.line('awb run: more row errors are in run.log');
        return;
      }
      this.line(`${level}${m}`);
    };
    return { trace() {}, debug() {}, info: (m) => this.line(m), warn: warn('warning: '), error: warn('error: ') };
  }
}
