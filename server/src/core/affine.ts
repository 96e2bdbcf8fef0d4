// Index expressions as polynomials over symbols (ANALYSIS.md §1). An index is usually
// affine in the thread/lane/loop symbols, but coefficients may be symbolic products
// (row * N gives the monomial N*threadIdx.y), so we keep a small polynomial:
// monomial key (sorted symbol names joined by '*', '' for the constant) -> integer.
// `unknown` marks a part we could not represent that depends on a thread, lane or loop
// symbol: rules that need exact coefficients say nothing about such an index.
import { boundedMemo } from './bounded-memo';

export type SymbolKind = 'thread' | 'block' | 'dim' | 'lane' | 'program' | 'loop' | 'derived' | 'uniform';

/** Classifies a symbol by its name; loop and lane symbols carry a '#' prefix. */
export function symbolKind(name: string): SymbolKind {
  if (name.startsWith('threadIdx.')) return 'thread';
  if (name.startsWith('blockIdx.')) return 'block';
  if (name.startsWith('blockDim.') || name.startsWith('gridDim.')) return 'dim';
  if (name.startsWith('#lane')) return 'lane';
  if (name.startsWith('#pid')) return 'program';
  if (name.startsWith('#loop')) return 'loop';
  if (name.startsWith('#op')) return 'derived';
  return 'uniform';
}

/** A symbol whose value differs between threads/lanes/iterations (not warp-uniform). */
export const isVarying = (name: string) => {
  const k = symbolKind(name);
  return k === 'thread' || k === 'lane' || k === 'loop' || k === 'derived';
};

/** Does `p` differ between the lanes of a warp (a thread or lane index, also inside an atom)? */
export const dependsOnLane = (p: Poly): boolean => p.dependsOn((s) => symbolKind(s) === 'thread' || symbolKind(s) === 'lane');

/**
 * Human-readable form of a symbol: '#loop3:k' -> 'k', an atom -> its expression, an opaque `a?b:c` -> `(a?b:c)`.
 * Remembered by name (an atom's display never changes): every shown poly reads its symbols this way.
 */
export const displaySymbol: (name: string) => string = boundedMemo(showSymbol, 20_000);

function showSymbol(name: string): string {
  const atom = atomDef(name);
  if (atom) return `(${atom.display})`;
  const colon = name.indexOf(':');
  const plain = name.startsWith('#') && colon > 0 ? name.slice(colon + 1) : name;
  const text = tidyExpression(plain);
  // (a call with plain arguments, `x.size(1)`, reads as one term)
  return /^[\w.':]+(?:\([\w.,]*\))?$/.test(text) ? text : `(${text})`;
}

/**
 * Macro-expanded text as a reader would write it: `(((n)+(64)-1)/(64))` -> `(n + 64 - 1) / 64`: no parentheses around
 * a lone name or number, none around the whole, spaces around binary `+`, `-` and `/`.
 */
export function tidyExpression(text: string): string {
  let t = text.replace(/\s+/g, ' ').trim();
  for (let before = ''; before !== t; ) {
    before = t;
    // (not a call's or a cast's parentheses: `f(x)`, `(float)x`, `(size_t)-1`, `(T)*p`)
    t = t.replace(/(^|[^\w.\]>])\(\s*([A-Za-z_][\w.]*(?:::[A-Za-z_]\w*)*|\d+[uUlL]*)\s*\)(?!\s*[\w(])/g, (m, before: string, inner: string, at: number) =>
      TYPE_NAME.test(inner) && /^\s*[-*&~!×]/.test(t.slice(at + m.length)) ? m : before + inner);
  }
  for (let before = ''; before !== t; ) (before = t), (t = unwrapped(t).trim());
  // (not `->`, nor the sign of an exponent, `1e-5`)
  return t.replace(/([\w.)\]])\s*([+/]|-(?!>))\s*(?=[\w.(])/g, (m, left: string, op: string, at: number) =>
    /(?:^|[^\w.])\d[\d.]*[eE]$/.test(t.slice(0, at + 1)) || castBefore(t.slice(0, at + 1)) ? m : `${left} ${op} `);
}

/** A name a cast may give (`size_t`, `float`, `int64_t`, a template's `T`): `(size_t)-1` is a cast, not a difference. */
const TYPE_NAME = /^(?:(?:unsigned|signed|long|short|int|char|float|double|bool|void|half|size_t|ptrdiff_t|[A-Za-z_]\w*_t)|[A-Z])$/;

/** Whether `text` ends with a cast, `(size_t)`: the sign after it is unary. */
const castBefore = (text: string): boolean => {
  const m = /\(\s*([A-Za-z_]\w*)\s*\)$/.exec(text);
  return !!m && TYPE_NAME.test(m[1]);
};

/** `text` without parentheses around the whole of it. */
const unwrapped = (text: string): string => (text.startsWith('(') && closingOf(text, 0) === text.length - 1 ? text.slice(1, -1) : text);

/** The index of the parenthesis closing the one at `open`, or -1. */
function closingOf(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * An operation real kernels apply to thread indices that a polynomial cannot hold
 * (`threadIdx.x % 32`, `tid >> 5`, `min(i, n - 1)`, `c ? a : b`). It becomes an atom: a
 * symbol (`#op12`) whose definition is kept here, so the index stays a polynomial and
 * warp-level evaluation (lanes.ts) computes its value per lane.
 */
export type AtomOp = '/' | '%' | '&' | '|' | '^' | '>>' | '<<' | 'min' | 'max' | '?:' | 'segment';
export interface AtomDef {
  op: AtomOp;
  /** Operands; for '?:' [left, right, then, else] of `left <cmp> right ? then : else`; for 'segment' [row]. */
  args: Poly[];
  /** The comparison of '?:'; the load a 'segment' starts at, as written (`rowptr[row]`). */
  cmp?: string;
  display: string;
}
const atoms = new Map<string, AtomDef>();
const atomNames = new Map<string, string>();
/** Enough for any workspace; past it new atoms are unknown rather than memory growing without end. */
const MAX_ATOMS = 200_000;
/**
 * Past these a product is unknown: `x = x * x` repeated would otherwise double its
 * monomials' length, or `(a + b) * (c + d) * ...` square its term count, at every step.
 */
const MAX_TERMS = 256;
const MAX_DEGREE = 16;

export function atomDef(name: string): AtomDef | undefined {
  return name.startsWith('#op') ? atoms.get(name) : undefined;
}

/** The atom for `op` over `args` (interned: the same operation gives the same symbol), or unknown. */
export function atom(op: AtomOp, args: Poly[], cmp?: string): Poly {
  if (args.some((a) => a.unknown)) return Poly.unknown;
  const key = `${op}${cmp ?? ''}(${args.map((a) => a.key()).join(',')})`;
  let name = atomNames.get(key);
  if (!name) {
    if (atoms.size >= MAX_ATOMS) return Poly.unknown;
    name = `#op${atoms.size}`;
    // capped: an atom over the last one twice (`t ^= t >> 13` again and again) would double its text each time
    const d = args.map((a) => {
      const t = a.toString();
      return t.length > MAX_ATOM_TEXT ? `${t.slice(0, MAX_ATOM_TEXT - 1)}…` : t;
    });
    const display =
      op === '?:' ? `${d[0]} ${cmp} ${d[1]} ? ${d[2]} : ${d[3]}` : op === 'min' || op === 'max' ? `${op}(${d.join(', ')})` :
      op === 'segment' ? cmp ?? `segment(${d[0]})` : `${wrap(d[0])} ${op} ${wrap(d[1])}`;
    atoms.set(name, { op, args, cmp, display });
    atomNames.set(key, name);
  }
  return Poly.sym(name);
}
const wrap = (t: string) => (/^[\w.()']+$/.test(t) ? t : `(${t})`);
/** Characters of an operand's text inside an atom's display. */
const MAX_ATOM_TEXT = 120;

export class Poly {
  constructor(
    readonly terms: ReadonlyMap<string, number>,
    readonly unknown = false,
  ) {}

  static const(c: number): Poly {
    return new Poly(c === 0 ? new Map() : new Map([['', c]]));
  }
  static sym(name: string): Poly {
    return new Poly(new Map([[name, 1]]));
  }
  static readonly unknown = new Poly(new Map(), true);

  get isConstant(): boolean {
    if (this.unknown) return false;
    for (const k of this.terms.keys()) if (k !== '') return false;
    return true;
  }
  get constant(): number {
    return this.terms.get('') ?? 0;
  }
  /** Kept: a poly never changes, and rules ask for its symbols many times. */
  private symbolSet: ReadonlySet<string> | undefined;
  private keyText: string | undefined;
  private shown: string | undefined;
  symbols(): ReadonlySet<string> {
    if (this.symbolSet) return this.symbolSet;
    const out = new Set<string>();
    // (most monomials are one symbol: no split)
    for (const key of this.terms.keys()) if (key.includes('*')) for (const s of key.split('*')) out.add(s); else if (key) out.add(key);
    return (this.symbolSet = out);
  }
  /** Does the form depend on a symbol matching `pred`, directly or through an atom's operands? */
  dependsOn(pred: (sym: string) => boolean): boolean {
    // atoms share operands (`h ^ (h >> 13)` repeated): each is visited once, with an explicit stack
    // (the set made at the first atom: most forms have none, and rules ask this of every index)
    let seen: Set<string> | undefined;
    const stack: Poly[] = [this];
    while (stack.length) {
      for (const s of stack.pop()!.symbols()) {
        if (pred(s)) return true;
        const d = atomDef(s);
        if (d && !(seen ??= new Set()).has(s)) {
          seen.add(s);
          for (let i = d.args.length - 1; i >= 0; i--) stack.push(d.args[i]);
        }
      }
    }
    return false;
  }
  /** Holds an atom (a `/`, `%`, `&`, ... of a varying value): exact coefficients do not tell the whole story, lanes do. */
  get hasAtoms(): boolean {
    for (const s of this.symbols()) if (s.startsWith('#op')) return true;
    return false;
  }
  /** A canonical text with full symbol names (loop ids kept), for interning and comparing. */
  key(): string {
    if (this.keyText !== undefined) return this.keyText;
    const keys = [...this.terms.keys()].sort();
    return (this.keyText = keys.map((k) => `${this.terms.get(k)}${k ? '*' + k : ''}`).join('+') + (this.unknown ? '+?' : ''));
  }

  add(o: Poly): Poly {
    const m = new Map(this.terms);
    for (const [k, v] of o.terms) {
      const n = (m.get(k) ?? 0) + v;
      if (n === 0) m.delete(k);
      else m.set(k, n);
    }
    if (m.size > MAX_TERMS) return Poly.unknown;
    return new Poly(m, this.unknown || o.unknown);
  }
  scale(c: number): Poly {
    if (c === 0) return this.unknown ? Poly.unknown : Poly.const(0);
    const m = new Map<string, number>();
    for (const [k, v] of this.terms) m.set(k, v * c);
    return new Poly(m, this.unknown);
  }
  sub(o: Poly): Poly {
    return this.add(o.scale(-1));
  }
  mul(o: Poly): Poly {
    if (this.terms.size * o.terms.size > MAX_TERMS) return Poly.unknown;
    const m = new Map<string, number>();
    for (const [k1, v1] of this.terms)
      for (const [k2, v2] of o.terms) {
        const key = oneSymbol(k1) && oneSymbol(k2) ? (k1 <= k2 ? `${k1}*${k2}` : `${k2}*${k1}`) : monomial(k1, k2);
        if (key === undefined) return Poly.unknown;
        const n = (m.get(key) ?? 0) + v1 * v2;
        if (n === 0) m.delete(key);
        else m.set(key, n);
      }
    return new Poly(m, this.unknown || o.unknown);
  }
  /** Exact division by an integer constant, or undefined when a coefficient is not divisible. */
  divExact(c: number): Poly | undefined {
    if (c === 0) return undefined;
    const m = new Map<string, number>();
    for (const [k, v] of this.terms) {
      if (v % c !== 0) return undefined;
      m.set(k, v / c);
    }
    return new Poly(m, this.unknown);
  }

  /** A uniform symbol every term of the offset is scaled by (`x128::size` of `(bid * bdim + tid) * x128::size`, `T` of `row * T`). */
  commonSize(): string | undefined {
    if (this.unknown || this.terms.size === 0 || this.terms.has('')) return undefined;
    const keys = [...this.terms.keys()].map((k) => k.split('*'));
    return keys[0].find((s) => symbolKind(s) === 'uniform' && keys.every((k) => k.includes(s)));
  }

  /**
   * `(bid * bdim + tid) * x128::size` -> `bid * bdim + tid`: a cast to a wider pack type at an
   * offset that every term scales by one named size (the pack's element count). Undefined when
   * no uniform symbol divides every term.
   */
  divideByCommonSize(): Poly | undefined {
    const size = this.commonSize();
    if (!size) return undefined;
    const m = new Map<string, number>();
    for (const [k, v] of this.terms) {
      const parts = k.split('*');
      parts.splice(parts.indexOf(size), 1);
      m.set(parts.join('*'), v);
    }
    return new Poly(m);
  }

  /**
   * The coefficient of `sym`: the sum of the monomials that contain it once, with it
   * removed. A monomial with `sym` twice, or an unknown part, makes the result unknown.
   */
  coefficient(sym: string): Poly {
    const m = new Map<string, number>();
    let unknown = this.unknown;
    for (const [k, v] of this.terms) {
      // (a monomial whose text does not hold the name has no such part: no split)
      if (!k || !k.includes(sym)) continue;
      // (the symbol alone: its coefficient is the constant, with no split; a name holding `*` is split as any monomial)
      if (k === sym && !sym.includes('*')) {
        m.set('', (m.get('') ?? 0) + v);
        continue;
      }
      const rest: string[] = [];
      let count = 0;
      for (const p of k.split('*')) if (p === sym) count++; else rest.push(p);
      if (count === 0) continue;
      if (count > 1) unknown = true;
      const key = rest.join('*');
      m.set(key, (m.get(key) ?? 0) + v);
    }
    return new Poly(m, unknown);
  }
  /** This poly without the monomials that mention `sym`. */
  without(sym: string): Poly {
    const m = new Map<string, number>();
    for (const [k, v] of this.terms) if (!k.includes(sym) || !k.split('*').includes(sym)) m.set(k, v);
    return new Poly(m, this.unknown);
  }
  /** Replaces a symbol by a poly (used to map kernel parameters to launch arguments). */
  substitute(sym: string, value: Poly): Poly {
    let out = new Poly(new Map(), this.unknown);
    for (const [k, v] of this.terms) {
      let term = Poly.const(v);
      for (const p of k ? k.split('*') : []) term = term.mul(p === sym ? value : Poly.sym(p));
      out = out.add(term);
    }
    return out;
  }
  /** The same form, unknown parts included (facts compared across edits; `equals` is about known values). */
  sameAs(o: Poly): boolean {
    if (this.unknown !== o.unknown || this.terms.size !== o.terms.size) return false;
    for (const [k, v] of this.terms) if (o.terms.get(k) !== v) return false;
    return true;
  }
  equals(o: Poly): boolean {
    if (this.unknown || o.unknown || this.terms.size !== o.terms.size) return false;
    for (const [k, v] of this.terms) if (o.terms.get(k) !== v) return false;
    return true;
  }

  toString(): string {
    return (this.shown ??= this.show());
  }
  private show(): string {
    if (this.terms.size === 0) return this.unknown ? '?' : '0';
    const parts: string[] = [];
    const keys = [...this.terms.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
    for (const k of keys) {
      const v = this.terms.get(k)!;
      // (a lone term reads without the parentheses a product would need: `n / 32`, not `(n / 32)`)
      const lone = this.terms.size === 1 && v === 1 && !!k && !k.includes('*') && !this.unknown;
      const syms = !k ? '' : lone ? unwrapped(displaySymbol(k)) : k.split('*').map(displaySymbol).join('*');
      const abs = Math.abs(v);
      const body = !syms ? String(abs) : abs === 1 ? syms : `${abs}*${syms}`;
      parts.push(parts.length === 0 ? (v < 0 ? `-${body}` : body) : v < 0 ? `- ${body}` : `+ ${body}`);
    }
    return parts.join(' ') + (this.unknown ? ' + ?' : '');
  }
}

/** A monomial of one symbol (not the constant's '', not a product). */
const oneSymbol = (k: string): boolean => k !== '' && !k.includes('*');

/** The monomial of the product of two, its symbols sorted; undefined past MAX_DEGREE. */
function monomial(k1: string, k2: string): string | undefined {
  const syms = [...(k1 ? k1.split('*') : []), ...(k2 ? k2.split('*') : [])];
  return syms.length > MAX_DEGREE ? undefined : syms.sort().join('*');
}

/**
 * `p` with some symbols given integer values, inside atoms too: `tid % (K / T)` with the
 * template arguments K = 512, T = 128 is `tid % 4`, and an atom of constants is its value.
 */
export function bindSymbols(p: Poly, values: ReadonlyMap<string, number>, depth = 0): Poly {
  if (p.unknown || !values.size || depth > 16 || !mentionsAny(p, values)) return p;
  let out = p;
  for (const s of p.symbols()) {
    const v = values.get(s);
    if (v !== undefined) {
      out = out.substitute(s, Poly.const(v));
      continue;
    }
    const d = atomDef(s);
    if (d) {
      if (d.args.some((a) => mentionsAny(a, values))) out = out.substitute(s, foldAtom(d.op, d.args.map((a) => bindSymbols(a, values, depth + 1)), d.cmp));
      continue;
    }
    // a uniform expression kept as its text (`BN/TN`: the same for every thread): its value when every name in it is bound
    const folded = symbolKind(s) === 'uniform' ? constantText(s, values) : null;
    if (folded !== null) out = out.substitute(s, Poly.const(folded));
  }
  return out;
}

const NAME = /[A-Za-z_]\w*/g;

/** The one symbol `p` is, with coefficient 1 and nothing added (`n%4`, `K/WK`), else null. */
export function loneSymbol(p: Poly): string | null {
  if (p.unknown || p.constant !== 0 || p.terms.size !== 1) return null;
  const only = [...p.symbols()];
  if (only.length !== 1) return null;
  const c = p.coefficient(only[0]);
  return c.isConstant && c.constant === 1 ? only[0] : null;
}

/**
 * Whether `p` depends on `sym`: directly, through the operands of its `/`, `%`, `&`, `>>` (an atom that cannot be
 * read counts), or inside a uniform expression kept as text (`(blockIdx.y)/(kv_mul)`).
 */
export function reaches(p: Poly, sym: string): boolean {
  return p.dependsOn((s) => s === sym || (s.startsWith('#op') && (atomDef(s)?.args.some((x) => reaches(x, sym)) ?? true)) ||
    (symbolKind(s) === 'uniform' && /[^\w.]/.test(s) && s.includes(sym)));
}

/** Does `p` depend on any of these names: as symbols, inside atoms, or inside a uniform expression kept as text (`BN/TN`)? */
export function mentionsAny(p: Poly, values: ReadonlyMap<string, number>): boolean {
  return p.dependsOn((s) => values.has(s) || (symbolKind(s) === 'uniform' && /[^\w.]/.test(s) && (s.match(NAME) ?? []).some((n) => values.has(n))));
}

/** The integer value of an expression text (`BN/TN`, `(BM×BK)/4`, `BLOCK + 8`) whose names all have values, C's truncating division; else null. */
export function constantText(text: string, values: ReadonlyMap<string, number>): number | null {
  if (text.length > 200 || !/^[\w()+\-×*/%?:\s]+$/.test(text)) return null;
  const names = text.match(NAME) ?? [];
  if (names.some((n) => !values.has(n))) return null;
  const tokens = text.match(/\d+|[A-Za-z_]\w*|[()+\-×*/%?:]/g) ?? [];
  let at = 0;
  const primary = (): number | null => {
    const t = tokens[at++];
    if (t === undefined) return null;
    if (t === '(') {
      const v = choice();
      return tokens[at++] === ')' ? v : null;
    }
    if (t === '-') {
      const v = primary();
      return v === null ? null : -v;
    }
    if (/^\d+$/.test(t)) return Number(t);
    return values.get(t) ?? null;
  };
  const product = (): number | null => {
    let v = primary();
    while (v !== null && (tokens[at] === '×' || tokens[at] === '*' || tokens[at] === '/' || tokens[at] === '%')) {
      const op = tokens[at++];
      const r = primary();
      if (r === null || ((op === '/' || op === '%') && r === 0)) return null;
      v = op === '/' ? Math.trunc(v / r) : op === '%' ? v % r : v * r;
    }
    return v;
  };
  const sum = (): number | null => {
    let v = product();
    while (v !== null && (tokens[at] === '+' || tokens[at] === '-')) {
      const op = tokens[at++];
      const r = product();
      if (r === null) return null;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  // `kBoth ? 4 : 2` on a bound template flag
  const choice = (): number | null => {
    const c = sum();
    if (c === null || tokens[at] !== '?') return c;
    at++;
    const a = choice();
    if (a === null || tokens[at++] !== ':') return null;
    const b = choice();
    return b === null ? null : c !== 0 ? a : b;
  };
  const v = choice();
  return v !== null && at === tokens.length && Number.isSafeInteger(v) ? v : null;
}

/**
 * `(x / n) * n + x % n` is `x` (C's truncating division, for either sign): the index a kernel
 * rebuilds from the coordinates it split its thread index into (`(k * n + j) * size + i` with
 * `i = idx % size`, `j = idx / size % n`, `k = idx / size / n`) reads as the thread index again.
 */
export function recomposeDivMod(p: Poly): Poly {
  if (p.unknown || !p.hasAtoms) return p;
  for (let round = 0; round < 16; round++) {
    let next: Poly | null = null;
    for (const [key, c] of p.terms) {
      const parts = key ? key.split('*') : [];
      const at = parts.findIndex((s) => atomDef(s)?.op === '%');
      if (at < 0) continue;
      const [x, n] = atomDef(parts[at])!.args;
      const div = atomNames.get(`/(${x.key()},${n.key()})`);
      if (!div) continue;
      const rest = parts.filter((_, i) => i !== at).reduce((acc, s) => acc.mul(Poly.sym(s)), Poly.const(c));
      const whole = rest.mul(Poly.sym(div)).mul(n);
      if (whole.unknown || [...whole.terms].some(([k, v]) => p.terms.get(k) !== v)) continue;
      next = p.sub(whole).sub(rest.mul(Poly.sym(parts[at]))).add(rest.mul(x));
      break;
    }
    if (!next) return p;
    p = next;
  }
  return p;
}

/** An atom over arguments that may now be constants: its value when they all are. */
function foldAtom(op: AtomOp, args: Poly[], cmp?: string): Poly {
  if (args.every((a) => a.isConstant)) {
    const [a, b, c, e] = args.map((x) => x.constant);
    const value = constantAtom(op, a, b, c, e, cmp);
    if (value !== null) return Poly.const(value);
  }
  if (op === '/' && args[1].isConstant) return args[0].divExact(args[1].constant) ?? atom(op, args, cmp);
  return atom(op, args, cmp);
}

/**
 * Where a row of a CSR structure starts (`rowptr[row]`, a 'segment' atom), sampled as row × 16 elements: the rows of
 * sparse matrices and segment reductions hold tens of elements on average, so a thread per row puts each lane of a
 * warp in sectors of its own.
 */
export const SEGMENT_SPREAD = 16;

/** The value of an atom whose arguments are the integers a, b (and c, e for `?:`), or null (division by zero, a shift out of range). */
export function constantAtom(op: AtomOp, a: number, b: number, c: number, e: number, cmp?: string): number | null {
  switch (op) {
    case '/':
      return b === 0 ? null : Math.trunc(a / b);
    case '%':
      return b === 0 ? null : a % b;
    case '&':
      return Number(BigInt(a) & BigInt(b));
    case '|':
      return Number(BigInt(a) | BigInt(b));
    case '^':
      return Number(BigInt(a) ^ BigInt(b));
    case '>>':
      return b < 0 || b > 62 ? null : Math.floor(a / 2 ** b);
    case '<<':
      return b < 0 || b > 40 ? null : a * 2 ** b;
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    case 'segment':
      return a * SEGMENT_SPREAD;
    case '?:': {
      const ok = cmp === '<' ? a < b : cmp === '<=' ? a <= b : cmp === '>' ? a > b : cmp === '>=' ? a >= b : cmp === '==' ? a === b : cmp === '!=' ? a !== b : null;
      return ok === null ? null : ok ? c : e;
    }
  }
}
