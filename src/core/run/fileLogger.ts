import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger, LogLevel } from '../log';

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** `run.log`: timestamped lines appended to the run folder (info and above unless told). */
export class FileLogger implements Logger {
  private fd: number | undefined;

  constructor(file: string, private readonly min: LogLevel = process.env.AWB_LOG_LEVEL === 'debug' ? 'debug' : 'info') {
    this.fd = openSync(file, 'a');
  }

  private write(level: LogLevel, message: string): void {
    if (this.fd === undefined || RANK[level] < RANK[this.min]) return;
    try {
      writeSync(this.fd, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`);
    } catch {
      // A full disk must not take the run down through its log.
    }
  }

  trace(m: string): void { this.write('trace', m); }
  debug(m: string): void { this.write('debug', m); }
  info(m: string): void { this.write('info', m); }
  warn(m: string): void { this.write('warn', m); }
  error(m: string): void { this.write('error', m); }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
