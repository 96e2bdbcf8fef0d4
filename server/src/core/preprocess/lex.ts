// A C/C++ preprocessing-token lexer: stateless, linear, never throws.
// lexToken(text, pos, end) returns the kind and end of the token starting at pos.

export type Kind = 'ws' | 'comment' | 'ident' | 'number' | 'string' | 'char' | 'punct' | 'directive';

export interface Lexed { kind: Kind; end: number }

const PUNCT3 = new Set(['>>=', '<<=', '<=>', '...', '->*']);
const PUNCT2 = new Set(['::', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '##', '.*']);
const STRING_PREFIX = new Set(['L', 'u', 'U', 'u8', 'R', 'LR', 'uR', 'UR', 'u8R']);
/** The second characters of PUNCT2 and PUNCT3: after any other character a punctuator is one character long. */
const PUNCT_SECOND = new Set([...PUNCT2, ...PUNCT3].map((p) => p.charCodeAt(1)));

export function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 128;
}
export function isIdentChar(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean { return c >= 48 && c <= 57; }
function isSpace(c: number): boolean { return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11; }

/** Is `pos` (a '#') the first non-blank character of its line? */
export function atLineStart(text: string, pos: number): boolean {
  let p = pos - 1;
  while (p >= 0) {
    const c = text.charCodeAt(p);
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) { p--; continue; }
    return c === 10;
  }
  return true;
}

/** A backslash followed by a newline (LF or CRLF) at p: returns the length, else 0. */
function splice(text: string, p: number, end: number): number {
  if (text.charCodeAt(p) !== 92) return 0;
  if (p + 1 < end && text.charCodeAt(p + 1) === 10) return 2;
  if (p + 2 < end && text.charCodeAt(p + 1) === 13 && text.charCodeAt(p + 2) === 10) return 3;
  return 0;
}

function skipQuoted(text: string, p: number, end: number, q: number): number {
  // p is just after the opening quote; ends after the closing quote, or at the newline / end.
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === q) return p + 1;
    if (c === 92) { const s = splice(text, p, end); p += s || 2; continue; }
    if (c === 10) return p;
    p++;
  }
  return end;
}

function skipLineComment(text: string, p: number, end: number): number {
  while (p < end) {
    const s = splice(text, p, end);
    if (s) { p += s; continue; }
    if (text.charCodeAt(p) === 10) return p;
    p++;
  }
  return end;
}

function skipBlockComment(text: string, p: number, end: number): number {
  const i = text.indexOf('*/', p);
  return i < 0 || i + 2 > end ? end : i + 2;
}

/** A whole directive line from the '#' at p (continuations and comments included), without its final newline. */
function skipDirective(text: string, p: number, end: number): number {
  p++;
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === 10) return p;
    const s = splice(text, p, end);
    if (s) { p += s; continue; }
    if (c === 47 && p + 1 < end) {
      const d = text.charCodeAt(p + 1);
      if (d === 42) { p = skipBlockComment(text, p + 2, end); continue; }
      if (d === 47) return skipLineComment(text, p + 2, end);
    }
    if (c === 34 || c === 39) { p = skipQuoted(text, p + 1, end, c); continue; }
    p++;
  }
  return end;
}

export function lexToken(text: string, pos: number, end: number, noDirective = false): Lexed {
  if (pos >= end) return { kind: 'ws', end: pos };
  const c = text.charCodeAt(pos);
  if (isSpace(c) || splice(text, pos, end)) {
    let p = pos;
    while (p < end) {
      const s = splice(text, p, end);
      if (s) { p += s; continue; }
      if (!isSpace(text.charCodeAt(p))) break;
      p++;
    }
    return { kind: 'ws', end: p };
  }
  if (c === 47 && pos + 1 < end) {
    const d = text.charCodeAt(pos + 1);
    if (d === 47) return { kind: 'comment', end: skipLineComment(text, pos + 2, end) };
    if (d === 42) return { kind: 'comment', end: skipBlockComment(text, pos + 2, end) };
  }
  if (c === 35 && !noDirective && atLineStart(text, pos)) return { kind: 'directive', end: skipDirective(text, pos, end) };
  if (isIdentStart(c)) {
    let p = pos + 1;
    while (p < end && isIdentChar(text.charCodeAt(p))) p++;
    if (p < end && p - pos <= 3) {
      const q = text.charCodeAt(p);
      if ((q === 34 || q === 39) && STRING_PREFIX.has(text.slice(pos, p))) {
        const raw = text.charCodeAt(p - 1) === 82;
        if (q === 34 && raw) return { kind: 'string', end: skipRaw(text, p + 1, end) };
        if (!raw) return { kind: q === 34 ? 'string' : 'char', end: skipQuoted(text, p + 1, end, q) };
      }
    }
    return { kind: 'ident', end: p };
  }
  if (isDigit(c) || (c === 46 && pos + 1 < end && isDigit(text.charCodeAt(pos + 1)))) {
    let p = pos + 1;
    while (p < end) {
      const d = text.charCodeAt(p);
      if ((d === 43 || d === 45) && /[eEpP]/.test(text[p - 1])) { p++; continue; }
      if (d === 39 && p + 1 < end && isIdentChar(text.charCodeAt(p + 1))) { p += 2; continue; }
      if (isIdentChar(d) || d === 46) { p++; continue; }
      break;
    }
    return { kind: 'number', end: p };
  }
  if (c === 34) return { kind: 'string', end: skipQuoted(text, pos + 1, end, 34) };
  if (c === 39) return { kind: 'char', end: skipQuoted(text, pos + 1, end, 39) };
  // (most punctuators are one character, `(`, `;`, `,`: no slice of the text to look them up)
  if (pos + 1 >= end || !PUNCT_SECOND.has(text.charCodeAt(pos + 1))) return { kind: 'punct', end: pos + 1 };
  if (pos + 3 <= end && PUNCT3.has(text.slice(pos, pos + 3))) return { kind: 'punct', end: pos + 3 };
  if (pos + 2 <= end && PUNCT2.has(text.slice(pos, pos + 2))) return { kind: 'punct', end: pos + 2 };
  return { kind: 'punct', end: pos + 1 };
}

function skipRaw(text: string, p: number, end: number): number {
  // R"delim( ... )delim"
  const open = text.indexOf('(', p);
  if (open < 0 || open - p > 16 || open >= end) return skipQuoted(text, p, end, 34);
  const delim = text.slice(p, open);
  if (/[\s\\)"]/.test(delim)) return skipQuoted(text, p, end, 34);
  const close = text.indexOf(')' + delim + '"', open + 1);
  return close < 0 || close >= end ? end : close + delim.length + 2;
}

/** Would the two texts, written without a space, lex differently from the two apart? */
export function glues(a: string, b: string): boolean {
  if (!a || !b) return false;
  const s = a + b;
  return lexToken(s, 0, s.length, true).end !== a.length;
}
