// vectorization/cpu-simd: a C/C++ innermost loop that gcc / clang at -O3 will not turn
// into SIMD code, or only badly (DESIGN.md, CPU rules). One finding per loop, on its header,
// for the first of these reasons that holds:
//   - a floating-point reduction (`s += a[i] * b[i]`, or `y[i] += ...` under a `j` loop):
//     without -ffast-math or `#pragma omp simd reduction`, the compiler keeps the additions
//     in source order, one at a time; so too a running max or min (`if (x[i] > m) m = x[i];`,
//     `m = fmaxf(m, x[i])`), which needs -ffinite-math-only -fno-signed-zeros (an argmax, which
//     also keeps the index, stays scalar whatever the flags: not reported);
//   - a non-unit stride along the loop (`B[k][j]` under `for k`, `x[3 * i]`) in a loop that
//     computes (two or more loads): gathers or no vectorization;
//   - a libm call (`sqrt`, `exp`, `pow`) the compiler cannot vectorize under default flags
//     (math-errno for `sqrt`; `exp`, `pow` need -ffast-math's vector math library) in a loop that stores;
//   - a load through a computed index (`src[clamp(y + dy) * w + x]`) feeding a reduction;
//   - five or more pointer parameters without `restrict` with stores among them and more than 10 pairs of address
//     ranges to check for overlap, gcc's limit for versioning a loop: none of it vectorized (within the limit gcc checks
//     at run time and vectorizes; `restrict` alone measured nothing on a saxpy);
//     not where a load gathers through a computed index, which keeps the loop scalar whatever the aliasing.
// A column walk counts only where an enclosing loop moves the contiguous index (the interchange
// itself is memory/uncoalesced-access's finding; this one says what it does to SIMD).
// Quiet on loops under `#pragma omp simd` (or ivdep / clang loop vectorize), in functions
// using SIMD intrinsics (`_mm*`, `__m256`) or calling a hand-vectorized routine (`Step_AVX`),
// on register tiles (four or more accumulators), on integer reductions (those vectorize), on
// short fixed-length sums (unrolled whole), on plain copies, on kernels, device code and
// `main`, and on CPU references and set-up (common/reference.ts: oracles by name, a kernel's
// CPU twin, functions whose output a caller checks, `gemm(...); compareResults(...)`).
import { filterBound, filterLoop } from '../../common/filter-taps';
import { coversAllResidues } from '../../common/residues';
import { untunedLoop } from '../../../core/timed-region';
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import { baseName } from '../../../core/project';
import { neverTogether, type AccessFact, type CallFact, type FileFacts, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { checkedByCaller, isExpectedOutput, untunedHosts, includesCudaSource } from '../../common/reference';
import { constantTrip, constantValue, fileConstants, mostTrips, windowLoop } from '../../common/file-constants';
import { DEFAULT_BUILD, type BuildFlags } from '../../../core/preprocess';
import { perFacts, perFunction } from '../../common/memo';
import { countsFewItems } from '../../common/few-items';
import { callsRoutine, computesInMain } from '../../common/hot-loops';
import { loopAndAncestors, pointLoopOf } from '../../common/blocked-twin';
import { runsProduct } from '../../common/products';
import { checkCpu, minorWalk, transposePartner } from '../../memory/uncoalesced-access/cpu';
import { Poly, atomDef } from '../../../core/affine';
import { byHand, calledInLoops, declaredElsewhere, INLINE_CALL, LIBM_CALL, libmLeft, OPAQUE_CALL, NUMBER } from './calls';
import { accessesIn, aliasAssumptions, contiguousOuter, isFloat, memoryReduction, shortStride, stride, stridedAccess, sumsReadBack } from './loop-shapes';

/** A pragma that vectorizes (or asserts independence for) the loop it precedes. */
const SIMD_PRAGMA = /^(?:omp\s+(?:(?:parallel\s+)?for\s+)?simd\b|omp\s+declare\s+simd|simd\b|ivdep\b|GCC\s+ivdep\b|clang\s+loop\s+vectorize\s*\(\s*(?:enable|assume_safety)|vector\b)/;
const MANY_POINTERS = 5;
/** Pairs of ranges gcc checks for overlap at run time before it gives up versioning a loop (its default). */
const ALIAS_CHECKS = 10;
/** Sums of at most this many terms, all trip counts constant, are unrolled whole by the compiler. */
const SHORT_SUM = 16;
/** Iterations of a loop the compiler unrolls whole rather than vectorizes. */
const TINY_TRIP = 4;
/** Constant steps up to which a summing loop is unrolled rather than vectorized along, and the taps of a filter window. */
const FEW_STEPS = 8;
const FILTER_TAPS = 64;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** An index holding a select (`?:`) whose test reads the loop's variable (`x == 0 ? c : c - 1`). */
function selectsOn(p: Poly, symbol: string): boolean {
  return [...p.symbols()].some((s) => {
    const d = atomDef(s);
    return d?.op === '?:' ? d.args.slice(0, 2).some((x) => x.dependsOn((y) => y === symbol)) : !!d && d.args.some((x) => selectsOn(x, symbol));
  });
}

/** What a function's check reads of its file besides its own facts. */
interface SimdFile {
  /** Functions nobody tunes: references, checks, set-up, the plain twins of hand-vectorized ones. */
  references: ReadonlySet<string>;
  constants: ReadonlyMap<string, number>;
  build: BuildFlags;
  /** The file's own functions (and its headers' helpers): they may be inlined into a loop. */
  local: ReadonlySet<string>;
  /** Each function the file calls: whether some call repeats (calls.ts). */
  hot: ReadonlyMap<string, boolean>;
  /** Names the file declares but never defines: calls a loop cannot see into. */
  elsewhere: ReadonlySet<string>;
  /** The type a build without -D flags gives each alias with `#if` alternatives. */
  defaults: ReadonlyMap<string, string>;
  /** `main` is where the program iterates (computesInMain): its loops are work. */
  mainComputes: boolean;
  /** Functions the file calls, and in no loop, directly or through their callers (`strelDisk(disk, 5)` before the frame loop). */
  outsideLoops: ReadonlySet<string>;
  /** Host functions of the file that launch kernels or copy to or from the device (`gain(...)`: upload, launch, copy back). */
  deviceWork: ReadonlySet<string>;
  /** Symbols the file's kernels read as `__constant__` memory (at most 64 KB), or that none of its functions reads. */
  constantSymbols: { has(name: string): boolean };
  /** Host functions of the file with a loop of their own (`dist(p1, p2, dim)` over `dim` coordinates). */
  looping: ReadonlySet<string>;
  /**
   * Loop-free functions of the file that call libm (`static float sigmoidf(float v) { return 1 / (1 + expf(-v)); }`): the
   * call each leaves where it is inlined, and the parameters (by position) its arguments read.
   */
  libmHelpers: ReadonlyMap<string, { call: string; reads: readonly number[] }>;
  /** Functions of the file that run a matrix product (runsProduct). */
  products: ReadonlySet<string>;
  /** The file's call sites by callee (besideProduct). */
  sites: Sites;
  /** Kernels of the file whose threads each run a loop of their own over a run-time or long count (blockPerItem). */
  loopingKernels: ReadonlySet<string>;
}

interface Reason {
  message: string;
  detail: string;
  confidence: RuleFinding['confidence'];
  assumptions: string[];
  benefit: string;
  /** Loops with the same cause (the prolongation stencil's eight stride-2 walks of one grid) share one finding. */
  cause?: string;
}

const REDUCTION_BENEFIT =
  'on this workplace\'s x86-64 (gcc 12 -O3, one thread), a float sum ran 3.5–4.7x faster with `#pragma omp simd reduction` or -ffast-math (plain -O3 reports the loop "vectorized" but adds serially)';
const MAX_BENEFIT =
  'on this workplace\'s x86-64 (gcc 12 -O3, one thread), a float max over 4,096 elements ran 4–5x faster with `#pragma omp simd reduction(max:m)` or -ffinite-math-only -fno-signed-zeros, 8–10x with -march=x86-64-v3';
const FINITE_MATH = 'assumes the file is built without -ffast-math, or -ffinite-math-only with -fno-signed-zeros (none in the default target of a Makefile, nor in a CMakeLists.txt, setup.py or compile_commands.json from its folder up to the workspace root): with them the compiler may take a float max in vector lanes';
/** A running max or min (`if (x[i] > m) m = x[i];`), not a sum. */
const extremum = (r: { op: string }) => r.op === 'max' || r.op === 'min';
const FAST_MATH = 'assumes the file is built without -ffast-math / -fassociative-math (none in the default target of a Makefile, nor in a CMakeLists.txt, setup.py or compile_commands.json from its folder up to the workspace root); with them the compiler may reorder a sum in a local itself';

/** A function named for preparing a table (`buildDCT`, `design_lowpass`, `updateGaussian`, `make_kernel`). */
const PREPARES = /^(?:build|design|make|init|setup|set_?up|create|gen|generate|update|precompute|prepare|fill)(?:_|[A-Z]|$)/;

/**
 * A sum over an array that a deeper nest of the function also walks (the triangular solves after an LU factorization,
 * O(n²) beside its O(n³); a column norm beside the update that sweeps the matrix for every column): a sliver of the
 * function's work. Loops of a few constant trips add no depth; the deeper nest must read its elements again.
 */
function besideDeeperNest(fn: FunctionFacts, l: LoopFact, loads: readonly AccessFact[]): boolean {
  const byId = new Map(fn.loops.map((x) => [x.id, x]));
  const long = (id: number) => (byId.get(id)?.trips ?? Infinity) > SHORT_SUM;
  const sized = (a: AccessFact) => a.loops.filter(long).length;
  // (a nest that reads the elements again: a long loop around the access that its index does not move with, as LU's
  // `A[i][k]` under `j`; a 2-D fill of the same pixels a flat sum reads once is as much work as the sum)
  // (a loop the index moves with only through where an inner loop starts, `j = k + 1` of a trailing update, moves it no more)
  const rereads = (r: AccessFact) => r.loops.some((id) => {
    const outer = byId.get(id);
    if (!outer || !long(id)) return false;
    const moves = r.indices.filter((p) => p.dependsOn((x) => x === outer.symbol));
    if (!moves.length) return true;
    const starts = r.loops.map((m) => byId.get(m)).filter((m): m is LoopFact => !!m && m !== outer && !!m.init?.dependsOn((x) => x === outer.symbol));
    return moves.every((p) => starts.some((m) => p.coefficient(outer.symbol).equals(p.coefficient(m.symbol))));
  });
  if (loads.some((a) => fn.accesses.some((r) => r.array === a.array && !r.loops.includes(l.id) && sized(r) > sized(a) && rereads(r)))) return true;
  // (or short constant loops whose product rereads the elements many times: a 5x5 filter's gradient, `d_conv[f][y][x]`
  // under `ky` and `kx`, beside the bias gradient's sum of the same `d_conv`: 25 times its work)
  // (loops the sum shares, a time loop around both nests, repeat both alike)
  const trips = (id: number) => byId.get(id)?.trips ?? Infinity;
  const repeats = (r: AccessFact, a: AccessFact) => r.loops.filter((id) => !a.loops.includes(id) && !r.indices.some((p) => p.dependsOn((x) => x === byId.get(id)?.symbol)))
    .reduce((n, id) => n * trips(id), 1);
  // (of the array the sum walks, not a broadcast operand or its accumulator, `tmp[i]` beside atax's second nest)
  const walked = (a: AccessFact) => a.indices.some((p) => p.dependsOn((x) => x === l.symbol));
  // (a read that walks the array itself, its index known: `flat[p++] = ...` filling it is no re-read)
  const rewalks = (r: AccessFact) => r.kind === 'load' && !r.indices.some((p) => p.unknown) && r.loops.some((id) => r.indices.some((p) => p.dependsOn((x) => x === byId.get(id)?.symbol)));
  // (many times more than the sum's own nest reads them: two mat-vecs of one vector, `x[i] += A[i][j] * y[j]` and
  // `w[i] += B[i][j] * y[j]`, each read y n times, and neither is a sliver of the other)
  // (loops both nests share, a batch loop around them, repeat both alike: left out of both counts)
  const own = (a: AccessFact, r: AccessFact) => {
    const n = a.loops.filter((id) => id !== l.id && !r.loops.includes(id) && !a.indices.some((p) => p.dependsOn((x) => x === byId.get(id)?.symbol))).reduce((n, id) => n * trips(id), 1);
    return Number.isFinite(n) ? n : 1;
  };
  if (loads.some((a) => walked(a) && fn.accesses.some((r) => r.array === a.array && !r.loops.includes(l.id) && rewalks(r) && Number.isFinite(repeats(r, a)) && repeats(r, a) > SHORT_SUM * own(a, r)))) return true;
  // (or a sibling nest over the same range with a long loop inside it, `x < N` around `y < K` beside the sum's `x < N`:
  // a particle filter's likelihoods beside the sum of its weights, K times the work of the sum)
  const bound = l.bound?.replace(/\s+/g, '');
  return !!bound && fn.loops.some((m) => m.id !== l.id && m.parent === l.parent && m.bound?.replace(/\s+/g, '') === bound &&
    fn.loops.some((c) => c.parent === m.id && long(c.id)));
}

/**
 * A loop that fills a table of coefficients from its indices alone (`k[i + r] = expf(-i * i / s2)`, a DCT
 * basis, FIR taps): set-up of O(taps) beside the pass that reads them. The table is read by another loop nest
 * of the function, copied to the device (`cudaMemcpyToSymbol`), or the function is named for preparing it; or the
 * loop only stores, in a function no loop repeats (the file calls it in no loop, nor do its callers' callers).
 */
function coefficientTable(fn: FunctionFacts, l: LoopFact, inLoop: readonly AccessFact[], stores: readonly AccessFact[], neverRepeated: boolean): boolean {
  const tables = new Set(stores.map((a) => a.array));
  if (!stores.length || inLoop.some((a) => a.kind === 'load' && !tables.has(a.array))) return false;
  // (or, filled from its indices alone, by a function no loop repeats: a structuring element's disk made before the
  // frame loop; an in-place pass, `a[i] *= expf(-a[i])`, is work)
  if (neverRepeated && inLoop.every((a) => a.kind === 'store')) return true;
  const readByNest = [...tables].every((t) => fn.accesses.some((a) => a.kind === 'load' && a.array === t && a.loops.length >= 2 && !a.loops.includes(l.id)));
  const copiedToDevice = [...tables].every((t) => fn.calls.some((c) => /^cudaMemcpy(?:ToSymbol)?(?:Async)?$/.test(c.name) && c.argRoots.includes(t)));
  return readByNest || copiedToDevice || PREPARES.test(fn.name);
}

function reasonFor(fn: FunctionFacts, l: LoopFact, file: SimdFile, walked: ReadonlySet<string>): Reason | null {
  // a loop whose steps call a function of the file that runs device work (`change += gain(...)`, each call an upload,
  // a launch and a copy back): the GPU round trips are its time, and no SIMD spans them
  if (fn.calls.some((c) => c.kind === 'call' && c.loops.includes(l.id) && file.deviceWork.has(c.name))) return null;
  // a loop whose steps call a function of the file with a loop of its own (`myhiz += dist(p[kk], p[0], dim) * w`): the
  // callee's loop does the work and is where SIMD goes (reported there); vectorizing this one is outer-loop SIMD
  if (fn.calls.some((c) => c.kind === 'call' && c.loops[c.loops.length - 1] === l.id && file.looping.has(c.name))) return null;
  const { constants, build, local, hot, elsewhere, defaults } = file;
  // a loop that can `return` or `goto` out has no trip count on entry: compilers leave it scalar whatever its body
  if (l.exits) return null;
  // a loop that launches kernels or copies to or from the device drives the GPU (a training loop adding up each
  // batch's loss): its steps are runtime calls, no SIMD lanes to fill
  if (fn.calls.some((c) => (c.kind === 'launch' || c.kind === 'copy' || c.kind === 'sync') && c.loops.includes(l.id))) return null;
  // a call the compiler cannot see through (`getNormallyDistributedRandomNumber()`, `std::swap` on two
  // elements, a getter from another file) keeps the loop scalar whatever else it does: our advice would not change that
  // (and so does a function another file defines, or a random-number object's draw, `dist(gen)`)
  // (a method of a class the file defines, `W.cols()` of its `Matrix`, is seen and inlined as the file's functions are)
  const method = (c: CallFact) => c.name.replace(/^.*(?:\.|->|::)/, '');
  if (fn.calls.some((c) => c.kind === 'call' && c.loops[c.loops.length - 1] === l.id && !local.has(c.name) && !(c.scope && local.has(method(c))) && (elsewhere.has(c.name) || (OPAQUE_CALL.test(c.name) && !INLINE_CALL.test(method(c)))))) return null;
  const v = l.variable ? `\`${l.variable}\`` : 'inner';
  const inLoop = accessesIn(fn, l);
  // a loop filling a table the function then copies to `__constant__` memory (a symbol the file's kernels read as
  // constant memory, at most 64 KB) and nowhere else: the per-item constants of a pricing lattice, made from input records;
  // microseconds of set-up before the kernel that reads them
  const stored = new Set(inLoop.filter((a) => a.kind === 'store').map((a) => a.array.replace(/[.[].*$/, '')));
  const toConstant = (t: string) => fn.calls.some((c) => /^cudaMemcpyToSymbol(?:Async)?$/.test(c.name) && c.argRoots[1] === t && file.constantSymbols.has(c.argRoots[0] ?? '')) &&
    !fn.calls.some((c) => /^cudaMemcpy(?:Async)?$/.test(c.name) && c.argRoots.includes(t));
  if (stored.size && [...stored].every(toConstant)) return null;
  // a loop run once before the function's loop of launches, filling what it then uploads (Rodinia srad's `J[k] =
  // exp(I[k])` before `niter` steps on the GPU): set-up, microseconds beside the device's iterations
  const deviceSteps = fn.loops.some((m) => m.id !== l.id && m.range.start.line > l.range.end.line && fn.calls.some((c) => c.kind === 'launch' && c.loops.includes(m.id)));
  const uploaded = [...stored].some((t) => fn.calls.some((c) => c.kind === 'copy' && c.args.some((a) => /HostToDevice/.test(a)) && c.argRoots[1] === t));
  if (l.parent === null && deviceSteps && uploaded) return null;
  const loads = inLoop.filter((a) => a.kind !== 'store');
  // (a `simd` reduction clause lets the compiler reorder the sum; `omp parallel for reduction(+:s)` only splits the
  // range over threads, each of which still adds its share in source order: gcc keeps those adds scalar)
  const declared = l.pragmas.some((p) => /\breduction\s*\(/.test(p) && (/\bsimd\b/.test(p) || !/^omp\b/.test(p)));
  // a sum over data the loop loads (a loop summing values it computes, `w += expf(...)`, is not a stream)
  const summing = !declared && loads.length > 0;
  // the thread-level reduction pragma the loop has, without `simd` (`parallel for reduction(+ : s)`)
  const threads = l.pragmas.map((p) => /^omp\s+((?:parallel\s+)?for\b.*\breduction\s*\(.*)$/.exec(p)?.[1]).find((p) => p !== undefined);
  // a sum over a few constant-trip loops (`s` over `c < 3`, a 3x3 window) is unrolled whole: nothing to vectorize
  const byId = new Map(fn.loops.map((x) => [x.id, x]));
  const length = (depth: number) => {
    let n = 1;
    for (let cur: LoopFact | undefined = l; cur && cur.depth >= depth; cur = cur.parent === null ? undefined : byId.get(cur.parent)) {
      const t = mostTrips(cur, fn.loops, constants);
      if (t === null) return null;
      n *= t;
    }
    return n;
  };
  // (a sum over the classes or threads, `k < num_class_`, is as short)
  // (and a `#pragma unroll` loop over a template parameter, `i < NDim`, is a compile-time few)
  const unrolledItems = l.bound !== null && fn.templateParams.includes(l.bound.trim()) && l.pragmas.some((p) => /^unroll\b/.test(p));
  // (a sum into the expected result a GPU's is checked against, `ref += h[i]`: the reference, summed once, in order on purpose)
  // (not a scan, whose running value the loop stores each step: no reduction clause vectorizes that)
  const few = countsFewItems(l.bound);
  // (nor a sum comparing a result with the expected one, `tmp = reference[i] - h_C[i]; diff += tmp * tmp`: the check, once)
  // (in a function that drives the GPU, launching or copying: a motion search's SSD over its `ref` frame is the work)
  const drivesDevice = fn.calls.some((c) => c.kind === 'launch' || c.kind === 'copy' || /^cu(?:LaunchKernel|Memcpy\w*)$/.test(c.name));
  const checksExpected = l.parent === null && drivesDevice && loads.some((a) => isExpectedOutput(a.array));
  const sums = few || unrolledItems || checksExpected ? [] : (l.reductions ?? []).filter((r) => isFloat(r.type, fn, defaults) && (length(r.declaredDepth) ?? Infinity) > SHORT_SUM && !isExpectedOutput(r.variable) && !r.readInLoop);
  // four or more accumulators (`c_00 += a_0 * b_0; c_01 += ...`) are a register tile: its parallelism is across them
  // (running extrema, the corners of a bounding box, are no tile)
  const tile = new Set(sums.filter((r) => !extremum(r)).map((r) => r.variable)).size >= 4;
  if (tile) return null; // blocked by hand
  // built with -Ofast / -ffast-math: the compiler reorders a sum in a local itself (one through memory stays scalar: aliasing)
  // loads through loaded indices (`label_gain_[label[sorted_idx[j]]]`) or stores to them: gathers and
  // scatters keep the loop scalar whatever the sum's order, so the sum is not what to change
  const indirect = inLoop.some((a) => a.indices.some((p) => p.unknown));
  // `entropy -= p * logf(p)`, `sum += powf(x[i], t)`: the libm call keeps the loop scalar under default flags
  // (glibc's vector math needs -ffast-math), so declaring the reduction would not vectorize it either
  const libmBound = fn.calls.some((c) => c.kind === 'call' && c.loops[c.loops.length - 1] === l.id && libmLeft(c, !!build.noMathErrno));
  // a sum loop no other loop repeats (not nested, in a function the file calls, but in no loop) runs once per call
  // of its caller: O(n) beside what the caller does (a weight normalization before the averaging), rarely the hot spot.
  // (a function the file does not call is API: its callers are elsewhere)
  // (nor is a sum over results just copied back from the GPU, `cudaMemcpy(cpu_losses, d_losses, ...)` then the mean
  // of the losses: bookkeeping beside the device work the function launched)
  const repeated = (l.parent !== null || hot.get(fn.name) !== false) && !sumsReadBack(fn, l, loads) && !besideDeeperNest(fn, l, loads);
  // (a filter's taps, a sum over a few constant loops whose own runs a constant few steps, a 5x5 window's 25: unrolled
  // whole, SIMD lanes would go across the loop around it; a sum that also runs over a channel loop of run-time
  // length is long, and still one)
  const fewSteps = (constantTrip(l, constants) ?? Infinity) <= FEW_STEPS;
  // (there must be a loop around the taps in the function, over the outputs: a lone 8x8 block sum has none)
  const taps = (r: { declaredDepth: number }) => fewSteps && r.declaredDepth > 0 && (length(r.declaredDepth) ?? Infinity) <= FILTER_TAPS;
  // (a max vectorizes with -ffinite-math-only -fno-signed-zeros alone; a sum first where the loop has both)
  // (a 2-D filter window's taps of a run-time width, `r < R` around `s < R` over `in[... + ow + s]`: the lanes go across
  // the outputs; a 1-D `window` of a moving average may be thousands of samples long)
  const windowLoop2 = (x: LoopFact | undefined) => !!x && filterLoop(x, fn.loops, fn.accesses);
  const filterTaps = windowLoop2(l) && (windowLoop2(byId.get(l.parent ?? -1)) || fn.loops.some((c) => c.parent === l.id && windowLoop2(c)));
  const scalar = repeated && summing && !tile && !build.fastMath && !indirect && !libmBound && !filterTaps
    ? sums.find((r) => !extremum(r) && !taps(r)) ?? sums.find((r) => !build.finiteMath && extremum(r) && !taps(r)) : undefined;
  // (a triangle's side in a small block, `k < i` under `i < 16`: at most 16 steps, nothing for SIMD lanes to share)
  const short = constantTrip(l, constants) === null && (mostTrips(l, fn.loops, constants) ?? Infinity) <= SHORT_SUM;
  const memory = repeated && summing && !tile && !indirect && !few && !short ? memoryReduction(fn, l, inLoop, defaults) : null;
  const strided = scalar || memory || loads.length >= 2 ? stridedAccess(l, inLoop) : null;
  // (one cause, one finding: a sum whose loop walks a column memory/uncoalesced-access reports is that finding's; SIMD
  // over this loop would gather the column, and the interchange it advises leaves a unit-stride loop with no sum inside)
  if ((scalar || memory) && inLoop.some((a) => walked.has(at(a.range)))) return null;
  // (every element the sum reads a row or more from the last, `low += wm[j * stride + c]`: a cache line a step, which
  // the column walk costs whatever the adds do; no SIMD to gain, the layout or a loop outside is the fix. A row is a
  // stride of 16 elements or more, a run-time one that is no increment a BLAS caller may pass as 1, `incx`, or a 2-D
  // array's row where its declaration makes it 16 or more: not `img[i][0]` of `float (*img)[4]` RGBA pixels)
  const moving = loads.filter((a) => a.indices.some((p) => p.dependsOn((x) => x === l.symbol)));
  const rowApart = (a: AccessFact) => {
    if (a.indices.length > 1) {
      if (a.indices.some((p) => p.unknown) || a.indices[a.indices.length - 1].dependsOn((x) => x === l.symbol) || !a.indices.slice(0, -1).some((p) => p.dependsOn((x) => x === l.symbol))) return false;
      const param = fn.params.find((p) => p.name === a.array);
      const row = param?.dimValues?.at(-1) ?? constantValue(param?.dimTexts?.at(-1) ?? null, constants);
      return row !== null && row >= 16;
    }
    if (a.indices[0].unknown) return false;
    const c = a.indices[0].coefficient(l.symbol);
    if (c.isConstant) return Math.abs(c.constant) >= 16;
    return !c.unknown && ![...c.symbols()].some((x) => /^inc|inc$/i.test(x));
  };
  const columnOnly = (scalar || memory) && moving.length > 0 && moving.every(rowApart);
  if (columnOnly) return null;
  const walk = strided ? ` It also reads \`${oneLine(strided.text)}\` ${stride(strided, l)} apart per step, which only gathers could vectorize.` : '';
  if (scalar && extremum(scalar)) {
    return {
      message: `the ${v} loop keeps a running ${scalar.op} in \`${scalar.variable}\` (\`${scalar.type}\`): gcc and clang compare one element at a time, no SIMD`,
      detail: detail(
        `Lanes taking the ${scalar.op} in another order may treat NaNs and signed zeros differently from the source's comparisons, so without -ffinite-math-only and -fno-signed-zeros the compiler leaves the ${v} loop scalar.${walk}`,
        `Declare the reduction (\`#pragma omp simd reduction(${scalar.op}:${scalar.variable})\`, built with -fopenmp-simd), or build with -ffinite-math-only -fno-signed-zeros (part of -ffast-math) if the data hold no NaNs.`,
      ),
      confidence: 'likely',
      assumptions: [FINITE_MATH, ...aliasAssumptions(scalar.type, fn, defaults)],
      benefit: MAX_BENEFIT,
    };
  }
  if (scalar) {
    return {
      message: `the ${v} loop sums \`${scalar.variable}\` (\`${scalar.type}\`) in source order: one element at a time, no SIMD`,
      detail: detail(
        `Without reassociation the compiler adds one element at a time, so the ${v} loop does not vectorize (or vectorizes only its loads).${walk}`,
        threads
          ? `Its \`#pragma omp ${threads}\` splits the range over threads, each of which still adds in source order: make it \`#pragma omp ${threads.replace(/\bfor\b/, 'for simd')}\` so each thread's share is vectorized too.`
          : `Declare the reduction (\`#pragma omp simd reduction(${scalar.op[0]}:${scalar.variable})\`, built with -fopenmp-simd) or keep several partial sums.`,
      ),
      confidence: 'likely',
      assumptions: [FAST_MATH, ...aliasAssumptions(scalar.type, fn, defaults)],
      benefit: REDUCTION_BENEFIT,
    };
  }
  if (memory) {
    const t = oneLine(memory.text);
    return {
      message: `the ${v} loop sums into \`${t}\` through memory, in source order: the loop stays scalar`,
      detail: detail(
        `The ${v} loop accumulates into \`${t}\`, which it does not move: the sum goes through memory in source order (and \`${memory.array}\` may alias the arrays it reads).${walk}`,
        'Accumulate in a local variable under `#pragma omp simd reduction(+:acc)` and store it once after the loop.',
      ),
      confidence: 'likely',
      assumptions: [FAST_MATH, ...aliasAssumptions(memory.elemType ?? '', fn, defaults)],
      benefit: REDUCTION_BENEFIT,
    };
  }
  // a loop of a few constant iterations (`j < 2` over a 2x2 block) is unrolled, not vectorized: its own
  // accesses say nothing (a filter window's computed index below is about the loops around it)
  // (and so is a filter's, `j < kernel_w`: a few taps, whose strides the pixel loop around them decides)
  // (or one whose bound caps it at a few, `i < min((blk + 1) * block_length, nelr)` with blocks of 1)
  const tiny = (constantTrip(l, constants) ?? l.maxTrips ?? Infinity) <= TINY_TRIP || countsFewItems(l.bound) || filterBound(l.bound);
  // a short constant stride (`rgb[3 * i + c]`, an array of structures)
  // every field of records of 8 or more is read (`w[8*k]` ... `w[8*k + 7]`): contiguous blocks, not interleaved fields
  // (three channels of a pixel, read whole, still want a structure of arrays; two fields are a cheap shuffle, below)
  const groupSize = strided ? Math.abs(strided.indices[strided.indices.length - 1].coefficient(l.symbol).constant) : 0;
  // (or a loop unrolled by hand, `i += 4` over `v[i]` ... `v[i + 3]` on every array it touches: a contiguous copy or transform)
  // (accesses the loop does not move, a local `up[0]` the unrolled body keeps its values in, have no stride to cover)
  const moves = (a: AccessFact) => a.indices.some((p) => p.dependsOn((x) => x === l.symbol));
  const unrolledByHand = !!strided && groupSize >= 2 && inLoop.every((a) => !moves(a) || coversAllResidues(a, groupSize, inLoop));
  // (and pairs read whole, `xy[2*i]` and `xy[2*i + 1]` of points or complex numbers: gcc and clang load two vectors and
  // de-interleave them with one shuffle each)
  const wholeGroups = !!strided && (((groupSize >= 8 || groupSize === 2) && coversAllResidues(strided, groupSize, inLoop)) || unrolledByHand);
  // (nor a loop that turns the records into a structure of arrays, every field into an array of its own, in a function
  // called once, outside any loop: the set-up conversion that removes the interleaving)
  const written = inLoop.filter((a) => a.kind !== 'load');
  const unitStep = (a: AccessFact) => { const c = a.indices[a.indices.length - 1]?.coefficient(l.symbol); return !!c && c.isConstant && c.constant === 1; };
  // (a copy: no more field loads from the records than stores, each into its own array; the rest set, `ax[i] = 0`)
  const fieldLoads = inLoop.filter((a) => a.kind === 'load');
  const soaConversion = !!strided && strided.kind === 'load' && file.outsideLoops.has(fn.name) && new Set(written.map((a) => a.array)).size === written.length &&
    written.length >= 2 && written.every(unitStep) && fieldLoads.length <= written.length && fieldLoads.every((a) => a.array === strided.array);
  if (strided && !tiny && !wholeGroups && !soaConversion && shortStride(strided, l)) {
    return {
      message: `the ${v} loop ${strided.kind === 'store' ? 'writes' : 'reads'} \`${oneLine(strided.text)}\` ${stride(strided, l)} apart per step: interleaved data, scalar or shuffled ${strided.kind === 'store' ? 'stores' : 'loads'}`,
      detail: detail(
        'SIMD loads need consecutive elements, so the compiler leaves the loop scalar or shuffles each vector together from several loads.',
        'Store the fields as separate arrays (structure of arrays), or load whole groups and de-interleave them explicitly.',
      ),
      confidence: 'likely',
      assumptions: ['assumes the groups are as large as the stride (every field of a record is read)'],
      cause: `interleaved|${strided.array}|${strided.kind}|${stride(strided, l)}`,
      benefit: 'unit-stride loads let the loop use full-width SIMD loads; how much that buys depends on the arithmetic per element (not measured here for this pattern)',
    };
  }
  // a column walk with a loop outside that moves the contiguous index: memory/uncoalesced-access
  // advises the interchange for the cache; here, what it does to SIMD
  const across = strided ? contiguousOuter(fn, l, strided) : null;
  // (one cause, one finding: where memory/uncoalesced-access reports a walk of this loop, under any of its accesses
  // (it names a loop it folds into another finding by that loop's first access), its interchange is the advice)
  // (a tile's column loop, `j < BLK` under `jj += BLK`: a blocked transpose, strided on one side whichever loop is inside)
  const tileColumns = !!across && loopAndAncestors(fn, across).slice(1).some((o) => pointLoopOf(across, o));
  // (a register tile kept in a local array, `result[ibt] += inp[(obt + ibt) * C + i] * w` for a constant 8 `ibt`: the
  // compiler unrolls it whole, and the loop around it is the one that vectorizes)
  const accumulators = (constantTrip(l, constants) ?? Infinity) <= 16 && inLoop.some((a) => a.kind !== 'load' && a.declaredUnder !== undefined &&
    a.indices.length === 1 && a.indices[0].equals(Poly.sym(l.symbol)));
  // (so is a column loop of a few steps its own code fixes, `k < N_OUT` with `#define N_OUT 10`, that only reads, under
  // the loop that walks the rows' contiguous index: gcc unrolls it whole and vectorizes that outer loop, every access
  // unit-stride there; one that stores each step, `out[(obt + ibt) * OC + o] +=`, sums through memory)
  const bound = l.bound?.trim() ?? '';
  // (and rows a constant apart, `w2[k][j]` of a `[N_OUT][N_HID]` array: one range the compiler checks for aliasing; rows
  // a run-time `w` apart, a vertical filter's `img[(y + k) * w + x]`, are one check a step, past its limit)
  const fewTrips = (/^\d+$/.test(bound) || constants.has(bound)) && (constantTrip(l, constants) ?? Infinity) <= 16 && inLoop.every((a) => a.kind === 'load') &&
    !!strided && !!strided.indices[strided.indices.length - 1] && (strided.indices.length > 1 || strided.indices[0].coefficient(l.symbol).isConstant);
  // (nor a walk that is a sliver of the function's work beside a deeper nest, an LU's pivot column: see minorWalk)
  if (strided && across && !tiny && !short && !tileColumns && !accumulators && !fewTrips && !inLoop.some((a) => walked.has(at(a.range))) && !minorWalk(fn, strided, l, transposePartner(fn, strided, l, across))) {
    return {
      message: `the ${v} loop ${strided.kind === 'store' ? 'writes' : 'reads'} \`${oneLine(strided.text)}\` ${stride(strided, l)} apart per step: no SIMD ${strided.kind === 'store' ? 'stores' : 'loads'}, the loop stays scalar`,
      detail: detail(
        `Each SIMD lane would need its own ${strided.kind === 'store' ? 'store' : 'load'}, so the compiler leaves the loop scalar.`,
        `Once \`${across.variable}\` is the innermost loop this access is unit-stride, and the loop can use full-width SIMD ${strided.kind === 'store' ? 'stores' : 'loads'}.`,
      ),
      confidence: 'likely',
      assumptions: ['assumes row-major arrays and that the loops can be interchanged (no dependence carried across them)'],
      benefit: 'the interchange itself is memory/uncoalesced-access\'s win (27–40x on a 1024³ fp32 matmul on this workplace\'s x86-64); full-width SIMD comes on top of it in the interchanged loop',
    };
  }
  const stores = inLoop.filter((a) => a.kind !== 'load');
  // (-fno-math-errno frees `sqrt` only: `exp`, `tanh` still need -ffast-math's vector math library)
  // (nor over a handful of constant steps, a softmax over 10 classes: a few calls beside the work that made them)
  // (nor where every store is a scatter, `m[x * dimY * dimZ + y * dimZ + z] = 1` a run-time stride apart: that, not errno,
  // keeps the loop scalar; a constant stride, `out[2 * i]` and `out[2 * i + 1]`, the compiler interleaves)
  const constantStride = stores.some((a) => a.indices[a.indices.length - 1]?.coefficient(l.symbol).isConstant === true);
  // (or a sum of one in a loop that is run again and again, `sum += expf(x[i] - max)` of a softmax: the call, not the
  // sum's order, keeps it scalar, and -ffast-math frees both)
  // (a call on the loop's own values: `expf(beta)` the same every step is hoisted by hand, no vector math library needed)
  const libmSum = !stores.length && repeated && summing && !tile && !indirect;
  const onLoopValues = (c: { args: readonly string[] }) => !libmSum || (!!l.variable && c.args.some((x) => new RegExp(`\\b${l.variable}\\b`).test(x)));
  // (and never a `sqrt` or `tanh` on the function's scalar parameters alone, `sqrt(float_n)` of PolyBench's correlation:
  // gcc hoists it out of the loop, which then vectorizes; `expf(-decay * epoch)`, `log`, `pow` may set errno and stay
  // in the loop, checked with gcc 12 -O3 -fopt-info-vec)
  const scalarParams = new Set(fn.params.filter((p) => !p.pointer && !p.rank && !p.extentText && !l.assignsParams?.includes(p.name)).map((p) => p.name));
  const literalsOut = (x: string) => x.replace(NUMBER, ' ');
  const onParamsAlone = (c: { name: string; args: readonly string[] }) => /^(?:sqrt|tanh)f?$/.test(c.name) && c.args.length > 0 &&
    c.args.map(literalsOut).every((x) => !/[[\]()]|->|\./.test(x) && (x.match(/[A-Za-z_]\w*/g) ?? []).every((id) => scalarParams.has(id)));
  const libm = ((stores.length && constantStride) || libmSum) && !tiny && (constantTrip(l, constants) ?? Infinity) > SHORT_SUM && !build.fastMath && !coefficientTable(fn, l, inLoop, stores, file.outsideLoops.has(fn.name))
    ? fn.calls.find((c) => c.kind === 'call' && c.loops[c.loops.length - 1] === l.id && onLoopValues(c) && !onParamsAlone(c) &&
      // (a helper on the loop's own values: `he_init(r, fan_in)` the same every step is hoisted once inlined)
      (libmLeft(c, !!build.noMathErrno) || (!!l.variable && !!file.libmHelpers.get(c.name)?.reads.some((i) => new RegExp(`\\b${l.variable}\\b`).test(c.args[i] ?? '')))))
    : undefined;
  if (libm) {
    // (through a helper the compiler inlines, `sigmoidf(z[i])` calling `expf`: the call it leaves in the loop)
    const inner = file.libmHelpers.get(libm.name)?.call;
    const called = inner ? `\`${libm.name}\` (its \`${inner}\`)` : `\`${libm.name}\``;
    const name = inner ?? libm.name;
    // `sqrt` is one instruction once errno is off; the others need a vector math library, errno or not
    const root = /^sqrtf?$/.test(name);
    return {
      message: root
        ? `the ${v} loop calls ${called}, which may set errno: gcc and clang keep the loop scalar`
        : `the ${v} loop calls ${called}, which gcc and clang vectorize only with a vector math library: the loop stays scalar`,
      detail: detail(
        root
          ? `gcc and clang do not vectorize \`${name}\` under default flags, because it may set errno.`
          : `gcc and clang have no vector \`${name}\` of their own: under default flags (and with -fno-math-errno alone) the loop calls it one element at a time.`,
        root
          ? 'Build with -fno-math-errno (or -ffast-math), or add `#pragma omp simd`.'
          : `Build with -ffast-math and a vector math library (glibc libmvec on x86-64, or SLEEF), or compute \`${name}\` with a polynomial approximation the loop can vectorize.`,
      ),
      confidence: 'likely',
      assumptions: [root
        ? 'assumes the default -fmath-errno (no -Ofast, -ffast-math or -fno-math-errno in the default target of a Makefile, nor in a CMakeLists.txt, setup.py or compile_commands.json from its folder up to the workspace root)'
        : 'assumes no -Ofast or -ffast-math (none in the default target of a Makefile, nor in a CMakeLists.txt, setup.py or compile_commands.json from its folder up to the workspace root)'],
      benefit: 'depends on the call and the flags: a vectorized loop processes 4–16 elements per instruction (not measured here for this pattern)',
    };
  }
  // a filter window (`dx = -1 .. 1`) reading through a clamped or looked-up index
  const window = (constantTrip(l, constants) ?? Infinity) <= 8;
  // (an index function of the file read through, `clampi(x + dx, 0, w - 1)` as its `?:`: computed all the same)
  const computed = (p: Poly) => p.unknown || (p.hasAtoms && [...p.symbols()].some((s) => s.startsWith('#op') && Poly.sym(s).dependsOn((x) => x === l.symbol)));
  const gather = window && !tile && (l.reductions ?? []).some((r) => !extremum(r)) ? loads.find((a) => a.elemBits !== null && a.indices.some(computed)) : undefined;
  if (gather) {
    return {
      message: `the ${v} loop sums loads through a computed index (\`${oneLine(gather.text)}\`): not provably consecutive, scalar`,
      detail: detail(
        'The compiler cannot prove the computed index consecutive, so the loop stays scalar.',
        'Handle the borders (or the lookup) outside the hot loop so that the interior walks consecutive elements, and vectorize across the outer loop.',
      ),
      confidence: 'likely',
      assumptions: ['assumes the computed index (a clamp, a lookup) is consecutive in the interior of the data'],
      benefit: 'depends on the loop: interior code without the computed index can use full-width SIMD loads (not measured here for this pattern)',
    };
  }
  // a neighbour picked by a border test on the loop's variable (`w = x == 0 ? c : c - 1`, a stencil's edge): gcc's
  // data-reference analysis fails on the select, and the loop stays scalar (checked with gcc 12 -fopt-info-vec)
  // (or read only under such a test, `if (n > 0) m = MIN(m, src[n - 1]);`: the load may not run, so the compiler cannot
  // make it unconditional, and the branch keeps the loop scalar; gcc 12: "control flow in loop")
  const selected = !window && !tiny ? loads.find((a) => a.elemBits !== null && a.indices.some((p) => selectsOn(p, l.symbol))) : undefined;
  // (not an element the other arm writes, `if (t2 <= t) att[t2] *= s; else att[t2] = 0.0f;`: every step touches it,
  // so the load can run unconditionally and the branch becomes a select; gcc 12 -O3 vectorizes it)
  const writtenAnyway = (a: AccessFact) => fn.accesses.some((w) => w.kind !== 'load' && w.array === a.array && w.loops.at(-1) === l.id &&
    w.indices.length === a.indices.length && w.indices.every((p, i) => p.equals(a.indices[i])) && neverTogether(w.scopes ?? [], a.scopes ?? []));
  const guarded = !window && !tiny && !selected ? loads.find((a) => a.borderTest && a.elemBits !== null && a.loops.at(-1) === l.id && a.indices.some((p) => p.dependsOn((x) => x === l.symbol)) && !writtenAnyway(a)) : undefined;
  // (beside a twin loop over the same variable the file already vectorizes, `#pragma omp simd` over the interior chunks:
  // this one, in a branch of the same chunk loop, is the border's, peeled off already, a few percent of the iterations)
  const ancestors = (x: LoopFact): number[] => {
    const out: number[] = [];
    for (let p = x.parent; p !== null && p !== undefined; p = fn.loops.find((y) => y.id === p)?.parent ?? null) out.push(p);
    return out;
  };
  const chunkLoops = ancestors(l);
  const peeled = !!l.scopes?.length && fn.loops.some((m) => m.id !== l.id && m.variable === l.variable && m.pragmas.some((p) => /\bsimd\b/.test(p)) &&
    ancestors(m).some((a) => chunkLoops.includes(a)));
  const border = peeled ? undefined : selected ?? guarded;
  if (border) {
    return {
      message: guarded
        ? `the ${v} loop reads \`${oneLine(border.text)}\` only under a border test on \`${l.variable ?? 'the loop variable'}\`: a branch in the loop, scalar`
        : `the ${v} loop reads \`${oneLine(border.text)}\` at an index a border test on \`${l.variable ?? 'the loop variable'}\` picks: not provably consecutive, scalar`,
      detail: detail(
        'The index is a select on the loop\'s own variable (a neighbour clamped at the edge), so the compiler cannot prove consecutive addresses and keeps the loop scalar.',
        'Peel the border iterations out of the loop (the first and the last), so the interior reads its neighbours at fixed offsets (`c - 1`, `c + 1`) and vectorizes.',
      ),
      confidence: 'likely',
      assumptions: ['assumes the interior of the range, without the border test, is most of the iterations'],
      benefit: 'depends on the loop: an interior with fixed neighbour offsets can use full-width SIMD loads (not measured here for this pattern)',
    };
  }
  const params = new Map(fn.params.filter((p) => p.pointer).map((p) => [p.name, p]));
  // only pointers that may alias a stored one count: C's aliasing rules keep `const int *incx` apart from a `double *`
  const storedTypes = new Set(stores.map((a) => params.get(a.array)).filter((p) => p && !p.restrict).map((p) => baseType(p!.type)));
  const pointers = [...new Set(inLoop.map((a) => a.array))].filter((n) => {
    const p = params.get(n);
    return !!p && !p.restrict && [...storedTypes].some((t) => mayAlias(t, baseType(p.type)));
  });
  // a load through a computed index (`val[row_start[r] + k]`) is a gather: aliasing is not what keeps that loop scalar
  const gathers = loads.some((a) => a.indices.some((p) => p.unknown));
  // gcc versions a loop for at most 10 pairs of address ranges to check (`vect-max-version-for-alias-checks`): within
  // that, it vectorizes behind the checks (gemver's one store against four reads: 4 pairs); past it, the loop stays scalar
  const pairs = aliasPairs(inLoop.filter((a) => pointers.includes(a.array)), stores);
  if (pointers.length >= MANY_POINTERS && pairs > ALIAS_CHECKS && !tiny && !gathers) {
    return {
      message: `the ${v} loop goes through ${pointers.length} pointers without \`restrict\`: ${pairs} pairs of address ranges to check for overlap, more than gcc versions a loop for, so no SIMD`,
      detail: detail(
        `The compiler must check each range a stored array covers against those of the others of ${pointers.slice(0, 5).map((n) => `\`${n}\``).join(', ')}${pointers.length > 5 ? ', ...' : ''} for overlap at run time; past ${ALIAS_CHECKS} pairs gcc gives up and leaves the loop scalar.`,
        'If they never overlap, declare them `restrict` (`__restrict__` in C++) or put `#pragma omp simd` on the loop.',
      ),
      confidence: 'heuristic',
      assumptions: ['assumes the arrays never overlap in the callers'],
      benefit: 'on this workplace\'s x86-64, gcc 12 -O3 left a loop of four stores and four loads through eight pointers (22 pairs) scalar and vectorized it once the limit was raised; within the limit it versions the loop, and `restrict` on a saxpy measured no gain',
    };
  }
  return null;
}

/**
 * The pairs of address ranges gcc checks for overlap before a loop: each range a stored array's accesses cover against
 * each of another array's. An array's accesses a constant apart are one range (`a[c]`, `a[c + 1]`); a run-time distance
 * makes another (`hy[c + nx]`, `hy[c - nx]`: a stencil's rows).
 */
function aliasPairs(accesses: readonly AccessFact[], stores: readonly AccessFact[]): number {
  const ranges = new Map<string, Set<string>>();
  for (const a of accesses) {
    const key = a.indices.map((p) => p.sub(Poly.const(p.constant)).key()).join(',');
    (ranges.get(a.array) ?? ranges.set(a.array, new Set()).get(a.array)!).add(key);
  }
  const stored = new Set(stores.map((a) => a.array).filter((n) => ranges.has(n)));
  const arrays = [...ranges.keys()];
  let pairs = 0;
  for (let i = 0; i < arrays.length; i++)
    for (let j = i + 1; j < arrays.length; j++)
      if (stored.has(arrays[i]) || stored.has(arrays[j])) pairs += ranges.get(arrays[i])!.size * ranges.get(arrays[j])!.size;
  return pairs;
}

/** The pointee type without qualifiers (`const double` -> `double`). */
const baseType = (t: string): string => t.replace(/\b(?:const|volatile|restrict|__restrict__|__restrict)\b/g, '').replace(/\s+/g, ' ').trim();
/** Types whose objects may overlap under C's aliasing rules: the same type, or character / void / unknown ones. */
const mayAlias = (a: string, b: string): boolean => a === b || [a, b].some((t) => t === '' || /^(?:(?:un)?signed )?char$|^void$/.test(t));

const at = (r: { start: { line: number; column: number } }): string => `${r.start.line}:${r.start.column}`;


/** One finding per innermost loop of a CPU function that will not vectorize well, loops with one cause sharing it. */
function check(fn: FunctionFacts, file: SimdFile): RuleFinding[] {
  if (fn.isKernel || fn.isDevice || (fn.name === 'main' && !file.mainComputes) || file.references.has(fn.name)) return [];
  if (byHand(fn)) return [];
  const byId = new Map(fn.loops.map((l) => [l.id, l]));
  const simd = (l: LoopFact) => l.pragmas.some((p) => SIMD_PRAGMA.test(p));
  const underSimd = (l: LoopFact): boolean => {
    for (let cur: LoopFact | undefined = l; cur; cur = cur.parent === null ? undefined : byId.get(cur.parent)) if (simd(cur)) return true;
    return false;
  };
  const out: RuleFinding[] = [];
  const reported: LoopFact[] = []; // the loop of each finding in `out`
  const causes: string[] = []; // and its cause, where loops alike share it
  const more: number[] = []; // and how many more loops it stands for
  // the column walks memory/uncoalesced-access reports in this function, by where their access starts
  const walked = new Set(checkCpu(fn).flatMap((f) => [f.range, ...(f.related ?? []).map((r) => r.range)]).map(at));
  const exclusive = (a: LoopFact, b: LoopFact) => neverTogether(a.scopes, b.scopes);
  for (const l of fn.loops) {
    // innermost: no loops inside but a stencil's taps, which are unrolled (the loop around them is the one to vectorize)
    // (a counted `while (j < n) { ...; j++; }` is a for loop written out: a variable, a bound and a unit step)
    const counted = l.kind === 'for' || (l.kind === 'while' && !!l.variable && l.bound !== null && !!l.step?.isConstant && l.step.constant === 1);
    if (!counted || windowLoop(l, fn.loops) || fn.loops.some((c) => c.parent === l.id && !windowLoop(c, fn.loops)) || underSimd(l)) continue;
    if (untunedLoop(fn, l)) continue; // a benchmark's set-up or its check of the results
    if (l.offloaded) continue; // a directive runs it as GPU threads: no CPU SIMD lanes to fill
    if (callsRoutine(fn, l)) continue; // each step calls a routine that does the work (a dispatched micro-kernel)
    // (a single loop, O(n), beside a call of an O(n^2) product that runs as often, or in a function whose every caller
    // calls one: llama2's softmax, RMSNorm and SwiGLU beside the mat-vecs of the same forward, a fraction of its time)
    if (besideProduct(fn, l, file)) continue;
    // (a loop over the items a launch of the same function gives a block each, `i < plan->optionCount` beside
    // `mc<<<plan->optionCount, 256>>>`: a few operations an item on the host beside a block's work an item)
    if (blockPerItem(fn, l, file)) continue;
    const r = reasonFor(fn, l, file, walked);
    if (!r) continue;
    // the same cause in the other arm of an `if` (a weighted and an unweighted twin): one finding, both places
    const twin = out.find((f, k) => f.message === r.message && exclusive(reported[k], l));
    if (twin) {
      (twin.related ??= []).push({ range: l.headerRange, message: 'the same in this loop' });
      continue;
    }
    // the same cause in another loop of the function (one grid walked two apart in eight loops): one finding, counted
    const alike = r.cause ? causes.indexOf(r.cause) : -1;
    if (alike >= 0) {
      (out[alike].related ??= []).push({ range: l.headerRange, message: 'the same in this loop' });
      more[alike]++;
      continue;
    }
    reported.push(l);
    causes.push(r.cause ?? '');
    more.push(0);
    out.push({ range: l.headerRange, function: fn.name, message: r.message, detail: r.detail, confidence: r.confidence, assumptions: r.assumptions, benefit: r.benefit });
  }
  return out.map((f, k) => (more[k] ? { ...f, message: `${f.message} (and ${more[k]} more loop${more[k] > 1 ? 's' : ''} like it)` } : f));
}

export const rule: Rule = {
  id: 'vectorization/cpu-simd',
  languages: ['cpp', 'cuda'],
  defaultSeverity: 'information',
  check: (facts: FileFacts) => {
    const hosts = facts.functions.filter((f) => !f.isKernel && !f.isDevice && f.loops.length > 0);
    if (hosts.length === 0) return [];
    // a SYCL source (`sycl::nd_item`, `sycl::fmax`, SYCLomatic's `dpct::`): its loops run in work-items, or in helpers its
    // kernels call through a template argument (`cpy_blck_f32_q5_1` handed to `cpy_f32_q<cpy_blck, qk>`), which the device
    // compiler vectorizes across work-items
    if (facts.sycl) return [];
    // the plain `#else` twin of a function the file also writes with intrinsics (`#ifdef __SSE__ ... #else ...`): the fallback
    const twins = facts.functions.filter(byHand).map((f) => f.name);
    const references = new Set([...untunedHosts(facts.functions, facts.project, includesCudaSource(facts)), ...checkedByCaller(facts.functions), ...twins]);
    const { constants, key } = fileConstants(facts.lines);
    const refs = [...references].join(',');
    const build = facts.build ?? DEFAULT_BUILD;
    // the file's own functions (and its headers' helpers, seen as calls too) may be inlined into a loop
    const local = new Set(facts.functions.map((f) => f.name));
    const names = [...local].join(',');
    const elsewhere = declaredElsewhere(facts.declaredOnly ?? [], local);
    const hot = calledInLoops(facts.functions);
    // (called in no loop, directly or through the functions that call it: `render_osc` from a `process_block` the
    // stream loop calls repeats with it)
    const outsideLoops = new Set([...calledInLoops(facts.functions, false)].filter(([, repeats]) => !repeats).map(([name]) => name));
    const hotKey = [...hot].map(([k, v]) => `${k}${v ? '+' : '-'}`).join(',');
    const defaults = facts.defaultTypes ?? NO_DEFAULTS;
    const defaultsKey = [...defaults].map(([k, v]) => `${k}=${v}`).join(',');
    const deviceWork = new Set(facts.functions.filter((f) => !f.isKernel && f.calls.some((c) => c.kind === 'launch' || c.kind === 'copy')).map((f) => f.name));
    // (and, for a symbol no function of the file reads, one its headers declare: `__constant__` beside the kernels in a
    // `.cuh`; a `__device__` array the file's kernels read is global memory, no table of 64 KB)
    const readAsConstant = new Set<string>();
    const readOtherwise = new Set<string>();
    for (const f of facts.functions) {
      const { constant, other } = deviceArrays(f);
      for (const a of constant) readAsConstant.add(a);
      for (const a of other) readOtherwise.add(a);
    }
    const constantSymbols = { has: (name: string) => readAsConstant.has(name) || !readOtherwise.has(name) };
    const looping = new Set(facts.functions.filter((f) => !f.isKernel && !f.isDevice && f.loops.length > 0).map((f) => f.name));
    // (math only: a random draw's `rand_r(seed)` beside its `sqrtf`, a state the calls carry, is what keeps that loop scalar)
    // (with the parameters the call reads: `expf(-rate * dt)` of `decay(v, rate, dt)` is hoisted where those do not move)
    const libmHelpers = new Map(facts.functions.flatMap((f) => {
      const calls = f.calls.filter((c) => c.kind === 'call');
      const inner = f.isKernel || f.loops.length || !calls.every((c) => LIBM_CALL.test(c.name) || INLINE_CALL.test(c.name)) ? undefined : calls.find((c) => libmLeft(c, !!build.noMathErrno));
      const reads = inner ? f.params.flatMap((p, i) => (inner.args.some((a) => new RegExp(`\\b${p.name}\\b`).test(a)) ? [i] : [])) : [];
      return inner && reads.length ? [[f.name, { call: inner.name, reads }] as const] : [];
    }));
    const products = new Set(facts.functions.filter((f) => !f.isKernel && !f.isDevice && runsProduct(f)).map((f) => f.name));
    const sites = callSites(facts.functions);
    // (what the calls of the file's looping functions and products pass, which besideProduct compares)
    const passed = [...sites].filter(([name]) => products.has(name) || looping.has(name)).map(([name, at]) => `${name}:${at.map(({ c }) => `${c.args.join(',')}@${c.loops.join('.')}`).join(';')}`).join('|');
    const mainComputes = facts.functions.some((f) => computesInMain(f, facts.functions));
    const fileKey = keptKey(`${mainComputes}|${[...products].join(',')}|${passed}|${[...libmHelpers].map(([k, h]) => `${k}:${h.call}:${h.reads.join()}`).join(';')}|${[...looping].join(',')}|${refs}|${key}|${build.fastMath}${build.noMathErrno}${build.finiteMath ?? false}|${names}|${hotKey}|${[...elsewhere].join(',')}|${defaultsKey}|${[...outsideLoops].join(',')}|${[...deviceWork].join(',')}|${[...readAsConstant].join(',')}|${[...readOtherwise].join(',')}`);
    const loopingKernels = new Set(facts.functions.filter((f) => f.isKernel && f.loops.some((l) => l.trips === undefined || l.trips >= 64)).map((f) => baseName(f.name)));
    const file: SimdFile = { references, constants, build, local, hot, elsewhere, defaults, mainComputes, outsideLoops, deviceWork, constantSymbols, looping, libmHelpers, products, sites, loopingKernels };
    return hosts.flatMap((fn) => checkCached(fn, file, fileKey));
  },
};

/** Call sites of the file's functions by callee name, with their callers (once per functions array). */
type Sites = ReadonlyMap<string, readonly { g: FunctionFacts; c: CallFact }[]>;
const sitesMemo = new WeakMap<readonly FunctionFacts[], Sites>();
function callSites(functions: readonly FunctionFacts[]): Sites {
  let out = sitesMemo.get(functions) as Map<string, { g: FunctionFacts; c: CallFact }[]> | undefined;
  if (out) return out;
  out = new Map();
  for (const g of functions) for (const c of g.calls) if (c.kind === 'call') (out.get(c.name) ?? out.set(c.name, []).get(c.name)!).push({ g, c });
  sitesMemo.set(functions, out);
  return out;
}

/**
 * A call `d` of a product over the loop's length `n` and another, run-time length (`matmul(hb, xb, w1, dim, hidden_dim)`
 * beside a loop to `hidden_dim`): n times a whole dimension of work, beside the loop's n. (A 3x3 product, `matmul(R, a,
 * b, 3)`, is no larger than the loop.)
 */
function productOver(d: CallFact, fn: FunctionFacts, products: ReadonlySet<string>, n: string): boolean {
  if (d.kind !== 'call' || !products.has(d.name) || d.name === fn.name || d.rareIn?.length) return false;
  const args = d.args.map((a) => a.replace(/\s+/g, ''));
  return args.includes(n) && args.some((a) => a !== n && /^[A-Za-z_][\w.>-]*$/.test(a) && !/^(?:[A-Z_0-9]+)$/.test(a));
}

/**
 * Loop `l` (a single loop of `fn`) runs beside a matrix product over its length: one `fn` calls in the same loops and
 * arms, or one every caller of `fn` calls beside it, over the length it passes (a loop over the heads between: llama2's
 * per-layer calls).
 */
/**
 * A loop to the count a launch of the function's gives as its grid, a block an item whose threads each loop over
 * the item's own work (`<<<n, 256>>>` beside `i < n`, the kernel's `for (p = tid; p < pathN; p += blockDim.x)`).
 */
function blockPerItem(fn: FunctionFacts, l: LoopFact, file: SimdFile): boolean {
  const bound = l.bound?.replace(/\s+/g, '');
  return !!bound && l.step?.isConstant === true && l.step.constant === 1 &&
    fn.calls.some((c) => c.kind === 'launch' && c.grid === bound && file.loopingKernels.has(baseName(c.name)) && !!c.blockDims?.length &&
      c.blockDims.every((d) => d !== null) && c.blockDims.reduce<number>((n, d) => n * d!, 1) >= 32);
}

function besideProduct(fn: FunctionFacts, l: LoopFact, file: SimdFile): boolean {
  const n = l.bound?.replace(/\s+/g, '');
  if (!n) return false;
  const around = loopAndAncestors(fn, l).slice(1).reverse().map((x) => x.id).join();
  if (fn.calls.some((d) => d.loops.join() === around && !neverTogether(d.scopes, l.scopes) && productOver(d, fn, file.products, n))) return true;
  // (through the callers: the loop runs to a parameter, and each call passes what the product beside it runs over)
  const at = l.parent === null ? fn.params.findIndex((p) => p.name === n) : -1;
  const sites = at >= 0 ? file.sites.get(fn.name)?.filter(({ g }) => g !== fn) ?? [] : [];
  const fewMore = (g: FunctionFacts, a: readonly number[], b: readonly number[]) => a.length <= b.length && a.every((x, i) => x === b[i]) &&
    b.slice(a.length).every((id) => countsFewItems(g.loops.find((x) => x.id === id)?.bound));
  const beside = (g: FunctionFacts, c: CallFact) => {
    const passed = c.args[at]?.replace(/\s+/g, '');
    return !!passed && g.calls.some((d) => fewMore(g, d.loops, c.loops) && !neverTogether(d.scopes, c.scopes) && productOver(d, g, file.products, passed));
  };
  // (a call in no loop of a caller whose loop makes the same call over the same length beside a product, llama2's final
  // `rmsnorm` after the layer loop: once a token, beside the layers' calls)
  const length = (c: CallFact) => c.args[at]?.replace(/\s+/g, '');
  const onceBesideLooped = (g: FunctionFacts, c: CallFact) =>
    c.loops.length === 0 && sites.some((t) => t.g === g && t.c.loops.length > 0 && length(t.c) === length(c) && beside(t.g, t.c));
  return sites.length > 0 && sites.every(({ g, c }) => beside(g, c) || onceBesideLooped(g, c));
}

/**
 * The file's key (it names every function of the file), the last one's string while its text is the same: each
 * function's cached findings are then matched by reference, not by comparing the whole text again.
 */
let lastKey = '';
const keptKey = (key: string): string => (key === lastKey ? lastKey : (lastKey = key));

const NO_DEFAULTS: ReadonlyMap<string, string> = new Map();

/**
 * The arrays a kernel or device function reads from constant memory, and the others it reads, each once in the order
 * first read (the file's sets of them are made again on every edit: each function's repeats are dropped once).
 */
const deviceArrays = perFacts((f: FunctionFacts) => {
  const constant = new Set<string>();
  const other = new Set<string>();
  if (f.isKernel || f.isDevice) for (const a of f.accesses) (a.space === 'constant' ? constant : other).add(a.array);
  return { constant, other };
});

/** A function's findings read its own facts and its file's (SimdFile), which the key names. */
const checkCached = perFunction((fn: FunctionFacts, file: SimdFile, _key: string) => check(fn, file), (_file, key) => key);
