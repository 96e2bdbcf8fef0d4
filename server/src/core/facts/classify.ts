// The small per-function classifier (DESIGN.md "Analysis"): elementwise, reduction,
// GEMM-like, stencil or other, from the loop structure and accesses a walk recorded.
import { Poly, atomDef, dependsOnLane, isVarying, symbolKind } from '../affine';
import type { AccessFact, CallFact, KernelClass, LoopFact, SharedArrayFact } from './model';

/** Calls that combine values across threads: block / warp reduction helpers, and warp shuffles. */
const REDUCE_HELPER = /^__reduce_\w+_sync$|(?:block|warp)_?(?:all)?_?reduce|BlockReduce|WarpReduce/i;
const SHUFFLE = /^__shfl(?:_xor|_down|_up)?_sync$/;

/** At most this many elements a thread stages in registers per step (apex's `ILP` is 4; 8 halves per 16 bytes). */
const MAX_STAGED = 16;

/** What a walk of one function found, as far as the classifier reads it. */
export interface WalkedFunction {
  readonly accesses: readonly AccessFact[];
  readonly loops: readonly LoopFact[];
  readonly calls: readonly CallFact[];
  readonly shared: readonly SharedArrayFact[];
  readonly paramNames: ReadonlySet<string>;
}

/** The loads in loop `l` whose index moves with it. */
export const loopReads = (l: LoopFact, accesses: readonly AccessFact[]): AccessFact[] =>
  accesses.filter((a) => a.kind === 'load' && a.loops.includes(l.id) && a.indices.some((p) => !p.unknown && p.dependsOn((s) => s === l.symbol)));

/**
 * A GEMM's k-loop reads: two arrays, at different places (two rows read at one and the same place, `dy[r * n + c] *
 * y[r * n + c]`, are a row's dot product, a reduction).
 */
export function twoOperands(reads: readonly AccessFact[]): boolean {
  const arrays = new Set(reads.map((a) => a.array));
  const places = new Set(reads.map((a) => a.indices.map(String).join('|')));
  return arrays.size >= 2 && reads.length >= 2 && places.size > 1;
}

/**
 * Blocks stepping over rows, `for (row = blockIdx.y; row < n1; row += gridDim.y)` (apex's layer norm: a grid's y is at
 * most 65535): each step gives the block another row, the same work again; its variable is the same for the whole block.
 */
export const overBlocks = (l: LoopFact): boolean => !!l.init && !!l.step && l.init.dependsOn((s) => s.startsWith('blockIdx.')) &&
  !l.init.dependsOn((s) => s.startsWith('threadIdx.')) && l.step.dependsOn((s) => s.startsWith('gridDim.'));

const NO_LOOPS: ReadonlySet<number> = new Set();

/** An index the same for every thread of the grid at a step (`numel[i]`): no thread, block, lane or derived value in it. */
const sameForGrid = (a: AccessFact) => a.indices.length > 0 && a.indices.every((p) => !p.unknown &&
  !p.dependsOn((s) => s.startsWith('threadIdx.') || s.startsWith('blockIdx.') || symbolKind(s) === 'lane' || symbolKind(s) === 'derived'));

/**
 * Loops every thread runs alike over a few words before its stream, `for (i < world_size) div += numel[i]` (a synchronized
 * batch norm's counts of the ranks): outermost, only loads the whole grid reads at the same places, to a bound none of the
 * kernel's grid- or block-stride loops runs to (a scan of the whole input first is work, not a prologue), where the
 * kernel's own accesses stream in such a loop. Their ids.
 */
export function uniformPrologues(loops: readonly LoopFact[], accesses: readonly AccessFact[]): ReadonlySet<number> {
  const global = accesses.filter((a) => a.space === 'global');
  const spread = loops.filter((s) => s.gridStride || s.blockStride);
  if (!spread.length) return NO_LOOPS;
  const bounds = new Set(spread.map((s) => s.bound?.trim()));
  const streams = global.some((a) => a.indices.some(dependsOnLane) && spread.some((s) => a.loops.includes(s.id)));
  const out = new Set<number>();
  for (const l of loops) {
    if (l.parent !== null || l.gridStride || l.blockStride || !l.bound || bounds.has(l.bound.trim()) || !streams) continue;
    const mine = global.filter((a) => a.loops.includes(l.id));
    if (mine.length && mine.every((a) => a.kind === 'load' && sameForGrid(a))) out.add(l.id);
  }
  return out;
}

/** The kind of computation a function is, from its loops and accesses (DESIGN.md: elementwise / reduction / GEMM-like / stencil). */
export function classify(w: WalkedFunction, isKernel: boolean): KernelClass {
  const global = w.accesses.filter((a) => a.space === 'global');
  // grid-stride and block-stride loops (`for (i = threadIdx.x; i < n; i += blockDim.x)`) spread elements over threads
  // (and a thread's own chunk of the range, `idx = N * pos / size; idx < N * (pos + 1) / size`)
  // (and so do blocks stepping over rows: each step is another block's row, not a loop whose steps a thread combines)
  // (not a loop one lane runs beside the other threads' global work, `if (threadIdx.x == 0) for (i < cpg) s += ds[c] * w[c]`,
  // a group's coefficients before the block streams its slice: a prologue, not what the kernel is)
  const oneLane = (l: LoopFact) => global.some((a) => a.loops.includes(l.id)) && global.every((a) => !a.loops.includes(l.id) || a.singleLane) &&
    global.some((a) => !a.singleLane && !a.loops.includes(l.id) && a.loops.length > 0);
  const prologues = isKernel ? uniformPrologues(w.loops, w.accesses) : NO_LOOPS;
  const innerLoops = w.loops.filter((l) => !l.gridStride && !l.blockStride && !l.chunked && !overBlocks(l) && !(isKernel && (oneLane(l) || prologues.has(l.id))));
  // (nor a few `__shared__` words one lane fills for the block to read alike, `coef[0] = a` under `if (threadIdx.x == 0)`:
  // a broadcast of that prologue's results, not a tile)
  const sharedUses = (name: string) => w.accesses.filter((a) => a.space === 'shared' && a.array === name);
  const broadcastSlots = (name: string) => sharedUses(name).length > 0 && sharedUses(name).every((a) =>
    a.indices.every((p) => !p.unknown && !p.dependsOn(isVarying)) && (a.kind === 'load' || a.singleLane));
  const tiles = w.shared.filter((t) => !broadcastSlots(t.name));
  // (of which a warp's partial sums, `__shared__ float warpSums[8]`, 32 words or fewer, are no tile of the data: an
  // elementwise kernel that reduces in the block keeps them, as a reduction helper does)
  const partials = (t: (typeof w.shared)[number]) => t.dims.length > 0 && t.dims.every((d) => d !== null) && t.dims.reduce<number>((n, d) => n * d!, 1) <= 32;
  const dataTiles = tiles.filter((t) => !partials(t));
  const loopSyms = new Set(innerLoops.map((l) => l.symbol));
  const dependsOnLoop = (a: AccessFact) => a.indices.some((p) => p.dependsOn((s) => s.startsWith('#loop') && (loopSyms.has(s) || [...loopSyms].some((ls) => s.startsWith(ls.split(':')[0] + ':')))));
  // ILP staging (`for (ii = 0; ii < ILP; ii++) r[ii] = X[tid + ii * blockDim.x * gridDim.x]`): a few constant trips,
  // each a block's or the grid's width of threads further, into registers, so every trip is another of the thread's
  // own elements, as in an elementwise kernel (a loop along a row, `x[row * n + k]`, moves by elements, not threads)
  // (not a loop that sums or takes a max as it goes, `s += x[idx]`, nor one holding a loop of its own: a reduction's)
  const staged = (l: LoopFact) => l.trips !== undefined && l.trips <= MAX_STAGED && !l.reductions?.length &&
    !w.loops.some((c) => c.parent === l.id) && global.some((a) => a.loops.includes(l.id)) &&
    global.filter((a) => a.loops.includes(l.id)).every((a) => a.indices.every((p) => {
      const c = p.coefficient(l.symbol);
      return !p.unknown && (c.terms.size === 0 || (!c.unknown && c.dependsOn((x) => x.startsWith('blockDim.'))));
    }));
  const stagedLoops = new Set(innerLoops.filter(staged).map((l) => l.id));
  if (!isKernel) {
    if (innerLoops.length === 0) return 'other';
  }
  if (w.accesses.some((a) => a.kind === 'atomic')) return 'reduction';
  // threads combining values (`blockReduceMax(v)`, `__shfl_xor_sync`, cub's BlockReduce): a row reduction, whatever its loops
  // (a butterfly of shuffles: in a loop, or unrolled; one shuffle alone exchanges neighbours)
  const shuffles = w.calls.filter((c) => SHUFFLE.test(c.name));
  if (isKernel && (w.calls.some((c) => REDUCE_HELPER.test(c.name)) || shuffles.some((c) => c.loops.length > 0) || shuffles.length >= 3)) return 'reduction';
  // tensor-core MMAs in a loop (`mma.sync` PTX through a macro, `HMMA16816(...)`): a GEMM's k loop, whatever its
  // operands' addresses read as (the registers' loads through `(uint32_t*)&A[...]` casts often do not)
  if (isKernel && w.calls.some((c) => c.name === 'mma_asm' && c.loops.length > 0)) return 'gemm';
  // GEMM-like: a loop where two different arrays are read with the loop symbol in their index and multiplied
  for (const l of innerLoops) {
    if (stagedLoops.has(l.id)) continue;
    const reads = loopReads(l, w.accesses);
    // (the staged registers combined element by element, `r_x[ii] + r_b[ii]`: every read at the loop's own index; a
    // register tile's product reads `a_reg[i] * b_reg[j]`, one of them at another loop's)
    if (reads.length && reads.every((a) => a.space === 'local' && a.indices.length === 1 && a.indices[0].equals(Poly.sym(l.symbol)))) continue;
    if (twoOperands(reads)) return 'gemm';
  }
  if (innerLoops.length > 0) {
    const innerIds = new Set(innerLoops.map((l) => l.id));
    const onlyStaged = (a: AccessFact) => a.loops.some((id) => stagedLoops.has(id)) && a.loops.every((id) => !innerIds.has(id) || stagedLoops.has(id));
    const loopReads = global.filter((a) => a.kind === 'load' && dependsOnLoop(a) && !onlyStaged(a));
    if (loopReads.length > 0 || tiles.length > 0) return 'reduction';
  }
  // loops over registers only (`for (k = 0; k < packed.size; ++k)` on a loaded pack) leave a kernel elementwise;
  // a loop to a runtime count (`k <= terms`) is a computation of its own
  const runtimeTrip = (l: LoopFact) => l.bound !== null && w.paramNames.has(l.bound.trim());
  const memoryLoops = innerLoops.filter((l) => runtimeTrip(l) || (!stagedLoops.has(l.id) && global.some((a) => a.loops.includes(l.id))));
  if (isKernel && global.length > 0 && memoryLoops.length === 0 && dataTiles.length === 0) {
    // stencil: the same array read at several constant offsets
    const byArray = new Map<string, Set<string>>();
    const fields = new Map<string, { key: string; unit: Poly; offsets: number[] }>();
    for (const a of global) {
      if (a.kind !== 'load' || a.indices.length !== 1 || !a.indices[0].dependsOn(isVarying)) continue; // `pars[0..6]`: scalars, not a stencil
      const key = a.indices[0].without('').toString();
      const set = byArray.get(a.array) ?? new Set<string>();
      set.add(key + '|' + a.indices[0].constant);
      byArray.set(a.array, set);
      const f = fields.get(a.array) ?? { key, unit: laneStep(a.indices[0].without('')), offsets: [] };
      if (f.key === key) f.offsets.push(a.indices[0].constant);
      else f.key = '';
      fields.set(a.array, f);
    }
    // (`px[3 * k]`, `px[3 * k + 1]`, `px[3 * k + 2]`: the fields of one interleaved record, each thread's own)
    const record = (array: string) => {
      const f = fields.get(array);
      return !!f?.key && f.unit.isConstant && Math.max(...f.offsets) - Math.min(...f.offsets) < Math.abs(f.unit.constant);
    };
    // (nor the rows of one buffer each copied to an output of its own: `q[i] = inp[j]`, `k[i] = inp[j + NH * d]`,
    // `v[i] = inp[j + 2 * NH * d]`, a split of a fused QKV: as many outputs as offsets, each a run-time row apart; a
    // stencil's neighbours, `u[i - 1]`, `u[i + 1]`, are a constant apart, whatever it writes)
    // (and a stencil reads its centre where it writes, `in[idx]` beside `out[idx]`; a split reads elsewhere)
    const written = global.filter((a) => a.kind !== 'load');
    const outputs = new Set(written.map((a) => a.array)).size;
    const rowsApart = (offs: Set<string>) => new Set([...offs].map((o) => o.slice(0, o.lastIndexOf('|')))).size === offs.size;
    const readsAtOutput = (array: string) => global.some((a) => a.kind === 'load' && a.array === array && a.indices.length === 1 &&
      written.some((w) => w.indices.length === 1 && !w.indices[0].unknown && w.indices[0].equals(a.indices[0])));
    const split = (array: string, offs: Set<string>) => outputs >= offs.size && rowsApart(offs) && !readsAtOutput(array);
    for (const [array, offs] of byArray) if (offs.size >= 3 && !record(array) && !split(array, offs)) return 'stencil';
    // elementwise: each thread writes its own elements; a kernel whose only stores are
    // warp-uniform (`partial[blockIdx.x] = sum`) reduces what it read
    const stores = global.filter((a) => a.kind !== 'load');
    if (stores.length && stores.every((a) => a.indices.some((p) => p.unknown || p.dependsOn(isVarying)))) return 'elementwise';
    if (stores.length) return 'reduction';
  }
  return 'other';
}

/**
 * How far apart consecutive threads' indices start: the coefficient of threadIdx.x, or, for a remainder of a thread's
 * chunk start (`(4 * i) % N`, the column of a float4 a bias is read at), that start's (the chunks stay disjoint where N
 * is a multiple of it).
 */
function laneStep(p: Poly): Poly {
  const direct = p.coefficient('threadIdx.x');
  const syms = [...p.symbols()];
  if (!direct.isConstant || direct.constant !== 0 || syms.length !== 1) return direct;
  const def = atomDef(syms[0]);
  const unit = p.coefficient(syms[0]);
  return def?.op === '%' && unit.isConstant && unit.constant === 1 ? def.args[0].coefficient('threadIdx.x') : direct;
}
