// Reading a GEMM kernel for the GEMM fixers: the checks both recognisers make (CUDA, a
// kernel, float operands, its loops), the thread-to-output mapping the store's index
// proves (`C[(by*S + ty) * ldc + bx*S + tx]`), the form of each operand's index
// (A(row, k), B(k, col), either stored transposed) and the guards around the store
// (`if (row < M && col < N)`, or an early return), which give M and N.
import { Poly } from '../../../core/affine';
import type { FixContext } from '../../../core/fix';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { bare, parseExpr, type Expr } from './fix-expr';
import { nodeRange } from '../../common/fix-syntax';
import { type Axis, code, type GemmSpec, inside, other, refuse } from './fix-gemm-spec';
import { KernelScope, polyText } from './fix-gemm-scope';
import { EPILOGUE_CALLS, FMA } from './fix-gemm-store';

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

/** What the store's guard and thread mapping say of a GemmSpec: C and its ld, M and N, the row and column names and axes. */
export function outputOf(map: Mapping, guard: { row: Bound; col: Bound }, cName: string): Pick<GemmSpec, 'c' | 'm' | 'n' | 'mPoly' | 'nPoly' | 'row' | 'col' | 'rowAxis' | 'extent'> {
  return {
    c: { name: cName, ld: polyText(map.ldc) },
    m: guard.row.boundText.trim(),
    n: guard.col.boundText.trim(),
    mPoly: guard.row.boundValue,
    nPoly: guard.col.boundValue,
    row: guard.row.lhsName,
    col: guard.col.lhsName,
    rowAxis: map.rowAxis,
    extent: map.extent,
  };
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
