// A recognised GEMM, as the GEMM fixers (tiling/shared-memory, tiling/register-blocking)
// describe it: a GemmSpec (C(r, c) op= epilogue(sum_k A(r, k) * B(k, c)): operands, sizes,
// accumulator, store and the original's thread mapping), NoFix for the reasons a
// recogniser gives up, and the text both recognisers and writers need: offsets and
// positions, the file's integer constants and macros, fresh local names for new code.
import { Poly } from '../../../core/affine';
import type { FixContext } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Position, Range } from '../../../core/types';
import { operand, parseExpr, type Expr } from './fix-expr';
import type { KernelScope } from './fix-gemm-scope';

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

/** The sizes, leading dimensions and matrices of a spec as the new kernel writes them (operands of `+` and `*`). */
export function matrixTexts(spec: GemmSpec): { M: string; N: string; K: string; lda: string; ldb: string; ldc: string; A: string; B: string; C: string } {
  return { M: operand(spec.m), N: operand(spec.n), K: operand(spec.k), lda: operand(spec.a.ld), ldb: operand(spec.b.ld), ldc: operand(spec.c.ld), A: spec.a.name, B: spec.b.name, C: spec.c.name };
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
/** Is range `inner` inside `outer`? */
export const inside = (inner: Range, outer: Range): boolean =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.column <= inner.start.column)) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.column >= inner.end.column));
export const code = (t: string) => `\`${t.replace(/\s+/g, ' ').trim()}\``;

/** Integer constants of the file (`#define T 16`, `constexpr int TILE = 32;`) outside functions, or inside `within`. */
export function constantsOf(ctx: FixContext, within?: Range): Map<string, number> {
  const out = new Map<string, number>();
  const bad = new Set<string>();
  // the lines inside functions, marked once (not every function's range asked at every line)
  const inFn = within ? null : linesInFunctions(ctx);
  ctx.lines.forEach((line, i) => {
    if (within ? !(within.start.line <= i && i <= within.end.line) : inFn![i] && !/^\s*#\s*define/.test(line)) return;
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

/** 1 at each line some function of the file spans, by line (kept per file: each kernel's fix asks). */
function linesInFunctions(ctx: FixContext): Uint8Array {
  return ctx.perFile('lines in functions', () => {
    const marks = new Uint8Array(ctx.lines.length);
    for (const { range } of ctx.file.functions) marks.fill(1, Math.max(0, range.start.line), range.end.line + 1);
    return marks;
  });
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

/** Local names for the generated kernel: the user's where it had them, fresh ones that clash with nothing else. */
export function namesFor(ctx: FixContext, spec: GemmSpec): Names {
  const reserved = new Set<string>([...spec.fn.params.map((p) => p.name), ...spec.fn.templateParams, ...macroNames(ctx), spec.fn.name]);
  return new Names(reserved);
}
