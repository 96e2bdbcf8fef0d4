// A small, safe integer-expression evaluator for `#if` conditions and constant
// initialisers. Unknown values are null and propagate (Kleene logic for && || ?:).
import { lexToken } from './lex';

export interface Resolver {
  /** Value of an identifier, or null when unknown. */
  value(name: string, depth: number): number | null;
  /** defined(X): 1, 0, or null when undecided. */
  defined?(name: string): number | null;
}

type V = number | null;
const MAX_DEPTH = 64;

export function parseIntLiteral(s: string): number | null {
  const m = /^(0[xX][0-9a-fA-F']+|0[bB][01']+|0[0-7']*|[1-9][0-9']*)([uUlLzZ]*)$/.exec(s);
  if (!m) return null;
  const d = m[1].replace(/'/g, '');
  let v: number;
  if (/^0[xX]/.test(d)) v = parseInt(d.slice(2), 16);
  else if (/^0[bB]/.test(d)) v = parseInt(d.slice(2), 2);
  else if (d.length > 1 && d[0] === '0') v = parseInt(d, 8);
  else v = parseInt(d, 10);
  return Number.isSafeInteger(v) ? v : null;
}

const safe = (v: number): V => (Number.isSafeInteger(v) ? v : null);

/** Evaluates an integer expression; null when it cannot be decided or is not one. */
export function evalIntExpr(expr: string, r: Resolver, depth = 0): number | null {
  if (typeof expr !== 'string' || depth > MAX_DEPTH || expr.length > 10000) return null;
  const toks: string[] = [];
  const kinds: string[] = [];
  for (let p = 0; p < expr.length;) {
    const l = lexToken(expr, p, expr.length, true);
    if (l.end <= p) break;
    if (l.kind !== 'ws' && l.kind !== 'comment') { toks.push(expr.slice(p, l.end)); kinds.push(l.kind); }
    p = l.end;
  }
  let i = 0;
  let bad = false;
  let nest = 0;
  const peek = (): string | undefined => toks[i];
  const eat = (s: string): boolean => (toks[i] === s ? (i++, true) : false);

  function primary(): V {
    const t = toks[i];
    const k = kinds[i];
    if (t === undefined) { bad = true; return null; }
    if (++nest > MAX_DEPTH) { bad = true; return null; }
    try {
      if (t === '(') {
        i++;
        const v = ternary();
        if (!eat(')')) bad = true;
        return v;
      }
      if (t === '-' || t === '+' || t === '!' || t === '~') {
        i++;
        const v = primary();
        if (v === null) return null;
        return t === '-' ? safe(-v) : t === '+' ? v : t === '!' ? (v ? 0 : 1) : safe(~v);
      }
      i++;
      if (k === 'number') { const v = parseIntLiteral(t); if (v === null) bad = true; return v; }
      if (k === 'ident') {
        if (t === 'true') return 1;
        if (t === 'false') return 0;
        if (t === 'defined') {
          const paren = eat('(');
          const name = toks[i++];
          if (paren && !eat(')')) bad = true;
          if (name === undefined) { bad = true; return null; }
          return r.defined ? r.defined(name) : null;
        }
        if (peek() === '(') { // a function-like macro or call: unknown; skip its arguments
          let d = 0;
          do { const s = toks[i++]; if (s === '(') d++; else if (s === ')') d--; } while (d > 0 && i < toks.length);
          return null;
        }
        return r.value(t, depth + 1);
      }
      bad = true;
      return null;
    } finally { nest--; }
  }
  function bin(next: () => V, ops: string[], f: (op: string, a: number, b: number) => V): () => V {
    return () => {
      let a = next();
      for (let op = peek(); op !== undefined && ops.includes(op); op = peek()) {
        i++;
        const b = next();
        a = a === null || b === null ? null : f(op, a, b);
      }
      return a;
    };
  }
  const mul = bin(primary, ['*', '/', '%'], (op, a, b) => (op === '*' ? safe(a * b) : b === 0 ? null : op === '/' ? Math.trunc(a / b) : a % b));
  const add = bin(mul, ['+', '-'], (op, a, b) => safe(op === '+' ? a + b : a - b));
  const shift = bin(add, ['<<', '>>'], (op, a, b) => (b < 0 || b > 62 ? null : op === '<<' ? safe(a * 2 ** b) : Math.floor(a / 2 ** b)));
  const rel = bin(shift, ['<', '>', '<=', '>='], (op, a, b) => +(op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b));
  const eq = bin(rel, ['==', '!='], (op, a, b) => +(op === '==' ? a === b : a !== b));
  const band = bin(eq, ['&'], (_o, a, b) => (Math.abs(a) < 2 ** 31 && Math.abs(b) < 2 ** 31 ? a & b : null));
  const bxor = bin(band, ['^'], (_o, a, b) => (Math.abs(a) < 2 ** 31 && Math.abs(b) < 2 ** 31 ? a ^ b : null));
  const bor = bin(bxor, ['|'], (_o, a, b) => (Math.abs(a) < 2 ** 31 && Math.abs(b) < 2 ** 31 ? a | b : null));
  function land(): V {
    let a = bor();
    while (peek() === '&&') { i++; const b = bor(); a = a === 0 || b === 0 ? 0 : a === null || b === null ? null : 1; }
    return a;
  }
  function lor(): V {
    let a = land();
    while (peek() === '||') { i++; const b = land(); a = (a !== null && a !== 0) || (b !== null && b !== 0) ? 1 : a === null || b === null ? null : 0; }
    return a;
  }
  function ternary(): V {
    const c = lor();
    if (!eat('?')) return c;
    const a = ternary();
    if (!eat(':')) { bad = true; return null; }
    const b = ternary();
    if (c === null) return a !== null && a === b ? a : null;
    return c ? a : b;
  }
  const v = ternary();
  if (bad || i !== toks.length) return null;
  return v;
}
