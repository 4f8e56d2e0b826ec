/** Plain text files: one line per newline; a Windows line end's `\r` is not part of the line. */
export function rawLineText(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
