import { statSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics';

/**
 * Why a path cannot be read as a data file, or undefined when it is a regular file. Only regular
 * files are ever opened: a FIFO or a device would block (or never end) the read, and a folder is
 * not a file. Symbolic links are followed.
 */
export function fileProblem(file: string): { rule: 'missing-file' | 'not-a-file'; message: string } | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { rule: 'missing-file', message: 'file not found' };
    return { rule: 'not-a-file', message: `cannot read the file: ${ioMessage(err)}` };
  }
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return { rule: 'not-a-file', message: 'this is a folder, not a file' };
  const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  return { rule: 'not-a-file', message: `this is ${what}, not a regular file; only regular files are read` };
}

/** {@link fileProblem} as a diagnostic on line 1 of `name`. */
export function fileProblemDiagnostic(file: string, name = file): Diagnostic | undefined {
  const p = fileProblem(file);
  return p ? { file: name, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', rule: p.rule, message: p.message } : undefined;
}

const IO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'no such file or folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (a size limit was reached)',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** A file-system error in words, without a stack: "permission denied (EACCES)". */
export function ioMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && IO_WORDS[e.code]) return `${IO_WORDS[e.code]} (${e.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** True for a Node file-system error (has an errno code and a system call). */
export function isIoError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | undefined;
  return Boolean(e && typeof e === 'object' && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string');
}
