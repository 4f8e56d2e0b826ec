import { LogwharfError } from '../../api/errors.js';

/** A parse error in Loki's words: `parse error at line L, col C: msg`, with line and col in details. */
export function parseError(msg: string, at: { line: number; col: number }): LogwharfError {
  return new LogwharfError('parse_error', `parse error at line ${at.line}, col ${at.col}: ${msg}`, { line: at.line, col: at.col });
}
