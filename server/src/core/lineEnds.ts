// Line ends: LSP counts `\r\n`, `\r` and `\n` alike; the grammars and our line splitting
// only `\n`. The analysis reads every file with `\n` line ends; fixes write the file's own.

/**
 * Every line end (`\r\n`, `\r`, `\n`) as `\n`, so CRLF, CR and mixed files parse and
 * recover from errors exactly as LF ones do. Lines and columns stay (offsets do not):
 * findings and fixes are positions, and whoever applies a fix writes the file's own line
 * ends (`eolOf`).
 */
export function lineEndsAsNewline(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** The line end a text mostly uses, for the code a fix writes into it. */
export function eolOf(text: string): '\n' | '\r\n' {
  const crlf = text.split('\r\n').length - 1;
  return crlf > 0 && crlf >= text.split('\n').length - 1 - crlf ? '\r\n' : '\n';
}

/** Edits' new text written with a file's line ends. */
export function withEol<T extends { newText: string }>(edits: readonly T[], eol: '\n' | '\r\n'): T[] {
  return eol === '\n' ? [...edits] : edits.map((e) => ({ ...e, newText: e.newText.replace(/\r?\n/g, eol) }));
}
