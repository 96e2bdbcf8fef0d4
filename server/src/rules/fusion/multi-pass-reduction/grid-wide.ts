// A statistics launch whose sweep spans the whole grid: its threads walk the buffer in a
// grid-stride loop (or each block takes its share of the whole input) and it writes one
// partial per block. The statistic is the whole buffer's, not a row's: the pass that uses it
// needs a grid-wide barrier first, so two reads of the buffer are the minimum.
import { isVarying } from '../../../core/affine';
import type { FunctionFacts } from '../../../core/facts/model';
import { bind, type Launch } from '../../common/launch-flow';
import { mentionsGridDim } from '../../vectorization/vector-memory-access/rows';
import { programAxes } from '../../common/program-axes';

/** The kernel parameters the launch binds to the caller's buffer `root`. */
function paramsOf(l: Launch, root: string): string[] {
  const bound = bind(l.kernel, l.call);
  return bound ? [...bound].filter(([, r]) => r === root).map(([p]) => p) : [];
}

/** Every load of `param` moves with a grid-stride loop or at a block's share of the whole input (`blockIdx.x * (n / gridDim.x)`). */
function sweptByGrid(k: FunctionFacts, param: string): boolean {
  const loads = k.accesses.filter((a) => a.space === 'global' && a.array === param && a.kind !== 'store');
  const gridLoops = new Set(k.loops.filter((l) => l.gridStride).map((l) => l.id));
  return loads.length > 0 && loads.every((a) => a.loops.some((id) => gridLoops.has(id)) || a.indices.some((p) => mentionsGridDim(p.coefficient('blockIdx.x'))));
}

/** Every write of `param` is at an index of blocks alone (`partial[blockIdx.x]`, `partial[2 * nb + blockIdx.x]`: one partial per block) or a fixed one (an atomic total). */
function perBlock(k: FunctionFacts, param: string): boolean {
  const writes = k.accesses.filter((a) => a.space === 'global' && a.array === param && a.kind !== 'load');
  return writes.length > 0 && writes.every((a) => a.indices.every((p) => !p.unknown && !p.dependsOn(isVarying)));
}

/** The launch reduces `buffer` over the whole grid into per-block partials of `stats`. */
export function gridWidePartials(first: Launch, buffer: string, stats: string): boolean {
  const swept = paramsOf(first, buffer);
  const partials = paramsOf(first, stats);
  return swept.length > 0 && partials.length > 0 && swept.every((p) => sweptByGrid(first.kernel, p)) && partials.every((p) => perBlock(first.kernel, p));
}

/**
 * The consumer reads several partials of one row's statistic and merges them (`ms = tl.load(m_ptr + row * n_splits + s)`
 * over a block `s` of its own, then `tl.max(ms)`), which the first launch wrote split over two program axes (`row *
 * SPLITS + part`): each row was split over several programs, which no one program can hold, so two reads of the buffer
 * are the minimum. (Triton's program axes: a CUDA kernel's splits are not told apart here.)
 */
export function mergesRowPartials(first: Launch, second: Launch, buffer: string, stats: string): boolean {
  // the first launch writes a statistic per row and split: at an index of two program axes (`row * SPLITS + part`)
  const partial = paramsOf(first, stats).some((p) => first.kernel.accesses.some((a) => a.array === p && a.kind !== 'load' && programAxes(a).size >= 2));
  if (!partial) return false;
  const k = second.kernel;
  const walks = (a: FunctionFacts['accesses'][number]) => new Set(a.indices.flatMap((p) => (p.unknown ? [] : [...p.symbols()].filter((s) => s.startsWith('#lane') || s.startsWith('#loop')))));
  const bufferSyms = new Set(paramsOf(second, buffer).flatMap((p) => k.accesses.filter((a) => a.array === p && a.kind !== 'store').flatMap((a) => [...walks(a), ...(a.lanes ?? [])])));
  const statLoads = paramsOf(second, stats).flatMap((p) => k.accesses.filter((a) => a.array === p && a.kind === 'load'));
  return statLoads.length > 0 && statLoads.every((a) => [...walks(a)].some((s) => !bufferSyms.has(s)));
}

/** A loop whose bound is known only at run time (`b < bs`, not `u < 4` or a constant trip count). */
const runTimeLoop = (l: FunctionFacts['loops'][number]): boolean =>
  l.trips === undefined && l.maxTrips === undefined && !!l.bound && !/^\s*\d+[uUlL]*\s*$/.test(l.bound) && !l.tail;

/**
 * Each block sweeps its row in two nested loops over run-time extents, both moving the index (BatchNorm's channel:
 * `for (b = ty; b < bs; ...) for (off = tx; off < ss; ...) x[off + c * ss + b * ss * fs]`, N x H*W values a
 * channel): a row of two run-time extents is far more than a block holds on chip, so the pass that normalizes it
 * reads it again from global memory whether or not one kernel does both. Two reads are the minimum.
 */
export function sweptInTwoExtents(first: Launch, buffer: string): boolean {
  const k = first.kernel;
  const byId = new Map(k.loops.map((l) => [l.id, l] as const));
  const loads = paramsOf(first, buffer).flatMap((p) => k.accesses.filter((a) => a.space === 'global' && a.array === p && a.kind !== 'store'));
  // (in one sweep: a mean loop then a variance loop over the channel in the same kernel is two reads already)
  if (new Set(loads.map((a) => a.loops.at(-1))).size !== 1) return false;
  return loads.length > 0 && loads.every((a) => {
    const moving = a.loops.map((id) => byId.get(id)).filter((l): l is NonNullable<typeof l> =>
      !!l && runTimeLoop(l) && a.indices.some((p) => !p.unknown && [...p.symbols()].includes(l.symbol)));
    return moving.length >= 2;
  });
}
