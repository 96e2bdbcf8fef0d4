// What the GEMM fixers (tiling/shared-memory, tiling/register-blocking) share: reading a
// CUDA kernel's guards, accumulator and store (`if (row < M && col < N) C[row * N + col] =
// alpha * acc + beta * C[...]`), proving the thread-to-output mapping from the index forms,
// finding and rewriting the kernel's launches, and writing the new kernel over the old one
// with the same name and signature. A fixer recognises its own shape of kernel (naive or
// shared-tiled) into a GemmSpec and generates code from it.
import { Poly } from '../../../core/affine';
import type { FixContext } from '../../../core/fix';
import type { AccessFact, CallFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Fix, Position, Range, TextEdit } from '../../../core/types';
import { bare, ceilDiv, operand, parseExpr, polyOf, splitArgs, type Expr } from './fix-expr';

export type Axis = 'x' | 'y';
export const other = (a: Axis): Axis => (a === 'x' ? 'y' : 'x');

/** Why no fix: thrown by the recognisers, caught by the fixers. */
export class NoFix extends Error {}
export const refuse = (reason: string): never => {
  throw new NoFix(reason);
};

/** One operand: A(r, k) = A[r * ld + k], or A[k * ld + r] when `trans` (stored K x M). */
export interface Operand {
  name: string;
  trans: boolean;
  ld: string;
}

/** The store of the result: `C[..] op rhs`, rhs written over the accumulator and the old C element. */
export interface Store {
  op: '=' | '+=' | '-=';
  render(acc: string, old: string): string;
}

/** A recognised GEMM kernel: C(r, c) op= epilogue(sum_k A(r, k) * B(k, c)) for r < m, c < n. */
export interface GemmSpec {
  fn: FunctionFacts;
  def: SyntaxNode;
  a: Operand;
  b: Operand;
  c: { name: string; ld: string };
  m: string;
  n: string;
  k: string;
  /** m and n as polynomials over the kernel's parameters, to map onto a launch's arguments. */
  mPoly: Poly;
  nPoly: Poly;
  /** The user's names for the accumulator and the output row and column. */
  acc: string;
  row: string | null;
  col: string | null;
  store: Store;
  /** The thread axis along the output's rows in the original kernel. */
  rowAxis: Axis;
  /** Rows and columns a block covers along each axis in the original kernel (`blockDim.y`, `32`, `TILE`). */
  extent: Record<Axis, Poly>;
  /** The original is shared-tiled: its block must be tile x tile threads. */
  tile: Poly | null;
  /** Reasons the rewrite is not the same for every input (it is then offered, not applied by fix-all). */
  notes: string[];
  /** The original computes its indices in 64 bits (`size_t`): the new kernel multiplies rows by leading dimensions in `size_t` too. */
  wide: boolean;
}

const WIDE = /\b(?:size_t|long|int64_t|uint64_t|ptrdiff_t|intptr_t|uintptr_t)\b/;

/** Whether the kernel's indices are 64-bit; refuses sizes that are themselves 64-bit (the new kernel counts in int). */
export function indexWidth(scope: KernelScope, texts: string[]): boolean {
  for (const t of texts) {
    const e = parseExpr(t);
    const ids: string[] = [];
    const walk = (x: Expr | null): void => {
      if (!x) return;
      if (x.k === 'id') ids.push(x.name);
      else if (x.k === 'binary') (walk(x.l), walk(x.r));
      else if (x.k === 'paren' || x.k === 'cast' || x.k === 'unary') walk(x.x);
    };
    walk(e);
    for (const id of ids) {
      const p = scope.fn.params.find((q) => q.name === id);
      if (p && WIDE.test(p.type)) refuse(`the size \`${id}\` is a \`${p.type}\`: the generated kernel counts rows, columns and k in \`int\``);
    }
  }
  return WIDE.test(scope.def.childForFieldName('body')?.text ?? '');
}

/** `row * ld` as the new kernel writes it: in size_t when the original used 64-bit indices. */
export const times = (spec: GemmSpec, x: string, ld: string): string => (spec.wide ? `static_cast<size_t>(${x.trim()}) * ${ld}` : `${operand(x)} * ${ld}`);

// ---------------------------------------------------------------------------------------
// Text and positions

export function offsetOf(ctx: FixContext, p: Position): number {
  let n = 0;
  for (let i = 0; i < p.line && i < ctx.lines.length; i++) n += ctx.lines[i].length + 1;
  return n + p.column;
}

export function positionAt(ctx: FixContext, offset: number): Position {
  let line = 0;
  let rest = offset;
  while (line < ctx.lines.length - 1 && rest > ctx.lines[line].length) {
    rest -= ctx.lines[line].length + 1;
    line++;
  }
  return { line, column: rest };
}

export const rangeOf = (ctx: FixContext, s: number, e: number): Range => ({ start: positionAt(ctx, s), end: positionAt(ctx, e) });
export const nodeRange = (n: SyntaxNode): Range => ({
  start: { line: n.startPosition.row, column: n.startPosition.column },
  end: { line: n.endPosition.row, column: n.endPosition.column },
});
const inside = (inner: Range, outer: Range): boolean =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.column <= inner.start.column)) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.column >= inner.end.column));
const samePos = (a: Position, b: Position) => a.line === b.line && a.column === b.column;
const squash = (t: string) => t.replace(/\s+/g, '');
export const code = (t: string) => `\`${t.replace(/\s+/g, ' ').trim()}\``;

/** Integer constants of the file (`#define T 16`, `constexpr int TILE = 32;`) outside functions, or inside `within`. */
export function constantsOf(ctx: FixContext, within?: Range): Map<string, number> {
  const out = new Map<string, number>();
  const bad = new Set<string>();
  const fnRanges = ctx.file.functions.map((f) => f.range);
  ctx.lines.forEach((line, i) => {
    const inFn = fnRanges.some((r) => r.start.line <= i && i <= r.end.line);
    if (within ? !(within.start.line <= i && i <= within.end.line) : inFn && !/^\s*#\s*define/.test(line)) return;
    const m =
      /^\s*#\s*define\s+(\w+)\s+\(?\s*(\d+)[uUlL]*\s*\)?\s*(?:\/\/.*|\/\*.*)?$/.exec(line) ??
      /^\s*(?:static\s+)?(?:constexpr|const)\s+(?:static\s+)?(?:unsigned\s+int|unsigned|int|long|size_t|int64_t|uint32_t|int32_t)\s+(\w+)\s*=\s*(\d+)[uUlL]*\s*;/.exec(line);
    if (!m) return;
    const v = Number(m[2]);
    if (out.has(m[1]) && out.get(m[1]) !== v) bad.add(m[1]);
    out.set(m[1], v);
  });
  for (const b of bad) out.delete(b);
  return out;
}

/** Names `#define`d anywhere in the file: generated code must not use them. */
export function macroNames(ctx: FixContext): Set<string> {
  const out = new Set<string>();
  for (const line of ctx.lines) {
    const m = /^\s*#\s*define\s+(\w+)/.exec(line);
    if (m) out.add(m[1]);
  }
  return out;
}

/** Fresh local names for generated code: the base name unless the kernel or the file already uses it. */
export class Names {
  private taken: Set<string>;
  constructor(reserved: Iterable<string>) {
    this.taken = new Set(reserved);
  }
  fresh(base: string): string {
    let name = base;
    for (let i = 2; this.taken.has(name); i++) name = `${base}${i}`;
    this.taken.add(name);
    return name;
  }
  has(name: string): boolean {
    return this.taken.has(name);
  }
}

// ---------------------------------------------------------------------------------------
// The kernel's scope: values of its integer locals, loop variables, parameters

const INT_TYPE = /^(?:(?:const|constexpr|static|unsigned|signed|volatile)\s+)*(?:int|unsigned|long|long\s+long|size_t|int64_t|int32_t|uint32_t|uint64_t|ptrdiff_t|short|auto)$/;
const INT_PARAM = /^(?:unsigned\s+)?(?:int|long|long\s+long|size_t|int64_t|int32_t|uint32_t|uint64_t|ptrdiff_t|short|unsigned)$/;

export class KernelScope {
  readonly intParams = new Set<string>();
  readonly scalarParams = new Set<string>();
  readonly constants: Map<string, number>;
  private locals = new Map<string, { value: Expr | null; at: Range; type: string; count: number }>();
  private assigned = new Set<string>();

  constructor(
    readonly ctx: FixContext,
    readonly fn: FunctionFacts,
    readonly def: SyntaxNode,
  ) {
    this.constants = constantsOf(ctx);
    for (const p of fn.params) {
      if (p.pointer || (p.rank ?? 0) > 0) continue;
      this.scalarParams.add(p.name);
      if (INT_PARAM.test(p.type.replace(/\bconst\b/g, '').trim())) this.intParams.add(p.name);
    }
    const body = def.childForFieldName('body');
    if (!body) refuse('the kernel has no body');
    for (const d of body!.descendantsOfType('declaration')) {
      const type = [...d.children].filter((c) => c.fieldName === 'type' || c.type === 'type_qualifier' || c.type === 'storage_class_specifier').map((c) => c.text).join(' ');
      for (const decl of d.childrenForFieldName('declarator')) {
        const name = decl.type === 'init_declarator' ? decl.childForFieldName('declarator') : decl;
        if (!name || name.type !== 'identifier') {
          // arrays, pointers: names that are not integer locals
          const id = decl.descendantsOfType('identifier')[0];
          if (id) this.note(id.text, null, nodeRange(decl), 'other');
          continue;
        }
        const value = decl.type === 'init_declarator' ? decl.childForFieldName('value') : null;
        this.note(name.text, value && value.type !== 'initializer_list' && value.type !== 'argument_list' ? parseExpr(value.text) : null, nodeRange(decl), type);
      }
    }
    for (const a of body!.descendantsOfType(['assignment_expression', 'update_expression'])) {
      const target = a.childForFieldName(a.type === 'assignment_expression' ? 'left' : 'argument');
      if (target?.type === 'identifier') this.assigned.add(target.text);
    }
  }

  private note(name: string, value: Expr | null, at: Range, type: string) {
    const seen = this.locals.get(name);
    this.locals.set(name, { value, at, type, count: (seen?.count ?? 0) + 1 });
  }

  /** Is `name` a local of the kernel (any type)? */
  isLocal(name: string): boolean {
    return this.locals.has(name);
  }
  localType(name: string): string | null {
    return this.locals.get(name)?.type ?? null;
  }
  /** The local's declaration, when it is declared once. */
  localDecl(name: string): { value: Expr | null; at: Range } | null {
    const l = this.locals.get(name);
    return l && l.count === 1 ? l : null;
  }
  wasAssigned(name: string): boolean {
    return this.assigned.has(name);
  }

  /** The loops of the kernel enclosing a position, innermost first. */
  private loopsAt(at: Range): LoopFact[] {
    return this.fn.loops.filter((l) => inside(at, l.range)).sort((x, y) => y.depth - x.depth);
  }

  /** The value of an integer expression written at `at`, in the symbols the facts use. */
  value(e: Expr, at: Range, depth = 0): Poly {
    return polyOf(e, (id) => this.lookup(id, at, depth));
  }

  private lookup(id: string, at: Range, depth: number): Poly | undefined {
    if (depth > 16) return undefined;
    const loop = this.loopsAt(at).find((l) => l.variable === id);
    if (loop) return loop.init && loop.step ? loop.init.add(loop.step.mul(Poly.sym(loop.symbol))) : undefined;
    const local = this.locals.get(id);
    if (local) {
      if (local.count !== 1 || this.assigned.has(id) || !local.value || !INT_TYPE.test(local.type.trim())) return undefined;
      return this.value(local.value, local.at, depth + 1);
    }
    if (this.intParams.has(id) || this.fn.templateParams.includes(id)) return Poly.sym(id);
    if (this.constants.has(id)) return Poly.const(this.constants.get(id)!);
    return undefined;
  }

  /** A size written in parameters, template parameters and constants only (`K`, `N * 2`). */
  isUniform(p: Poly): boolean {
    return !p.unknown && [...p.symbols()].every((s) => this.intParams.has(s) || this.fn.templateParams.includes(s));
  }
}

/** A polynomial over parameters as C text (`K`, `2*N`). */
export function polyText(p: Poly): string {
  return p.toString().replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------
// The output mapping: C[row * ldc + col] with row and col from block and thread indices

export interface Mapping {
  rowAxis: Axis;
  colAxis: Axis;
  /** blockIdx * extent + threadIdx along each axis. */
  pos: Record<Axis, Poly>;
  extent: Record<Axis, Poly>;
  ldc: Poly;
}

const posOf = (axis: Axis, extent: Poly) => Poly.sym(`blockIdx.${axis}`).mul(extent).add(Poly.sym(`threadIdx.${axis}`));

/** `p / q` for a single-monomial q that divides every term of p, else null. */
function divide(p: Poly, q: Poly): Poly | null {
  if (p.unknown || q.unknown || q.terms.size !== 1) return null;
  const [[qk, qv]] = [...q.terms];
  const qs = qk ? qk.split('*') : [];
  const m = new Map<string, number>();
  for (const [k, v] of p.terms) {
    const parts = k ? k.split('*') : [];
    for (const s of qs) {
      const i = parts.indexOf(s);
      if (i < 0) return null;
      parts.splice(i, 1);
    }
    if (v % qv !== 0) return null;
    m.set(parts.sort().join('*'), v / qv);
  }
  return new Poly(m);
}

/** The thread mapping a store's index proves: one output per thread, `C[(by*S + ty) * ldc + bx*S + tx]` (either axis on rows). */
export function outputMapping(store: AccessFact, scope: KernelScope): Mapping {
  const idx = store.indices[0];
  if (store.indices.length !== 1 || idx.unknown || idx.hasAtoms) refuse(`the output index ${code(store.text)} is not \`row * ldc + col\` of block and thread indices`);
  if (idx.dependsOn((s) => s.endsWith('.z') || s.startsWith('gridDim.') || s.startsWith('#'))) refuse(`the output index ${code(store.text)} depends on more than the x and y block and thread indices (a batch, a loop)`);
  for (const colAxis of ['x', 'y'] as const) {
    const rowAxis = other(colAxis);
    const one = idx.coefficient(`threadIdx.${colAxis}`);
    if (!one.isConstant || one.constant !== 1) continue;
    const ldc = idx.coefficient(`threadIdx.${rowAxis}`);
    if (ldc.terms.size === 0 || !scope.isUniform(ldc)) continue;
    const colExtent = idx.coefficient(`blockIdx.${colAxis}`);
    const rowExtent = divide(idx.coefficient(`blockIdx.${rowAxis}`), ldc);
    if (!rowExtent) continue;
    const pos = { [rowAxis]: posOf(rowAxis, rowExtent), [colAxis]: posOf(colAxis, colExtent) } as Record<Axis, Poly>;
    if (!idx.equals(pos[rowAxis].mul(ldc).add(pos[colAxis]))) continue;
    const okExtent = (e: Poly, axis: Axis) => e.equals(Poly.sym(`blockDim.${axis}`)) || (scope.isUniform(e) && e.terms.size > 0);
    if (!okExtent(rowExtent, rowAxis) || !okExtent(colExtent, colAxis)) continue;
    return { rowAxis, colAxis, pos, extent: { [rowAxis]: rowExtent, [colAxis]: colExtent } as Record<Axis, Poly>, ldc };
  }
  return refuse(`the output index ${code(store.text)} is not \`row * ldc + col\` with row and col from the block and thread indices`);
}

/** An operand read as A(pos, k) = A[pos * ld + k] or A[k * ld + pos]: its ld and orientation, or null. */
export function operandForm(index: Poly, pos: Poly, k: Poly, axis: Axis, scope: KernelScope): { trans: boolean; ld: Poly } | null {
  const ldRow = index.coefficient(`threadIdx.${axis}`);
  if (scope.isUniform(ldRow) && ldRow.terms.size > 0 && index.equals(pos.mul(ldRow).add(k))) return { trans: false, ld: ldRow };
  // k * ld + pos: ld is what multiplies k's symbols
  for (const kSym of [...k.symbols()].filter((s) => s.startsWith('#'))) {
    const kc = k.coefficient(kSym);
    if (!kc.isConstant || kc.constant === 0) continue;
    const ld = index.coefficient(kSym).divExact(kc.constant);
    if (ld && scope.isUniform(ld) && ld.terms.size > 0 && index.equals(k.mul(ld).add(pos))) return { trans: true, ld };
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Guards: `if (row < M && col < N) ...` around the store, or `if (row >= M || col >= N) return;`

export interface Bound {
  lhs: Expr;
  value: Poly;
  bound: Expr;
  boundValue: Poly;
  boundText: string;
  lhsName: string | null;
}

/** The comparisons `x < bound` a condition requires, all joined by `&&` (or, for `negated`, the `x >= bound` joined by `||` that make it false). */
export function comparisons(cond: Expr, negated: boolean): { lhs: Expr; bound: Expr }[] | null {
  const out: { lhs: Expr; bound: Expr }[] = [];
  const join = negated ? '||' : '&&';
  const walk = (e: Expr): boolean => {
    const b = bare(e);
    if (b.k === 'binary' && b.op === join) return walk(b.l) && walk(b.r);
    if (b.k !== 'binary') return false;
    if (!negated && b.op === '<') out.push({ lhs: b.l, bound: b.r });
    else if (!negated && b.op === '>') out.push({ lhs: b.r, bound: b.l });
    else if (negated && b.op === '>=') out.push({ lhs: b.l, bound: b.r });
    else if (negated && b.op === '<=') out.push({ lhs: b.r, bound: b.l });
    else return false;
    return true;
  };
  return walk(cond) ? out : null;
}

const conditionOf = (ifNode: SyntaxNode): SyntaxNode | null => {
  const c = ifNode.childForFieldName('condition');
  return c?.childForFieldName('value') ?? c?.namedChildren[0] ?? null;
};

const statementsOf = (n: SyntaxNode): SyntaxNode[] =>
  n.type === 'compound_statement' ? n.namedChildren.filter((c) => c.type !== 'comment' && !(c.type === 'preproc_call' && /pragma\s+unroll/.test(c.text))) : [n];

/**
 * The guards of the kernel: every `if` must be one. Returns the bounds the store is under,
 * with the row and column positions each compares.
 */
export function guardBounds(scope: KernelScope, store: AccessFact, map: Mapping): { row: Bound; col: Bound } {
  const body = scope.def.childForFieldName('body')!;
  const bounds: Bound[] = [];
  const returns: SyntaxNode[] = [];
  for (const ifNode of body.descendantsOfType('if_statement')) {
    const condNode = conditionOf(ifNode);
    const cond = condNode ? parseExpr(condNode.text) : null;
    if (!cond || ifNode.childForFieldName('alternative')) refuse(`the kernel branches on ${code(condNode?.text ?? ifNode.text.split('\n')[0])}`);
    const then = ifNode.childForFieldName('consequence')!;
    const thenStmts = statementsOf(then);
    const isReturn = thenStmts.length === 1 && thenStmts[0].type === 'return_statement' && thenStmts[0].namedChildren.length === 0;
    const storeInside = inside(store.range, nodeRange(then));
    if (isReturn) {
      returns.push(ifNode);
      if (ifNode.parent !== body) refuse(`the early return under ${code(condNode!.text)} is not at the top of the kernel`);
      if (!(nodeRange(ifNode).end.line < store.range.start.line || (nodeRange(ifNode).end.line === store.range.start.line && nodeRange(ifNode).end.column <= store.range.start.column)))
        refuse(`the early return under ${code(condNode!.text)} comes after the store`);
    } else if (!storeInside) refuse(`the kernel branches on ${code(condNode!.text)}`);
    const cmp = comparisons(cond!, isReturn);
    if (!cmp) refuse(`the guard ${code(condNode!.text)} is not a bounds check of the output row and column`);
    for (const c of cmp!) {
      const at = nodeRange(condNode!);
      const value = scope.value(c.lhs, at);
      const boundValue = scope.value(c.bound, at);
      const b = bare(c.lhs);
      bounds.push({ lhs: c.lhs, value, bound: c.bound, boundValue, boundText: condNode!.text.slice(c.bound.s, c.bound.e), lhsName: b.k === 'id' ? b.name : null });
    }
  }
  for (const r of body.descendantsOfType('return_statement'))
    if (!returns.some((g) => r.startIndex >= g.startIndex && r.endIndex <= g.endIndex)) refuse('the kernel returns early outside its bounds check');
  const rows = bounds.filter((b) => b.value.equals(map.pos[map.rowAxis]));
  const cols = bounds.filter((b) => b.value.equals(map.pos[map.colAxis]));
  const others = bounds.filter((b) => !rows.includes(b) && !cols.includes(b));
  if (others.length) refuse(`the guard compares ${code(others[0].lhs.k === 'id' ? others[0].lhs.name : 'an index')} with ${code(others[0].boundText)}, not only the output row and column`);
  if (rows.length === 0 || cols.length === 0) refuse('the store is not guarded by both `row < M` and `col < N`');
  // the same check twice (an early return and a guarded store) is fine; two different bounds are not
  if (rows.some((b) => !b.boundValue.equals(rows[0].boundValue)) || cols.some((b) => !b.boundValue.equals(cols[0].boundValue)))
    refuse('the output row or column is checked against two different bounds');
  for (const b of [rows[0], cols[0]]) if (!scope.isUniform(b.boundValue) || !boundIsParameters(b.bound, scope)) refuse(`the bound ${code(b.boundText)} is not written in the kernel's parameters`);
  return { row: rows[0], col: cols[0] };
}

/** An expression of parameters and file constants only (it may be copied into the new kernel and mapped onto a launch). */
export function boundIsParameters(e: Expr, scope: KernelScope): boolean {
  const ids: string[] = [];
  const walk = (x: Expr): void => {
    if (x.k === 'id') ids.push(x.name);
    else if (x.k === 'binary') (walk(x.l), walk(x.r));
    else if (x.k === 'paren' || x.k === 'cast' || x.k === 'unary') walk(x.x);
    else if (x.k !== 'num') ids.push('?');
  };
  walk(e);
  return ids.every((id) => scope.intParams.has(id) || scope.constants.has(id) || scope.fn.templateParams.includes(id));
}

// ---------------------------------------------------------------------------------------
// The accumulator and the store

const FMA = new Set(['fmaf', '__fmaf_rn', 'fma']);
const EPILOGUE_CALLS = new Set(['fmaxf', 'fminf', 'fabsf', 'max', 'min']);

/** `acc += x * y`, `acc = acc + x * y`, `acc = fmaf(x, y, acc)`: the accumulator and the two factors (statement-relative expressions). */
export function accumulate(stmt: SyntaxNode): { acc: string; x: Expr; y: Expr; text: string } | null {
  if (stmt.type !== 'expression_statement') return null;
  const text = stmt.text.replace(/;\s*$/, '');
  // the reader has no assignment: split it by hand
  const m = /^\s*([A-Za-z_]\w*)\s*(\+=|=)([\s\S]*)$/.exec(text);
  if (!m) return null;
  const acc = m[1];
  const rhsOffset = text.length - m[3].length;
  const rhs = parseExpr(m[3]);
  if (!rhs) return null;
  const shift = (x: Expr): Expr => shiftExpr(x, rhsOffset);
  const r = bare(rhs);
  const product = (p: Expr): { x: Expr; y: Expr } | null => {
    const b = bare(p);
    return b.k === 'binary' && b.op === '*' ? { x: shift(b.l), y: shift(b.r) } : null;
  };
  if (m[2] === '+=') {
    const p = product(r);
    return p ? { acc, ...p, text } : null;
  }
  if (r.k === 'binary' && r.op === '+') {
    const l = bare(r.l);
    const rr = bare(r.r);
    if (l.k === 'id' && l.name === acc) {
      const p = product(rr);
      return p ? { acc, ...p, text } : null;
    }
    if (rr.k === 'id' && rr.name === acc) {
      const p = product(l);
      return p ? { acc, ...p, text } : null;
    }
    return null;
  }
  if (r.k === 'call') {
    const f = bare(r.fn);
    const last = r.args[2] ? bare(r.args[2]) : null;
    if (f.k === 'id' && FMA.has(f.name) && r.args.length === 3 && last?.k === 'id' && last.name === acc) return { acc, x: shift(r.args[0]), y: shift(r.args[1]), text };
  }
  return null;
}

function shiftExpr<T extends Expr>(x: T, by: number): T {
  const out: any = { ...x, s: x.s + by, e: x.e + by };
  for (const key of ['obj', 'fn', 'index', 'x', 'l', 'r', 'c', 't', 'f'] as const) if ((x as any)[key]) out[key] = shiftExpr((x as any)[key], by);
  if ((x as any).args) out.args = (x as any).args.map((a: Expr) => shiftExpr(a, by));
  return out;
}

/** Does this factor (text relative to `stmt`) read exactly `access`? */
export function readsAccess(ctx: FixContext, stmt: SyntaxNode, x: Expr, access: AccessFact): boolean {
  const b = bare(x);
  const start = positionAt(ctx, stmt.startIndex + b.s);
  const end = positionAt(ctx, stmt.startIndex + b.e);
  return samePos(start, access.range.start) && samePos(end, access.range.end);
}

/** The accumulator's declaration: a float local, declared once, starting from zero, assigned only in `update`. */
export function checkAccumulator(scope: KernelScope, acc: string, update: SyntaxNode, before: Range): void {
  const decl = scope.localDecl(acc);
  if (!decl) refuse(`the accumulator ${code(acc)} is not a local declared once`);
  const type = scope.localType(acc)!.replace(/\b(const|register)\b/g, '').trim();
  if (type !== 'float') refuse(`the sum is accumulated in ${code(type)}, not \`float\``);
  if (!decl!.value || bare(decl!.value).k !== 'num' || (bare(decl!.value) as { value: number }).value !== 0)
    refuse(decl!.value ? `the sum starts from ${code(textOfDecl(scope, acc))}, not 0` : `the accumulator ${code(acc)} starts undefined`);
  if (!(decl!.at.start.line < before.start.line || (decl!.at.start.line === before.start.line && decl!.at.start.column < before.start.column))) refuse(`the accumulator ${code(acc)} is declared inside the loop`);
  const body = scope.def.childForFieldName('body')!;
  for (const a of body.descendantsOfType(['assignment_expression', 'update_expression'])) {
    const target = a.childForFieldName(a.type === 'assignment_expression' ? 'left' : 'argument');
    if (target?.type === 'identifier' && target.text === acc && !inside(nodeRange(a), nodeRange(update))) refuse(`${code(acc)} is also changed by ${code(a.text)}`);
  }
}

function textOfDecl(scope: KernelScope, acc: string): string {
  const body = scope.def.childForFieldName('body')!;
  for (const d of body.descendantsOfType('init_declarator')) if (d.childForFieldName('declarator')?.text === acc) return d.childForFieldName('value')?.text ?? acc;
  return acc;
}

/**
 * The store statement: `C[idx] = rhs` (or `+=`, `-=`) where rhs reads only the accumulator,
 * scalar parameters, constants, the old value of the same C element and a few math functions.
 */
export function storeOf(ctx: FixContext, scope: KernelScope, store: AccessFact, acc: string): Store {
  const stmt = ctx.node(store.range, ['expression_statement']);
  const text = stmt?.text.replace(/;\s*$/, '') ?? '';
  const lhsLen = offsetOf(ctx, store.range.end) - (stmt ? stmt.startIndex : 0);
  if (!stmt || !samePos({ line: stmt.startPosition.row, column: stmt.startPosition.column }, store.range.start)) refuse(`the store ${code(store.text)} is not a statement of its own`);
  const m = /^\s*(=|\+=|-=)([\s\S]*)$/.exec(text.slice(lhsLen));
  if (!m) refuse(`the store ${code(text)} is not \`C[...] = value\``);
  const rhs = parseExpr(m![2]);
  if (!rhs) refuse(`the stored value ${code(m![2])} is not an expression the fix reads`);
  const olds = scope.fn.accesses.filter((a) => a.array === store.array && a.kind === 'load' && a.indices.length === 1 && a.indices[0].equals(store.indices[0]));
  const oldTexts = new Set(olds.map((a) => squash(a.text)));
  const spans: { s: number; e: number; what: 'acc' | 'old' }[] = [];
  const rhsText = m![2];
  const walk = (e: Expr): void => {
    switch (e.k) {
      case 'num':
        return;
      case 'id':
        if (e.name === acc) spans.push({ s: e.s, e: e.e, what: 'acc' });
        else if (!scope.scalarParams.has(e.name) && !scope.constants.has(e.name)) refuse(`the stored value uses ${code(e.name)}, which the new kernel would not have`);
        return;
      case 'index':
      case 'call':
        if (oldTexts.has(squash(rhsText.slice(e.s, e.e)))) {
          spans.push({ s: e.s, e: e.e, what: 'old' });
          return;
        }
        if (e.k === 'call' && e.fn.k === 'id' && EPILOGUE_CALLS.has(e.fn.name)) {
          e.args.forEach(walk);
          return;
        }
        return refuse(`the stored value reads ${code(rhsText.slice(e.s, e.e))}`);
      case 'unary':
        if (e.op !== '-' && e.op !== '+') refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
        return walk(e.x);
      case 'binary':
        if (!['+', '-', '*', '/'].includes(e.op)) refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
        walk(e.l);
        walk(e.r);
        return;
      case 'paren':
        return walk(e.x);
      case 'cast':
        if (!/^(const\s+)?float$/.test(e.type.trim())) refuse(`the stored value converts to ${code(e.type)}`);
        return walk(e.x);
      default:
        refuse(`the stored value ${code(rhsText)} is not plain arithmetic`);
    }
  };
  walk(rhs!);
  if (!spans.some((s) => s.what === 'acc')) refuse(`the stored value ${code(rhsText)} does not use the sum ${code(acc)}`);
  const op = m![1] as Store['op'];
  const trimmed = rhsText.trim();
  const lead = rhsText.length - rhsText.trimStart().length;
  return {
    op,
    render(accText: string, old: string): string {
      let out = '';
      let at = lead;
      for (const s of [...spans].sort((x, y) => x.s - y.s)) {
        out += rhsText.slice(at, s.s) + (s.what === 'acc' ? accText : old);
        at = s.e;
      }
      out += rhsText.slice(at, lead + trimmed.length);
      return out.replace(/\s+/g, ' ').trim();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Launches of the kernel and their configuration

interface Dims {
  /** Each dimension's expression and its text. */
  dims: { e: Expr; text: string }[];
  /** Writes new dimensions, or null when the configuration cannot be rewritten in place. */
  rewrite: ((dims: string[]) => TextEdit) | null;
  /** The variable it was declared as (`block`), for `block.x` in the grid. */
  variable: string | null;
}

export interface Launch {
  host: FunctionFacts;
  call: CallFact;
  /** Values of the kernel's template parameters at this launch. */
  template: Map<string, Poly>;
  /** Each kernel parameter's argument, as text and value. */
  args: Map<string, { text: string; value: Poly }>;
  grid: Dims | null;
  block: Dims | null;
  /** Value of a host expression. */
  value(e: Expr): Poly;
  /** Why the configuration could not be read (then grid or block is null). */
  problem: string | null;
}

function hostDims(ctx: FixContext, hostDef: SyntaxNode, arg: SyntaxNode, launchNode: SyntaxNode, ignore: [number, number] | null = null): { dims: Dims | null; problem: string | null; span?: [number, number] } {
  const whole = (text: string): Dims['dims'] | null => {
    const parts = splitArgs(text);
    if (!parts || parts.length === 0 || parts.length > 3) return null;
    const out: Dims['dims'] = [];
    for (const p of parts) {
      const t = p.text.trim();
      const e = parseExpr(t);
      if (!e) return null;
      out.push({ e, text: t });
    }
    return out;
  };
  const inline = (dims: Dims['dims']): Dims => ({
    dims,
    variable: null,
    rewrite: (d) => ({ range: nodeRange(arg), newText: d.length === 1 ? d[0] : `dim3(${d.join(', ')})` }),
  });
  if (arg.type === 'identifier') {
    const name = arg.text;
    const decls = hostDef.descendantsOfType('declaration').filter((d) => d.childrenForFieldName('declarator').some((x) => (x.childForFieldName('declarator') ?? x).text === name));
    if (decls.length !== 1 || decls[0].startIndex > launchNode.startIndex) return { dims: null, problem: `\`${name}\` is not declared once before the launch` };
    const d = decls[0];
    const typeText = d.childForFieldName('type')?.text ?? '';
    const declarator = d.childrenForFieldName('declarator').find((x) => (x.childForFieldName('declarator') ?? x).text === name)!;
    const nameNode = declarator.childForFieldName('declarator') ?? declarator;
    // where its dimensions are written: `(a, b)`, `{a, b}`, `= dim3(a, b)`, `= {a, b}`, `= n`
    const after = ctx.text.slice(nameNode.endIndex, declarator.endIndex);
    const open = /^\s*(?:=\s*(?:dim3\s*)?)?([({])/.exec(after);
    let dims: Dims['dims'] | null = null;
    let span: [number, number] | null = null;
    if (open) {
      const s = nameNode.endIndex + open[0].length;
      const close = matching(ctx.text, s - 1);
      if (close > 0) {
        dims = whole(ctx.text.slice(s, close));
        span = [s, close];
      }
    } else {
      const eq = /^\s*=\s*/.exec(after);
      if (eq) {
        const s = nameNode.endIndex + eq[0].length;
        dims = whole(ctx.text.slice(s, declarator.endIndex));
        span = [s, declarator.endIndex];
      }
    }
    if (!dims || !span) return { dims: null, problem: `the declaration of \`${name}\` is not one the fix reads` };
    if (!/\bdim3\b/.test(typeText) && !/^(?:const\s+)?(?:unsigned\s+)?(?:int|unsigned|size_t|long)$/.test(typeText.trim())) return { dims: null, problem: `\`${name}\` is a ${code(typeText)}` };
    // other uses of the variable: writes make it unreadable; other reads make the declaration shared
    let shared = false;
    for (const id of hostDef.descendantsOfType('identifier')) {
      if (id.text !== name || id.startIndex === nameNode.startIndex) continue;
      if (id.startIndex >= arg.startIndex && id.endIndex <= arg.endIndex) continue;
      if (ignore && id.startIndex >= ignore[0] && id.endIndex <= ignore[1]) continue;
      let p: SyntaxNode | null = id.parent;
      if (p?.type === 'field_expression') p = p.parent;
      if (p && ((p.type === 'assignment_expression' && p.childForFieldName('left') && p.childForFieldName('left')!.startIndex <= id.startIndex && id.endIndex <= p.childForFieldName('left')!.endIndex) || p.type === 'update_expression'))
        return { dims: null, problem: `\`${name}\` is changed after its declaration` };
      shared = true;
    }
    const isDim3 = /\bdim3\b/.test(typeText);
    const [s, e] = span;
    return {
      span: isDim3 && !shared ? span : undefined,
      dims: {
        dims,
        variable: isDim3 ? name : null,
        rewrite:
          isDim3 && !shared
            ? (d) => ({ range: rangeOf(ctx, s, e), newText: d.join(', ') })
            : (d) => ({ range: nodeRange(arg), newText: d.length === 1 ? d[0] : `dim3(${d.join(', ')})` }),
      },
      problem: null,
    };
  }
  const text = arg.text;
  const call = /^dim3\s*[({]/.exec(text);
  if (call) {
    const s = arg.startIndex + call[0].length;
    const close = matching(ctx.text, s - 1);
    const dims = close > 0 ? whole(ctx.text.slice(s, close)) : null;
    return dims ? { dims: { dims, variable: null, rewrite: (d) => ({ range: rangeOf(ctx, s, close), newText: d.join(', ') }) }, problem: null } : { dims: null, problem: `${code(text)} is not one the fix reads` };
  }
  const e = parseExpr(text);
  return e ? { dims: inline([{ e, text }]), problem: null } : { dims: null, problem: `${code(text)} is not one the fix reads` };
}

/** Index of the bracket closing the one at `open`, or -1. */
function matching(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** The launches of `fn` in this file, read as far as they can be. */
export function launchesOf(ctx: FixContext, fn: FunctionFacts): Launch[] {
  const out: Launch[] = [];
  const fileConsts = constantsOf(ctx);
  for (const host of ctx.file.functions) {
    if (host.isKernel || host.isDevice) continue;
    for (const call of host.calls) {
      if (call.kind !== 'launch' || call.name !== fn.name) continue;
      const hostDef = ctx.node(host.range, ['function_definition']);
      const node = ctx.node(call.range, ['call_expression']);
      const consts = new Map([...fileConsts, ...constantsOf(ctx, host.range)]);
      const launch: Launch = { host, call, template: new Map(), args: new Map(), grid: null, block: null, value: () => Poly.unknown, problem: null };
      out.push(launch);
      if (!hostDef || !node) {
        launch.problem = 'its syntax could not be read';
        continue;
      }
      const config = node.children.find((c) => c.type === 'kernel_call_syntax');
      const cfg = config?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      if (cfg.length < 2) {
        launch.problem = 'its configuration could not be read';
        continue;
      }
      // the grid's declaration is rewritten with the block's: `block.x` in it does not keep the block's declaration
      const grid = hostDims(ctx, hostDef, cfg[0], node);
      const block = hostDims(ctx, hostDef, cfg[1], node, grid.span ?? null);
      launch.block = block.dims;
      launch.grid = grid.dims;
      launch.problem = block.problem ?? grid.problem;
      const blockVar = block.dims?.variable ?? null;
      const value = (e: Expr): Poly =>
        polyOf(e, (id) => {
          if (consts.has(id)) return Poly.const(consts.get(id)!);
          const dot = /^(\w+)\.([xyz])$/.exec(id);
          if (dot) {
            if (dot[1] !== blockVar || !launch.block) return undefined;
            const i = 'xyz'.indexOf(dot[2]);
            const d = launch.block.dims[i];
            return d ? polyOf(d.e, (x) => (consts.has(x) ? Poly.const(consts.get(x)!) : /\./.test(x) ? undefined : Poly.sym(x))) : Poly.const(1);
          }
          return Poly.sym(id);
        });
      launch.value = value;
      // template arguments: `sgemm_tiled<TILE><<<...>>>`
      const fnNode = node.childForFieldName('function');
      if (fnNode?.type === 'template_function') {
        const targs = fnNode.childForFieldName('arguments')?.namedChildren ?? [];
        targs.forEach((t, i) => {
          const name = fn.templateParams[i];
          const e = parseExpr(t.text);
          if (name && e) launch.template.set(name, value(e));
        });
      }
      if (call.args.length === fn.params.length) {
        fn.params.forEach((p, i) => {
          const e = parseExpr(call.args[i]);
          launch.args.set(p.name, { text: call.args[i], value: e ? value(e) : Poly.unknown });
        });
      } else launch.problem ??= 'its arguments do not match the kernel parameters';
    }
  }
  return out;
}

/** Other places that name the kernel (a function pointer, `cudaFuncSetAttribute`), beyond its definition, declarations and launches. */
export function otherReferences(ctx: FixContext, fn: FunctionFacts, launches: Launch[]): number[] {
  const root = ctx.node({ start: { line: 0, column: 0 }, end: { line: 0, column: 0 } }, ['translation_unit']);
  if (!root) return [];
  const out: number[] = [];
  for (const id of root.descendantsOfType('identifier')) {
    if (id.text !== fn.name) continue;
    const r = nodeRange(id);
    if (inside(r, fn.range) || launches.some((l) => inside(r, l.call.range))) continue;
    // a prototype: `__global__ void sgemm(...);`
    let p = id.parent;
    while (p && p.type !== 'declaration' && p.type !== 'translation_unit' && p.type !== 'function_definition') p = p.parent;
    if (p?.type === 'declaration' && id.parent?.type === 'function_declarator') continue;
    out.push(r.start.line + 1);
  }
  // launches from the project's other files
  for (const host of ctx.file.project?.hosts.values() ?? []) {
    if (ctx.file.functions.includes(host) || ctx.file.functions.some((f) => !f.isKernel && f.name === host.name)) continue;
    if (host.calls.some((c) => c.kind === 'launch' && c.name === fn.name)) out.push(0);
  }
  return out;
}

/** Replaces the kernel parameters in a kernel-side size (`M`) by the launch's arguments (`rows`). */
function mapText(text: string, launch: Launch): string | null {
  const e = parseExpr(text);
  if (!e) return null;
  let out = '';
  let at = 0;
  const ids: { s: number; e: number; name: string }[] = [];
  const walk = (x: Expr): void => {
    if (x.k === 'id') ids.push({ s: x.s, e: x.e, name: x.name });
    else if (x.k === 'binary') (walk(x.l), walk(x.r));
    else if (x.k === 'paren' || x.k === 'cast' || x.k === 'unary') walk(x.x);
  };
  walk(e);
  for (const id of ids) {
    const arg = launch.args.get(id.name);
    if (!arg && !launch.template.has(id.name)) continue;
    const value = arg ? operand(arg.text) : polyText(launch.template.get(id.name)!);
    out += text.slice(at, id.s) + value;
    at = id.e;
  }
  return out + text.slice(at);
}

/** Substitutes the kernel's template parameters and block sizes of a launch into a kernel-side value. */
function atLaunch(p: Poly, launch: Launch, block: number[]): Poly {
  let out = p;
  for (const [name, v] of launch.template) out = out.substitute(name, v);
  out = out.substitute('blockDim.x', Poly.const(block[0])).substitute('blockDim.y', Poly.const(block[1])).substitute('blockDim.z', Poly.const(block[2]));
  return out;
}

/**
 * Does this launch run the original kernel over exactly the M x N outputs: a 2-D block whose
 * size matches what the kernel assumes, a grid that rounds M and N up? Returns why not, or null.
 */
export function launchCovers(spec: GemmSpec, launch: Launch): string | null {
  if (!launch.block || !launch.grid) return launch.problem ?? 'its configuration could not be read';
  const block = [0, 1, 2].map((i) => (launch.block!.dims[i] ? launch.value(launch.block!.dims[i].e) : Poly.const(1)));
  if (block.some((b) => !b.isConstant)) return `its block ${code(launch.block.dims.map((d) => d.text).join(', '))} is not a constant size`;
  const bs = block.map((b) => b.constant);
  if (bs[2] !== 1) return 'its block is 3-D';
  const grid = launch.grid.dims;
  if (grid.length === 3 && !launch.value(grid[2].e).equals(Poly.const(1))) return 'its grid is 3-D';
  const axisIndex = (a: Axis) => (a === 'x' ? 0 : 1);
  for (const [axis, sizeText] of [
    [spec.rowAxis, spec.m],
    [other(spec.rowAxis), spec.n],
  ] as const) {
    const extent = atLaunch(spec.extent[axis], launch, bs);
    if (!extent.isConstant || extent.constant !== bs[axisIndex(axis)]) return `the kernel assumes ${polyText(spec.extent[axis])} threads along ${axis}, the block has ${bs[axisIndex(axis)]}`;
    if (spec.tile) {
      const t = atLaunch(spec.tile, launch, bs);
      if (!t.isConstant || t.constant !== bs[0] || t.constant !== bs[1]) return `the ${polyText(spec.tile)} x ${polyText(spec.tile)} tiles need as many threads, the block has ${bs[0]} x ${bs[1]}`;
    }
    const g = grid[axisIndex(axis)];
    if (!g) return `its grid has no ${axis} dimension`;
    const cd = ceilDiv(g.e, launch.value);
    const mapped = mapText(sizeText, launch);
    const want = mapped ? launch.value(parseExpr(mapped) ?? ({ k: 'id', name: '?', s: 0, e: 0 } as Expr)) : Poly.unknown;
    if (!cd) return `its grid's ${axis} ${code(g.text)} is not a rounded-up division of ${code(mapped ?? sizeText)}`;
    const d = launch.value(cd.d);
    if (!d.isConstant || d.constant !== extent.constant) return `its grid's ${axis} ${code(g.text)} divides by ${code(g.text.slice(cd.d.s, cd.d.e))}, not the block's ${extent.constant}`;
    if (want.unknown || !launch.value(cd.x).equals(want)) return `its grid's ${axis} ${code(g.text)} does not cover ${code(mapped ?? sizeText)}`;
  }
  return null;
}

/** The new configuration of a launch: `block` threads, a grid of ceil(N / tileN) x ceil(M / tileM) blocks (columns on x). */
export function newConfig(spec: GemmSpec, launch: Launch, tileM: number, tileN: number): { grid: string[] } | null {
  const m = mapText(spec.m, launch);
  const n = mapText(spec.n, launch);
  if (!m || !n) return null;
  // the user's rounding helper (`ceil_div(N, threads.x)`) is kept when the grid used one
  const helper = (i: number) => {
    const d = launch.grid?.dims[i];
    const b = d ? bare(d.e) : null;
    const cd = d ? ceilDiv(d.e, launch.value) : null;
    return b && cd && b.k === 'call' && bare(b.fn).k === 'id' ? d!.text.slice(b.fn.s, b.fn.e) : null;
  };
  const up = (x: string, t: number, i: number) => {
    const h = helper(i);
    return h ? `${h}(${x.trim()}, ${t})` : `(${operand(x)} + ${t - 1}) / ${t}`;
  };
  return { grid: [up(n, tileN, 0), up(m, tileM, 1)] };
}

// ---------------------------------------------------------------------------------------
// Writing the new kernel

/** The kernel's text up to its body, without any `__launch_bounds__`, with `bounds` added before its name. */
export function header(ctx: FixContext, def: SyntaxNode, bounds: string | null): string {
  const body = def.childForFieldName('body')!;
  let declarator = def.childForFieldName('declarator');
  while (declarator && declarator.type !== 'function_declarator') declarator = declarator.childForFieldName('declarator') ?? declarator.namedChildren[0] ?? null;
  const nameNode = declarator?.childForFieldName('declarator');
  const head = ctx.text.slice(def.startIndex, body.startIndex).trimEnd();
  if (!nameNode) return head;
  const at = nameNode.startIndex - def.startIndex;
  const oldCol = at - (head.lastIndexOf('\n', at - 1) + 1) + (head.lastIndexOf('\n', at - 1) === -1 ? def.startPosition.column : 0);
  let prefix = head.slice(0, at).replace(/__launch_bounds__\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*/g, '');
  prefix = prefix.replace(/\s*\n\s*$/, ' ').replace(/([^\s])$/, '$1 ') + (bounds ? `${bounds} ` : '');
  const newCol = prefix.length - (prefix.lastIndexOf('\n') + 1) + (prefix.lastIndexOf('\n') === -1 ? def.startPosition.column : 0);
  const delta = newCol - oldCol;
  // parameters continued on later lines and aligned past the name move with it
  const rest = head
    .slice(at)
    .split('\n')
    .map((line, i) => {
      const lead = /^[ \t]*/.exec(line)![0].length;
      if (i === 0 || delta === 0 || lead <= oldCol) return line;
      return delta > 0 ? ' '.repeat(delta) + line : line.slice(Math.min(-delta, lead - 1));
    })
    .join('\n');
  return prefix + rest;
}

/** The indentation unit of the file's function bodies (two spaces when it cannot tell). */
export function indentUnit(ctx: FixContext, def: SyntaxNode): string {
  const body = def.childForFieldName('body');
  const first = body?.namedChildren.find((c) => c.type !== 'comment');
  if (first) {
    const line = ctx.lines[first.startPosition.row] ?? '';
    const lead = /^[ \t]*/.exec(line)![0];
    const base = /^[ \t]*/.exec(ctx.lines[def.startPosition.row] ?? '')![0];
    if (lead.length > base.length) return lead.slice(base.length);
  }
  return '  ';
}

/** Builds the fix: the kernel replaced, its launches in this file rewritten (or, where they cannot be, the fix marked for review). */
export function gemmFix(
  ctx: FixContext,
  spec: GemmSpec,
  kernel: string,
  what: string,
  cfg: { block: number[]; tileM: number; tileN: number },
): Fix {
  const edits: TextEdit[] = [{ range: nodeRange(spec.def), newText: kernel }];
  const notes = [...spec.notes];
  const launches = launchesOf(ctx, spec.fn);
  const blockText = cfg.block.join('x');
  const gridText = `ceil(${spec.n} / ${cfg.tileN}) x ceil(${spec.m} / ${cfg.tileM})`;
  const changed: string[] = [];
  for (const l of launches) {
    const why = launchCovers(spec, l);
    if (why) notes.push(`the launch in \`${l.host.name}\` was not proven to cover C (${why})`);
    // unchanged when it already runs this block and grid
    const same = !why && l.block && l.grid && sameConfig(spec, l, cfg);
    if (same) continue;
    const conf = newConfig(spec, l, cfg.tileM, cfg.tileN);
    if (!conf || !l.block?.rewrite || !l.grid?.rewrite) {
      notes.push(`the launch in \`${l.host.name}\` is not rewritten: launch ${spec.fn.name} with ${blockText} threads and ${gridText} blocks`);
      continue;
    }
    const blockNow = [0, 1, 2].map((i) => (l.block!.dims[i] ? l.value(l.block!.dims[i].e) : Poly.const(1)));
    const want = [...cfg.block, 1, 1].slice(0, 3);
    if (!blockNow.every((b, i) => b.isConstant && b.constant === want[i])) edits.push(l.block.rewrite(cfg.block.map(String)));
    edits.push(l.grid.rewrite(conf.grid));
    changed.push(l.host.name);
  }
  const refs = otherReferences(ctx, spec.fn, launches);
  if (refs.some((r) => r === 0)) notes.push(`\`${spec.fn.name}\` is also launched from another file`);
  else if (refs.length) notes.push(`\`${spec.fn.name}\` is also referenced on line ${refs[0]}`);
  if (launches.length === 0) notes.push(`no launch of \`${spec.fn.name}\` in this file`);
  let title = what;
  if (changed.length) title += ` (launch in ${[...new Set(changed)].map((c) => `\`${c}\``).join(', ')}: ${blockText} threads, ${gridText} blocks)`;
  const outside = launches.length === 0 || refs.length > 0;
  if (outside) title += ` (callers must launch it with ${blockText} threads and ${gridText} blocks)`;
  // what keeps it from being applied without review, beyond callers elsewhere (said above)
  const review = notes.find((n) => !/^no launch of|is also (launched|referenced)/.test(n));
  if (review) title += `; review: ${review}`;
  return { title, edits: dedupe(edits), safe: notes.length === 0 };
}

function sameConfig(spec: GemmSpec, l: Launch, cfg: { block: number[]; tileM: number; tileN: number }): boolean {
  const block = [0, 1, 2].map((i) => (l.block!.dims[i] ? l.value(l.block!.dims[i].e) : Poly.const(1)));
  const want = [...cfg.block, 1, 1].slice(0, 3);
  if (!block.every((b, i) => b.isConstant && b.constant === want[i])) return false;
  if (spec.rowAxis !== 'y') return false;
  const gx = l.grid!.dims[0] ? ceilDiv(l.grid!.dims[0].e, l.value) : null;
  const gy = l.grid!.dims[1] ? ceilDiv(l.grid!.dims[1].e, l.value) : null;
  return !!gx && !!gy && l.value(gx.d).equals(Poly.const(cfg.tileN)) && l.value(gy.d).equals(Poly.const(cfg.tileM));
}

function dedupe(edits: TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const k = JSON.stringify(e.range);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Checks shared by both recognisers: CUDA, a kernel, float operands, integer-only template parameters. */
export function kernelOf(ctx: FixContext): { fn: FunctionFacts; def: SyntaxNode; scope: KernelScope } {
  if (ctx.language !== 'cuda') refuse('the automatic rewrite covers CUDA kernels only');
  const fn = ctx.fn;
  if (!fn || !fn.isKernel) refuse('the finding is not in a CUDA kernel');
  const def = ctx.node(fn!.range, ['function_definition']);
  if (!def || def.hasError) refuse('the kernel does not parse cleanly');
  // the copy of the definition has no parent: find the template around it from the tree
  const outer = ctx.node(fn!.range, ['template_declaration']);
  const tmpl = outer && outer.namedChildren.some((c) => c.type === 'function_definition' && c.startIndex === def!.startIndex) ? outer.childForFieldName('parameters') : null;
  for (const p of tmpl?.namedChildren ?? []) {
    if (p.type !== 'parameter_declaration' || !/^(?:unsigned\s+)?(?:int|unsigned|size_t|long)$/.test(p.childForFieldName('type')?.text ?? ''))
      refuse(`the kernel is a template over ${code(p.text)}: the element type must be \`float\``);
  }
  return { fn: fn!, def: def!, scope: new KernelScope(ctx, fn!, def!) };
}

/** A global float operand: a parameter `float*` (const or not). */
export function floatParam(fn: FunctionFacts, a: AccessFact): string {
  const p = fn.params.find((x) => x.name === a.array);
  if (!p || !p.pointer) refuse(`${code(a.text)} does not read a pointer parameter of the kernel`);
  if (p!.type.replace(/\bconst\b/g, '').trim() !== 'float' || (a.elemType !== null && a.elemType !== 'float')) refuse(`\`${a.array}\` holds ${code(p!.type.replace(/\bconst\b/g, '').trim())}, not \`float\``);
  if (a.vector) refuse(`${code(a.text)} is a vector access`);
  return p!.name;
}

/** The calls a GEMM kernel may make (they are part of the statements the rewrite replaces). */
export function checkCalls(fn: FunctionFacts, allowed: readonly string[]): void {
  for (const c of fn.calls) {
    if (c.kind === 'sync' || c.name === '__syncthreads' || c.name === 'static_cast' || FMA.has(c.name) || EPILOGUE_CALLS.has(c.name) || allowed.includes(c.name)) continue;
    refuse(`the kernel also calls ${code(c.name)}`);
  }
}

/** The statements of a loop's body (comments and `#pragma unroll` left out). */
export function loopBody(ctx: FixContext, loop: LoopFact): { node: SyntaxNode; statements: SyntaxNode[]; condition: SyntaxNode | null } {
  const node = ctx.node(loop.headerRange, ['for_statement']);
  if (!node) refuse('the loop is not a `for` loop');
  const body = node!.childForFieldName('body');
  if (!body) refuse('the loop has no body');
  return { node: node!, statements: statementsOf(body!), condition: node!.childForFieldName('condition') };
}

/** `k < K` (the loop variable on the left): the bound. */
export function loopBound(loop: LoopFact, cond: SyntaxNode | null): Expr {
  const e = cond ? parseExpr(cond.text) : null;
  const b = e ? bare(e) : null;
  if (!b || b.k !== 'binary' || b.op !== '<' || bare(b.l).k !== 'id' || (bare(b.l) as { name: string }).name !== loop.variable)
    return refuse(`the loop condition ${code(cond?.text ?? '?')} is not \`${loop.variable ?? 'k'} < bound\``);
  return b.r;
}

export { inside };
