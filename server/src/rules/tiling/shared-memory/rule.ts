// tiling/shared-memory: inside a loop over k, global reads that neighbouring threads
// also make (ANALYSIS.md §2, "Tiling"): an index form that omits a thread axis the
// kernel uses (every thread along it reads the same element), or that slides with the
// loop the way it slides with the thread index (a convolution window), and no
// __shared__ staging in the kernel. Also a block's tree reduction kept in global memory
// (global-tree.ts).
import { perChannelParameter } from '../../common/parameter-vectors';
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import { tritonTiling } from './triton';
import { globalTreeReduction } from './global-tree';
import { globalFragments, oneWarpTiles } from './fragments';
import { fix } from './fix';
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { SAMPLES, laneValues, sharedAcrossBlock } from '../../../core/lanes';
import { Poly, atomDef, loneSymbol, reaches, recomposeDivMod } from '../../../core/affine';
import { loopsAround, tripsAtLaunch } from '../../common/hot-loops';
import { withHelperLoops } from '../../common/helper-loops';
import { declamped } from '../../common/clamps';
import { isReferenceOracle } from '../../common/reference';

const AXES = ['threadIdx.x', 'threadIdx.y'] as const;

/** The reason for a row of elements every warp of the block reads: staging it once serves them all, a tile on its own. */
const ACROSS_WARPS = 'the warps of the block read the same elements';

/** The reason for a row that threads a period apart (`h = idx % NH`: the heads) read. */
const PERIODIC = 'threads a whole period apart (`%` of the thread index) read the same elements';
/** The same with a period of a block or more (a feature map `H * W`, a sequence `T`): the readers sit in different blocks. */
const PERIODIC_ACROSS_BLOCKS = 'threads a whole period apart (`%` of the thread index, in other blocks) read the same elements';

/** A loop bound naming an attention head's size (`head_size`, `head_dim`, `HEAD_DIM`): 64 to 256 elements. */
const HEAD_SIZE = /^(?:(?:p|cfg|config|params?|this)(?:\.|->))?(?:head_?(?:size|dim)|d_?head|HEAD_?(?:SIZE|DIM))$/i;

/** A name for the size of a feature map or a sequence: hundreds of elements or more, as a rule. */
const WIDE_EXTENT = /^(?:[a-z]*_?hw|hw_?[a-z]*|[a-z_]*(?:spatial|area|plane|pixels?|seq(?:_?len)?|length)[a-z_]*|T|L)$/i;

/** The thread distance after which `x % m` repeats: `m`, times the divisors `x` is a quotient by (`(idx / W) % H` repeats every `W * H`). */
function periodOf(x: Poly, m: Poly): Poly {
  const sym = loneSymbol(x);
  const q = sym !== null ? atomDef(sym) : undefined;
  return q && q.op === '/' && q.args.length === 2 ? periodOf(q.args[0], q.args[1].mul(m)) : m;
}

/** Whether `m`, a period, spans a whole block of threads: a constant of 256 or more, a product (`H * W`), or a map's or sequence's size. */
function spansBlocks(m: Poly): boolean {
  if (m.unknown) return false;
  if (m.isConstant) return m.constant >= 256;
  const sym = loneSymbol(m);
  if (sym !== null) return WIDE_EXTENT.test(sym.replace(/^.*(?:\.|->)/, ''));
  return [...m.terms.keys()].some((k) => k.split('*').length >= 2 && !k.split('*').some((x) => x.startsWith('#')));
}

/** Why neighbouring threads re-read what this access reads, or null. */
function reuse(a: AccessFact, loop: LoopFact, usedAxes: string[], tileSizes: readonly string[] = [], warpBlocks = false): string | null {
  const written = a.indices[0];
  if (written.unknown || !written.dependsOn((s) => s === loop.symbol)) return null;
  // `weight[k]`, `bias[i]`: a vector every thread walks in step is an L1 broadcast, not a tile
  // the same for every block (`weight[c]` with `c` from the lane): each warp re-reads it from L1, nothing to tile
  if (!written.dependsOn((s) => s.startsWith('blockIdx.'))) return null;
  // (nor is a per-channel parameter the threads reach through a remainder, `gamma[g * cpg + i / HW]` with `g = ng % G`)
  if (perChannelParameter(a, [loop])) return null;
  // a window clamped at the image's edges (`min(max(y + dy - 2, 0), h - 1)`) slides as the unclamped one inside it
  // (and a row offset rebuilt from the coordinates the thread index was split into, `b * T * C + t * C` with
  // `b = idx / T`, `t = idx % T`, reads as `idx * C`)
  const idx = recomposeDivMod(declamped(written));
  if (idx.hasAtoms) {
    // a thread axis the index never reaches, not even through `/` or `%` (`in[(x / ow + i) * w + x % ow]` in a block
    // whose threadIdx.y picks the filter): every thread along it reads the same element
    for (const axis of usedAxes) if (!reaches(idx, axis)) return `every thread along ${axis} reads the same element`;
    // `B[k * N + (tid % 32)]`: lanes evaluated over the block; other warps read what this one reads. (`A[(tid / 32) * K + k]`,
    // the same for a warp's lanes and another row for each warp, is one broadcast request per warp: nothing re-read)
    const shared = sharedAcrossBlock(idx, 256, tileSizes);
    if (shared === 'lanes') return null;
    // (only one warp of the block runs it, `if (warp == 0)`, or blocks are one warp each: no other warp reads it again)
    if (shared === 'warps' && (a.firstWarp || warpBlocks)) return null;
    if (shared === 'warps') {
      // (a warp's lanes on distinct elements, a row segment: a per-channel `bias[(i / step) % C]` is a broadcast the cache
      // serves; and warps along threadIdx.x: with a threadIdx.y axis, `tid % 32` may be the whole of a (32, 4) block's x)
      const lanes = laneValues(idx, SAMPLES[0]);
      return lanes && new Set(lanes).size >= 16 && !usedAxes.includes('threadIdx.y') ? ACROSS_WARPS : 'several warps of the block read the same element';
    }
    // `key[(idx % T) * C3 + i]`: threads a whole period apart (in other blocks) read the same row
    // (unless the quotient tells them apart: `n * (H*W) * K + (t % (H*W)) * K` with `n = t / (H*W)` is `t * K`, and
    // `(blk * ratio + r) * D + d` with `blk = idx / D`, `d = idx % D` puts threads a period apart a row further on)
    // (or every digit of a mixed-radix split is there: `w = idx % W; h = (idx / W) % H; c = idx / W / H` names each thread once)
    const atoms = [...idx.symbols()].map((sym) => ({ sym, d: atomDef(sym) })).filter((x) => x.d !== undefined);
    const counts = (sym: string) => idx.coefficient(sym).terms.size > 0 && !idx.coefficient(sym).dependsOn((t) => t === loop.symbol);
    const quotientOf = (p: Poly, x: Poly, m: Poly) => {
      const sym = loneSymbol(p);
      const q = sym !== null ? atomDef(sym) : undefined;
      return !!q && q.op === '/' && q.args.length === 2 && q.args[0].equals(x) && q.args[1].equals(m);
    };
    // the quotient `x / m` is in the index, itself or as the digits it splits into
    const covered = (x: Poly, m: Poly, depth = 0): boolean => depth < 6 && atoms.some((q) => counts(q.sym) && q.d!.args.length === 2 && (
      (q.d!.op === '/' && q.d!.args[0].equals(x) && q.d!.args[1].equals(m)) ||
      (q.d!.op === '%' && quotientOf(q.d!.args[0], x, m) && covered(q.d!.args[0], q.d!.args[1], depth + 1))));
    const recombined = (r: (typeof atoms)[number]) => r.d!.args.length === 2 && covered(r.d!.args[0], r.d!.args[1]);
    const periods = atoms.filter((r) => r.d!.op === '%' && r.d!.args[0].dependsOn((t) => t.startsWith('threadIdx.')) && !recombined(r));
    if (periods.length === 0) return null;
    // threads that read one element agree on every remainder in the index, so they are the widest period apart
    return periods.some((r) => r.d!.args.length === 2 && spansBlocks(periodOf(r.d!.args[0], r.d!.args[1]))) ? PERIODIC_ACROSS_BLOCKS : PERIODIC;
  }
  for (const axis of usedAxes) {
    const c = idx.coefficient(axis);
    if (c.terms.size === 0) return `every thread along ${axis} reads the same element`;
  }
  const k = idx.coefficient(loop.symbol);
  if (k.unknown || !loop.step?.isConstant || loop.step.constant !== 1) return null;
  for (const axis of usedAxes) {
    const c = idx.coefficient(axis);
    if (c.unknown) continue;
    if (c.equals(k)) return `thread ${axis} + 1 reads at step ${loop.variable} what thread ${axis} reads at step ${loop.variable} + 1`;
    // (a stencil's other side, `in[idx - i]`: the window slides the other way)
    if (c.equals(k.scale(-1))) return `thread ${axis} + 1 reads at step ${loop.variable} what thread ${axis} reads at step ${loop.variable} - 1`;
    // `in[(q * stride + t) * ...]`: a strided window, still overlapping its neighbour's while the stride is below the taps
    const stride = strideOf(c, k);
    if (stride) return `thread ${axis} + 1 reads at step ${loop.variable} + ${stride} what thread ${axis} reads at step ${loop.variable}`;
  }
  return null;
}

/** A convolution's stride (`stride`, `stride_w`, `s.stride`) when `c`, a thread axis' coefficient, is `k` times it, else null. */
function strideOf(c: Poly, k: Poly): string | null {
  for (const sym of c.symbols()) {
    if (!STRIDE.test(sym.replace(/^.*(?:\.|->)/, ''))) continue;
    if (c.equals(k.mul(Poly.sym(sym)))) return sym;
  }
  return null;
}
// (a convolution's, not a tensor's row stride: `rstride`, `x_stride`, `stride_am` name a layout, and a row apart shares nothing)
const STRIDE = /^(?:(?:conv_?)?strides?(?:_?(?:[hwxy]|height|width))?|st_?[xyhw])$/i;


/**
 * `mean[i1]` with `i1 = i1_block + (threadIdx.x * 4) / 32 + threadIdx.y * 4`: a row's scalar that groups of a warp's
 * lanes share, a few values in one 32-byte sector a request. L1 serves it as it would a broadcast: a tile of it saves nothing.
 */
function oneSectorPerWarp(a: AccessFact): boolean {
  const idx = a.indices[0];
  const bytes = (a.elemBits ?? 32) / 8;
  return !idx.unknown && SAMPLES.every((s) => {
    const v = laneValues(idx, s);
    // (a few values shared by groups of lanes, not a row segment of narrow elements: 32 bytes are one sector too)
    return !!v && new Set(v).size <= 8 && (Math.max(...v) - Math.min(...v) + 1) * bytes <= 32;
  });
}

/** `mean[i1]` with `i1` from blockIdx alone: the whole block reads one element, one broadcast request per warp. */
const blockUniform = (a: AccessFact): boolean => !threadDependent(a.indices[0]);
const threadDependent = (p: Poly): boolean =>
  p.dependsOn((s) => s.startsWith('threadIdx.') || (s.startsWith('#op') && (atomDef(s)?.args.some(threadDependent) ?? true)));


/**
 * `curr_mean = mean[i1]` once per row, then `for (k ...) input[i1 * n2 + k]`: a per-iteration
 * scalar read beside an inner loop that streams the row is a small share of the traffic, not a tile.
 */
/**
 * A block-uniform read that walks a matrix, its index moving with two loops, the outer over a run-time length
 * (`k[j * HEAD_DIM + x]` for `j < N`: a thread per query walking all of K): every warp of the block streams the same
 * rows from L2, where a shared tile would load each once a block (3.18x measured on an H100 for attention's K and V).
 */
function uniformMatrix(a: AccessFact, fn: FunctionFacts): boolean {
  return matrixLoop(a, fn) !== null;
}
/** The outer loop of such a walk (over the rows: the one to report at), or null. */
function matrixLoop(a: AccessFact, fn: FunctionFacts): LoopFact | null {
  // (the same element for every thread of the block: a thread's own window, a pooling's `delta[out_index]`, is no such walk)
  if (!blockUniform(a)) return null;
  const moving = loopsAround(a, fn).filter((l) => a.indices[0].dependsOn((x) => x === l.symbol));
  // (rows of a matrix, a head's 64 elements and up, not the few steps of a vector walk unrolled by hand, `t = t0 + u`)
  const long = (l: LoopFact, least: number) => (l.trips === undefined ? !!l.bound && !/^\d+$/.test(l.bound.trim()) : l.trips >= least);
  const [outer, ...inner] = moving;
  return !!outer && inner.length > 0 && long(outer, MATRIX_ROWS) && inner.some((l) => long(l, MATRIX_ROW)) ? outer : null;
}
/** Rows and row length from which a walk is a matrix (a sequence of 64 positions of 16 elements: 4 KB) rather than a vector. */
const MATRIX_ROWS = 64;
const MATRIX_ROW = 16;

function besideInnerStream(a: AccessFact, fn: FunctionFacts, loop: LoopFact): boolean {
  const own = new Set(loopsAround(a, fn).map((l) => l.symbol));
  return fn.accesses.some((s) => s !== a && s.space === 'global' && s.kind === 'load' && s.indices.length === 1 && s.loops.includes(loop.id) &&
    loopsAround(s, fn).some((l) => !own.has(l.symbol) && l.symbol !== loop.symbol && s.indices[0].dependsOn((x) => x === l.symbol)));
}

/** A loop over a small constant range, e.g. `for (int j = 0; j < 4; ++j)`. */
function smallConstantTrip(loop: LoopFact, fn: FunctionFacts): boolean {
  // (`j < ITEMS_PER_THREAD` with a constant the facts know counts too)
  if (loop.trips !== undefined) return loop.trips <= MAX_SMALL_TRIPS;
  // (or, for a loop in no other, with the constant every launch passes for its bound: `j < out` with `out` = 10; a
  // filter's taps the launches fix, inside a loop over channels or rows, may be one axis of a larger window)
  const trips = loop.parent === null ? tripsAtLaunch(loop, fn) : undefined;
  if (trips !== undefined) return trips <= MAX_SMALL_TRIPS;
  // `#pragma unroll` over a template parameter from 0: a compile-time item loop (a thread's few outputs), not a k dimension
  // (not a filter window from -R to R, `dy <= R`, whose taps neighbouring threads share)
  if (loop.bound && fn.templateParams.includes(loop.bound.trim()) && loop.pragmas.some((p) => /^unroll\b/.test(p)) && loop.init?.isConstant && loop.init.constant === 0) return true;
  const bound = loop.bound !== null && /^\d+$/.test(loop.bound.trim()) ? Number(loop.bound) : null;
  return bound !== null && bound <= 16 && !!loop.init?.isConstant;
}

/** Trips up to which a constant loop has nothing to amortise a tile over. */
const MAX_SMALL_TRIPS = 16;
/** Taps from which a 1-D sliding window is worth a halo tile of its own (radius 8 and up; a 3- to 7-tap filter stays in L1). */
const WIDE_WINDOW = 17;

/**
 * The taps of a window read over nested constant loops, each moving the index (a 7x7 filter's
 * `in[(r0 + i) * N + (c0 + j)]`): the product of their trips, or 0 when `loop` is not one of them.
 */
function windowTaps(a: AccessFact, loop: LoopFact, fn: FunctionFacts): number {
  const axes = loopsAround(a, fn).filter((l) => l.trips !== undefined && a.indices[0].dependsOn((s) => s === l.symbol));
  if (axes.length < 2 || !axes.includes(loop)) return 0;
  return axes.reduce((n, l) => n * l.trips!, 1);
}

/** A loop over a convolution kernel's taps (`kernel_x < kernel_size`, `ksize`, `KERNEL_W`): 3 to 7 of them, as a rule. */
const KERNEL_TAPS = /^(?:kernel_?(?:size|[hwxy])(?:_?[hwxy])?|ksize(?:_?[hwxy])?|k_?size|kernel(?:\.|->)[xyhw])$/i;
const tapLoop = (l: LoopFact): boolean => l.bound !== null && KERNEL_TAPS.test(l.bound.trim());

function check(fn: FunctionFacts): RuleFinding[] {
  // one block per launch (`<<<1, 256>>>`, a 4×4 demo image): its operands sit in L1 already; launching more blocks comes first
  if (!fn.isKernel || fn.shared.length > 0 || fn.singleBlock) return [];
  // a reference kept to check the tuned kernels against (`gemm_ref`, `warmup_*`): simple on purpose
  if (isReferenceOracle(fn.name)) return [];
  const usedAxes = AXES.filter((axis) => fn.accesses.some((a) => a.space === 'global' && a.indices.some((p) => p.dependsOn((s) => s === axis))));
  if (usedAxes.length === 0) return [];
  const out: RuleFinding[] = [];
  const reported = new Set<number>();
  // innermost loops first, so a k-loop nested in a tile loop is reported once, at the k-loop
  // grid- and block-stride loops hand elements to threads; only loops each thread runs in full reduce
  // (`chunk = blockIdx.x; chunk += gridDim.x` hands work to blocks the same way)
  const blocksStride = (l: LoopFact) => !!l.init?.dependsOn((s) => s.startsWith('blockIdx.')) && !!l.step?.dependsOn((s) => s.startsWith('gridDim.'));
  // a window each thread derives from its own index, of a length that varies with the thread (`for (ph = phstart;
  // ph < phend; ++ph)` of a pooling backward, both ends clamped from `h / stride`): a kernel-over-stride few steps, whose
  // overlap with a neighbour's L1 already holds (a convolution's `r = y - K; r <= y + K` slides a fixed window: reported)
  const ownWindow = (l: LoopFact) => !!l.init && !!l.limit && [l.init, l.limit, l.limit.sub(l.init)].every((p) => p.dependsOn((s) => s.startsWith('threadIdx.')));
  // (or one that starts where a value read from memory says, `base = offs[v]` of a warp per vertex: each warp walks its
  // own row of a CSR graph, and no two walk the same elements)
  const dataStart = (l: LoopFact) => !!l.init && [...l.init.symbols()].some((s) => atomDef(s)?.op === 'segment');
  const loops = [...fn.loops].filter((l) => !l.gridStride && !l.blockStride && !blocksStride(l) && !ownWindow(l) && !dataStart(l)).sort((a, b) => b.depth - a.depth);
  for (const loop of loops) {
    if (reported.has(loop.id)) continue;
    const reads = fn.accesses.filter((a) => a.space === 'global' && a.kind === 'load' && a.indices.length === 1 && a.loops.includes(loop.id) && a.indices[0].dependsOn((s) => s === loop.symbol));
    if (reads.length === 0) continue;
    const judged = reads.map((a) => ({ a, why: reuse(a, loop, usedAxes, fn.templateParams, fn.warpBlocks) }));
    // `for (j = 0; j < 4; ++j)`: nothing to amortise a tile over, unless it is one axis of a larger window, or its
    // step reads several neighbours that other threads read too (a radius-4 3-D stencil's `in[idx ± i]`,
    // `in[idx ± i * stride_y]`, `in[idx ± i * stride_z]`: 24 taps)
    // (reads a constant apart, a pixel's `src[p]`, `src[p + 1]`, `src[p + 2]`, are one tap)
    // (only a window that slides with the thread counts: a small-K matmul's `A[row * K + k]`, read alike along an axis,
    // has 8 steps and nothing to amortise a tile over)
    const taps = new Set(judged.filter((r) => r.why?.startsWith('thread ')).map((r) => String(r.a.indices[0].sub(Poly.const(r.a.indices[0].constant)))));
    const sharedTaps = (loop.trips ?? 0) * taps.size;
    if (smallConstantTrip(loop, fn) && !reads.some((a) => windowTaps(a, loop, fn) > MAX_SMALL_TRIPS) && sharedTaps < MAX_SMALL_TRIPS) continue;
    const seen = new Set<string>();
    // a wide per-thread stream no other thread reads (a quantized gemv's packed weights) bounds the loop:
    // staging the small operands beside it buys little
    if (judged.some((r) => r.why === null && r.a.vector && r.a.indices[0].dependsOn((s) => s === 'threadIdx.x'))) continue;
    const reused = judged.filter((r) => r.why !== null && !seen.has(`${r.a.array}:${r.a.text}`) && seen.add(`${r.a.array}:${r.a.text}`));
    // only per-row scalars (`mean[i1]`, `invvar[i1]`): broadcasts to the block, or reads beside an inner loop that streams the row
    // (not a matrix the whole block walks alike, below)
    if (reused.every((r) => !uniformMatrix(r.a, fn) && (blockUniform(r.a) || besideInnerStream(r.a, fn, loop) || oneSectorPerWarp(r.a)))) continue;
    // a 1-D window over a convolution kernel's few taps (a depthwise convolution): a warp's neighbours re-read a
    // few elements L1 already holds; a 2-D window (taps along two loops) is still worth a halo tile
    // (unless the launches make it a wide one, below)
    const trips = loop.trips ?? (loop.parent === null ? tripsAtLaunch(loop, fn) : undefined);
    if (tapLoop(loop) && (trips ?? 0) < WIDE_WINDOW && !reused.some((r) => fn.loops.some((l) => l !== loop && tapLoop(l) && r.a.indices[0].dependsOn((x) => x === l.symbol)))) continue;
    // threads a period apart and nothing else: with the period a feature map or a sequence long, the readers of an
    // element sit in different blocks, and a block has nothing to stage (L2 serves the reuse across blocks)
    if (reused.every((r) => r.why === PERIODIC_ACROSS_BLOCKS)) continue;
    // a head's query vector every warp walks alike (`q[i]` for `i < head_size`, a decode step's scores): a few hundred
    // bytes L1 serves to all the warps; staging it measured 1.01x on an H100 (a sweep's decode attention)
    if (reused.every((r) => r.why === ACROSS_WARPS) && HEAD_SIZE.test(loop.bound?.trim() ?? '')) continue;
    // One re-read operand alone (a vector every thread reads, gemv's x[k]) is a warp
    // broadcast served by the cache; staging pays off when operands are re-read along
    // both thread axes or in a sliding window, as in matmul and convolution.
    // a 2-D sliding window (direct convolution, a blur) is worth staging on its own
    const slides = reused.length === 1 && reused[0].why!.includes(' reads at step');
    const window2d = slides && fn.loops.filter((l) => reused[0].a.indices[0].dependsOn((s) => s === l.symbol)).length >= 2;
    // (so is a row every warp of the block re-reads, its lanes apart: the coalesced naive SGEMM's `B[k * N + (tid % 32)]`)
    // (and a 1-D window of many taps, a separable convolution's 17-tap row or column pass: each element is read by as
    // many threads, more than L1 absorbs, where a 3- to 7-tap filter's neighbours hit in it)
    const wide = slides && (trips ?? 0) >= WIDE_WINDOW;
    if (reused.length < 2 && !window2d && !wide && !reused.some((r) => r.why === ACROSS_WARPS || matrixLoop(r.a, fn) === loop)) continue;
    for (let p = loop.parent; p !== null; p = fn.loops[p]?.parent ?? null) reported.add(p);
    reported.add(loop.id);
    const first = reused[0];
    const names = reused.map((r) => `\`${r.a.text}\``).join(' and ');
    const variable = loop.variable ?? 'loop';
    out.push({
      range: first.a.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the thread block has more than one thread along the axis named', 'assumes the loop trip count is large enough to amortise loading tiles'],
      // long accesses (`wmma::load_matrix_sync(...)`) are named by their arrays in the one-line message
      message: `${names.length <= 50 ? names : [...new Set(reused.map((r) => `\`${r.a.array}\``))].join(' and ')}: global reads other threads repeat every \`${variable}\` iteration, no \`__shared__\` tile`,
      detail: detail(
        `${names} ${reused.length > 1 ? 'are' : 'is'} read from global memory in every iteration of the \`${variable}\` loop: ` + reused.map((r) => `for \`${r.a.text}\`, ${r.why}`).join('; ') + '.',
        `Load tiles of these operands into \`__shared__\` arrays once per block (cooperatively, then \`__syncthreads()\`), and run the \`${variable}\` loop over the tiles.`,
      ),
      benefit: 'global-memory reads of the reused operands drop by about the tile width (32x for 32x32 tiles); on an H200 a naive 4096³ SGEMM went from 5.1 to 8.8 TFLOP/s (1.72x) with 32x32 shared-memory tiles',
      related: [
        { range: loop.headerRange, message: `the \`${variable}\` loop` },
        ...reused.slice(1).map((r) => ({ range: r.a.range, message: `also re-read by neighbouring threads: \`${r.a.text}\`` })),
      ],
    });
  }
  return out;
}

export const rule: Rule = {
  id: 'tiling/shared-memory',
  languages: ['cuda', 'triton'],
  defaultSeverity: 'information',
  checkFunction: (fn) => {
    if (fn.decorators) return tritonTiling(fn);
    // (fragments whose warps the thread index tells apart are check's already: one finding a loop)
    // (a k loop in a `__device__` helper the kernel calls, `dot_col(A, B, row, col, n)`, read as the kernel's own)
    const tiles = check(fn.isKernel ? withHelperLoops(fn) : fn);
    return [...tiles, ...globalTreeReduction(fn), ...(tiles.length ? [] : globalFragments(fn)), ...oneWarpTiles(fn)];
  },
  fix,
};
