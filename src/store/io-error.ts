/**
 * Turns file-system errors into the catalogue's `store_unavailable` (HTTP 503, which clients retry)
 * with a message an operator can act on: what failed, the errno in words and its code.
 */
import { LogwharfError, isLogwharfError } from '../api/errors.js';

const WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ENOENT: 'no such file or directory',
};

export function storeIoError(op: 'write' | 'read', err: unknown, path: string): LogwharfError {
  if (isLogwharfError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const words = code ? (WORDS[code] ?? code.toLowerCase()) : String((err as Error | undefined)?.message ?? err);
  const msg = `${op} failed: ${words}${code ? ` (${code})` : ''} on ${path}`;
  return new LogwharfError('store_unavailable', msg, { path, ...(code ? { errno: code } : {}) }, { cause: err });
}
