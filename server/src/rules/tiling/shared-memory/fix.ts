// tiling/shared-memory fix: a naive CUDA GEMM (one output per thread, A and B read from
// global memory in the k loop) becomes the classic shared-memory tiled kernel: each
// 32 x 32 block stages a 32 x 32 tile of A and of B per step of k (bounds-checked, zero
// outside the matrices), then runs the inner product over the tiles. Same name and
// signature; the launches in the file get 32 x 32 threads and a grid rounding M and N up.
// Proven from the facts before it is offered: float operands, `C[row * ldc + col]` with
// row and col one per thread, A and B read as A(row, k) and B(k, col) (either stored
// transposed), `acc` a float from 0, `row < M && col < N` guarding the store.
import type { Fixer, FixContext } from '../../../core/fix';
import { Poly } from '../../../core/affine';
import { gemmFix, gemmFixer, header, indentUnit } from './fix-gemm';
import { boundIsParameters, checkCalls, floatParam, guardBounds, kernelOf, loopBody, loopBound, operandForm, outputMapping, outputOf } from './fix-gemm-read';
import { polyText } from './fix-gemm-scope';
import { code, type GemmSpec, indexWidth, matrixTexts, namesFor, type Operand, refuse, times } from './fix-gemm-spec';
import { accumulate, checkAccumulator, readsAccess, storeOf } from './fix-gemm-store';

export const TILE = 32;

/** Recognises the naive GEMM the finding is in. */
export function naiveGemm(ctx: FixContext): GemmSpec {
  const { fn, def, scope } = kernelOf(ctx);
  if (fn.shared.length) refuse('the kernel already uses shared memory');
  const loops = fn.loops;
  if (loops.length !== 1) refuse(loops.length === 0 ? 'the kernel has no k loop' : `the kernel has ${loops.length} loops; the rewrite handles a single k loop`);
  const loop = loops[0];
  if (!loop.init?.isConstant || loop.init.constant !== 0 || !loop.step?.isConstant || loop.step.constant !== 1) refuse(`the \`${loop.variable ?? 'k'}\` loop does not run from 0 in steps of 1`);
  const k = Poly.sym(loop.symbol);
  const store = fn.accesses.filter((a) => a.kind !== 'load');
  if (store.length !== 1) refuse(`the kernel writes ${store.length === 0 ? 'no' : store.length} global elements; the rewrite needs one store of C`);
  const st = store[0];
  if (st.space !== 'global' || st.kind === 'atomic' || st.loops.length) refuse(`the store ${code(st.text)} is not one plain store per thread after the loop`);
  const cName = floatParam(fn, st);
  const reads = fn.accesses.filter((a) => a.kind === 'load' && a.array !== cName);
  const olds = fn.accesses.filter((a) => a.kind === 'load' && a.array === cName);
  if (olds.some((o) => o.loops.length || !o.indices[0]?.equals(st.indices[0]))) refuse(`the kernel reads \`${cName}\` at another element than it writes`);
  const foreign = reads.find((a) => a.space !== 'global' || !a.loops.includes(loop.id));
  if (foreign) refuse(`the kernel also reads ${code(foreign.text)} besides the two operands in the loop`);
  if (reads.length !== 2) refuse(`the \`${loop.variable}\` loop reads ${reads.length} global elements, not the two operands`);
  reads.forEach((r) => floatParam(fn, r));
  if (reads.some((r) => r.array === cName)) refuse(`the kernel reads its output \`${cName}\` as an operand`);
  const map = outputMapping(st, scope);
  const byAxis = (axis: 'x' | 'y') => reads.filter((r) => r.indices[0].dependsOn((s) => s === `threadIdx.${axis}`) && !r.indices[0].dependsOn((s) => s === `threadIdx.${axis === 'x' ? 'y' : 'x'}`));
  const aRead = byAxis(map.rowAxis)[0];
  const bRead = byAxis(map.colAxis)[0];
  if (!aRead || !bRead || aRead === bRead) refuse('the operands are not one row of A and one column of B per thread');
  const af = operandForm(aRead.indices[0], map.pos[map.rowAxis], k, map.rowAxis, scope);
  if (!af) refuse(`${code(aRead.text)} is not A(row, ${loop.variable}) of a row-major or transposed matrix`);
  const bf = operandForm(bRead.indices[0], map.pos[map.colAxis], k, map.colAxis, scope);
  if (!bf) refuse(`${code(bRead.text)} is not B(${loop.variable}, col) of a row-major or transposed matrix`);
  // B(k, col) is `B[k * ldb + col]` (row-major) or `B[col * ldb + k]` (transposed): operandForm's `trans` is relative to (pos, k)
  const a: Operand = { name: aRead.array, trans: af!.trans, ld: polyText(af!.ld) };
  const b: Operand = { name: bRead.array, trans: !bf!.trans, ld: polyText(bf!.ld) };
  // the loop: `for (k = 0; k < K; ++k) acc += A(row, k) * B(k, col);`
  const { statements, condition } = loopBody(ctx, loop);
  const kExpr = loopBound(loop, condition);
  const kValue = scope.value(kExpr, loop.headerRange);
  if (!scope.isUniform(kValue) || !boundIsParameters(kExpr, scope)) refuse(`the loop bound ${code(condition!.text.slice(kExpr.s, kExpr.e))} is not written in the kernel's parameters`);
  if (statements.length !== 1) refuse(`the \`${loop.variable}\` loop does more than accumulate one product`);
  const acc = accumulate(statements[0]);
  if (!acc) refuse(`${code(statements[0].text)} is not \`acc += A(row, k) * B(k, col)\``);
  const factors = [acc!.x, acc!.y];
  if (!factors.some((x) => readsAccess(ctx, statements[0], x, aRead)) || !factors.some((x) => readsAccess(ctx, statements[0], x, bRead)))
    refuse(`${code(acc!.text)} does not multiply the two operands directly`);
  checkAccumulator(scope, acc!.acc, statements[0], loop.headerRange);
  checkCalls(fn, []);
  const guard = guardBounds(scope, st, map);
  const storeSpec = storeOf(ctx, scope, st, acc!.acc);
  const kText = condition!.text.slice(kExpr.s, kExpr.e).trim();
  const wide = indexWidth(scope, [guard.row.boundText, guard.col.boundText, kText, a.ld, b.ld, polyText(map.ldc)]);
  return { fn, def, a, b, k: kText, acc: acc!.acc, store: storeSpec, tile: null, notes: [], wide, ...outputOf(map, guard, cName) };
}

/** The shared-memory tiled kernel for a spec. */
export function tiledKernel(ctx: FixContext, spec: GemmSpec): string {
  const names = namesFor(ctx, spec);
  const acc = names.fresh(spec.acc);
  const row = names.fresh(spec.row ?? 'row');
  const col = names.fresh(spec.col ?? 'col');
  const T = names.fresh('TILE');
  const As = names.fresh('As');
  const Bs = names.fresh('Bs');
  const tx = names.fresh('tx');
  const ty = names.fresh('ty');
  const t = names.fresh('t');
  const k = names.fresh('k');
  const ind = indentUnit(ctx, spec.def);
  const i1 = ind;
  const i2 = ind + ind;
  const { M, N, K, lda, ldb, ldc, A, B, C } = matrixTexts(spec);
  // As[i][kk] = A(row0 + i, t + kk), Bs[kk][j] = B(t + kk, col0 + j); a tile stored transposed in memory is read along its rows and written column-wise (padded)
  const aLoad = spec.a.trans
    ? `${As}[${tx}][${ty}] = (blockIdx.y * ${T} + ${tx} < ${M} && ${t} + ${ty} < ${K}) ? ${A}[${times(spec, `${t} + ${ty}`, lda)} + blockIdx.y * ${T} + ${tx}] : 0.0f;`
    : `${As}[${ty}][${tx}] = (${row} < ${M} && ${t} + ${tx} < ${K}) ? ${A}[${times(spec, row, lda)} + ${t} + ${tx}] : 0.0f;`;
  const bLoad = spec.b.trans
    ? `${Bs}[${tx}][${ty}] = (${t} + ${tx} < ${K} && blockIdx.x * ${T} + ${ty} < ${N}) ? ${B}[${times(spec, `blockIdx.x * ${T} + ${ty}`, ldb)} + ${t} + ${tx}] : 0.0f;`
    : `${Bs}[${ty}][${tx}] = (${t} + ${ty} < ${K} && ${col} < ${N}) ? ${B}[${times(spec, `${t} + ${ty}`, ldb)} + ${col}] : 0.0f;`;
  const cElem = `${C}[${times(spec, row, ldc)} + ${col}]`;
  const value = spec.store.render(acc, cElem);
  const lines = [
    `${header(ctx, spec.def, null)} {`,
    `${i1}// kernel-advisor: shared-memory tiling: each ${TILE} x ${TILE} block stages ${TILE} x ${TILE} tiles of ${A} and ${B} in __shared__ memory (zero outside the matrices), reusing each loaded element ${TILE} times`,
    `${i1}constexpr int ${T} = ${TILE};`,
    `${i1}__shared__ float ${As}[${T}][${T}${spec.a.trans ? ' + 1' : ''}];`,
    `${i1}__shared__ float ${Bs}[${T}][${T}${spec.b.trans ? ' + 1' : ''}];`,
    `${i1}const int ${tx} = threadIdx.x, ${ty} = threadIdx.y;`,
    `${i1}const int ${row} = blockIdx.y * ${T} + ${ty};`,
    `${i1}const int ${col} = blockIdx.x * ${T} + ${tx};`,
    `${i1}float ${acc} = 0.0f;`,
    `${i1}for (int ${t} = 0; ${t} < ${K}; ${t} += ${T}) {`,
    `${i2}${aLoad}`,
    `${i2}${bLoad}`,
    `${i2}__syncthreads();`,
    `${i2}for (int ${k} = 0; ${k} < ${T}; ++${k}) ${acc} += ${As}[${ty}][${k}] * ${Bs}[${k}][${tx}];`,
    `${i2}__syncthreads();`,
    `${i1}}`,
    `${i1}if (${row} < ${M} && ${col} < ${N}) ${cElem} ${spec.store.op} ${value};`,
    `}`,
  ];
  return lines.join('\n');
}

export const fix: Fixer = gemmFixer('the automatic rewrite covers CUDA kernels; a Triton kernel gets its tiles from `tl.dot` over blocks', (ctx) => {
  const spec = naiveGemm(ctx);
  const kernel = tiledKernel(ctx, spec);
  return gemmFix(ctx, spec, kernel, `Rewrite \`${spec.fn.name}\` with ${TILE}x${TILE} shared-memory tiles of \`${spec.a.name}\` and \`${spec.b.name}\``, { block: [TILE, TILE], tileM: TILE, tileN: TILE });
});

