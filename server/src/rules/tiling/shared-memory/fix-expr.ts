// A small C expression reader for the GEMM fixers: index arithmetic, guards, launch
// configurations (`dim3 grid((N + 31) / 32, M / 32 + 1)`, also when the declaration parses
// as a function, `const dim3 block(BX, BY)`). Offsets are kept so a fixer can rewrite the
// parts it recognised and copy the rest of the user's text.
import { Poly } from '../../../core/affine';

export type Expr =
  | { k: 'num'; value: number; float: boolean; s: number; e: number }
  | { k: 'id'; name: string; s: number; e: number }
  | { k: 'member'; obj: Expr; field: string; s: number; e: number }
  | { k: 'call'; fn: Expr; args: Expr[]; s: number; e: number }
  | { k: 'index'; obj: Expr; index: Expr; s: number; e: number }
  | { k: 'unary'; op: string; x: Expr; s: number; e: number }
  | { k: 'binary'; op: string; l: Expr; r: Expr; s: number; e: number }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr; s: number; e: number }
  | { k: 'cast'; type: string; x: Expr; s: number; e: number }
  | { k: 'paren'; x: Expr; s: number; e: number };

interface Token {
  t: 'num' | 'id' | 'op';
  v: string;
  s: number;
  e: number;
}

const OPS = ['<<=', '>>=', '->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '::', '+=', '-=', '*=', '/=', '++', '--', '+', '-', '*', '/', '%', '<', '>', '!', '~', '&', '|', '^', '?', ':', '(', ')', '[', ']', '{', '}', ',', '.'];

function tokenize(text: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 2;
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[uUlLfF]*/.exec(text.slice(i));
    if (num && /[\d.]/.test(ch)) {
      out.push({ t: 'num', v: num[0], s: i, e: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], s: i, e: i + id[0].length });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) return null;
    out.push({ t: 'op', v: op, s: i, e: i + op.length });
    i += op.length;
  }
  return out;
}

const BINARY: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};
const TYPE_WORDS = new Set(['int', 'unsigned', 'signed', 'long', 'short', 'char', 'float', 'double', 'size_t', 'int64_t', 'uint64_t', 'int32_t', 'uint32_t', 'const', 'bool']);

/** Parses a whole expression; null when the text is not one this reader knows. */
export function parseExpr(text: string): Expr | null {
  const toks = tokenize(text);
  if (!toks || toks.length === 0) return null;
  let p = 0;
  const peek = (v?: string) => (p < toks.length && (v === undefined || toks[p].v === v) ? toks[p] : null);
  const take = (v: string) => {
    if (!peek(v)) throw new Error(`expected ${v}`);
    return toks[p++];
  };
  const primary = (): Expr => {
    const tok = toks[p];
    if (!tok) throw new Error('end');
    if (tok.t === 'num') {
      p++;
      const float = /[.eE]/.test(tok.v.replace(/^0[xX].*/, '')) || (/[fF]$/.test(tok.v) && !/^0[xX]/.test(tok.v));
      const value = /^0[xX]/.test(tok.v) ? parseInt(tok.v.replace(/[uUlL]+$/, ''), 16) : parseFloat(tok.v);
      return { k: 'num', value, float, s: tok.s, e: tok.e };
    }
    if (tok.t === 'id') {
      p++;
      // static_cast<int>(x) and friends
      if (/^(static|reinterpret|const)_cast$/.test(tok.v) && peek('<')) {
        p++;
        const ts = p;
        while (p < toks.length && toks[p].v !== '>') p++;
        const type = toks.slice(ts, p).map((t) => t.v).join(' ');
        take('>');
        take('(');
        const x = expr(0);
        const close = take(')');
        return { k: 'cast', type, x, s: tok.s, e: close.e };
      }
      return { k: 'id', name: tok.v, s: tok.s, e: tok.e };
    }
    if (tok.v === '(') {
      // a C cast: `(int)x`, `(const float)y`
      let q = p + 1;
      while (q < toks.length && toks[q].t === 'id' && TYPE_WORDS.has(toks[q].v)) q++;
      if (q > p + 1 && toks[q]?.v === ')') {
        const type = toks.slice(p + 1, q).map((t) => t.v).join(' ');
        p = q + 1;
        const x = unary();
        return { k: 'cast', type, x, s: tok.s, e: x.e };
      }
      p++;
      const x = expr(0);
      const close = take(')');
      return { k: 'paren', x, s: tok.s, e: close.e };
    }
    throw new Error(`unexpected ${tok.v}`);
  };
  const postfix = (): Expr => {
    let x = primary();
    for (;;) {
      if (peek('.') || peek('->')) {
        p++;
        const f = toks[p++];
        if (!f || f.t !== 'id') throw new Error('field');
        x = { k: 'member', obj: x, field: f.v, s: x.s, e: f.e };
      } else if (peek('(')) {
        p++;
        const args: Expr[] = [];
        if (!peek(')')) {
          args.push(expr(0));
          while (peek(',')) {
            p++;
            args.push(expr(0));
          }
        }
        const close = take(')');
        x = { k: 'call', fn: x, args, s: x.s, e: close.e };
      } else if (peek('[')) {
        p++;
        const index = expr(0);
        const close = take(']');
        x = { k: 'index', obj: x, index, s: x.s, e: close.e };
      } else return x;
    }
  };
  const unary = (): Expr => {
    const tok = toks[p];
    if (tok && tok.t === 'op' && ['-', '+', '!', '~', '*', '&'].includes(tok.v)) {
      p++;
      const x = unary();
      return { k: 'unary', op: tok.v, x, s: tok.s, e: x.e };
    }
    return postfix();
  };
  const expr = (min: number): Expr => {
    let l = unary();
    for (;;) {
      const tok = toks[p];
      if (!tok) return l;
      if (tok.v === '?' && min <= 0) {
        p++;
        const t = expr(0);
        take(':');
        const f = expr(0);
        l = { k: 'cond', c: l, t, f, s: l.s, e: f.e };
        continue;
      }
      const prec = tok.t === 'op' ? BINARY[tok.v] : undefined;
      if (prec === undefined || prec < min || prec === 0) return l;
      p++;
      const r = expr(prec + 1);
      l = { k: 'binary', op: tok.v, l, r, s: l.s, e: r.e };
    }
  };
  try {
    const e = expr(0);
    return p === toks.length ? e : null;
  } catch {
    return null;
  }
}

/** Splits `a, f(b, c), d` at its top-level commas (null when brackets do not balance). */
export function splitArgs(text: string): { text: string; s: number }[] | null {
  const out: { text: string; s: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push({ text: text.slice(start, i), s: start });
      start = i + 1;
    } else if (c === '<' && depth === 0 && /\w\s*$/.test(text.slice(start, i)) && /^[\w\s:,<>]*>/.test(text.slice(i + 1))) {
      // a template argument list (`f<32, 8>(x)`): skip to its end
      let d = 0;
      for (; i < text.length; i++) {
        if (text[i] === '<') d++;
        else if (text[i] === '>' && --d === 0) break;
      }
    }
    if (depth < 0) return null;
  }
  if (depth !== 0) return null;
  if (text.trim() || out.length) out.push({ text: text.slice(start), s: start });
  return out;
}

/** Strips parentheses and casts to an integer type (`(int)x`), which do not change an index's value. */
export function bare(e: Expr): Expr {
  for (;;) {
    if (e.k === 'paren') e = e.x;
    else if (e.k === 'cast' && /\b(int|long|unsigned|size_t|int64_t|uint32_t|int32_t|uint64_t)\b/.test(e.type) && !/\b(float|double)\b/.test(e.type)) e = e.x;
    else return e;
  }
}

/** Is the literal zero (`0`, `0.f`, `0.0f`)? */
export const isZero = (e: Expr): boolean => {
  const b = bare(e);
  return b.k === 'num' && b.value === 0;
};

/** The value of an integer expression as a polynomial, `name` giving each identifier's (unknown when it returns undefined). */
export function polyOf(e: Expr, name: (id: string) => Poly | undefined): Poly {
  switch (e.k) {
    case 'num':
      return e.float || !Number.isInteger(e.value) ? Poly.unknown : Poly.const(e.value);
    case 'id':
      return name(e.name) ?? Poly.unknown;
    case 'member': {
      const o = bare(e.obj);
      if (o.k === 'id' && ['threadIdx', 'blockIdx', 'blockDim', 'gridDim'].includes(o.name) && ['x', 'y', 'z'].includes(e.field)) return Poly.sym(`${o.name}.${e.field}`);
      return name(`${o.k === 'id' ? o.name : '?'}.${e.field}`) ?? Poly.unknown;
    }
    case 'paren':
      return polyOf(e.x, name);
    case 'cast':
      return bare(e) === e ? Poly.unknown : polyOf(e.x, name);
    case 'unary':
      return e.op === '-' ? polyOf(e.x, name).scale(-1) : e.op === '+' ? polyOf(e.x, name) : Poly.unknown;
    case 'binary': {
      const l = polyOf(e.l, name);
      const r = polyOf(e.r, name);
      if (e.op === '+') return l.add(r);
      if (e.op === '-') return l.sub(r);
      if (e.op === '*') return l.mul(r);
      if ((e.op === '/' || e.op === '%' || e.op === '<<' || e.op === '>>') && l.isConstant && r.isConstant && r.constant !== 0) {
        const a = l.constant;
        const b = r.constant;
        const v = e.op === '/' ? Math.trunc(a / b) : e.op === '%' ? a % b : e.op === '<<' ? a * 2 ** b : Math.floor(a / 2 ** b);
        return Poly.const(v);
      }
      if (e.op === '<<' && r.isConstant && r.constant >= 0 && r.constant < 31) return l.scale(2 ** r.constant);
      return Poly.unknown;
    }
    default:
      return Poly.unknown;
  }
}

/** `(X + D - 1) / D`, `(X + c) / d` with c = d - 1, `(X - 1) / D + 1`, `ceil_div(X, D)`: the X and D of a rounded-up division. */
export function ceilDiv(e: Expr, value: (x: Expr) => Poly): { x: Expr; d: Expr } | null {
  const b = bare(e);
  if (b.k === 'call') {
    const f = bare(b.fn);
    const fname = f.k === 'id' ? f.name : f.k === 'member' ? f.field : '';
    if (b.args.length === 2 && /ceil|div_?up|cdiv|divup|round_?up_?div|blocks_?for/i.test(fname) && !/^ceilf?$/.test(fname)) return { x: b.args[0], d: b.args[1] };
    return null;
  }
  if (b.k !== 'binary') return null;
  if (b.op === '+') {
    // (X - 1) / D + 1
    const one = bare(b.r);
    const div = bare(b.l);
    if (one.k === 'num' && one.value === 1 && div.k === 'binary' && div.op === '/') {
      const num = bare(div.l);
      if (num.k === 'binary' && num.op === '-') {
        const m = bare(num.r);
        if (m.k === 'num' && m.value === 1) return { x: num.l, d: div.r };
      }
    }
    return null;
  }
  if (b.op !== '/') return null;
  const num = bare(b.l);
  if (num.k !== 'binary' || (num.op !== '+' && num.op !== '-')) return null;
  const d = value(b.r);
  if (d.unknown) return null;
  // X + (D - 1): the addend's value is D - 1, however it is written (`+ D - 1` parses as (X + D) - 1)
  const whole = value(num);
  for (const x of terms(num)) {
    const rest = whole.sub(value(x));
    if (!rest.unknown && rest.equals(d.sub(Poly.const(1)))) return { x, d: b.r };
  }
  return null;
}

/** The candidate left operands of `X + D - 1`: X itself for each way the sum may be grouped. */
function terms(e: Expr): Expr[] {
  const out: Expr[] = [];
  let cur = bare(e);
  while (cur.k === 'binary' && (cur.op === '+' || cur.op === '-')) {
    out.push(cur.l);
    cur = bare(cur.l);
  }
  return out;
}

/** Text of `e` that may stand as an operand of `+` or `*` without parentheses. */
export function operand(text: string, e: Expr | null = parseExpr(text)): string {
  const t = text.trim();
  if (!e) return `(${t})`;
  const b = e;
  if (b.k === 'num' || b.k === 'id' || b.k === 'member' || b.k === 'call' || b.k === 'index' || b.k === 'paren') return t;
  if (b.k === 'binary' && ['*', '/', '%'].includes(b.op)) return t;
  return `(${t})`;
}
