// vectorization/packed-half's fixer: rewrites a kernel's scalar fp16 / bf16 element code
// so that each thread takes 8 consecutive elements, moves them with one 16-byte load /
// store per array and computes them as 4 `__half2` / `__nv_bfloat162` with the paired
// intrinsics that round as the scalar ones did (`__hmul` then `__hadd` stays `__hmul2`
// then `__hadd2`; a float round trip becomes `__half22float2` ... `__floats2half2_rn`).
// The original statements stay as a scalar path for the last < 8 elements and for arrays
// that are not 16-byte aligned at run time, so the results are those of the scalar code
// for every n and every alignment.
//
// Forms rewritten: one element per thread (`i = blockIdx.x * blockDim.x + threadIdx.x`
// under `if (i < n)` or after `if (i >= n) return;`; the launches in the file get 1/8 of
// the blocks), grid-stride and block-stride loops, and a loop a thread runs over a row
// (`for (k = 0; k < K; ++k)`). The element code must be declarations and stores of
// element i of 16-bit arrays computed with operations that have a paired form.
import type { FixContext, Fixer } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { nodeRange } from '../../../core/syntax';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import {
  FLOAT_MATH, HALF_OF, INT_MATH, OPERATOR, OTHER_ROUNDING, PAIR, PAIRED, Refusal, asAddend, asBound, asFactor, bare, bareType, intLiteral, isBuiltin,
  isGlobalIndex, isGridStride, isIndexType, isWideIndexType, literalClass, operatorOf, refuse, typeClass, unparen, type Half, type TypeClass,
} from './fix-expr';

/** Where the elements are handed out. */
interface Site {
  kind: 'guard' | 'return' | 'grid' | 'block' | 'row';
  /** The element index. */
  e: string;
  /** Its declaration (the loop's initializer for loops) and the parts of it. */
  decl: SyntaxNode;
  typeNode: SyntaxNode;
  init: SyntaxNode;
  bound: SyntaxNode;
  /** The statements run for one element. */
  body: SyntaxNode[];
  /** The text replaced by the packed code: the guard or the loop, or (after a return guard) the statements. */
  from: SyntaxNode;
  to: SyntaxNode;
  loop?: SyntaxNode;
  stride?: SyntaxNode;
}

interface Symbol {
  type: string;
  pointer: boolean;
  /** A `__restrict__` parameter: no other pointer reaches its memory. */
  restrict?: boolean;
  /** Declared as an array or more than once: not one value. */
  unclear?: boolean;
  node?: SyntaxNode;
  init?: SyntaxNode | null;
}

/** A 16-bit array the element code reads or writes at element i. */
interface Stream {
  name: string;
  half: Half;
  /** Read before it is written (its 16 bytes are loaded). */
  load: boolean;
  store: boolean;
  raw: string;
  view: string;
}

/** A value of the element code, for one pair of elements. */
type Val =
  | { k: 'H'; half: Half; pair: string }
  /** Varying float: a float2 expression and/or its two components. */
  | { k: 'F'; pair?: string; comps?: [string, string]; hint: string }
  /** The same for every element: the scalar text and its type. */
  | { k: 'U'; type: TypeClass; text: string };

const COMMENT_TYPES = new Set(['comment']);
/** Marks a line break inside a generated statement; replaced by a newline and the statement's indentation plus two levels. */
const CONTINUATION = '\u0001';
const statementsOf = (n: SyntaxNode): SyntaxNode[] => (n.type === 'compound_statement' ? n.namedChildren : [n]);
const code = (nodes: SyntaxNode[]) => nodes.filter((s) => !COMMENT_TYPES.has(s.type));
const quote = (s: string) => '`' + (s.length > 60 ? s.slice(0, 57) + '...' : s).replace(/\s+/g, ' ') + '`';
const firstLine = (n: SyntaxNode) => n.text.split('\n')[0].trim();
const identifiersIn = (n: SyntaxNode): SyntaxNode[] => (n.type === 'identifier' ? [n] : n.descendantsOfType('identifier'));

/** The name a declarator declares, whether through a pointer, and whether it is an array. */
function declared(d: SyntaxNode): { name: string; pointer: boolean; array: boolean; init: SyntaxNode | null } | null {
  let init: SyntaxNode | null = null;
  if (d.type === 'init_declarator') {
    init = d.childForFieldName('value');
    d = d.childForFieldName('declarator')!;
  }
  let pointer = false;
  let array = false;
  while (d && d.type !== 'identifier') {
    if (d.type === 'pointer_declarator') pointer = true;
    else if (d.type === 'array_declarator') array = true;
    else if (d.type !== 'reference_declarator' && d.type !== 'parenthesized_declarator') return null;
    d = d.childForFieldName('declarator') ?? d.namedChildren[d.namedChildren.length - 1];
  }
  return d ? { name: d.text, pointer, array, init } : null;
}

/** Parameters and locals of a function by name. */
function symbolsOf(fn: FunctionFacts, def: SyntaxNode): Map<string, Symbol> {
  const out = new Map<string, Symbol>();
  for (const p of fn.params) out.set(p.name, { type: p.type, pointer: p.pointer, restrict: p.restrict });
  for (const decl of def.descendantsOfType('declaration')) {
    const type = decl.childForFieldName('type')?.text ?? '';
    for (const d of decl.childrenForFieldName('declarator')) {
      const one = declared(d);
      if (!one) continue;
      const seen = out.get(one.name);
      out.set(one.name, seen ? { ...seen, unclear: true } : { type, pointer: one.pointer, unclear: one.array, node: decl, init: one.init });
    }
  }
  return out;
}

/** Names assigned or incremented anywhere in `n`. */
function assignedNames(n: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const a of n.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const target = a.type === 'assignment_expression' ? a.childForFieldName('left') : a.childForFieldName('argument');
    if (target?.type === 'identifier') out.add(target.text);
  }
  return out;
}

/** Following a local constant to its value (`for (int i = tid; ...)` with `const int tid = ...`). */
function resolve(n: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): SyntaxNode {
  const b = bare(n);
  if (b.type !== 'identifier') return n;
  const s = symbols.get(b.text);
  return s && !s.unclear && !s.pointer && s.init && !assigned.has(b.text) ? s.init : n;
}

/** A for loop that hands out elements, or null. */
function matchLoop(loop: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): Site | null {
  const decl = loop.childForFieldName('initializer');
  const cond = loop.childForFieldName('condition');
  const update = loop.childForFieldName('update');
  const body = loop.childForFieldName('body');
  if (!decl || decl.type !== 'declaration' || !cond || !update || !body) return null;
  const ds = decl.childrenForFieldName('declarator');
  const one = ds.length === 1 ? declared(ds[0]) : null;
  const typeNode = decl.childForFieldName('type');
  if (!one || one.pointer || one.array || !one.init || !typeNode || !isIndexType(typeNode.text)) return null;
  const e = one.name;
  const c = unparen(cond);
  if (c.type !== 'binary_expression' || operatorOf(c) !== '<' || c.childForFieldName('left')?.text !== e) return null;
  const bound = c.childForFieldName('right')!;
  let stride: SyntaxNode | null = null;
  let unit = false;
  if (update.type === 'update_expression' && operatorOf(update) === '++' && update.childForFieldName('argument')?.text === e) unit = true;
  else if (update.type === 'assignment_expression' && operatorOf(update) === '+=' && update.childForFieldName('left')?.text === e) {
    stride = update.childForFieldName('right');
    unit = intLiteral(stride!) === 1;
  } else return null;
  const init = resolve(one.init, symbols, assigned);
  const base = { e, decl, typeNode, init: one.init, bound, body: statementsOf(body), from: loop, to: loop, loop, stride: stride ?? undefined };
  if (unit && intLiteral(bare(init)) === 0) return { kind: 'row', ...base };
  if (!stride) return null;
  const s = resolve(stride, symbols, assigned);
  if (isGlobalIndex(init) && isGridStride(s)) return { kind: 'grid', ...base };
  if (isBuiltin(init, 'threadIdx', 'x') && isBuiltin(s, 'blockDim', 'x')) return { kind: 'block', ...base };
  return null;
}

const mentions = (n: SyntaxNode, name: string) => identifiersIn(n).some((i) => i.text === name);

/** One element per thread: `T i = blockIdx.x * blockDim.x + threadIdx.x;` then `if (i < n) ...` or `if (i >= n) return;`. */
function matchGuard(fnBody: SyntaxNode, symbols: Map<string, Symbol>, assigned: Set<string>): Site | null {
  const stmts = fnBody.namedChildren;
  for (let at = 0; at < stmts.length; at++) {
    const decl = stmts[at];
    if (decl.type !== 'declaration') continue;
    const ds = decl.childrenForFieldName('declarator');
    const one = ds.length === 1 ? declared(ds[0]) : null;
    const typeNode = decl.childForFieldName('type');
    if (!one || one.pointer || one.array || !one.init || !typeNode || !isIndexType(typeNode.text)) continue;
    if (!isGlobalIndex(resolve(one.init, symbols, assigned))) continue;
    const e = one.name;
    if (assigned.has(e)) refuse(`\`${e}\` changes after it is computed`);
    const rest = stmts.slice(at + 1);
    const first = rest.findIndex((s) => mentions(s, e));
    if (first < 0) return null;
    const guard = rest[first];
    const after = code(rest.slice(first + 1));
    if (guard.type !== 'if_statement') refuse(`the kernel uses \`${e}\` before guarding it (${quote(firstLine(guard))})`);
    if (guard.childForFieldName('alternative')) refuse(`the guard ${quote(firstLine(guard))} has an else branch`);
    const cond = unparen(guard.childForFieldName('condition')?.childForFieldName('value') ?? guard);
    const op = operatorOf(cond);
    const l = cond.childForFieldName('left');
    const r = cond.childForFieldName('right');
    if (cond.type !== 'binary_expression' || !l || !r) return refuse(`the guard ${quote(firstLine(guard))} is not \`${e} < n\``);
    const consequence = guard.childForFieldName('consequence')!;
    const base = { e, decl, typeNode, init: one.init };
    if (op === '<' && l.text === e && !mentions(r, e)) {
      if (after.length) refuse(`statements follow the guard \`if (${cond.text})\``);
      return { kind: 'guard', ...base, bound: r, body: statementsOf(consequence), from: guard, to: guard };
    }
    const returns = code(statementsOf(consequence));
    const isReturn = returns.length === 1 && returns[0].type === 'return_statement' && returns[0].namedChildren.length === 0;
    if (isReturn && ((op === '>=' && l.text === e && !mentions(r, e)) || (op === '<=' && r.text === e && !mentions(l, e)))) {
      if (!after.length) return null;
      return { kind: 'return', ...base, bound: op === '>=' ? r : l, body: rest.slice(first + 1), from: rest[first + 1], to: rest[rest.length - 1] };
    }
    return refuse(`the guard ${quote(firstLine(guard))} is not \`${e} < n\``);
  }
  return null;
}

const inside = (outer: SyntaxNode, r: { start: { line: number; column: number }; end: { line: number; column: number } }) => {
  const o = nodeRange(outer);
  const le = (a: { line: number; column: number }, b: { line: number; column: number }) => a.line < b.line || (a.line === b.line && a.column <= b.column);
  return le(o.start, r.start) && le(r.end, o.end);
};

/** Reads the element code and writes its packed form. */
class Packer {
  private readonly used: Set<string>;
  private readonly indexLocals = new Map<string, SyntaxNode>();
  private readonly values = new Map<string, Val>();
  readonly streams = new Map<string, Stream>();
  /** The index of every stream access (whitespace removed), its text and the accesses. */
  private index: { key: string; node: SyntaxNode } | null = null;
  readonly accessIndices: SyntaxNode[] = [];
  readonly hoisted: SyntaxNode[] = [];
  private readonly hoistedInits = new Map<string, SyntaxNode>();
  readonly scalar: SyntaxNode[] = [];
  readonly broadcasts = new Map<string, { name: string; half: Half }>();
  /** Arrays read at an element the same for every element (`bias[blockIdx.x]`), and that read. */
  readonly uniformReads = new Map<string, string>();
  readonly pairStatements: string[] = [];
  private pre: string[] = [];
  private readonly floats = new Map<string, string>();
  private stored = new Set<string>();
  readonly k: string;
  private current: SyntaxNode | null = null;

  constructor(
    private readonly site: Site,
    private readonly symbols: Map<string, Symbol>,
    def: SyntaxNode,
  ) {
    this.used = new Set(identifiersIn(def).map((i) => i.text));
    this.k = this.fresh('k');
  }

  fresh(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}${n === 2 ? '_' : n}`;
    this.used.add(name);
    return name;
  }

  get indexText(): string {
    return this.index!.node.text;
  }
  get indexNode(): SyntaxNode {
    return this.index!.node;
  }

  private isVaryingName(name: string) {
    return name === this.site.e || this.indexLocals.has(name) || this.values.has(name);
  }

  /** The coefficient of the element index in an integer expression: 1 for element i, 0 for the same value for every element, null otherwise. */
  private coef(n: SyntaxNode): number | null {
    switch (n.type) {
      case 'identifier': {
        if (n.text === this.site.e) return 1;
        const l = this.indexLocals.get(n.text);
        if (l) return this.coef(l);
        return this.values.has(n.text) ? null : 0;
      }
      case 'number_literal':
        return 0;
      case 'parenthesized_expression':
        return n.namedChildren.length === 1 ? this.coef(n.namedChildren[0]) : null;
      case 'cast_expression': {
        const v = n.childForFieldName('value');
        if (!v) return null;
        const c = this.coef(v);
        return c === 0 || typeClass(n.childForFieldName('type')?.text) === 'int' ? c : null;
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left')!;
        const r = n.childForFieldName('right')!;
        const a = this.coef(l);
        const b = this.coef(r);
        if (a === null || b === null) return null;
        const op = operatorOf(n);
        if (op === '+') return a + b;
        if (op === '-') return a - b;
        if (a === 0 && b === 0) return 0;
        if (op === '*') {
          const lv = intLiteral(unparen(l));
          const rv = intLiteral(unparen(r));
          if (a === 0 && lv !== null) return lv * b;
          if (b === 0 && rv !== null) return a * rv;
        }
        return null;
      }
      default:
        return this.varyingIn(n) ? null : 0;
    }
  }

  /** Does `n` read the element index, a value of the element or a stream element? */
  private varyingIn(n: SyntaxNode): boolean {
    return identifiersIn(n).some((i) => this.isVaryingName(i.text) && !(i.parent?.type === 'field_expression' && i.parent.childForFieldName('field') === i));
  }

  /** Rejects what a scalar declaration hoisted out of the element code must not do. */
  private checkPure(n: SyntaxNode): void {
    for (const c of [n, ...n.descendantsOfType(['call_expression', 'assignment_expression', 'update_expression'])]) {
      if (c.type === 'assignment_expression' || c.type === 'update_expression') refuse(`the element code changes a value inside an expression (${quote(c.text)})`);
      if (c.type !== 'call_expression') continue;
      const name = c.childForFieldName('function')?.text ?? '';
      if (!(PAIRED[name] || FLOAT_MATH.has(name) || INT_MATH.has(name) || PAIR.fp16.toFloat.includes(name) || PAIR.bf16.toFloat.includes(name) || PAIR.fp16.fromFloat.includes(name) || PAIR.bf16.fromFloat.includes(name))) {
        refuse(`the element code calls \`${name}\`, which the packed form cannot repeat per element`);
      }
    }
  }

  private elemTypeOf(name: string, at: SyntaxNode): string {
    const s = this.symbols.get(name);
    if (!s || !s.pointer || s.unclear) return refuse(`the element code indexes ${quote(at.text)}, whose element type is not known`);
    return bareType(s.type);
  }

  /** A subscript: a stream element, a value the same for every element, or a refusal. */
  private subscript(n: SyntaxNode, store: boolean): { stream: Stream } | { uniform: Val } {
    const arr = n.childForFieldName('argument')!;
    const list = n.childForFieldName('indices');
    const idx = list?.namedChildren.length === 1 ? list.namedChildren[0] : null;
    if (arr.type !== 'identifier' || !idx) return refuse(`the element code indexes ${quote(n.text)}`);
    const c = this.coef(idx);
    if (c === 0 && !store) {
      this.checkPure(idx);
      this.uniformReads.set(arr.text, n.text);
      return { uniform: { k: 'U', type: typeClass(this.elemTypeOf(arr.text, n)), text: n.text } };
    }
    if (c !== 1) return refuse(`the kernel ${store ? 'writes' : 'reads'} ${quote(n.text)}, not element \`${this.site.e}\``);
    const elem = this.elemTypeOf(arr.text, n);
    const half = HALF_OF[elem];
    if (!half) return refuse(`the kernel ${store ? 'writes' : 'reads'} ${quote(n.text)}, a \`${elem}\` array: only 16-bit arrays are packed`);
    const key = idx.text.replace(/\s+/g, '');
    if (!this.index) this.index = { key, node: idx };
    else if (this.index.key !== key) return refuse(`the kernel reads ${quote(n.text)}, not only element ${quote(this.index.node.text)}`);
    this.checkPure(idx);
    this.accessIndices.push(idx);
    let s = this.streams.get(arr.text);
    if (!s) {
      s = { name: arr.text, half, load: false, store: false, raw: this.fresh(`${arr.text}8`), view: this.fresh(`${arr.text}2`) };
      this.streams.set(arr.text, s);
    }
    return { stream: s };
  }

  /**
   * The text of an index expression at element 0 of the loop (or of the grid), with the
   * locals of the element code written out: `(size_t)blockIdx.x * cols` for
   * `i` = `(size_t)blockIdx.x * cols + c`. It is computed before the loop.
   */
  atZero(n: SyntaxNode): string {
    if (n.type === 'identifier') {
      if (n.text === this.site.e) return '0';
      const init = this.hoistedInits.get(n.text);
      if (!init) return n.text;
      const t = this.atZero(init);
      return /^[\w.]+$/.test(t) ? t : `(${t})`;
    }
    if (n.type === 'binary_expression' && operatorOf(n) === '+') {
      const l = n.childForFieldName('left')!;
      const r = n.childForFieldName('right')!;
      if (l.type === 'identifier' && l.text === this.site.e) return this.atZero(r);
      if (r.type === 'identifier' && r.text === this.site.e) return this.atZero(l);
    }
    if (!n.children.length) return n.text;
    let out = '';
    let at = n.startIndex;
    for (const c of n.children) {
      out += n.text.slice(at - n.startIndex, c.startIndex - n.startIndex) + this.atZero(c);
      at = c.endIndex;
    }
    return out + n.text.slice(at - n.startIndex);
  }

  /** Does the expression at element 0 read memory or call something (through the locals it writes out)? Then it is not computed ahead. */
  readsAtZero(n: SyntaxNode): boolean {
    return identifiersIn(n).some((i) => {
      const init = i.text === this.site.e ? null : this.hoistedInits.get(i.text);
      return !!init && (['subscript_expression', 'call_expression'].includes(init.type) || init.descendantsOfType(['subscript_expression', 'call_expression']).length > 0 || this.readsAtZero(init));
    });
  }

  /** Names the expression at element 0 reads (to see whether it can be computed early). */
  namesAtZero(n: SyntaxNode): string[] {
    return identifiersIn(n).flatMap((i) => (i.text === this.site.e ? [] : this.hoistedInits.has(i.text) ? this.namesAtZero(this.hoistedInits.get(i.text)!) : [i.text]));
  }

  /** Reads one statement of the element code. */
  statement(s: SyntaxNode): void {
    this.current = s;
    this.pre = [];
    if (COMMENT_TYPES.has(s.type)) {
      this.scalar.push(s);
      return;
    }
    if (s.type === 'declaration') return this.declaration(s);
    const a = s.type === 'expression_statement' && s.namedChildren.length === 1 ? s.namedChildren[0] : null;
    if (a?.type === 'assignment_expression' && a.childForFieldName('left')?.type === 'subscript_expression') return this.store(s, a);
    refuse(`the element code has ${quote(firstLine(s))}, which the packed form does not handle`);
  }

  private declaration(s: SyntaxNode): void {
    const ds = s.childrenForFieldName('declarator');
    const one = ds.length === 1 ? declared(ds[0]) : null;
    const typeNode = s.childForFieldName('type');
    if (!one || one.pointer || one.array || !one.init || !typeNode) return refuse(`the element code declares ${quote(firstLine(s))}`);
    const type = typeClass(typeNode.text);
    const init = one.init;
    const readsValues = identifiersIn(init).some((i) => this.values.has(i.text)) || init.descendantsOfType('subscript_expression').some((x) => this.coef(x.childForFieldName('indices')?.namedChildren[0] ?? x) !== 0);
    if (!readsValues && (type === 'int' || !this.varyingIn(init))) {
      // an index (`const size_t i = row * cols + c`) or a value the same for every element:
      // computed once per 8 elements, before the packed and the scalar path
      this.checkPure(init);
      if (this.varyingIn(init)) {
        if (type !== 'int') refuse(`the element code uses \`${this.site.e}\` as a value (${quote(firstLine(s))})`);
        this.indexLocals.set(one.name, init);
      }
      this.hoistedInits.set(one.name, init);
      this.hoisted.push(s);
      return;
    }
    const quals = s.namedChildren.filter((c) => c.type === 'type_qualifier').map((c) => `${c.text} `).join('');
    const v = this.expr(init);
    this.scalar.push(s);
    if (type === 'fp16' || type === 'bf16') {
      const pair = this.toPair(v, type, init);
      this.pairStatements.push(...this.pre, `${quals}${PAIR[type].pair} ${one.name} = ${pair};`);
      this.values.set(one.name, { k: 'H', half: type, pair: one.name });
    } else if (type === 'float') {
      const f = this.toFloat(v, init);
      const pair = f.pair ?? `make_float2(${f.comps![0]}, ${f.comps![1]})`;
      this.pairStatements.push(...this.pre, `${quals}float2 ${one.name} = ${pair};`);
      this.values.set(one.name, { k: 'F', pair: one.name, comps: [`${one.name}.x`, `${one.name}.y`], hint: one.name });
    } else refuse(`the element code keeps a \`${bareType(typeNode.text)}\` per element (${quote(firstLine(s))})`);
  }

  private store(s: SyntaxNode, a: SyntaxNode): void {
    const left = a.childForFieldName('left')!;
    const op = operatorOf(a);
    const sub = this.subscript(left, true);
    if (!('stream' in sub)) return refuse(`the kernel writes ${quote(left.text)}, not element \`${this.site.e}\``);
    const st = sub.stream;
    const rhs = this.expr(a.childForFieldName('right')!);
    let pair = this.toPair(rhs, st.half, a);
    if (op !== '=') {
      const fn = OPERATOR[op.slice(0, -1)];
      if (!fn || op.length !== 2) return refuse(`the element code updates ${quote(left.text)} with \`${op}\``);
      if (!st.store) st.load = true;
      pair = `${fn}(${st.view}[${this.k}], ${pair})`;
    }
    st.store = true;
    this.stored.add(st.name);
    this.scalar.push(s);
    this.pairStatements.push(...this.pre, `${st.view}[${this.k}] = ${pair};`);
  }

  private float2Of(v: { pair?: string; comps?: [string, string]; hint: string }): [string, string] {
    if (v.comps) return v.comps;
    let name = this.floats.get(v.pair!);
    if (!name) {
      name = this.fresh(`${v.hint}f`);
      this.floats.set(v.pair!, name);
      this.pre.push(`const float2 ${name} = ${v.pair};`);
    }
    return [`${name}.x`, `${name}.y`];
  }

  /** `v` as a pair of `half` values. */
  private toPair(v: Val, half: Half, at: SyntaxNode): string {
    if (v.k === 'H') {
      if (v.half !== half) refuse(`the element code mixes fp16 and bf16 in ${quote(at.text)}`);
      return v.pair;
    }
    if (v.k === 'F') {
      // a float stored as a 16-bit value converts to nearest, as the paired conversions do
      if (v.pair && !v.comps) return `${PAIR[half].fromFloat2}(${v.pair})`;
      if (v.pair && /^[A-Za-z_]\w*$/.test(v.pair)) return `${PAIR[half].fromFloat2}(${v.pair})`;
      const [x, y] = this.float2Of(v);
      // long components go on lines of their own (CONTINUATION: the next line, indented)
      return x.length + y.length > 80 ? `${PAIR[half].fromFloats}(${CONTINUATION}${x},${CONTINUATION}${y})` : `${PAIR[half].fromFloats}(${x}, ${y})`;
    }
    if (v.type === half) {
      // the same value for every element: broadcast once, before the pairs
      let b = this.broadcasts.get(v.text);
      const base = /^([A-Za-z_]\w*)\s*(?:\[|$)/.exec(v.text)?.[1] ?? 'h';
      if (!b) this.broadcasts.set(v.text, (b = { name: this.fresh(`${base}2`), half }));
      return b.name;
    }
    if (v.type === 'float' || v.type === 'double' || v.type === 'int') return refuse(`the element code converts ${quote(v.text)} to a 16-bit value implicitly`);
    return refuse(`the type of ${quote(v.text)} is not known`);
  }

  /** `v` as a varying float (a float2 or its components). */
  private toFloat(v: Val, at: SyntaxNode): { pair?: string; comps?: [string, string]; hint: string } {
    if (v.k === 'F') return v;
    if (v.k === 'H') return { pair: `${PAIR[v.half].toFloat2}(${v.pair})`, hint: /^([A-Za-z_]\w*?)2\[/.exec(v.pair)?.[1] ?? (/^[A-Za-z_]\w*$/.test(v.pair) ? v.pair : 'h') };
    return refuse(`${quote(at.text)} is the same for every element`);
  }

  /** The components of a float operand (a varying float or a number the same for every element). */
  private components(v: Val, at: SyntaxNode): [string, string] {
    if (v.k === 'F') return this.float2Of(v);
    if (v.k === 'U' && (v.type === 'float' || v.type === 'double' || v.type === 'int')) return [v.text, v.text];
    return refuse(`the element code mixes 16-bit and float operands in ${quote(at.text)}`);
  }

  private uniform(n: SyntaxNode, type: TypeClass): Val {
    this.checkPure(n);
    return { k: 'U', type, text: n.text };
  }

  /** The pair form of an expression of the element code. */
  private expr(n: SyntaxNode): Val {
    switch (n.type) {
      case 'number_literal':
        return { k: 'U', type: literalClass(n.text), text: n.text };
      case 'identifier': {
        const name = n.text;
        if (name === this.site.e || this.indexLocals.has(name)) return refuse(`the element code uses the index \`${name}\` as a value (${quote(this.current?.text ?? name)})`);
        const v = this.values.get(name);
        if (v) return v;
        const s = this.symbols.get(name);
        if (this.streams.has(name) || s?.pointer) return refuse(`the element code uses the pointer \`${name}\` as a value`);
        return { k: 'U', type: s && !s.unclear ? typeClass(s.type) : 'other', text: name };
      }
      case 'field_expression':
        if (this.varyingIn(n)) return refuse(`the element code reads ${quote(n.text)}`);
        return { k: 'U', type: 'other', text: n.text };
      case 'parenthesized_expression': {
        if (n.namedChildren.length !== 1) return refuse(`the element code has ${quote(n.text)}`);
        const v = this.expr(n.namedChildren[0]);
        if (v.k === 'U') return { ...v, text: `(${v.text})` };
        if (v.k === 'F' && v.comps) return { ...v, comps: [`(${v.comps[0]})`, `(${v.comps[1]})`] };
        return v;
      }
      case 'subscript_expression': {
        const sub = this.subscript(n, false);
        if ('uniform' in sub) return sub.uniform;
        const st = sub.stream;
        const other = [...this.stored].find((s) => s !== st.name && !(this.symbols.get(s)?.restrict && this.symbols.get(st.name)?.restrict));
        if (other) refuse(`the kernel reads ${quote(n.text)} after writing \`${other}\`, which may be the same memory`);
        if (!st.store) st.load = true;
        return { k: 'H', half: st.half, pair: `${st.view}[${this.k}]` };
      }
      case 'unary_expression': {
        const op = operatorOf(n);
        const v = this.expr(n.childForFieldName('argument')!);
        if (v.k === 'U') return { ...v, text: n.text };
        if (op === '-' && v.k === 'H') return { k: 'H', half: v.half, pair: `__hneg2(${v.pair})` };
        if ((op === '-' || op === '+') && v.k === 'F') {
          const [x, y] = this.float2Of(v);
          return { k: 'F', comps: [`${op}${x}`, `${op}${y}`], hint: v.hint };
        }
        return refuse(`the element code has ${quote(n.text)}, which has no packed form here`);
      }
      case 'binary_expression': {
        const op = operatorOf(n);
        const l = this.expr(n.childForFieldName('left')!);
        const r = this.expr(n.childForFieldName('right')!);
        if (!['+', '-', '*', '/'].includes(op)) return refuse(`the element code computes ${quote(n.text)} per element, which has no packed form here`);
        if (l.k === 'U' && r.k === 'U') return { k: 'U', type: promote(l.type, r.type), text: n.text };
        const half = l.k === 'H' ? l.half : r.k === 'H' ? r.half : l.k === 'U' && (l.type === 'fp16' || l.type === 'bf16') ? l.type : r.k === 'U' && (r.type === 'fp16' || r.type === 'bf16') ? r.type : null;
        if (half) {
          if (l.k === 'F' || r.k === 'F') return refuse(`the element code mixes 16-bit and float operands in ${quote(n.text)}`);
          return { k: 'H', half, pair: `${OPERATOR[op]}(${this.toPair(l, half, n)}, ${this.toPair(r, half, n)})` };
        }
        const [lx, ly] = this.components(l, n);
        const [rx, ry] = this.components(r, n);
        return { k: 'F', comps: [`${lx} ${op} ${rx}`, `${ly} ${op} ${ry}`], hint: l.k === 'F' ? l.hint : r.k === 'F' ? r.hint : 'v' };
      }
      case 'cast_expression': {
        const to = typeClass(n.childForFieldName('type')?.text);
        return this.convert(to, this.expr(n.childForFieldName('value')!), n);
      }
      case 'call_expression':
        return this.call(n);
      default:
        return refuse(`the element code has ${quote(n.text)}, which has no packed form here`);
    }
  }

  /** A value converted to `to` (a cast, an implicit conversion or a conversion intrinsic that rounds to nearest). */
  private convert(to: TypeClass, v: Val, at: SyntaxNode): Val {
    if (v.k === 'U') return { k: 'U', type: to, text: at.text };
    if (to === 'float') return { k: 'F', ...this.toFloat(v, at) };
    if (to === 'fp16' || to === 'bf16') {
      if (v.k === 'H' && v.half !== to) return refuse(`the element code converts between fp16 and bf16 (${quote(at.text)})`);
      return { k: 'H', half: to, pair: this.toPair(v, to, at) };
    }
    return refuse(`the element code converts ${quote(at.text)}, which has no packed form here`);
  }

  private call(n: SyntaxNode): Val {
    let fnNode = n.childForFieldName('function')!;
    const args = n.childForFieldName('arguments')?.namedChildren ?? [];
    // `(__half)(x)` parses as a call of a parenthesized type name
    if (fnNode.type === 'parenthesized_expression' && fnNode.namedChildren.length === 1) fnNode = fnNode.namedChildren[0];
    const name = fnNode.text;
    const cast = typeClass(name);
    if (fnNode.type === 'identifier' || fnNode.type === 'primitive_type' || fnNode.type === 'type_identifier') {
      if ((cast === 'fp16' || cast === 'bf16' || cast === 'float') && args.length === 1) return this.convert(cast, this.expr(args[0]), n);
    }
    if (fnNode.type !== 'identifier') return refuse(`the element code calls ${quote(fnNode.text)}`);
    if (OTHER_ROUNDING.test(name)) {
      const vals = args.map((a) => this.expr(a));
      if (vals.every((v) => v.k === 'U')) return this.uniform(n, name.includes('bfloat') ? 'bf16' : 'fp16');
      return refuse(`\`${name}\` has no paired form that rounds the same way`);
    }
    for (const half of ['fp16', 'bf16'] as const) {
      if (PAIR[half].toFloat.includes(name) && args.length === 1) {
        const v = this.expr(args[0]);
        if (v.k === 'U') return this.uniform(n, 'float');
        if (v.k !== 'H' || v.half !== half) return refuse(`\`${name}\` takes ${quote(args[0].text)}, which is not ${half}`);
        return this.convert('float', v, n);
      }
      if (PAIR[half].fromFloat.includes(name) && args.length === 1) {
        const v = this.expr(args[0]);
        if (v.k === 'U') return this.uniform(n, half);
        if (v.k !== 'F') return refuse(`\`${name}\` takes ${quote(args[0].text)}, which is not a float`);
        return { k: 'H', half, pair: this.toPair(v, half, n) };
      }
    }
    const paired = PAIRED[name];
    if (paired && args.length === paired.arity) {
      const vals = args.map((a) => this.expr(a));
      const varying = vals.find((v) => v.k !== 'U');
      if (!varying) {
        const t = vals.map((v) => (v as { type: TypeClass }).type).find((t) => t === 'fp16' || t === 'bf16') ?? 'other';
        return this.uniform(n, t);
      }
      if (varying.k !== 'H') return refuse(`\`${name}\` takes a float in ${quote(n.text)}`);
      return { k: 'H', half: varying.half, pair: `${paired.name}(${vals.map((v, i) => this.toPair(v, varying.half, args[i])).join(', ')})` };
    }
    if (FLOAT_MATH.has(name)) {
      const vals = args.map((a) => this.expr(a));
      if (vals.every((v) => v.k === 'U')) return this.uniform(n, 'float');
      const comps = vals.map((v, i) => this.components(v, args[i]));
      const hint = (vals.find((v) => v.k === 'F') as { hint: string } | undefined)?.hint ?? 'v';
      return { k: 'F', comps: [`${name}(${comps.map((c) => c[0]).join(', ')})`, `${name}(${comps.map((c) => c[1]).join(', ')})`], hint };
    }
    // an argument that uses the index as a value says so first
    for (const a of args) this.expr(a);
    return refuse(`the element code calls \`${name}\`, which has no packed form here`);
  }
}

/** The type of `a OP b` for operands the same for every element. */
function promote(a: TypeClass, b: TypeClass): TypeClass {
  if (a === b) return a;
  if (a === 'other' || b === 'other' || a === 'fp16' || b === 'fp16' || a === 'bf16' || b === 'bf16') return 'other';
  return a === 'double' || b === 'double' ? 'double' : a === 'float' || b === 'float' ? 'float' : 'int';
}

/** Is the whole text one parenthesized expression (`(a + b)`, not `(a) + (b)`)? */
function wrapped(t: string): boolean {
  if (!t.startsWith('(') || !t.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0 && i < t.length - 1) return false;
  }
  return true;
}

/** The leading whitespace of a line. */
const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];

/** A statement's text moved to another indentation (its later lines keep their offsets). */
function reindent(ctx: FixContext, n: SyntaxNode, to: string, replace: (n: SyntaxNode) => string = (m) => m.text): string {
  const from = indentOf(ctx.lines[n.startPosition.row]);
  return replace(n)
    .split('\n')
    .map((l, i) => (i === 0 ? to + l : l.startsWith(from) ? to + l.slice(from.length) : l))
    .join('\n');
}

/** The grid of a launch divided by 8 (`((n + 255) / 256 + 7) / 8`), or null for a dim3 grid. */
interface LaunchEdit {
  edit: TextEdit | null;
  proven: boolean;
  grid: string;
}

/**
 * The kernel's bound written with a launch's arguments (`n` for `n`, `rows * cols` for a
 * local `total = rows * cols`), or null when it reads more than the parameters.
 */
function boundAt(c: CallFact, fn: FunctionFacts, bound: SyntaxNode): string | null {
  const ids = identifiersIn(bound);
  let text = bound.text;
  for (const id of [...ids].sort((a, b) => b.startIndex - a.startIndex)) {
    const at = fn.params.findIndex((p) => p.name === id.text);
    const arg = c.args[at]?.trim();
    if (at < 0 || !arg) return null;
    const off = id.startIndex - bound.startIndex;
    text = text.slice(0, off) + (/^[\w.]+$/.test(arg) || ids.length === 1 ? arg : `(${arg})`) + text.slice(off + id.text.length);
  }
  return text;
}

function launchEdits(ctx: FixContext, fn: FunctionFacts, kernelBound: SyntaxNode): LaunchEdit[] {
  const out: LaunchEdit[] = [];
  for (const host of ctx.file.functions) {
    const hostDef = host.calls.some((c) => c.kind === 'launch' && c.name === fn.name && !c.via) ? ctx.node(host.range, ['function_definition']) : null;
    if (!hostDef) continue;
    const hostSymbols = symbolsOf(host, hostDef);
    const hostAssigned = assignedNames(hostDef);
    for (const c of host.calls) {
      if (c.kind !== 'launch' || c.name !== fn.name || c.via) continue;
      const call = ctx.node(c.range, ['call_expression']);
      const config = call?.namedChildren.find((x) => x.type === 'kernel_call_syntax');
      const grid = config?.namedChildren[0];
      const block = config?.namedChildren[1];
      if (!call || !grid || !block) {
        out.push({ edit: null, proven: false, grid: c.grid ?? 'grid' });
        continue;
      }
      const g = bare(grid);
      const gridSym = g.type === 'identifier' ? hostSymbols.get(g.text) : undefined;
      if (/\bdim3\b/.test(grid.text) || (gridSym && /\bdim3\b/.test(gridSym.type))) {
        out.push({ edit: null, proven: false, grid: grid.text });
        continue;
      }
      out.push({
        edit: { range: nodeRange(grid), newText: `(${asAddend(grid)} + 7) / 8` },
        proven: covers(resolve(grid, hostSymbols, hostAssigned), resolve(block, hostSymbols, hostAssigned), block, boundAt(c, fn, kernelBound)),
        grid: grid.text,
      });
    }
  }
  return out;
}

/** Does the grid have a block per `blockDim` elements of the kernel's bound (`(n + 255) / 256` with 256 threads and n passed as the bound)? */
function covers(grid: SyntaxNode, block: SyntaxNode, blockText: SyntaxNode, bound: string | null): boolean {
  const arg = bound?.replace(/\s+/g, '');
  const g = unparen(grid);
  if (!arg || g.type !== 'binary_expression' || operatorOf(g) !== '/') return false;
  const divisor = unparen(g.childForFieldName('right')!);
  const squash = (s: string) => s.replace(/\s+/g, '');
  const sameAsBlock = squash(divisor.text) === squash(blockText.text) || squash(divisor.text) === squash(block.text);
  if (!sameAsBlock) return false;
  const num = unparen(g.childForFieldName('left')!);
  if (num.type !== 'binary_expression') return false;
  const d = intLiteral(divisor);
  // (n + 255) / 256
  if (operatorOf(num) === '+' && squash(num.childForFieldName('left')!.text) === arg && d !== null && intLiteral(num.childForFieldName('right')!) === d - 1) return true;
  // (n + B - 1) / B
  if (operatorOf(num) === '-' && intLiteral(num.childForFieldName('right')!) === 1) {
    const sum = unparen(num.childForFieldName('left')!);
    return sum.type === 'binary_expression' && operatorOf(sum) === '+' && squash(sum.childForFieldName('left')!.text) === arg && squash(sum.childForFieldName('right')!.text) === squash(divisor.text);
  }
  return false;
}

function packedHalfFix(finding: Finding, ctx: FixContext): Fix[] {
  const fn = ctx.fn;
  if (!fn || !fn.isKernel) return refuse('the finding is not in a kernel the analysis knows');
  const def = ctx.node(fn.range, ['function_definition']);
  const fnBody = def?.childForFieldName('body');
  if (!def || !fnBody || def.hasError) return refuse(`\`${fn.name}\` does not parse cleanly`);
  if (fn.templateParams.length) {
    return refuse(`\`${fn.name}\` is a template on \`${fn.templateParams.join(', ')}\`: the packed form needs its own Half / BFloat16 kernel`);
  }
  const symbols = symbolsOf(fn, def);
  const assigned = assignedNames(def);

  // the innermost loop handing out elements around the finding, else one element per thread
  const loops = fnBody.descendantsOfType('for_statement').filter((l) => inside(l, finding.range));
  let site: Site | null = null;
  for (const l of loops.reverse()) if ((site = matchLoop(l, symbols, assigned))) break;
  site ??= matchGuard(fnBody, symbols, assigned);
  if (!site) return refuse(`\`${fn.name}\` hands out elements in a form the fix does not rewrite (one element per thread, grid-stride, block-stride or a row loop)`);
  if (assigned.has(site.e) && site.kind !== 'grid' && site.kind !== 'block' && site.kind !== 'row') refuse(`\`${site.e}\` changes after it is computed`);
  if (code(site.body).some((b) => assignedNames(b).has(site!.e))) refuse(`the element code changes \`${site.e}\``);
  if (mentions(site.bound, site.e) || site.bound.descendantsOfType(['call_expression', 'assignment_expression', 'update_expression']).length) {
    refuse(`the bound ${quote(site.bound.text)} is not a plain value`);
  }

  const p = new Packer(site, symbols, def);
  for (const s of site.body) p.statement(s);
  // the arrays read, then those only written
  const streams = [...p.streams.values()].sort((a, b) => Number(b.load) - Number(a.load));
  if (!streams.some((s) => s.store)) return refuse('the element code writes no 16-bit array element');
  for (const s of streams) {
    const read = p.uniformReads.get(s.name);
    if (s.store && read) refuse(`the kernel reads ${quote(read)} while it writes \`${s.name}\``);
  }
  // every 16-bit access of the kernel that varies per thread is one the rewrite covers
  const bodyFrom = site.body[0];
  const bodyTo = site.body[site.body.length - 1];
  const bodyRange = { start: nodeRange(bodyFrom).start, end: nodeRange(bodyTo).end };
  const within = (r: typeof bodyRange) =>
    (r.start.line > bodyRange.start.line || (r.start.line === bodyRange.start.line && r.start.column >= bodyRange.start.column)) &&
    (r.end.line < bodyRange.end.line || (r.end.line === bodyRange.end.line && r.end.column <= bodyRange.end.column));
  const outside = fn.accesses.find((a) => a.space === 'global' && a.elemType && HALF_OF[a.elemType] && !within(a.range) && a.indices.some((i) => i.unknown || i.dependsOn((s) => s.startsWith('threadIdx.') || s.startsWith('#loop'))));
  if (outside) refuse(`the kernel also accesses ${quote(outside.text)} outside the element code`);

  // layout
  const startLine = ctx.lines[site.from.startPosition.row];
  const ind = indentOf(startLine);
  const defIndent = indentOf(ctx.lines[def.startPosition.row]);
  const firstStmt = fnBody.namedChildren[0];
  const unitGuess = firstStmt ? indentOf(ctx.lines[firstStmt.startPosition.row]).slice(defIndent.length) : '';
  const unit = unitGuess.length ? unitGuess : '  ';
  const e = site.e;
  const k = p.k;
  const bound = asBound(site.bound);
  const primary = (t: string) => (/^[\w.]+$/.test(t) || wrapped(t) ? t : `(${t})`);
  // the address of the 8 elements: `x + i`, `x + (row * K + k)`
  const idx = ['identifier', 'number_literal', 'field_expression', 'parenthesized_expression'].includes(p.indexNode.type) ? p.indexText : `(${p.indexText})`;
  const halves = [...new Set(streams.map((s) => s.half))];
  const kind = halves.join(' / ');
  const pairType = halves.map((h) => PAIR[h].pair).join(' / ');
  const pairTypes = halves.map((h) => `\`${PAIR[h].pair}\``).join(' / ');

  // The 8-element chunks start at the first 16-byte boundary of the first array (`head`
  // elements in): arrays that share its alignment then take the packed path in every full
  // chunk, aligned or not; the first chunk's thread also takes the elements before it.
  // (Not where the index at element 0 would read memory ahead of the kernel: then chunks start at 0.)
  const anchor = streams[0].name;
  const shift = !p.readsAtZero(p.indexNode);
  const zero = p.atZero(p.indexNode);
  const address = zero === '0' ? `(size_t)${anchor}` : `(size_t)(${anchor} + ${primary(zero)})`;
  const headName = shift ? p.fresh('head') : '';
  const headDecl = `const int ${headName} = ${bound} >= 8 ? (int)((16 - ${address} % 16) % 16 / 2) : 0;`;
  const plus = (t: string) => (shift ? `${headName} + ${t}` : t);
  const per = site.kind === 'guard' || site.kind === 'return' ? 'thread' : 'thread per step';
  const comment = shift
    ? `// Packed ${kind}: from ${anchor}'s first 16-byte boundary on, 8 elements per ${per} as 4 ${pairType} through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.`
    : `// Packed ${kind}: 8 elements per ${per} as 4 ${pairType} through 16-byte loads / stores; a scalar loop takes the tail and unaligned arrays.`;

  // the scalar code for element `i + offset` of the same arrays
  const indices = new Set(p.accessIndices);
  const shifted = (offset: string) => (n: SyntaxNode): string => {
    let text = n.text;
    const subs = n.descendantsOfType('subscript_expression').flatMap((s) => s.childForFieldName('indices')?.namedChildren.filter((x) => indices.has(x)) ?? []);
    for (const x of subs.sort((a, b) => b.startIndex - a.startIndex)) {
      const at0 = x.startIndex - n.startIndex;
      text = text.slice(0, at0) + `${asAddend(x)} ${offset}` + text.slice(at0 + x.endIndex - x.startIndex);
    }
    return text;
  };
  const scalarLoop = (at: string, header: string, offset: string): string[] => {
    const scalar = p.scalar;
    if (code(scalar).length === 1 && scalar.length === 1 && !scalar[0].text.includes('\n')) return [`${at}${header} ${shifted(offset)(scalar[0])}`];
    return [`${at}${header} {`, ...scalar.map((s) => reindent(ctx, s, at + unit, shifted(offset))), `${at}}`];
  };

  const chunk = (at: string): string[] => {
    const i1 = at + unit;
    const i2 = i1 + unit;
    const aligned = streams.map((s) => `(size_t)(${s.name} + ${idx})`);
    const check = aligned.length === 1 ? `${aligned[0]} % 16 == 0` : `(${aligned.join(' | ')}) % 16 == 0`;
    const out: string[] = [];
    for (const h of p.hoisted) out.push(reindent(ctx, h, at));
    if (shift) out.push(...scalarLoop(at, `if (${e} == ${headName}) for (int ${k} = 0; ${k} < ${headName}; ++${k})`, `- ${headName} + ${k}`));
    out.push(`${at}if (${e} + 8 <= ${bound} && ${check}) {`);
    for (const s of streams) {
      const pt = PAIR[s.half].pair;
      if (s.load && s.store) {
        out.push(`${i1}uint4 ${s.raw} = *reinterpret_cast<const uint4*>(${s.name} + ${idx});`);
        out.push(`${i1}${pt}* ${s.view} = reinterpret_cast<${pt}*>(&${s.raw});`);
      } else if (s.load) {
        out.push(`${i1}const uint4 ${s.raw} = *reinterpret_cast<const uint4*>(${s.name} + ${idx});`);
        out.push(`${i1}const ${pt}* ${s.view} = reinterpret_cast<const ${pt}*>(&${s.raw});`);
      } else {
        out.push(`${i1}uint4 ${s.raw};`);
        out.push(`${i1}${pt}* ${s.view} = reinterpret_cast<${pt}*>(&${s.raw});`);
      }
    }
    for (const [name, b] of p.broadcasts) out.push(`${i1}const ${PAIR[b.half].pair} ${b.name} = ${PAIR[b.half].broadcast}(${name});`);
    out.push(`${i1}#pragma unroll`);
    if (p.pairStatements.length === 1 && !p.pairStatements[0].includes(CONTINUATION)) out.push(`${i1}for (int ${k} = 0; ${k} < 4; ++${k}) ${p.pairStatements[0]}`);
    else {
      out.push(`${i1}for (int ${k} = 0; ${k} < 4; ++${k}) {`);
      for (const s of p.pairStatements) out.push(`${i2}${s.split(CONTINUATION).join(`\n${i2}${unit}${unit}`)}`);
      out.push(`${i1}}`);
    }
    for (const s of streams) if (s.store) out.push(`${i1}*reinterpret_cast<uint4*>(${s.name} + ${idx}) = ${s.raw};`);
    out.push(`${at}} else {`);
    out.push(...scalarLoop(i1, `for (int ${k} = 0; ${k} < 8 && ${e} + ${k} < ${bound}; ++${k})`, `+ ${k}`));
    out.push(`${at}}`);
    return out;
  };

  const wideType = isWideIndexType(site.typeNode.text) ? site.typeNode.text : 'long long';
  const edits: TextEdit[] = [];
  /** The index declaration with its type widened to 64 bits, its value replaced and (`dropConst`) made assignable. */
  const declText = (init: string, dropConst = false) => {
    const d = site!.decl;
    const cut = (a: SyntaxNode) => [a.startIndex - d.startIndex, a.endIndex - d.startIndex];
    const parts: [number, number, string][] = [[...cut(site!.typeNode), wideType] as [number, number, string], [...cut(site!.init), init] as [number, number, string]];
    if (dropConst) for (const q of d.namedChildren.filter((c) => c.type === 'type_qualifier' && c.text === 'const')) parts.push([q.startIndex - d.startIndex, site!.typeNode.startIndex - d.startIndex, '']);
    let text = d.text;
    for (const [a, b, t] of parts.sort((x, y) => y[0] - x[0])) text = text.slice(0, a) + t + text.slice(b);
    return text;
  };
  const times8 = (n: SyntaxNode) => `8LL * ${asFactor(n)}`;
  let title: string;
  let safe = true;

  if (site.kind === 'guard' || site.kind === 'return') {
    // `head` goes with the index when everything it reads is declared by then, else right before the guard
    const declaredBefore = (name: string) => {
      const sym = symbols.get(name);
      return !sym || !sym.node || sym.node.endIndex <= site!.decl.startIndex;
    };
    const early = !shift || [...identifiersIn(site.bound).map((i) => i.text), ...p.namesAtZero(p.indexNode), anchor].every(declaredBefore);
    const declIndent = indentOf(ctx.lines[site.decl.startPosition.row]);
    const indexDecl = !shift
      ? `${comment}\n${declIndent}${declText(times8(site.init))}`
      : early
        ? `${comment}\n${declIndent}${headDecl}\n${declIndent}${declText(plus(times8(site.init)))}`
        : `${comment}\n${declIndent}${declText(times8(site.init), true)}`;
    edits.push({ range: nodeRange(site.decl), newText: indexDecl });
    const lateHead = early ? [] : [`${ind}${headDecl}`, `${ind}${e} += ${headName};`];
    let body: string[];
    if (site.kind === 'return') {
      // the guard stays; the statements after it become the chunk
      const guard = site.from.parent!.namedChildren[site.from.parent!.namedChildren.indexOf(site.from) - 1];
      if (lateHead.length) {
        body = [...lateHead, reindent(ctx, guard, ind), ...chunk(ind)];
        edits.push({ range: { start: nodeRange(guard).start, end: nodeRange(site.to).end }, newText: body.join('\n').slice(ind.length) });
      } else edits.push({ range: { start: nodeRange(site.from).start, end: nodeRange(site.to).end }, newText: chunk(ind).join('\n').slice(ind.length) });
    } else {
      body = p.hoisted.length ? [...lateHead, `${ind}if (${e} < ${bound}) {`, ...chunk(ind + unit), `${ind}}`] : [...lateHead, ...chunk(ind)];
      edits.push({ range: { start: nodeRange(site.from).start, end: nodeRange(site.to).end }, newText: body.join('\n').slice(ind.length) });
    }
    const launches = launchEdits(ctx, fn, resolve(site.bound, symbols, assigned));
    for (const l of launches) if (l.edit) edits.push(l.edit);
    const what = `8 ${kind} elements per thread as 4 ${pairTypes} (16-byte loads, scalar tail)`;
    if (!launches.length) {
      safe = false;
      title = `Compute ${what}; the caller must launch \`${fn.name}\` with ((grid) + 7) / 8 blocks`;
    } else if (launches.some((l) => !l.edit)) {
      safe = false;
      title = `Compute ${what}; divide the grid of ${launches.filter((l) => !l.edit).map((l) => `\`${l.grid}\``).join(', ')} by 8 (rounding up)`;
    } else if (launches.some((l) => !l.proven)) {
      safe = false;
      title = `Compute ${what} with 1/8 of the blocks (assumes the grid covered all \`${site.bound.text}\` elements)`;
    } else title = `Compute ${what} with 1/8 of the blocks`;
  } else {
    const loop = site.loop!;
    const init = site.kind === 'row' ? (shift ? headName : site.init.text) : plus(times8(site.init));
    const step = site.kind === 'row' ? '8' : times8(site.stride!);
    const cond = loop.childForFieldName('condition')!.text;
    // `head` is declared before the loop: a loop that is not in a block gets one
    const braced = shift && loop.parent?.type !== 'compound_statement';
    const at = braced ? ind + unit : ind;
    const lines = [`${at}${comment}`, ...(shift ? [`${at}${headDecl}`] : []), `${at}for (${declText(init).replace(/;\s*$/, '')}; ${cond}; ${e} += ${step}) {`, ...chunk(at + unit), `${at}}`];
    edits.push({ range: nodeRange(loop), newText: (braced ? ['{', ...lines, `${ind}}`] : lines).join('\n').slice(braced ? 0 : ind.length) });
    const form = site.kind === 'grid' ? 'grid-stride loop' : site.kind === 'block' ? 'block-stride loop' : 'loop';
    title = `Compute 8 ${kind} elements per step of the ${form} as 4 ${pairTypes} (16-byte loads, scalar tail)`;
  }
  return [{ title, edits, safe }];
}

export const fix: Fixer = (finding, ctx) => {
  try {
    return packedHalfFix(finding, ctx);
  } catch (e) {
    if (e instanceof Refusal) return { reason: e.message };
    throw e;
  }
};
