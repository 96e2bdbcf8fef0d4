// tiling/register-blocking fix: a shared-tiled CUDA GEMM with one output per thread becomes
// a register-blocked kernel: 128 x 128 x 8 block tiles, 256 threads, each thread an 8 x 8
// micro-tile of C in registers, the A tile stored k-major in shared memory so the inner loop
// reads float4 of both tiles and accumulates outer products. Tile loads are bounds-checked
// (zero outside the matrices; one float4 when aligned and inside), stores are guarded: any
// M, N, K. Every output still sums its products in k order, as the original did.
// Proven from the facts before it is offered: two 2-D `__shared__` tiles written at
// [threadIdx.y][threadIdx.x] (either order) from A and B in a loop over k-tiles, an inner
// loop over the tile multiplying them, which with the loads' index forms gives
// sum_k A(row, k) * B(k, col); the loads' guards (if any) are exactly the matrix bounds.
import type { Fixer, FixContext } from '../../../core/fix';
import { Poly } from '../../../core/affine';
import type { AccessFact } from '../../../core/facts/model';
import { gemmFix, gemmFixer, header, indentUnit } from '../shared-memory/fix-gemm';
import { boundIsParameters, checkCalls, comparisons, floatParam, guardBounds, kernelOf, loopBody, loopBound, operandForm, outputMapping, outputOf } from '../shared-memory/fix-gemm-read';
import { polyText } from '../shared-memory/fix-gemm-scope';
import { code, type GemmSpec, indexWidth, inside, matrixTexts, namesFor, type Operand, refuse, times } from '../shared-memory/fix-gemm-spec';
import { accumulate, checkAccumulator, readsAccess, storeOf } from '../shared-memory/fix-gemm-store';
import { bare, ceilDiv, isZero, parseExpr, type Expr } from '../shared-memory/fix-expr';
import { nodeRange } from '../../common/fix-syntax';

export const BLOCK = { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, threads: 256 };

/** `p` with the storing thread's indices (p0, p1) replaced by the reading thread's (q0, q1). */
function reader(p: Poly, from: string[], to: Poly[]): Poly {
  let out = p;
  from.forEach((s, i) => (out = out.substitute(s, Poly.sym(`#tmp${i}`))));
  from.forEach((_, i) => (out = out.substitute(`#tmp${i}`, to[i])));
  return out;
}

/** Recognises the shared-tiled, one-output-per-thread GEMM the finding is in. */
export function tiledGemm(ctx: FixContext): GemmSpec {
  const { fn, def, scope } = kernelOf(ctx);
  const rowBounds: Poly[] = [];
  const colBounds: Poly[] = [];
  const kUnchecked: string[] = [];
  if (fn.shared.length !== 2) refuse(`the kernel has ${fn.shared.length} shared arrays, not one tile of A and one of B`);
  if (fn.shared.some((s) => s.dims.length !== 2)) refuse('the shared tiles are not 2-D arrays indexed by `threadIdx.y` and `threadIdx.x`');
  if (fn.shared.some((s) => s.elemType.replace(/\bconst\b/g, '').trim() !== 'float')) refuse('the shared tiles do not hold `float`');
  if (fn.loops.length !== 2) refuse(`the kernel has ${fn.loops.length} loops, not a loop over tiles and one over each tile`);
  const outer = fn.loops.find((l) => l.parent === null);
  const inner = fn.loops.find((l) => outer && l.parent === outer.id);
  if (!outer || !inner) refuse('the kernel\'s loops are not a loop over tiles with a loop over the tile inside');
  const L0 = outer!;
  const L1 = inner!;
  const writes = fn.accesses.filter((a) => a.kind !== 'load' && a.space === 'global');
  if (writes.length !== 1) refuse(`the kernel writes ${writes.length} global elements; the rewrite needs one store of C`);
  const st = writes[0];
  if (st.kind === 'atomic' || st.loops.length) refuse(`the store ${code(st.text)} is not one plain store per thread after the loops`);
  const cName = floatParam(fn, st);
  const olds = fn.accesses.filter((a) => a.kind === 'load' && a.array === cName);
  if (olds.some((o) => o.loops.length || !o.indices[0]?.equals(st.indices[0]))) refuse(`the kernel reads \`${cName}\` at another element than it writes`);
  const sStores = fn.accesses.filter((a) => a.space === 'shared' && a.kind !== 'load');
  const sLoads = fn.accesses.filter((a) => a.space === 'shared' && a.kind === 'load');
  const gLoads = fn.accesses.filter((a) => a.space === 'global' && a.kind === 'load' && a.array !== cName);
  const rest = fn.accesses.filter((a) => !sStores.includes(a) && !sLoads.includes(a) && !gLoads.includes(a) && a !== st && !olds.includes(a));
  if (rest.length) refuse(`the kernel also accesses ${code(rest[0].text)}`);
  if (sStores.length !== 2 || new Set(sStores.map((s) => s.array)).size !== 2) refuse('the tiles are not each written by one store per thread');
  if (sLoads.length !== 2 || new Set(sLoads.map((s) => s.array)).size !== 2) refuse('the inner loop does not read each tile once');
  if (gLoads.length !== 2) refuse(`the tile loop reads ${gLoads.length} global elements, not one of A and one of B`);
  const one = (a: AccessFact, loops: number[]) => a.loops.join() === loops.join();
  if (!sStores.every((s) => one(s, [L0.id])) || !gLoads.every((g) => one(g, [L0.id])) || !sLoads.every((s) => one(s, [L0.id, L1.id])))
    refuse('the tiles are not loaded in the tile loop and read in the loop inside it');
  gLoads.forEach((g) => floatParam(fn, g));
  const map = outputMapping(st, scope);
  // the tile size: the inner loop runs 0..T-1
  const { statements: innerBody, condition: innerCond } = loopBody(ctx, L1);
  const tExpr = loopBound(L1, innerCond);
  const T = scope.value(tExpr, L1.headerRange);
  if (!scope.isUniform(T) || T.terms.size === 0 || [...T.symbols()].some((s) => scope.intParams.has(s))) refuse(`the inner loop runs to ${code(innerCond!.text)}, not a constant tile size`);
  if (!L1.init?.isConstant || L1.init.constant !== 0 || !L1.step?.isConstant || L1.step.constant !== 1) refuse(`the \`${L1.variable}\` loop does not run over the tile from 0 in steps of 1`);
  if (!L0.init?.isConstant || L0.init.constant !== 0 || !L0.step) refuse(`the \`${L0.variable}\` loop does not start at 0`);
  const kAll = T.mul(Poly.sym(L0.symbol)).add(Poly.sym(L1.symbol));
  // K: `t < K; t += T`, or `t < ceil(K / T); ++t`
  const { condition: outerCond } = loopBody(ctx, L0);
  const bound = loopBound(L0, outerCond);
  const condText = outerCond!.text;
  let kExpr: Expr;
  const step = L0.step!;
  if (step.equals(T)) kExpr = bound;
  else if (step.isConstant && step.constant === 1) {
    const cd = ceilDiv(bound, (x) => scope.value(x, L0.headerRange));
    if (!cd || !scope.value(cd.d, L0.headerRange).equals(T)) refuse(`the tile loop runs to ${code(condText.slice(bound.s, bound.e))}, not to K rounded up to whole tiles`);
    kExpr = cd!.x;
  } else return refuse(`the \`${L0.variable}\` loop does not step one tile at a time`);
  const kValue = scope.value(kExpr, L0.headerRange);
  if (!scope.isUniform(kValue) || !boundIsParameters(kExpr, scope)) refuse(`the tile loop bound ${code(condText.slice(kExpr.s, kExpr.e))} is not written in the kernel's parameters`);
  // what each thread reads from the tiles, in terms of A and B
  const idx = ['threadIdx.y', 'threadIdx.x'];
  const roles: { a?: { op: Operand; load: AccessFact; store: AccessFact; read: AccessFact; from: string[]; to: Poly[] }; b?: typeof roles.a } = {};
  for (const s of sStores) {
    const from = s.indices.map((p) => idx.find((sym) => p.equals(Poly.sym(sym))));
    if (from.some((f) => !f) || from[0] === from[1]) refuse(`the tile store ${code(s.text)} is not indexed by \`threadIdx.y\` and \`threadIdx.x\``);
    const read = sLoads.find((l) => l.array === s.array)!;
    if (read.indices.length !== 2) refuse(`${code(read.text)} is not a 2-D read of the tile`);
    const stmt = ctx.node(s.range, ['expression_statement']);
    const m = stmt ? /^[^=]*?=(?!=)([\s\S]*?);?\s*$/.exec(stmt.text) : null;
    const rhs = m ? parseExpr(m[1]) : null;
    if (!stmt || !rhs) refuse(`the tile store ${code(s.text)} is not a statement the fix reads`);
    const value = bare(rhs!);
    const load = gLoads.find((g) => inside(g.range, nodeRange(stmt!)));
    if (!load) refuse(`the tile store ${code(stmt!.text)} does not copy a global element`);
    const to = read.indices;
    const v = reader(load!.indices[0], from as string[], to);
    const asA = operandForm(v, map.pos[map.rowAxis], kAll, map.rowAxis, scope);
    const asB = operandForm(v, map.pos[map.colAxis], kAll, map.colAxis, scope);
    const entry = { load: load!, store: s, read, from: from as string[], to };
    if (asA && !roles.a) roles.a = { ...entry, op: { name: load!.array, trans: asA.trans, ld: polyText(asA.ld) } };
    else if (asB && !roles.b) roles.b = { ...entry, op: { name: load!.array, trans: !asB.trans, ld: polyText(asB.ld) } };
    else refuse(`the tile ${s.array} does not hold A(row, k) or B(k, col) for the thread that reads it`);
    // `cond ? A[...] : 0`: each condition must be one of the matrix bounds, seen from the reading thread
    const which = asA && roles.a?.store === s ? 'a' : 'b';
    if (value.k === 'cond') {
      if (!isZero(value.f)) refuse(`the tile store ${code(stmt!.text)} fills with ${code(m![1].slice(value.f.s, value.f.e))}, not 0`);
      const cmps = comparisons(value.c, false);
      if (!cmps) refuse(`the tile guard ${code(m![1].slice(value.c.s, value.c.e))} is not a bounds check`);
      let kChecked = false;
      for (const c of cmps!) {
        const at = nodeRange(stmt!);
        const lhs = reader(scope.value(c.lhs, at), from as string[], to);
        const rhsV = scope.value(c.bound, at);
        const pos = which === 'a' ? map.pos[map.rowAxis] : map.pos[map.colAxis];
        if (lhs.equals(kAll) && rhsV.equals(kValue)) kChecked = true;
        else if (!(lhs.equals(pos) && scope.isUniform(rhsV))) refuse(`the tile guard compares ${code(m![1].slice(c.lhs.s, c.lhs.e))} with ${code(m![1].slice(c.bound.s, c.bound.e))}, not a matrix bound`);
        else (which === 'a' ? rowBounds : colBounds).push(rhsV);
      }
      if (!kChecked) kUnchecked.push(load!.array);
    } else if (value.k !== 'index' && value.k !== 'call') refuse(`the tile store ${code(stmt!.text)} does not copy a global element`);
    else kUnchecked.push(load!.array);
  }
  if (!roles.a || !roles.b) refuse('the tiles are not one of A(row, k) and one of B(k, col)');
  // the inner product
  if (innerBody.length !== 1) refuse(`the \`${L1.variable}\` loop does more than accumulate one product`);
  const acc = accumulate(innerBody[0]);
  if (!acc) refuse(`${code(innerBody[0].text)} is not \`acc += As[..][k] * Bs[k][..]\``);
  const factors = [acc!.x, acc!.y];
  if (!factors.some((x) => readsAccess(ctx, innerBody[0], x, roles.a!.read)) || !factors.some((x) => readsAccess(ctx, innerBody[0], x, roles.b!.read)))
    refuse(`${code(acc!.text)} does not multiply the two tiles directly`);
  checkAccumulator(scope, acc!.acc, innerBody[0], L0.headerRange);
  checkCalls(fn, []);
  const guard = guardBounds(scope, st, map);
  if (rowBounds.some((b) => !b.equals(guard.row.boundValue)) || colBounds.some((b) => !b.equals(guard.col.boundValue)))
    refuse('the tile loads check other bounds than the store');
  const kText = condText.slice(kExpr.s, kExpr.e).trim();
  const wide = indexWidth(scope, [guard.row.boundText, guard.col.boundText, kText, roles.a!.op.ld, roles.b!.op.ld, polyText(map.ldc)]);
  const notes = kUnchecked.length
    ? [`the tile loads of \`${kUnchecked.join('` and `')}\` do not check k < ${condText.slice(kExpr.s, kExpr.e).trim()}: the original is right only when it is a multiple of ${polyText(T)}`]
    : [];
  const store = storeOf(ctx, scope, st, acc!.acc);
  return { fn, def, a: roles.a!.op, b: roles.b!.op, k: kText, acc: acc!.acc, store, tile: T, notes, wide, ...outputOf(map, guard, cName) };
}

/** The register-blocked kernel for a spec. */
export function registerBlockedKernel(ctx: FixContext, spec: GemmSpec): string {
  const n = namesFor(ctx, spec);
  const acc = n.fresh(spec.acc);
  const row = n.fresh(spec.row ?? 'row');
  const col = n.fresh(spec.col ?? 'col');
  const [BM, BN, BK, TM, TN] = ['BM', 'BN', 'BK', 'TM', 'TN'].map((x) => n.fresh(x));
  const [As, Bs, tid, row0, col0, tr, tc, aVec, bVec, k0, k, i, j, ra, rb] = ['As', 'Bs', 'tid', 'row0', 'col0', 'tr', 'tc', 'a_vec', 'b_vec', 'k0', 'k', 'i', 'j', 'ra', 'rb'].map((x) => n.fresh(x));
  const [aAt, bAt, la, lk, lb, lj, va, vb, a0, a1, b0, b1, pr, pk, pc] = ['a_at', 'b_at', 'a_i', 'a_k', 'b_k', 'b_j', 'va', 'vb', 'a0', 'a1', 'b0', 'b1', 'r', 'kk', 'c'].map((x) => n.fresh(x));
  const ind = indentUnit(ctx, spec.def);
  const [i1, i2, i3, i4] = [1, 2, 3, 4].map((d) => ind.repeat(d));
  const { M, N, K, lda, ldb, ldc, A, B, C } = matrixTexts(spec);
  const f4 = (p: string) => `*reinterpret_cast<const float4*>(&${p})`;
  const parts = (x: string) => ['x', 'y', 'z', 'w'].map((c) => `${x}.${c}`);
  // A(r, kk) and B(kk, c) with zero outside the matrices
  const aElem = (r: string, kk: string) => (spec.a.trans ? `${A}[${times(spec, kk, lda)} + ${r}]` : `${A}[${times(spec, r, lda)} + ${kk}]`);
  const bElem = (kk: string, c: string) => (spec.b.trans ? `${B}[${times(spec, c, ldb)} + ${kk}]` : `${B}[${times(spec, kk, ldb)} + ${c}]`);
  const plus = (x: string, q: number) => (q ? `${x} + ${q}` : x);
  const lines: string[] = [];
  const add = (...l: string[]) => lines.push(...l);
  add(
    `${header(ctx, spec.def, `__launch_bounds__(${BLOCK.threads})`)} {`,
    `${i1}// kernel-advisor: register blocking: ${BLOCK.threads} threads compute a ${BLOCK.BM} x ${BLOCK.BN} tile of ${C} over ${BLOCK.BK}-deep shared tiles of ${A} and ${B}; each thread accumulates ${BLOCK.TM} x ${BLOCK.TN} outputs in registers from float4 reads`,
    `${i1}constexpr int ${BM} = ${BLOCK.BM}, ${BN} = ${BLOCK.BN}, ${BK} = ${BLOCK.BK}, ${TM} = ${BLOCK.TM}, ${TN} = ${BLOCK.TN};`,
    `${i1}__shared__ alignas(16) float ${As}[${BK}][${BM}${spec.a.trans ? '' : ' + 4'}];  // ${As}[k][i] = ${aElem(`${row0} + i`, `${k0} + k`)}: the A tile stored k-major`,
    `${i1}__shared__ alignas(16) float ${Bs}[${BK}][${BN}${spec.b.trans ? ' + 4' : ''}];  // ${Bs}[k][j] = ${bElem(`${k0} + k`, `${col0} + j`)}`,
    `${i1}const int ${tid} = threadIdx.x;`,
    `${i1}const int ${row0} = blockIdx.y * ${BM}, ${col0} = blockIdx.x * ${BN};`,
    `${i1}// this thread's outputs: rows ${tr} + 0..3 and ${tr} + ${BM} / 2 + 0..3 of the tile, columns ${tc} + 0..3 and ${tc} + ${BN} / 2 + 0..3`,
    `${i1}const int ${tr} = ${tid} / (${BN} / ${TN}) * (${TM} / 2), ${tc} = ${tid} % (${BN} / ${TN}) * (${TN} / 2);`,
    `${i1}// each thread loads 4 consecutive elements of each tile: one float4 when aligned and inside the matrix`,
    spec.a.trans
      ? `${i1}const int ${lk} = ${tid} / (${BM} / 4), ${la} = ${tid} % (${BM} / 4) * 4;`
      : `${i1}const int ${la} = ${tid} / (${BK} / 4), ${lk} = ${tid} % (${BK} / 4) * 4;`,
    spec.b.trans
      ? `${i1}const int ${lj} = ${tid} / (${BK} / 4), ${lb} = ${tid} % (${BK} / 4) * 4;`
      : `${i1}const int ${lb} = ${tid} / (${BN} / 4), ${lj} = ${tid} % (${BN} / 4) * 4;`,
    `${i1}const bool ${aVec} = ${lda} % 4 == 0 && reinterpret_cast<size_t>(${A}) % 16 == 0;`,
    `${i1}const bool ${bVec} = ${ldb} % 4 == 0 && reinterpret_cast<size_t>(${B}) % 16 == 0;`,
    `${i1}auto ${aAt} = [&](int ${pr}, int ${pk}) { return ${pr} < ${M} && ${pk} < ${K} ? ${aElem(pr, pk)} : 0.0f; };`,
    `${i1}auto ${bAt} = [&](int ${pk}, int ${pc}) { return ${pk} < ${K} && ${pc} < ${N} ? ${bElem(pk, pc)} : 0.0f; };`,
    `${i1}float ${acc}[${TM}][${TN}] = {};`,
    `${i1}for (int ${k0} = 0; ${k0} < ${K}; ${k0} += ${BK}) {`,
  );
  // the A tile, stored k-major
  const ar = `${row0} + ${la}`;
  const ak = `${k0} + ${lk}`;
  if (spec.a.trans) {
    add(
      `${i2}const float4 ${va} = ${aVec} && ${ak} < ${K} && ${ar} + 3 < ${M} ? ${f4(aElem(ar, ak))}`,
      `${i2}    : make_float4(${[0, 1, 2, 3].map((q) => `${aAt}(${plus(ar, q)}, ${ak})`).join(', ')});`,
      `${i2}*reinterpret_cast<float4*>(&${As}[${lk}][${la}]) = ${va};`,
    );
  } else {
    add(
      `${i2}const float4 ${va} = ${aVec} && ${ar} < ${M} && ${ak} + 3 < ${K} ? ${f4(aElem(ar, ak))}`,
      `${i2}    : make_float4(${[0, 1, 2, 3].map((q) => `${aAt}(${ar}, ${plus(ak, q)})`).join(', ')});`,
      `${i2}${parts(va).map((p, q) => `${As}[${plus(lk, q)}][${la}] = ${p};`).join(' ')}`,
    );
  }
  const bk = `${k0} + ${lb}`;
  const bc = `${col0} + ${lj}`;
  if (spec.b.trans) {
    add(
      `${i2}const float4 ${vb} = ${bVec} && ${bc} < ${N} && ${bk} + 3 < ${K} ? ${f4(bElem(bk, bc))}`,
      `${i2}    : make_float4(${[0, 1, 2, 3].map((q) => `${bAt}(${plus(bk, q)}, ${bc})`).join(', ')});`,
      `${i2}${parts(vb).map((p, q) => `${Bs}[${plus(lb, q)}][${lj}] = ${p};`).join(' ')}`,
    );
  } else {
    add(
      `${i2}const float4 ${vb} = ${bVec} && ${bk} < ${K} && ${bc} + 3 < ${N} ? ${f4(bElem(bk, bc))}`,
      `${i2}    : make_float4(${[0, 1, 2, 3].map((q) => `${bAt}(${bk}, ${plus(bc, q)})`).join(', ')});`,
      `${i2}*reinterpret_cast<float4*>(&${Bs}[${lb}][${lj}]) = ${vb};`,
    );
  }
  add(
    `${i2}__syncthreads();`,
    `#pragma unroll`,
    `${i2}for (int ${k} = 0; ${k} < ${BK}; ++${k}) {`,
    `${i3}const float4 ${a0} = ${f4(`${As}[${k}][${tr}]`)}, ${a1} = ${f4(`${As}[${k}][${tr} + ${BM} / 2]`)};`,
    `${i3}const float4 ${b0} = ${f4(`${Bs}[${k}][${tc}]`)}, ${b1} = ${f4(`${Bs}[${k}][${tc} + ${BN} / 2]`)};`,
    `${i3}const float ${ra}[${TM}] = {${[...parts(a0), ...parts(a1)].join(', ')}};`,
    `${i3}const float ${rb}[${TN}] = {${[...parts(b0), ...parts(b1)].join(', ')}};`,
    `#pragma unroll`,
    `${i3}for (int ${i} = 0; ${i} < ${TM}; ++${i}) {`,
    `#pragma unroll`,
    `${i4}for (int ${j} = 0; ${j} < ${TN}; ++${j}) ${acc}[${i}][${j}] += ${ra}[${i}] * ${rb}[${j}];`,
    `${i3}}`,
    `${i2}}`,
    `${i2}__syncthreads();`,
    `${i1}}`,
  );
  // the outputs, each stored with the original's expression (scalar stores: measured faster than float4 here,
  // and the epilogue compiles as the original's did)
  const cElem = `${C}[${times(spec, row, ldc)} + ${col}]`;
  add(
    `#pragma unroll`,
    `${i1}for (int ${i} = 0; ${i} < ${TM}; ++${i}) {`,
    `${i2}const int ${row} = ${row0} + ${tr} + ${i} % 4 + ${i} / 4 * (${BM} / 2);`,
    `#pragma unroll`,
    `${i2}for (int ${j} = 0; ${j} < ${TN}; ++${j}) {`,
    `${i3}const int ${col} = ${col0} + ${tc} + ${j} % 4 + ${j} / 4 * (${BN} / 2);`,
    `${i3}if (${row} < ${M} && ${col} < ${N}) ${cElem} ${spec.store.op} ${spec.store.render(`${acc}[${i}][${j}]`, cElem)};`,
    `${i2}}`,
    `${i1}}`,
    `}`,
  );
  return lines.join('\n');
}

export const fix: Fixer = gemmFixer('the automatic rewrite covers CUDA kernels; in Triton, give each program a BLOCK_M x BLOCK_N tile and use `tl.dot`', (ctx) => {
  const spec = tiledGemm(ctx);
  const kernel = registerBlockedKernel(ctx, spec);
  return gemmFix(ctx, spec, kernel, `Rewrite \`${spec.fn.name}\` register-blocked: ${BLOCK.BM}x${BLOCK.BN}x${BLOCK.BK} tiles, ${BLOCK.TM}x${BLOCK.TN} outputs per thread`, {
    block: [BLOCK.threads],
    tileM: BLOCK.BM,
    tileN: BLOCK.BN,
  });
});
