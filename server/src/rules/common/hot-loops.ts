// Where a kernel spends its time. An access inside its main loop (one whose trip count is a
// run-time size: `k < K`, a grid-stride loop) runs once per iteration; an access outside
// every such loop, in a kernel that has one, runs once per thread (the epilogue's store of a
// register tile, a staging copy, a per-block readout after the loop) and is a small share of
// the kernel's traffic: a rule about how well one access uses memory leaves it alone there.
import type { AccessFact, FunctionFacts, LoopFact } from '../../core/facts/model';
import { rangeHolds } from '../../core/positions';
import { bindSymbols } from '../../core/affine';

/**
 * A loop whose trip count is not a known constant (`k < K`, a grid-stride loop), as the facts,
 * its literal bound or `known` (a template parameter the launches set: `n < TN`) tell.
 */
export const runtimeLoop = (l: LoopFact, known: (bound: string) => boolean = () => false): boolean =>
  l.trips === undefined && !(l.bound !== null && (/^\s*\d+\s*$/.test(l.bound) || known(l.bound.trim()))) &&
  // (nor a block's pass over a small table, `b = tid; b < NUM_BINS; b += blockDim.x` with 256 bins: a step or two per thread)
  !(l.blockStride && !!l.limit && !l.limit.unknown && l.limit.isConstant && l.limit.constant <= ONE_BLOCK) &&
  // (nor the same pass written with the block's size as a number, `i = threadIdx.x; i < BM * BK; i += 256`: 1024 / 256 steps)
  !fewThreadSteps(l);

/** A loop from a thread index to a constant in a constant step of at least a warp, a few steps per thread: a tile's staging copy. */
function fewThreadSteps(l: LoopFact): boolean {
  const { limit, step, init } = l;
  if (!limit || limit.unknown || !limit.isConstant || !step || step.unknown || !step.isConstant || step.constant < 32) return false;
  return !!init && !init.unknown && init.dependsOn((s) => s.startsWith('threadIdx.')) && limit.constant / step.constant <= FEW_STEPS;
}
const FEW_STEPS = 16;

/** The most threads one block has: a block-stride loop up to this many elements takes each thread a step or so. */
const ONE_BLOCK = 1024;

/**
 * The function's main loops, found once: `outside(a, beside)` says whether `a` runs outside every
 * one of them while another access runs inside one, of the same memory space (`space`: a global
 * load before a tree reduction over shared memory is the kernel's traffic still) or of any (`any`:
 * a shared-memory readout after a streaming loop).
 */
/**
 * `tileStages`: for the shared-memory side (memory/shared-bank-conflict), a loop that only copies a block's slice between
 * global and shared memory is staging where another loop works on that tile in place; for global memory it is the traffic.
 */
export function mainLoops(fn: FunctionFacts, accesses: readonly AccessFact[], known: (bound: string) => boolean, tileStages = false) {
  // (a bound of the kernel's template parameters, `j < d_conv`, is fixed at compile time whatever the launches pass)
  const fixed = (bound: string) => known(bound) || (namesIn(bound).length > 0 && namesIn(bound).every((name) => fn.templateParams.includes(name)));
  // (also through a local, `const int head_size = block_size`: the bound as evaluated)
  // (a symbol kept as text, `(BM×BN/(TM×TN))×4/BK` of a constexpr, is fixed when every name in it is a template parameter)
  const fixedLimit = (l: LoopFact) => !!l.limit && !l.limit.unknown && !l.limit.isConstant && [...l.limit.symbols()].every((s) => fn.templateParams.includes(s) || (namesIn(s).length > 0 && namesIn(s).every((n) => fn.templateParams.includes(n))));
  const runtime = fn.loops.filter((l) => runtimeLoop(l, fixed) && !fixedLimit(l));
  const runtimeArgument = (s: string) => fn.params.some((p) => p.name === s) && !known(s);
  const inHelperMain = (a: AccessFact) => !!a.helperLoops?.some((l) => !!l.limit && !l.limit.unknown && [...l.limit.symbols()].some(runtimeArgument));
  // a loop that only stores (`for (k < q_size) out[idx + k] = q[k]`, the results a loop over the faces
  // found) writes the thread's outputs: not a main loop while another one reads
  const reads = (l: LoopFact) => accesses.some((x) => x.kind !== 'store' && (x.space === 'global' || x.space === 'shared') && x.loops.includes(l.id));
  // (for the tile: nor a loop that only copies a block's slice between global and shared memory, `for (p = tid; p < N;
  // p += blockDim.x) s[p] = src[p]`, beside a loop that then works on that tile in place: a transform's or a sort's stages)
  const inLoop = (l: LoopFact) => accesses.filter((x) => x.loops.includes(l.id));
  const copied = (l: LoopFact): string | null => {
    const xs = inLoop(l);
    const tile = xs.find((x) => x.space === 'shared');
    const ok = l.blockStride && !fn.loops.some((c) => c.parent === l.id) && xs.length === 2 && !!tile && xs.some((x) => x.space === 'global') && xs.filter((x) => x.kind === 'load').length === 1;
    return ok ? tile!.array : null;
  };
  const worksOn = (l: LoopFact, tile: string) => copied(l) === null && inLoop(l).some((x) => x.space === 'shared' && x.array === tile && x.kind === 'load') &&
    inLoop(l).some((x) => x.space === 'shared' && x.array === tile && x.kind !== 'load');
  const staging = (l: LoopFact) => { const tile = copied(l); return tile !== null && fn.loops.some((w) => worksOn(w, tile)); };
  const staged = tileStages ? runtime.filter((l) => !staging(l)) : runtime;
  const main = new Set((staged.some(reads) ? staged.filter(reads) : staged).map((l) => l.id));
  const byId = new Map(fn.loops.map((l) => [l.id, l]));
  const ancestors = (l: LoopFact): Set<number> => {
    const out = new Set<number>();
    for (let p = l.parent; p !== null && p !== undefined; p = byId.get(p)?.parent ?? null) out.add(p);
    return out;
  };
  return {
    // outside every main loop around a main loop that moves data, or (in a grid-stride loop over pixels)
    // after the inner main loop of its iteration: once per element, beside the loop that does the work
    // (`private`: beside a loop each thread runs alone over a tile staged before it, only reading shared memory, with no
    // barrier inside: NMS's IoU tests; a block scan that stores and syncs in its loop is the block's work together)
    outside: (a: AccessFact, beside: 'space' | 'any' | 'private'): boolean =>
      // (an access in a `__device__` helper's loop up to a run-time argument of the kernel, `rowDot(W + row * cols, sx,
      // cols)`, is in a main loop of its own; a tile copy's `offset + rowStrideA <= BM` is no such loop)
      !inHelperMain(a) &&
      // (a global access once per thread beside such a helper loop that streams global memory, Rodinia streamcluster's
      // `lower[K] += d_dist(...)`; a shared tile's prefetch before a helper's double-buffered loop is its staging still)
      ((beside === 'space' && a.space === 'global' && !a.loops.length && accesses.some((b) => b !== a && b.space === 'global' && inHelperMain(b))) ||
      [...main].some((id) => {
        if (a.loops.includes(id)) return false;
        const m = byId.get(id)!;
        const up = ancestors(m);
        const around = a.loops.filter((x) => main.has(x));
        if (!around.every((x) => up.has(x))) return false;
        // inside main loops too: only grid-stride loops over elements (pixels), beside a loop nested in them over
        // a run-time count (the faces), not a staging copy over a tile (`e < TILE * 64`)
        // (or loops that hand blocks their work, `row = blockIdx.x; row += gridDim.x`: each step is one block's unit)
        if (around.length && (m.bound === null || COMPILE_TIME.test(m.bound) || !around.every((x) => handsOutWork(byId.get(x))))) return false;
        if (beside === 'private') {
          const inLoop = accesses.filter((b) => b !== a && b.loops.includes(id));
          const synced = fn.syncthreads.some((r) => rangeHolds(m.range, r.start));
          return !synced && inLoop.some((b) => b.space === 'shared' && b.kind === 'load') && inLoop.every((b) => b.space !== 'shared' || b.kind === 'load');
        }
        // (a global access beside a loop that copies its tiles asynchronously, `__pipeline_memcpy_async`, `cp.async`:
        // those copies are the loop's global traffic, made by calls rather than subscripts)
        // (a loop that works on the tiles it copies, reading shared memory: not one that only fills a lookup table)
        return accesses.some((b) => b !== a && (beside === 'any' || b.space === a.space) && b.loops.includes(id)) ||
          (a.space === 'global' && fn.calls.some((c) => c.loops.includes(id) && ASYNC_COPY.test(c.name)) &&
            accesses.some((b) => b.space === 'shared' && b.kind === 'load' && (b.loops.includes(id) || fn.loops.some((l) => l.parent === id && b.loops.includes(l.id)))));
      })),
    // a shared-memory store that fills a tile once per step of a main loop, beside the loop nested in that step
    // which reads the same tile over and over (a tiled GEMM's staging store, next to its k-slice loop)
    staging: (a: AccessFact): boolean => {
      if (a.kind !== 'store' || a.space !== 'shared') return false;
      const step = a.loops.filter((x) => main.has(x)).at(-1);
      if (step === undefined) return false;
      const inner = fn.loops.filter((l) => !a.loops.includes(l.id) && ancestors(l).has(step));
      return inner.some((l) => accesses.some((b) => b.space === 'shared' && b.array === a.array && b.kind !== 'store' && b.loops.includes(l.id))) ||
        // (or in a loop of a `__device__` helper the step calls, `processFromSmem(...)`: a warp-tiled SGEMM's compute)
        accesses.some((b) => b.space === 'shared' && b.array === a.array && b.kind !== 'store' && b.loops.includes(step) && !!b.helperLoops?.length &&
          !b.helperLoops.some((l) => a.helperLoops?.some((m) => m.symbol === l.symbol)));
    },
  };
}

/** Copies from global to shared memory that run asynchronously: the CUDA pipeline primitives, `cuda::memcpy_async`, PTX `cp.async`. */
const ASYNC_COPY = /^(?:__pipeline_memcpy_async|(?:cuda::|cooperative_groups::|cg::)?memcpy_async|cp_async)$/;

/** A loop that hands each thread (grid-stride) or each block (`x = blockIdx.x; x += gridDim.x`) its next unit of work. */
export const handsOutWork = (l: LoopFact | undefined): boolean =>
  !!l && (l.gridStride || (!!l.init?.dependsOn((s) => s.startsWith('blockIdx.')) && !!l.step?.dependsOn((s) => s.startsWith('gridDim.'))));

/** The loops around an access, outermost first: the function's, then (for a `__device__` helper's access) the helper's own. */
export const loopsAround = (a: AccessFact, fn: FunctionFacts): LoopFact[] => [...fn.loops.filter((l) => a.loops.includes(l.id)), ...(a.helperLoops ?? [])];

/** A bound of numbers and constant-like names (`TILE * 64`, `BM*BK`; a lone `M` or `N` is a run-time size). */
const COMPILE_TIME = /^(?:[\d\s*+\-/()]|[A-Z][A-Z0-9_]+)+$/;

/** A bound made of numbers and template parameters every launch sets (`8 * BN`, `TN`): a constant at run time. */
// (a run-time argument every launch happens to pass the same value for, `t < k` with k = 4096 or `r <= filter_size / 2`
// with 9, still bounds a loop the kernel runs as long as the caller asks: only template parameters are compile-time)
export const boundByLaunches = (bindings: ReadonlyMap<string, number>, params: readonly string[] = []) => (bound: string): boolean =>
  bindings.size > 0 && namesIn(bound).every((name) => bindings.has(name) && !params.includes(name));

/** The names a bound is written with (`8 * BN` -> `BN`). */
const namesIn = (bound: string): string[] => bound.match(/[A-Za-z_]\w*/g) ?? [];

/**
 * Arguments from which a call is a routine doing the step's real work (a BLAS-style
 * micro-kernel: sizes, scalars, three buffers and their strides).
 */
const ROUTINE_ARGS = 8;

/**
 * A loop each step of which calls such a routine (`ker(m, n, k, alpha, a, rsa, csa, ...)`, the kernel
 * picked from a dispatch table `kmap[i][j]`): the call is the work, and the loop's own loads are
 * bookkeeping, neither a cache nor a SIMD concern.
 */
export const callsRoutine = (fn: FunctionFacts, l: LoopFact): boolean =>
  fn.calls.some((c) => c.kind === 'call' && c.loops.includes(l.id) && c.args.length >= ROUTINE_ARGS);

/**
 * A loop's trip count, also where its bound is a parameter every launch in the file passes one constant for
 * (`c < classes` with `classes` = 10 at each launch: 10 steps), when it starts at a constant and steps by one.
 */
export function tripsAtLaunch(l: LoopFact, fn: FunctionFacts): number | undefined {
  if (l.trips !== undefined) return l.trips;
  const bound = l.bound?.trim();
  const v = bound ? fn.launchValues?.[bound] : undefined;
  const step = l.step?.isConstant ? l.step.constant : 0;
  if (v === undefined || l.kind !== 'for' || !l.init?.isConstant || step <= 0) return undefined;
  return Math.max(0, Math.ceil((v + (l.inclusive ? 1 : 0) - l.init.constant) / step));
}

/** `tripsAtLaunch`, also for a bound computed from launch constants (`t < (K + TILE - 1) / TILE` with `K` = 784 at every launch). */
export function tripsAtEveryLaunch(l: LoopFact, fn: FunctionFacts): number | undefined {
  const direct = tripsAtLaunch(l, fn);
  if (direct !== undefined || !fn.launchValues || !l.limit || l.kind !== 'for' || !l.init?.isConstant || !l.step?.isConstant || l.step.constant <= 0) return direct;
  const limit = bindSymbols(l.limit, new Map(Object.entries(fn.launchValues)));
  return limit.isConstant ? Math.max(0, Math.ceil((limit.constant + (l.inclusive ? 1 : 0) - l.init.constant) / l.step.constant)) : undefined;
}

/** The outputs every launch of a kernel computes: the product of the extents its thread indices are checked against (`row < M && col < N`), when each is a launch constant. */
export function outputsAtLaunch(fn: FunctionFacts): number | undefined {
  const bounds = fn.indexBounds?.length ? fn.indexBounds : fn.indexBound ? [fn.indexBound] : [];
  // (a check per grid axis the outputs spread over: `row = blockIdx.y` with no `row < M` spans as many rows as the grid has)
  const axes = new Set(fn.accesses.filter((a) => a.space === 'global' && a.kind !== 'load').flatMap((a) => a.indices.flatMap((p) => [...p.symbols()]))
    .flatMap((s) => /(?:threadIdx|blockIdx)\.([xyz])/g.exec(s)?.[1] ?? []));
  if (bounds.length < axes.size) return undefined;
  const values = bounds.map((b) => fn.launchValues?.[b.trim()]);
  return values.length > 0 && values.every((v) => v !== undefined) ? values.reduce<number>((n, v) => n * v!, 1) : undefined;
}

/** Iterations from which a time loop in `main` is the program's run, not a few trial repetitions. */
const MANY_ITERATIONS = 8;
/** A loop over a run's iterations or time steps, by its names (`iter < niter`, `t < steps`, `epoch`). */
const ITERATION_LOOP = /iter|step|epoch|time|^\s*t\s*$/i;

/**
 * `main` of a CPU program that computes in it: no GPU code in the file, and a loop over iterations around a loop nest
 * (Rodinia's OpenMP srad: `for (iter < niter)` around the image's row and column loops). Elsewhere `main` sets data up,
 * launches and checks, and the CPU rules leave it alone.
 */
export function computesInMain(fn: FunctionFacts, functions: readonly FunctionFacts[]): boolean {
  if (fn.name !== 'main' || functions.some((f) => f.isKernel || f.calls.some((c) => c.kind === 'launch'))) return false;
  // (counts of a run-time size or of a few dozen or more, `#define NITER 100` and a 2048-wide grid too)
  const long = (l: LoopFact, least: number) => l.trips === undefined || l.trips >= least;
  return fn.loops.some((l) => l.parent === null && long(l, MANY_ITERATIONS) && (ITERATION_LOOP.test(l.variable ?? '') || ITERATION_LOOP.test(l.bound ?? '')) &&
    fn.loops.some((m) => m.depth >= 2 && long(m, 64) && fn.loops.some((p) => p.id === m.parent && p.parent === l.id)));
}
