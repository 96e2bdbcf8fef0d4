// vectorization/vector-memory-access: a memory-bound elementwise kernel whose global
// accesses are unit-stride scalar loads/stores of <= 32-bit elements, aligned so that
// 128-bit accesses (float4, int4, a packed struct) would do (ANALYSIS.md §2).
import { positionBefore } from '../../../core/positions';
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import { tritonVector } from './triton';
import { fixVectorAccess } from './fix';
import { checkNarrowRecords } from './narrow-records';
import { neverTogether, type AccessFact, type FunctionFacts, type LoopFact, type SharedArrayFact } from '../../../core/facts/model';
import { overBlocks, uniformPrologues } from '../../../core/facts/classify';
import type { RuleFinding } from '../../../core/types';
import { Poly, atomDef, bindSymbols, isVarying, loneSymbol, symbolKind } from '../../../core/affine';
import { lanesModuloRuntime, mentionsGridDim, steppedBy, oddPitch, rowOfThreads } from './rows';
import { isReferenceOracle } from '../../common/reference';
import { SAMPLES, constantLaneStride, laneValues, variesAcrossLanes } from '../../../core/lanes';
import { MATH_CALLS } from '../../../core/facts/library';
import { loopsAround } from '../../common/hot-loops';
import { convShape } from '../../common/conv-shape';
import { readsDenseTargets } from '../../common/loss';
import { countsFewItems } from '../../common/few-items';
import { elementBits } from '../../../core/facts/ctypes';
import { judgedBits, narrowestBits, narrowing } from '../../common/element-width';
import { ALONG_Y, turned, warpAlongX } from '../../common/warp-axis';
import { constantTrip } from '../../common/file-constants';

const TID = 'threadIdx.x';
/**
 * Arithmetic per access above which we call a kernel compute-bound and stay quiet. A GPU
 * does ~60 fp32 operations in the time it moves 4 bytes, so even GELU's tanh (counted 8)
 * leaves an elementwise kernel memory-bound; past 24 per access we no longer say so.
 */
const MAX_OPS_PER_ACCESS = 24;

/**
 * Bytes a thread has in flight per step from which 16-byte accesses no longer pay: measured on an
 * H200 (bench/gpu/chunks, results/2026-12-01): one 4-byte load per thread, float4 1.60x; two (8 bytes),
 * 1.27-1.29x; four (16 bytes: `y = a + b + c + d`, AdamW's x, g, m, v), 1.06-1.07x; a thread's own 4
 * consecutive floats as 4 scalars, 1.00x. With that many independent loads in flight the scalar
 * kernel is already near the bandwidth.
 */
const ENOUGH_LOAD_BYTES = 16;
/** Elements below which a block's row gains nothing from 16-byte loads: on an H100, 256 floats 1.02x, 512 1.28x (bench/gpu/chunks/narrow_streams.cu). */
const SHORT_BLOCK_ROW = 512;
/** Elements from which a row is long for a vector rewrite: on an H200 a block per row of 1024 floats ran 2.05x faster with float4. */
const LONG_ROW = 1024;
/** Element widths a wider type packs whole: 1, 2 and 4 bytes. */
const POWER_OF_TWO_BITS = new Set([8, 16, 32]);
/** Threads of a whole grid below which a thread per column has too little parallelism to coarsen (an H200 holds 270,336 at once). */
const FEW_THREADS = 1 << 16;

/**
 * The bytes a thread has in flight per step of its busiest loop (or outside loops): each distinct load
 * once. A store through a pointer that may alias the next loads (neither is `__restrict__`) keeps them
 * behind it: `C[i] = A[i] + B[i]; C[i + 1] = A[i + 1] + B[i + 1]` has 8 bytes in flight at a time, not
 * 16 (measured: float2 still 1.25x there).
 */
function loadBytes(fn: FunctionFacts, accesses: readonly AccessFact[], bitsOf: (a: AccessFact) => number | null): number {
  return Math.max(0, ...loadBytesPerStep(fn, accesses, bitsOf).values());
}

/** `loadBytes` for each step (the loops around, joined), as a map. */
function loadBytesPerStep(fn: FunctionFacts, accesses: readonly AccessFact[], bitsOf: (a: AccessFact) => number | null): Map<string, number> {
  const restrict = (a: AccessFact) => isRestrict(fn, a);
  const perStep = new Map<string, AccessFact[]>();
  for (const a of accesses) {
    const step = a.loops.join();
    if (!perStep.has(step)) perStep.set(step, []);
    perStep.get(step)!.push(a);
  }
  const out = new Map<string, number>();
  // a store's range is its left-hand side, which starts before the loads of its own right-hand side:
  // on one line, the loads go first (an update, `da[i] += dc[i] * s[i]`, loads with them and stores after them)
  type Event = { a: AccessFact; store: boolean };
  const order = (e: Event) => (e.store ? 1 : 0);
  for (const [key, step] of perStep) {
    const events: Event[] = step.flatMap((a) =>
      a.kind === 'store' || a.kind === 'atomic' ? [{ a, store: true }] : a.kind === 'update' ? [{ a, store: false }, { a, store: true }] : [{ a, store: false }]);
    const ordered = events.sort((x, y) => x.a.range.start.line - y.a.range.start.line || order(x) - order(y) || x.a.range.start.column - y.a.range.start.column);
    const groups = new Map<number, Map<string, AccessFact>>(); // stores passed -> load (array and index) -> the load
    const stores: AccessFact[] = [];
    for (const { a, store } of ordered) {
      if (store) {
        stores.push(a);
        continue;
      }
      const behind = stores.filter((st) => !restrict(st) && !restrict(a)).length;
      if (!groups.has(behind)) groups.set(behind, new Map());
      // (by array and index: a helper's accesses seen at its call all carry the call's text)
      groups.get(behind)!.set(`${a.array}|${a.indices.map(String).join(',')}`, a);
    }
    // loads in arms of which one runs (`if (mode) ... a[i] + b[i]; else ... c[i] * d[i]`) are not in flight together:
    // the most any one load's company of loads that may run with it adds up to
    const inFlight = (loads: AccessFact[]) =>
      Math.max(0, ...loads.map((a) => loads.filter((b) => !neverTogether(a.scopes, b.scopes)).reduce((sum, b) => sum + (bitsOf(b) ?? 32) / 8, 0)));
    const bytes = Math.max(0, ...[...groups.values()].map((g) => inFlight([...g.values()])));
    // a short constant-trip loop of loads with no store between them (`for (step < 4) in[step] += x[i + step * stride]`)
    // is unrolled: all its iterations' loads are in flight together
    const inner = fn.loops.find((l) => l.id === step[0].loops[step[0].loops.length - 1]);
    // (kept rolled or left early, the loads wait; ones that do not move with the loop are loaded once)
    const rolled = !inner || inner.exits || inner.pragmas.some((x) => /\bunroll\s*\(?\s*1\s*\)?\s*$/.test(x));
    const moving = step.filter((a) => a.kind !== 'store' && a.indices.some((p) => p.dependsOn((x) => x === inner?.symbol)));
    // (a count a template argument sets, `ii < ILP` launched as `<4>`, is as constant)
    const trips = inner ? constantTrip(inner, new Map(Object.entries(fn.launchValues ?? {}))) : null;
    const unrolled = !rolled && trips && trips > 1 && trips <= MAX_UNROLLED_TRIPS && stores.length === 0 && moving.length ? trips : 1;
    out.set(key, bytes * unrolled);
  }
  return out;
}

/** Trip counts up to which a constant-trip loop is taken as unrolled by the compiler. */
const MAX_UNROLLED_TRIPS = 16;

/** The access is through a `__restrict__` parameter of the kernel. */
const isRestrict = (fn: FunctionFacts, a: AccessFact): boolean => fn.params.some((p) => p.name === a.array && p.restrict);

/** Accesses per thread, counting those in constant-trip loops once per iteration (the arithmetic is counted that way). */
function accessRuns(fn: FunctionFacts, accesses: readonly AccessFact[]): number {
  const trips = new Map(fn.loops.map((l) => [l.id, l.trips || 1]));
  return accesses.reduce((sum, a) => sum + Math.min(a.loops.reduce((w, id) => w * (trips.get(id) ?? 1), 1), 1 << 16), 0);
}

/** `mean[idx / K]`: one or two values per warp (a per-row scalar), read through the cache, not part of the stream. */
function rowScalar(a: AccessFact): boolean {
  const idx = a.indices.length === 1 ? a.indices[0] : null;
  if (!idx || idx.unknown || !idx.hasAtoms) return false;
  // (not a clamp at the row's end, `x[min(C - 1, i + u * blockDim.x)]`: the lanes read their own elements inside the row,
  // whatever small row a sample takes, where the clamp pins them)
  if ([...idx.symbols()].some((s) => { const d = atomDef(s); return !!d && (d.op === 'min' || d.op === 'max') && d.args.some((x) => x.dependsOn((y) => y === TID)); })) return false;
  return SAMPLES.every((s) => {
    const v = laneValues(idx, s);
    return v !== null && new Set(v).size <= 2;
  });
}

/**
 * A kernel's template parameters that size its blocks: one that scales the block index in an index (`i = blockIdx.x *
 * blockSize * 2 + tid`) or sizes a `__shared__` array. As aligned as a pitch where an index adds them (`g_idata[i +
 * blockSize]` in reduce6 reads the second of the thread's block-sized pair); a halo, `in[i + HALO]` with HALO = 3, is not.
 */
function compileTimeSizes(fn: FunctionFacts): string[] {
  const blockScale = (p: string) => fn.accesses.some((a) => a.indices.some((x) => !x.unknown && x.coefficient('blockIdx.x').dependsOn((s) => s === p || s.split('*').includes(p))));
  const sizesShared = (p: string) => fn.shared.some((t) => t.dimTexts.some((d) => !!d && (d.match(/[A-Za-z_]\w*/g) ?? ([] as string[])).includes(p)));
  return fn.templateParams.filter((p) => blockScale(p) || sizesShared(p));
}

/** Can this access become one lane of a `width`-wide vector access? */
function vectorizable(a: AccessFact, width: number, counts: ReadonlySet<string> = new Set(), values?: Readonly<Record<string, number>>): boolean {
  if (a.indices.length !== 1 || a.vector || a.kind === 'atomic') return false;
  const idx = a.indices[0];
  if (idx.unknown) return false;
  if (idx.hasAtoms) {
    // `x[idx % XBLOCK]`: per lane, consecutive elements in every sample, starting at a multiple of the width
    // when sizes are powers of two (the row-pitch assumption the message states)
    return SAMPLES.every((s, k) => {
      const v = laneValues(idx, s);
      return v !== null && (k > 0 || v[0] % width === 0) && v.every((x, i) => i === 0 || x - v[i - 1] === 1);
    });
  }
  const c = idx.coefficient(TID);
  if (!c.isConstant || c.constant !== 1) return false;
  if (idx.constant % width !== 0) return false; // x[i + 1]: misaligned
  for (const key of idx.terms.keys()) {
    if (!key || key === TID) continue;
    // Block offsets, grid strides and row pitches (`C * blockIdx.y`) scale an index, and are
    // assumed multiples of the width; a standalone runtime offset (`x[i + offset]`) leaves
    // the alignment unknown.
    // (`r * nq * np`, a batch index times a plane size, is a pitch too: only a lone `offset` is not)
    // (`y = x[i + numel]` with `i < numel`: the second half of a [2, numel] input, a row the count itself pitches)
    const parts = key.split('*');
    // (half of a size that pitches the index, NeoX RoPE's `x[base + i + head_dim / 2]` beside `base = ... * head_dim`:
    // the second half of each row, aligned as the row is)
    const halfPitch = /^\(?(\w+)\s*\/\s*2\)?$/.exec(parts[0])?.[1];
    const pitches = !!halfPitch && [...idx.terms.keys()].some((k) => k !== key && k.split('*').includes(halfPitch));
    if (parts.length === 1 && symbolKind(parts[0]) === 'uniform' && !counts.has(parts[0]) && !pitches) return false;
    // (a row pitch the code states, `blockIdx.x * 197`, is no multiple of the width: three rows in four start misaligned)
    const pitch = idx.terms.get(key);
    if (/^blockIdx\.[xyz]$/.test(key) && typeof pitch === 'number' && Math.abs(pitch) > 1 && pitch % width !== 0) return false;
    // (or one every launch sets, `V * blockIdx.x` with V = 50,257: the same)
    const sizes = parts.filter((x) => !/^blockIdx\.[xyz]$/.test(x));
    const launched = parts.length > sizes.length && sizes.length > 0 && typeof pitch === 'number' && sizes.every((x) => values?.[x] !== undefined) ?
      sizes.reduce((n, x) => n * values![x], pitch) : null;
    if (launched !== null && Math.abs(launched) > 1 && launched % width !== 0) return false;
  }
  return true;
}

/** The 128-bit (or narrower, for mixed widths) type that carries `width` elements of `type`. */
function vectorType(type: string, bits: number, width: number): string {
  const total = bits * width;
  if (type === 'float') return total === 128 ? 'float4' : total === 64 ? 'float2' : 'float';
  if (/^(int|int32_t)$/.test(type)) return total === 128 ? 'int4' : 'int2';
  if (/^(unsigned|unsigned int|uint32_t)$/.test(type)) return total === 128 ? 'uint4' : 'uint2';
  if (/half/.test(type)) return total === 128 ? 'uint4 holding 4 × __half2' : `${width / 2} × __half2`;
  if (/bfloat16/.test(type)) return total === 128 ? 'uint4 holding 4 × __nv_bfloat162' : `${width / 2} × __nv_bfloat162`;
  if (bits === 8) return total === 128 ? 'uint4 (16 bytes)' : total === 32 ? 'uchar4' : `a ${total / 8}-byte type`;
  return `a ${total / 8}-byte packed type`;
}

/**
 * Elements a thread already moves itself, one at a time, as a contiguous chunk: `in[4*i + j]`
 * in a `j < 4` loop, or `x[2*i]` and `x[2*i + 1]` side by side. Returns the chunk length.
 */
function chunkOf(a: AccessFact, fn: FunctionFacts, all: AccessFact[]): number | null {
  if (a.indices.length !== 1 || a.vector || a.kind === 'atomic' || a.singleLane) return null;
  const idx = a.indices[0];
  if (idx.unknown) return null;
  // (the lanes `k` elements apart, by their coefficient, or through a lane index, `lane * 4` with `lane = threadIdx.x % 32`)
  const k = idx.hasAtoms ? constantLaneStride(idx) : idx.coefficient(TID).isConstant ? idx.coefficient(TID).constant : null;
  if (k === null || k < 2 || k > 16) return null;
  const bits = a.elemBits ?? 32;
  if (k * bits > 128 || 128 % (k * bits) !== 0) return null;
  // (a loop of k steps over the chunk, also one counted in narrower elements, `for (k = 0; k < 8; k += 2)` over `half2` pieces)
  const run = loopsAround(a, fn).find((l) => !l.gridStride && l.init?.isConstant && l.init.constant === 0 && (l.bound === String(k) || l.trips === k) && idx.coefficient(l.symbol).isConstant && idx.coefficient(l.symbol).constant === 1);
  if (run) return idx.constant % k === 0 ? k : null;
  const shape = idx.sub(Poly.const(idx.constant)).toString();
  const residues = new Set(
    all.filter((b) => b.array === a.array && b.indices.length === 1 && !b.indices[0].unknown && b.indices[0].sub(Poly.const(b.indices[0].constant)).toString() === shape)
      .map((b) => ((b.indices[0].constant % k) + k) % k),
  );
  return residues.size === k ? k : null;
}

/** A kernel whose threads each walk a small contiguous chunk element by element: one vector access per chunk instead. */
function checkChunks(fn: FunctionFacts, globals: AccessFact[]): RuleFinding[] {
  const chunks = globals.map((a) => ({ a, k: chunkOf(a, fn, globals) }));
  const chunked = chunks.filter((c): c is { a: AccessFact; k: number } => c.k !== null);
  if (!chunked.length) return [];
  // a thread's few values read once before the loop that streams the rest (`h_bounds[2*x]`, `[2*x + 1]`, then the
  // window's taps): a small share of its traffic
  // (or written once after a loop of the thread's own work, a Monte Carlo thread's `sum` and `sum2` after its paths: two
  // stores beside thousands of steps; a loop that runs to a bound the launch sets, stepping by adding)
  const ownWork = (c: { a: AccessFact }) => c.a.kind !== 'load' && fn.loops.some((l) => l.parent === null && l.trips === undefined && !!l.step && l.factor === undefined &&
    positionBefore(l.range.end, c.a.range.start));
  if (chunked.every((c) => c.a.loops.length === 0) && (globals.some((g) => g.loops.length > 0 && !chunked.some((c) => c.a === g)) || chunked.every(ownWork))) return [];
  // a table of one entry per few items (a per-SM schedule, `sm_idx < kNumSMs`): a few hundred bytes in all
  if (chunked.every((c) => loopsAround(c.a, fn).some((l) => countsFewItems(l.bound)))) return [];
  // everything else must already be a clean unit-stride stream (or a broadcast)
  // the scalar tail after the chunked loop (`for (; l < n; ++l)`) finishes the last few elements
  const inTail = (a: AccessFact) => loopsAround(a, fn).some((l) => l.tail);
  const rest = chunks.filter((c) => c.k === null && !inTail(c.a)).map((c) => c.a);
  const clean = (a: AccessFact) => {
    const p = a.indices.length === 1 ? a.indices[0] : null;
    if (a.vector) return true;
    if (!p || p.unknown || p.hasAtoms) return false;
    const c = p.coefficient(TID);
    return c.terms.size === 0 || (c.isConstant && c.constant === 1); // a warp broadcast, or a unit-stride stream
  };
  if (!rest.every(clean)) return [];
  // a thread that already loads 16 bytes or more per step (its chunk and the other streams) gains nothing measurable
  // a chunk read side by side (`x[2*i]`, `x[2*i + 1]`) is k loads of the step; one read in a `j < k` loop is k loads
  // in flight when the compiler may issue them together (no store in the loop that may alias it)
  const sideBySide = (c: { a: AccessFact; k: number }) => chunked.filter((d) => d.a.array === c.a.array).length >= c.k;
  const restrict = (a: AccessFact) => isRestrict(fn, a);
  const inLoop = chunked.filter((c) => !sideBySide(c) && c.a.kind !== 'store');
  // per step (the loops around): the chunks read in that step's loop, and its other loads
  // (at the narrowest type a template's launches build: a chunk of 4 that fills 16 bytes as `float` fills 8 as `bf16`)
  const narrowest = (a: AccessFact) => narrowestBits(a, fn.templateParams);
  const perStep = loadBytesPerStep(fn, [...chunked.filter((c) => sideBySide(c)).map((c) => c.a), ...rest], narrowest);
  let waits = false;
  for (const c of inLoop) {
    const held = globals.some((st) => st.kind !== 'load' && st.loops.join() === c.a.loops.join() && !restrict(st) && !restrict(c.a));
    waits ||= held;
    const step = c.a.loops.join();
    // (a small constant loop around the run, a 2x2 window's rows, is unrolled too: its runs are in flight together)
    const runLoop = (l: LoopFact) => { const co = c.a.indices[0].coefficient(l.symbol); return co.isConstant && co.constant === 1; };
    const unrolled = loopsAround(c.a, fn).filter((l) => !l.gridStride && !l.blockStride && !runLoop(l) && l.trips !== undefined && l.trips <= 8)
      .reduce((n, l) => n * l.trips!, 1);
    perStep.set(step, (perStep.get(step) ?? 0) + ((held ? 1 : c.k * unrolled) * (narrowest(c.a) ?? 32)) / 8);
  }
  if (Math.max(0, ...perStep.values()) >= ENOUGH_LOAD_BYTES) return [];
  // (named at the chunk in the most loops: the K rows the thread walks, not its query read once)
  const first = chunked.reduce((m, c) => (c.a.loops.length > m.a.loops.length ? c : m));
  const bits = narrowest(first.a) ?? 32;
  const bytes = (first.k * bits) / 8;
  // (said for the build it is about: `T` as `__nv_bfloat16`, where as `float` the chunk is a whole 16-byte access)
  const narrowed = bits !== (first.a.elemBits ?? 32) ? first.a.elemAlternatives!.filter((t) => elementBits(t) === bits) : [];
  const build = narrowed.length ? ` (as \`${narrowed.join('` / `')}\`)` : '';
  const carrier = bytes === 16 ? 'float4 / int4 / uint4' : bytes === 8 ? 'float2 / uint2' : bytes === 4 ? 'a 32-bit word (uchar4, half2)' : `a ${bytes}-byte type`;
  const names = [...new Set(chunked.map((c) => `\`${c.a.text}\``))].slice(0, 3).join(', ');
  return [{
    range: first.a.range,
    function: fn.name,
    confidence: 'likely',
    assumptions: [
      ...(narrowed.length ? [`assumes the \`${narrowed.join('` / `')}\` build of \`${first.a.elemType}\` matters (its launches also build ${first.a.elemAlternatives!.filter((t) => !narrowed.includes(t)).map((t) => `\`${t}\``).join(' / ')}, whose chunk fills a 16-byte access)`] : []),
      `assumes the buffers are ${bytes}-byte aligned (cudaMalloc returns 256-byte aligned memory)`,
      // (measured on an H100, bench/gpu/chunks/half_chunks.cu: 8 halves a thread as four `half2` pieces, each pair's loads
      // after the last store, 1.63x slower than one `uint4`; the same pieces with `__restrict__`, or all loads first, as fast)
      ...(waits ? ['the stores between the pieces may alias the loads (no `__restrict__`), so each piece is loaded only after the last one is stored: on an H100, 8 halves a thread moved so ran 1.63x slower than as one `uint4` (with `__restrict__` or all loads first, as fast)'] : []),
    ],
    message: `${names}: each thread moves ${first.k} consecutive ${bits}-bit elements${build} one at a time, ${first.k}× the sectors per request`,
    detail: detail(
      `Each thread moves its ${first.k} consecutive ${bits}-bit elements one at a time (${names}), so every warp request spans ${first.k}× the sectors it uses.`,
      `Move each chunk as one ${bytes}-byte access (${carrier}; reinterpret_cast the pointer at the chunk start).`,
    ),
    benefit: 'one wide, fully coalesced memory instruction per chunk instead of several strided ones; on an H200, y = 2*x over 2^28 floats went from 62% to 101% of copy bandwidth (1.61x) with float4 accesses',
  }];
}

/**
 * A kernel that reads its row as 16-byte vectors and writes what it computes from each one element at a time
 * (`float4 v = logits4[i]`, then `probs[4*i + k] = ...` for k < 4): each store request spans 4× the sectors it writes.
 * The rest of a kernel written with vector types is taken as laid out on purpose.
 */
function halfVectorized(fn: FunctionFacts): RuleFinding[] {
  const globals = fn.accesses.filter((a) => a.space === 'global' && !a.singleLane);
  const wide = globals.filter((a) => a.vector && a.kind === 'load' && (a.elemBits ?? 0) >= 64);
  if (!wide.length) return [];
  // (in the same arm as the vector loads: a scalar arm beside a vector one, `if (aligned) { float4 ... } else { ... }`,
  // is the fallback for what the vector arm cannot take)
  const vectorArm = (a: AccessFact) => globals.some((w) => w.vector && w.array === a.array && neverTogether(w.scopes, a.scopes));
  const stores = globals.filter((a) => a.kind === 'store' && !a.vector && a.loops.length > 0 && !vectorArm(a) &&
    wide.some((w) => w.loops.length > 0 && w.loops.every((id) => a.loops.includes(id)) && !neverTogether(w.scopes, a.scopes)));
  const filling = stores.filter((a) => {
    const k = chunkOf(a, fn, stores);
    return k !== null && k * (a.elemBits ?? 32) === 128;
  });
  return filling.length ? checkChunks(fn, filling) : [];
}

/**
 * A kernel whose vector types are pairs of 16-bit values (`half2`, `__nv_bfloat162`) read as one 32-bit word each:
 * as narrow as a `float` kernel, one 4-byte access a lane where 16 bytes move in the same instruction (LeetCUDA's
 * f16x2, and its f16x8 that moves a thread's 16 contiguous bytes as four `HALF2` words). Its accesses read as
 * scalars of 32 bits, marked `pair`; a kernel with another vector access anywhere keeps its own reading (a `char4`
 * arm with `__dp4a`, a `float4` path). Once per facts object, so the rules' caches keep working.
 */
function packsAsWords(fn: FunctionFacts): FunctionFacts {
  let out = asWords.get(fn);
  if (!out) asWords.set(fn, (out = readAsWords(fn)));
  return out;
}
const asWords = new WeakMap<FunctionFacts, FunctionFacts>();

const HALF_PAIR = /^(?:__)?(?:half2|nv_bfloat162|bfloat162)$/;
/** An access as packsAsWords reads it: `pair` for a `half2` read as one word. */
type WordAccess = AccessFact & { pair?: true };

function readAsWords(fn: FunctionFacts): FunctionFacts {
  const vectors = fn.accesses.filter((a) => a.vector);
  if (!fn.usesVectorTypes || !vectors.length || !vectors.some((a) => a.space === 'global') || !vectors.every((a) => a.elemBits === 32 && HALF_PAIR.test(a.elemType ?? ''))) return fn;
  return { ...fn, usesVectorTypes: false, accesses: fn.accesses.map((a): WordAccess => (a.vector ? { ...a, vector: false, pair: true } : a)) };
}

/** A loop that hands consecutive elements of a row to consecutive threads: `i = tid; i < C; i += blockDim.x` (or lane, 32). */
function spreadsOverThreads(l: LoopFact): boolean {
  if (l.blockStride || l.gridStride) return true;
  if (!l.init || !l.step || !l.init.dependsOn((s) => s === TID || s.startsWith('#op'))) return false;
  // the step is the block size: `blockDim.x`, a multiple of 32, or a named size (`NUM_THREADS`, a template parameter)
  return l.step.dependsOn((s) => s.startsWith('blockDim.')) || (l.step.isConstant ? l.step.constant % 32 === 0 : [...l.step.symbols()].every((s) => symbolKind(s) === 'uniform'));
}

/** An extent written as a count over a warp's 32 (`NUM_THREADS / WARP_SIZE`, `TPB / 32`): one entry a warp, or a word a warp's worth. */
const WARP_WIDTH = '(?:WARP_SIZE|WARPSIZE|kWarpSize|warpSize|WARP|32)';
/** `NUM_THREADS / WARP_SIZE`, `NUM_THREADS >> 5`, `(NUM_THREADS + WARP_SIZE - 1) / WARP_SIZE`: a count per warp. */
const PER_WARP = new RegExp(`^\\(?\\s*[A-Za-z_]\\w*(?:\\.x)?\\s*(?:\\/\\s*\\(?\\s*${WARP_WIDTH}\\s*\\)?|>>\\s*5)\\s*$|` +
  `^\\(\\s*[A-Za-z_]\\w*(?:\\.x)?\\s*\\+\\s*(?:${WARP_WIDTH}\\s*-\\s*1|31)\\s*\\)\\s*\\/\\s*${WARP_WIDTH}\\s*$`);

/**
 * A shared array that may hold a tile: an extent over 32 or unknown; an extent written as a count per warp
 * (`shared[NUM_THREADS / WARP_SIZE]`, or a local set to it, `shared[WARP_NUM]`) is at most 32 whatever the block, the warps' partials.
 */
const tileSized = (t: SharedArrayFact): boolean => t.dims.some((d, i) => (d === null && !PER_WARP.test(t.dimTexts[i] ?? '') && !PER_WARP.test(t.dimForms?.[i] ?? '')) || (d !== null && d > 32));

/**
 * A row or grid reduction (softmax, norms, sums, gemv) that streams its input through a
 * thread-spread loop one scalar per thread per step: 4 consecutive elements per step, as
 * one 16-byte access, move the same bytes in a quarter of the instructions.
 */
function checkStridedRows(fn: FunctionFacts, streamed: AccessFact[]): RuleFinding[] {
  // kernels staging through shared memory (tiled transposes) lay their global side out for the tile; a grid-stride
  // sum's tree scratch (`smem[tid] = sum` after the loop) is filled from registers, and its stream is the whole
  // input (a block per row may have a row of a few hundred elements: a few loads per thread before the tree);
  // a scratch of at most 32 words (warp sums) is a reduction's, never a tile
  const gridStride = new Set(fn.loops.filter((l) => l.gridStride).map((l) => l.id));
  // (so is a block's share of the whole input, `blockIdx.x * (n / gridDim.x) + tid` stepping by the block: the grid splits n)
  const gridShare = (a: AccessFact) => !!a.indices[0] && !a.indices[0].unknown && mentionsGridDim(a.indices[0].coefficient('blockIdx.x'));
  const wholeInput = streamed.every((a) => a.loops.some((id) => gridStride.has(id)) || (a.loops.length > 0 && gridShare(a)));
  // (or rows every launch makes long, `col < width` with width = 2,000,000: thousands of loads per thread before the tree)
  const longRows = streamed.every((a) => a.loops.some((id) => {
    const bound = fn.loops.find((l) => l.id === id)?.bound?.trim();
    return !!bound && (fn.launchValues?.[bound] ?? 0) >= LONG_ROW;
  }));
  // (a thread's own slot it adds into as the stream goes by, `sdata[tid] += in[i]`, is a running sum kept in shared memory, not a tile)
  // (`sdata[tid] = fmaxf(x[i], sdata[tid])`, `if (x[i] > s[tid]) s[tid] = x[i]`: a running max, stored after a load of the same slot)
  const mySlot = (a: AccessFact) => a.indices.length === 1 && a.indices[0].toString() === 'threadIdx.x';
  const ownSlot = (a: AccessFact) => mySlot(a) && (a.kind === 'update' ||
    (a.kind === 'store' && fn.accesses.some((b) => b.kind === 'load' && b.space === 'shared' && b.array === a.array && mySlot(b) && b.loops.join() === a.loops.join())));
  const filledInStream = (name: string) => fn.accesses.some((a) => a.space === 'shared' && a.array === name && a.kind !== 'load' && !ownSlot(a) && a.loops.some((id) => gridStride.has(id)));
  // (a row kept in shared memory as it streams in, `sm[i] = in[row * n + i]`, indexed as the stream is: a cache, not a tile
  // its global side is laid out for)
  const rowCache = (name: string) => {
    const uses = fn.accesses.filter((a) => a.space === 'shared' && a.array === name);
    return uses.length > 0 && uses.every((a) => a.indices.length === 1 && !a.indices[0].unknown && streamed.some((g) => {
      const d = g.indices[0]?.sub(a.indices[0]);
      return !!d && !d.unknown && !d.dependsOn((x) => isVarying(x) || x.startsWith('#loop'));
    }));
  };
  // (nor a copy of a vector every row reads alike, a GEMV's `for (i = tid; i < K; i += blockDim.x) xs[i] = x[i]`: filled
  // from global memory in a loop and indexed the same in every block and warp, it holds no row of the stream; a
  // reduction's scratch, `s[tid] = sum` after the loop, is filled from registers)
  const broadcastCache = (name: string) => {
    const uses = fn.accesses.filter((a) => a.space === 'shared' && a.array === name);
    // (the fill's source too is the same for every block and warp: not a block's own slice of the stream, `ks[tid] = k[t]`)
    const sameForAll = (g: AccessFact) => g.indices.length === 1 && !g.indices[0].unknown && !g.indices[0].dependsOn(rowOfThreads);
    const filledFromGlobal = (a: AccessFact) => a.kind === 'load' ||
      (a.loops.length > 0 && fn.accesses.some((g) => g.space === 'global' && g.kind === 'load' && g.loops.join() === a.loops.join() && sameForAll(g)));
    return uses.length > 0 && uses.every((a) => a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn(rowOfThreads) && filledFromGlobal(a));
  };
  // (an array the kernel never reads or writes, apex's `SharedMemory<U>::getPointer()` taken and left unused, holds nothing)
  const used = (name: string) => fn.accesses.some((a) => a.space === 'shared' && a.array === name);
  // (nor a block's reduction scratch that no step of the stream touches, `part[t] = s` after the row loop, then the tree:
  // measured on an H100, a block per row of 512 to 16,384 floats scaled by its sum ran 1.10-1.35x faster with float4
  // whatever combined the partials (bench/gpu/chunks/narrow_streams.cu); rows every launch makes shorter are left alone)
  const streamLoops = new Set(streamed.flatMap((a) => a.loops));
  const besideStream = (name: string) => fn.accesses.every((a) => a.space !== 'shared' || a.array !== name || !a.loops.some((id) => streamLoops.has(id)));
  const shortRows = streamed.some((a) => a.loops.some((id) => {
    const bound = fn.loops.find((l) => l.id === id)?.bound?.trim();
    return !!bound && (fn.launchValues?.[bound] ?? Infinity) < SHORT_BLOCK_ROW;
  }));
  const scratch = (name: string) => besideStream(name) && !shortRows;
  // (a 2-D scratch too, `part[32][33]` of a warp per row taking its partials after the row loop: no tile of the stream)
  const tiles = fn.shared.filter((t) => used(t.name) && ((t.dims.length > 1 && !scratch(t.name)) || (tileSized(t) && (!(wholeInput || longRows) || filledInStream(t.name)) && !rowCache(t.name) && !broadcastCache(t.name) && !scratch(t.name))));
  if (streamed.length === 0 || tiles.length > 0) return [];
  // (a group of a constant few elements a warp, `for (i = lane; i < 64; i += 32)`: two loads a lane, which one 16-byte
  // load would make with half the warp idle; a Q8_0 quantizer's group of 64)
  const fewLoads = (l: LoopFact | undefined) => !!l?.limit && !l.limit.unknown && l.limit.isConstant && !!l.step && !l.step.unknown && l.step.isConstant &&
    l.step.constant >= 32 && l.limit.constant / l.step.constant <= 2;
  if (streamed.every((a) => a.loops.length > 0 && a.loops.every((id) => fewLoads(fn.loops.find((l) => l.id === id))))) return [];
  // (a block's reduction over rows every launch makes short, a head's 128 floats before the warp partials: 1.02x measured
  // with float4 at 256 floats a row, whatever combines the partials)
  // (a row in one loop: a channel swept over N images of short planes, `n < N` around `i < HW`, is long)
  // (the row spread over the block's threads, `i = tid; i < head_dim; i += BLOCK`: not a thread's few loads of a grid-wide sum)
  if (shortRows && streamed.every((a) => a.loops.length === 1 && loopsAround(a, fn).every(spreadsOverThreads)) && fn.shared.some((t) => used(t.name))) return [];
  // each step of the loop moves the warp to new elements: a thread-spread loop, a warp-wide step
  // (`k = w * 32 + lane`), or a row pitch (`(y + j) * cols + x`); the loop may be a `__device__` helper's
  // (`row_mul(out, in, d, blockIdx.x)` walking the row), seen where the kernel calls it
  // (a loop whose steps leave the index where it was, `for (i = tid; i < n; i += 256) x[row * n + tid]`, streams nothing:
  // each thread reads one element of its row, again and again)
  // (the index moves with the loop itself, not only through a `/` or `%` of it: a pooling window or an im2col
  // gather under a grid-stride `CUDA_KERNEL_LOOP` derives window bounds from `index` and reads no stream of it)
  const movesWith = (a: AccessFact, l: LoopFact) => !!a.indices[0] && steppedBy(a.indices[0], l.symbol);
  const steps = (a: AccessFact) =>
    loopsAround(a, fn).some((l) => {
      if (spreadsOverThreads(l)) return movesWith(a, l);
      const c = a.indices[0]?.coefficient(l.symbol);
      if (!c || c.unknown || c.terms.size === 0) return false;
      if (c.isConstant) return c.constant % 32 === 0;
      // a row pitch, `(y + j) * cols + x`: the lanes must sit in a row as written, not at `index % plane` of a
      // run-time plane (a channel loop over NCHW planes: 4 neighbours straddle planes unless the plane size is a
      // multiple of 4, so the change is a per-thread coarsening the plane size decides, not a wider access)
      return !c.dependsOn((s) => isVarying(s) || s.startsWith('gridDim.')) && !lanesModuloRuntime(a.indices[0]);
    });
  if (!streamed.every(steps)) return [];
  // (rows every launch makes a count of experts or heads long, `ii < num_cols` with num_experts: a load or two per thread)
  const fewRows = streamed.every((a) => loopsAround(a, fn).some((l) => spreadsOverThreads(l) && !!l.bound && !!fn.fewCounts?.includes(l.bound.trim())));
  if (fewRows) return [];
  // (each step of the row walk runs a loop of its own over the same row, loading what every lane loads alike: the O(T)
  // sum per element of a softmax backward, `for (t2 = 0; t2 <= t; t2++) r += a[t2] * (ind - a[t3]) * da[t2]` in the
  // `t3 <= t` walk: the step's scalar accesses are a sliver of its work. Not a column sum's inner loop, `acc +=
  // dout[r * C + c]`, whose loads are the lanes' own stream)
  const uniformLoad = (g: AccessFact, l: LoopFact) => g.space === 'global' && g.kind === 'load' && g.indices.length === 1 && !g.indices[0].unknown &&
    variesAcrossLanes(g.indices[0]) === false && !g.indices[0].dependsOn((s) => s === l.symbol);
  // (the same end however written, `t2 <= t` or `t2 < t + 1`)
  const end = (x: LoopFact) => (x.limit && !x.limit.unknown ? x.limit.add(Poly.const(x.inclusive ? 1 : 0)).toString() : x.bound?.trim());
  const stepLoops = (l: LoopFact) => fn.loops.some((c) => c.parent === l.id && c.trips === undefined && !!c.bound && end(c) === end(l) &&
    fn.accesses.some((g) => g.loops.includes(c.id) && uniformLoad(g, l)));
  if (streamed.every((a) => loopsAround(a, fn).some((l) => spreadsOverThreads(l) && stepLoops(l)))) return [];
  // (a stream of stores whose values are gathered as it goes, a pooling backward's `bottom_diff[index] = g` after a
  // window loop over `top_diff`, is bound by the gathers: only a fill from values read once, a mask, is a store stream)
  // (loads inside the stores' own loops, each lane its own: not a row's broadcast, `scale[row]`)
  const gathers = streamed.every((a) => a.loops.length > 0) && fn.accesses.some((g) => g.space === 'global' && g.kind === 'load' && !streamed.includes(g) &&
    g.indices.some((p) => p.unknown || p.dependsOn(isVarying)) && streamed.every((a) => a.loops.every((id) => g.loops.includes(id))));
  if (gathers && !streamed.some((a) => a.kind === 'load' || a.kind === 'update')) return [];
  // rows: each block (or warp) walks its own row (`x + row * C`); a single-block sum over one small array is left alone
  if (!streamed.some((a) => a.indices[0]?.dependsOn((s) => s.startsWith('blockIdx.')))) return [];
  const bits = streamed.map((a) => (a.elemBits === null && fn.templateParams.includes(a.elemType ?? '') ? 32 : judgedBits(a)));
  if (bits.some((b) => b === null || b > 32 || !POWER_OF_TWO_BITS.has(b))) return [];
  const width = 128 / Math.max(...(bits as number[]));
  // (and the row length the threads walk, `t2 < T`: a row offset by whole rows, `(T - 1 - blockIdx.x) * T`, starts where
  // a row does, aligned as the row-length assumption says)
  const rowLengths = streamed.flatMap((a) => loopsAround(a, fn).filter(spreadsOverThreads).map((l) => l.bound?.trim() ?? '')).filter((b) => /^\w+$/.test(b));
  const sizes = new Set([...compileTimeSizes(fn), ...rowLengths]);
  if (!streamed.every((a) => vectorizable(a, width, sizes, fn.launchValues))) return [];
  if (streamed.some((a) => oddPitch(fn, a, width))) return [];
  if (loadBytes(fn, streamed, (a) => judgedBits(a) ?? 16) >= ENOUGH_LOAD_BYTES) return [];
  // (the loop handing the row's elements to the threads, before one of blocks stepping over rows around it)
  // (the lanes' own loop where two spread the threads, `offset = threadIdx.x` inside `batch_id = threadIdx.y`)
  const around = loopsAround(streamed[0], fn);
  const spread = around.filter(spreadsOverThreads);
  const loop = spread.find((l) => !!l.init && !l.init.unknown && l.init.dependsOn((s) => s === 'threadIdx.x')) ?? spread[0] ??
    around.find((l) => streamed[0].indices[0].dependsOn((s) => s === l.symbol));
  if (!loop) return [];
  // a thread per column walking down the rows (a column scan, `data[y * w + x]` for y < h), with every launch
  // giving a few thousand columns: 16-byte accesses would leave a quarter of those threads, already too few to
  // hide the latency of a serial walk
  const threads = fn.indexBound ? fn.launchValues?.[fn.indexBound] : undefined;
  if (!spreadsOverThreads(loop) && threads !== undefined && threads <= FEW_THREADS) return [];
  const names = [...new Set(streamed.map((a) => `\`${a.text}\``))].slice(0, 3).join(', ');
  // (an alias an `#if` makes 16-bit in some builds, `floatX`: twice as many elements per 16-byte access there)
  const halfArms = width === 4 ? [...new Set(streamed.flatMap((a) => (a.elemAlternatives ?? []).filter((t) => elementBits(t) === 16)))] : [];
  const templated = width === 4 && streamed.some((a) => a.elemBits === null && fn.templateParams.includes(a.elemType ?? ''));
  const narrower = halfArms.length ? ` (8× as ${halfArms.map((t) => `\`${t}\``).join(' or ')})` : templated ? ' (8× for a 16-bit type)' : '';
  const count = defaultBuildCount(width, streamed) ?? `${width}× the memory instructions of 16-byte ones${narrower}`;
  return [{
    range: fn.nameRange,
    function: fn.name,
    confidence: 'likely',
    assumptions: [
      ...narrowedAssumption(streamed, fn.templateParams),
      'assumes the buffers are 16-byte aligned and the row length is a multiple of the vector width (or a scalar tail handles the rest)',
      'assumes rows of several hundred elements or more: on an H200 a block per row of 1024 floats ran 2.05x faster with float4, one of 128 floats 1.01x',
    ],
    message: `\`${fn.name}\`: one scalar per thread per step of the \`${loop.variable ?? 'loop'}\` loop, ${count}`,
    detail: detail(
      `\`${fn.name}\` streams its input one scalar per thread per step of the \`${loop.variable ?? 'loop'}\` loop (${names}).`,
      `Have each thread take ${width} consecutive elements per step as one 16-byte access and stride the loop ${width}× as far, with a scalar tail.`,
    ),
    benefit: 'a quarter of the memory instructions for the same bytes; on an H200, y = 2*x over 2^28 floats went from 62% to 101% of copy bandwidth (1.61x) with float4 accesses',
  }];
}


/**
 * A loop per element, with no global access of its own (constant or shared tables are read
 * in place), that calls math functions a run-time number of times per element: inside the
 * loop over elements (`for (it < iterations) v = sinf(v)`), or in a kernel whose elements are
 * loaded before it and stored after it (`sOutR += ... cos(expArg)` over the k-space samples).
 */
function computeLoop(fn: FunctionFacts): boolean {
  const global = fn.accesses.filter((a) => a.space === 'global');
  const perElement = (l: LoopFact) => (l.parent !== null ? global.some((a) => a.loops.includes(l.parent!)) : global.some((a) => a.loops.length === 0));
  return fn.loops.some((l) => !l.trips && perElement(l) && !global.some((a) => a.loops.includes(l.id)) && fn.calls.some((c) => c.loops.includes(l.id) && MATH_CALLS.test(c.name)));
}

/** An atomic every thread issues for each element it reads (a histogram, a count, `index_add`): the atomics bound the kernel, not the loads. */
function atomicPerElement(fn: FunctionFacts): boolean {
  const loads = fn.accesses.filter((a) => a.space === 'global' && a.kind === 'load');
  return fn.accesses.some((u) => u.kind === 'atomic' && !u.singleLane && loads.some((l) => l.loops.every((id) => u.loops.includes(id)))) ||
    // one on a counter no subscript names (`atomicAdd(&s_count, 1)` on a `__shared__ int`), in the loop over the loads
    // (not one lane's: `if (lane == 0) atomicAdd(&count, __popc(ballot))`, a warp's aggregate)
    fn.calls.some((c) => /^atomic[A-Z]\w*$/.test(c.name) && !c.singleLane && loads.some((l) => l.loops.length > 0 && l.loops.every((id) => c.loops.includes(id))));
}

/**
 * A sum over the whole input, one element per thread (`prod = a[idx] * b[idx]`, a block's tree, then one
 * `atomicAdd(y, ...)` per block into a word every block shares): its loads stream the input as an elementwise
 * kernel's do. (A block per row writes a result per row, `out[blockIdx.x]`: not this.)
 */
function gridSum(fn: FunctionFacts): boolean {
  const loads = fn.accesses.filter((a) => a.space === 'global' && a.kind === 'load');
  const perThread = (a: AccessFact) => a.loops.length === 0 && a.indices.length === 1 && !a.indices[0].unknown &&
    a.indices[0].coefficient('blockIdx.x').terms.size > 0 && a.indices[0].dependsOn((x) => x === TID);
  const shared = (a: AccessFact) => a.indices.every((p) => !p.unknown && !p.dependsOn(isVarying));
  return loads.length > 0 && loads.every(perThread) && fn.accesses.some((a) => a.kind === 'atomic' && a.space === 'global' && a.singleLane && shared(a));
}

/**
 * A reduction kernel whose every stream is one element a thread, out of loops, all at one index (`x[idx]`, `y[idx]`),
 * reduced through registers and a few warp partials: no shared array of more than 32 words, which would be a tile
 * the stream is staged in (a stencil's, a scan's or a tree reduction's, laid out for the block).
 */
function oneElementPerThread(fn: FunctionFacts, streamed: readonly AccessFact[]): boolean {
  const [first] = streamed;
  const tile = fn.shared.some(tileSized);
  // (and rows of 128 threads or more, each row start 16-byte aligned: a warp's 32-element row is one warp instruction
  // either way, and a 197-element row, ViT's, starts misaligned three rows in four)
  const pitch = first?.indices[0]?.coefficient('blockIdx.x');
  const perRow = pitch?.isConstant ? pitch.constant : pitch && loneSymbol(pitch) === 'blockDim.x' ? fn.blockDimX ?? null : null;
  if (perRow !== null && perRow !== undefined && (perRow < 128 || perRow % 8 !== 0)) return false;
  return fn.kernelClass === 'reduction' && !!first && !tile && streamed.some((a) => a.kind === 'load') && streamed.some((a) => a.kind !== 'load') &&
    streamed.every((a) => a.loops.length === 0 && !a.helperLoops?.length && a.indices.length === 1 && !a.indices[0].unknown && a.indices[0].equals(first.indices[0]));
}

function check(kernel: FunctionFacts): RuleFinding[] {
  const along = warpAlongX(kernel);
  const fn = packsAsWords(along);
  // one block per launch (`<<<1, 256>>>`): a demo or a last reduction stage; launching more blocks comes first;
  // a demo size at every launch (`n = 1024`): the launch's latency, not its bandwidth, decides
  // (a template kernel also launched on uint4 / float4 elements: the scalar instantiation is the fallback for odd sizes)
  // (nor one launched only every so many steps, a monitor under `if (t % 100 == 0)`: a sliver of the run)
  // (nor one that reads mapped host memory, zero-copy: the interconnect, not the load instructions, sets its pace)
  if (!fn.isKernel || fn.singleBlock || fn.smallProblem || fn.vectorLaunch || fn.rarelyLaunched || fn.zeroCopy) return [];
  // (nor one that moves its global arrays as wide accesses in one arm, apex's `load_store` through an aligned-storage
  // type when the pointer is aligned, and element by element in the other: the scalar arm is its fallback)
  const wide = fn.accesses.filter((a) => a.vector && a.space === 'global');
  const otherArm = (a: AccessFact) => wide.some((w) => w.array === a.array && neverTogether(w.scopes, a.scopes));
  if (wide.length && fn.accesses.every((a) => a.space !== 'global' || a.vector || otherArm(a))) return [];
  // a buffer every launch passes at a run-time offset (`acc + offset`): 16-byte accesses need an alignment check and a
  // scalar head first, a restructure the kernel's callers decide
  // (one the kernel streams: a per-block total it adds to with one lane's atomic, `atomicAdd(sums2, ...)` of `d_sums + 1`,
  // needs no alignment)
  if (fn.offsetBuffers?.some((name) => fn.accesses.some((a) => a.space === 'global' && a.array === name && !a.singleLane && a.kind !== 'atomic'))) return [];
  // a thread per sequence of a batch (`if (gidx < batch_size * beam_width)`): a few hundred elements, launch-bound
  // (a word the whole grid reads alike, a no-op flag `noop[0]`, is no stream of its own)
  const globalsOf = fn.accesses.filter((a) => a.space === 'global' && !(a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn(isVarying)));
  if (globalsOf.length && globalsOf.every((a) => a.perSequence)) return [];
  // a warm-up, a reference or a scalar fallback kernel is plain on purpose; a loss runs once a step on the outputs;
  // so are the kernels of an unfused baseline (`LSTM_elementwise_unfused`), measured against a fused twin
  if (isReferenceOracle(fn.name) || readsDenseTargets(fn) || fn.baselineLaunch) return [];
  // per-element work of unknown length: memory-bound or not depends on a run-time count
  if (computeLoop(fn) || atomicPerElement(fn)) return [];
  // a function we could not read is handed a global buffer (`bilinear_interpolate(input, ...)` from a header not
  // found): its gathers may be the kernel's traffic, so what the kernel streams is unknown
  if (fn.opaqueBufferCalls?.length) return [];
  // a producer that reads nothing from global memory (a fill from constants, a texture resampler, an RNG's output):
  // set-up work whose stores already coalesce, and whose values come from elsewhere
  if (!fn.accesses.some((a) => a.space === 'global' && (a.kind === 'load' || a.kind === 'update'))) return [];
  // a kernel of `bool` flags only (a BFS level's frontier masks, `if (updating[tid]) { mask[tid] = true; ... }`): a
  // warp's request is one sector already, and its stores are the few a frontier sets; the level's launch, not its
  // load instructions, sets its pace
  if (globalsOf.length && globalsOf.every((a) => /^(?:const\s+)?bool$/.test(a.elemType ?? ''))) return [];
  // (a kernel written with vector types is taken as laid out on purpose, but for stores it leaves one element at a time)
  if (fn.usesVectorTypes) return halfVectorized(fn);
  if (fn.kernelClass !== 'elementwise' && !gridSum(fn)) {
    if (fn.arithmetic > MAX_OPS_PER_ACCESS * Math.max(1, accessRuns(fn, fn.accesses))) return [];
    // (nor the last block's merge of the blocks' partials, `for (j = tid; j < gridDim.x; j += blockDim.x) p += partial[j]`:
    // one value a block, read once, after the stream; cuda-samples' threadFenceReduction)
    const partialsMerge = new Set(fn.loops.filter((l) => !l.gridStride && /^\s*gridDim\.[xyz]\s*$/.test(l.bound ?? '')).map((l) => l.id));
    const streamed = fn.accesses.filter((a) => a.space === 'global' && !a.singleLane && !(a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn(isVarying)) && !rowScalar(a) && !a.loops.some((id) => partialsMerge.has(id)));
    const chunks = checkChunks(fn, streamed);
    if (chunks.length) return chunks;
    const rows = checkStridedRows(fn, streamed);
    // (a block per row reducing one element a thread, with no loop, and writing it back where it read it, LeetCUDA's
    // `rms_norm_f32_kernel`: `x[idx]` in, `y[idx]` out, the elementwise form, checked as such below)
    if (rows.length || !oneElementPerThread(fn, streamed)) return rows;
  }
  // warp-uniform loads (`alpha[blockIdx.y]`, a scalar parameter read once) are broadcasts, not part of the stream
  // (`u1[i]` with `i` from threadIdx.y is the same for a whole warp, too)
  // (and so is a row's own `mean[row]` under a loop of blocks over rows, overBlocks)
  const blockRows = new Set(fn.loops.filter(overBlocks).map((l) => l.symbol));
  const warpUniform = (a: AccessFact) => a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn((s) => s === TID || s.startsWith('#op') || (s.startsWith('#loop') && !blockRows.has(s)));
  // a helper's walk over a small array every lane reads alike (`is_contiguous(num_dims, dims, strides)`): layout metadata
  const helperWalk = (a: AccessFact) => !!a.helperLoops?.length && a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn((s) => s === TID || s.startsWith('#op'));
  // (nor is a lookup into a table of at most 256 entries, `lut[in[i]]` with `in` of bytes: it stays in L1)
  // (nor what one lane reads before the others stream, `if (threadIdx.x == 0) for (c < cpg) s += ds[c] * w[c]`: a prologue)
  const warpWide = fn.accesses.some((a) => a.space === 'global' && !a.singleLane && !warpUniform(a));
  // (nor a loop every lane runs alike over a few words, `for (i < world_size) div += numel[i]`, before its own stream)
  const prologues = uniformPrologues(fn.loops, fn.accesses);
  const prologue = (a: AccessFact) => a.loops.some((id) => prologues.has(id));
  // (nor what a thread reads once before its grid- or block-stride loop, a channel's `mean[c]` in a channels-last kernel
  // whose loop walks the rows: loaded once, not per step of the stream)
  const spread = new Set(fn.loops.filter((l) => l.gridStride || l.blockStride).map((l) => l.id));
  const streamsInLoop = fn.accesses.some((a) => a.space === 'global' && a.kind === 'load' && a.loops.some((id) => spread.has(id)));
  const readOnce = (a: AccessFact) => streamsInLoop && a.kind === 'load' && a.loops.length === 0;
  const streams = fn.accesses.filter((a) => a.space === 'global' && !warpUniform(a) && !rowScalar(a) && !helperWalk(a) && !a.byteIndexed && !(warpWide && a.singleLane) && !prologue(a) && !readOnce(a));
  // a contiguous fast path beside a general-layout fallback (`if (is_contiguous(...)) out[i] = f(inp[i]); else
  // out[i] = f(inp[strided_i])`): the fast path is the stream the kernel exists for, the fallback's gathers are none
  const known = (a: AccessFact) => !a.indices.some((p) => p.unknown);
  // (the same buffer in both: `inp[i]` in one arm, `inp[strided_i]` in the other)
  const fallback = (a: AccessFact) => !known(a) && !!a.scopes?.length && streams.some((b) => known(b) && b.array === a.array && neverTogether(a.scopes, b.scopes));
  const globals = streams.filter((a) => !fallback(a));
  if (globals.length === 0) return [];
  // indexed by threadIdx alone (`in[threadIdx.x]`): every block walks the same blockDim elements, a lane demo
  // or a per-block table of at most 1024 values, never a stream
  const onlyThreads = (a: AccessFact) => a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn((s) => !/^threadIdx\.[xyz]$/.test(s) && symbolKind(s) !== 'uniform');
  if (globals.every(onlyThreads)) return [];
  // (nor is one whose only reads are broadcasts, `out[i] = *value`)
  if (!globals.some((a) => a.kind === 'load' || a.kind === 'update')) return [];
  // a template element type (T) is assumed to be 32-bit or narrower, and said so
  const isTemplateType = (a: AccessFact) => a.elemBits === null && fn.templateParams.includes(a.elemType ?? '');
  const templated = globals.some(isTemplateType);
  const bitsOf = (a: AccessFact) => (isTemplateType(a) ? 32 : judgedBits(a));
  // (a 3-component element, `uchar3` or `float3`, moves as separate loads: widening it is a repacking, not a wider type)
  if (globals.some((a) => bitsOf(a) === null || bitsOf(a)! > 32 || !POWER_OF_TWO_BITS.has(bitsOf(a)!))) return [];
  if (fn.arithmetic > MAX_OPS_PER_ACCESS * accessRuns(fn, globals)) return [];
  // four or more 4-byte streams per thread: already near the bandwidth (a template `T`: counted as 16-bit, its narrowest usual width)
  if (loadBytes(fn, globals, (a) => (isTemplateType(a) ? 16 : judgedBits(a))) >= ENOUGH_LOAD_BYTES) return [];
  const widest = Math.max(...globals.map((a) => bitsOf(a)!));
  const width = 128 / widest; // elements per thread, so that the widest stream moves 16 bytes
  // the element counts the kernel's loops run to (a guard's bound, `i < half` in a halving tree, may be odd: not these)
  // (a `__device__` helper's loops too, seen where the kernel calls it)
  // (and the template's sizes, compileTimeSizes)
  const counts = new Set([...[...fn.loops, ...globals.flatMap((a) => a.helperLoops ?? [])].map((l) => l.bound?.trim()).filter((b): b is string => !!b && /^\w+$/.test(b)), ...compileTimeSizes(fn)]);
  // (a convolution's accesses under its usual shape too: col2im's `src` lanes, contiguous while the stride is taken
  // for a row pitch, are a gather one stride apart)
  const shape = convShape(fn);
  const usual = (a: AccessFact): AccessFact => (shape.size ? { ...a, indices: a.indices.map((p) => bindSymbols(p, shape)) } : a);
  // (and with the values every launch passes: `src[(i / dims) * stride + i % dims]` with dims = 3 reads runs of 3)
  const values = new Map(Object.entries(fn.launchValues ?? {}));
  const launched = (a: AccessFact): AccessFact => (values.size && a.indices.some((p) => p.hasAtoms) ? { ...a, indices: a.indices.map((p) => bindSymbols(p, values)) } : a);
  if (!globals.every((a) => vectorizable(a, width, counts, fn.launchValues) && vectorizable(usual(a), width, counts, fn.launchValues) && vectorizable(launched(a), width, counts, fn.launchValues))) {
    const chunks = checkChunks(fn, globals);
    return chunks.length ? chunks : checkNarrowRecords(fn, globals);
  }
  const byType = new Map<string, number>();
  for (const a of globals) byType.set(a.elemType ?? 'T', bitsOf(a)!);
  // (pairs of halves, `half2`, read one a lane: packsAsWords)
  const pairTypes = new Set(globals.filter((a) => (a as WordAccess).pair).map((a) => a.elemType ?? ''));
  const packed = globals.every((a) => (a as WordAccess).pair);
  const alternatives = new Map(globals.filter((a) => a.elemAlternatives).map((a) => [a.elemType ?? '', a.elemAlternatives!]));
  const halfArms = [...new Set([...alternatives.values()].flat().filter((t) => elementBits(t) === 16))];
  // `floatX` (`__nv_bfloat16` or `float`), a template `T` (its width set at the launch), or `32-bit float`
  const kinds = [...byType]
    .map(([t, b]) => (alternatives.has(t) ? `\`${t}\` (${alternatives.get(t)!.map((x) => `\`${x}\``).join(' or ')})` : fn.templateParams.includes(t) ? `\`${t}\`` : `${b}-bit \`${t}\``))
    .join(' and ');
  const carriers = [...byType].map(([t, b]) => (byType.size > 1 ? `${vectorType(t, b, width)} for the ${t} data` : vectorType(t, b, width))).join(', ');
  const verb = (a: AccessFact) => (a.kind === 'load' ? 'reads' : a.kind === 'store' ? 'writes' : 'updates');
  // (16-bit data beside 32-bit, fp16 `q` with an fp32 cos/sin cache: eight of them fill a 16-byte access)
  const narrowData = [...byType].filter(([, b]) => b === 16).map(([t]) => t);
  const once = (xs: AccessFact[]) => xs.filter((a, k) => xs.findIndex((b) => b.text === a.text) === k);
  const listed = [...once(globals.filter((a) => a.kind === 'load')).slice(0, 3), ...once(globals.filter((a) => a.kind !== 'load')).slice(0, 2)];
  return [{
    range: fn.nameRange,
    function: fn.name,
    confidence: 'likely',
    assumptions: [
      ...(turned(along) ? [ALONG_Y] : []),
      ...(templated ? [`assumes the template element type is 32 bits or narrower (float, int, half, bf16; set at the launch)`] : []),
      ...narrowedAssumption(globals, fn.templateParams),
      'assumes the buffers are 16-byte aligned (cudaMalloc returns 256-byte aligned memory), and row pitches are multiples of the vector width',
      // (the lanes' axis: blocks one thread wide run them along threadIdx.y)
      `assumes ${turned(along) ? 'blockDim.y' : 'blockDim.x'} is a multiple of ${width}, and that the length is a multiple of ${width} or a scalar tail handles the rest`,
    ],
    // (a template type counted as 32-bit: its usual 16-bit builds, fp16 and bf16, move twice as many per 16 bytes)
    // (and an `#if`'s 16-bit arm, llm.c's `floatX` built as bf16 by default: phrased for both builds)
    message: `\`${fn.name}\`: one ${[...byType.keys()].map((t) => `${pairTypes.has(t) ? '4-byte' : 'scalar'} \`${t}\``).join(' / ')} per access, ${defaultBuildCount(width, globals) ?? `${width}× the memory instructions of 16-byte ones${templated && width === 4 ? ` (8× for a 16-bit \`${globals.find(isTemplateType)!.elemType}\`)` : halfArms.length && width === 4 ? ` (8× as ${halfArms.map((t) => `\`${t}\``).join(' or ')})` : narrowData.length && width === 4 ? ` (8× for the ${narrowData.map((t) => `\`${t}\``).join(' and ')} data)` : ''}`}`,
    detail: detail(
      `\`${fn.name}\` is a memory-bound ${fn.kernelClass === 'elementwise' || gridSum(fn) ? 'elementwise kernel' : 'kernel, one element a thread,'} moving ${packed ? `one 4-byte ${[...byType.keys()].map((t) => `\`${t}\``).join(' / ')} (two 16-bit values)` : `one scalar ${kinds} element`} per access (${listed.map((a) => `${verb(a)} \`${a.text}\``).join(', ')}).`,
      templated || alternatives.size
        ? `Have each thread move 16 bytes at once (${width} elements of a 32-bit type, ${width * 2} of a 16-bit one: float4 / uint4; reinterpret_cast the pointers), with a scalar loop for the tail.`
        : `Have each thread move ${width} consecutive elements at once (${carriers}; reinterpret_cast the pointers), with a scalar loop for the tail.`,
    ),
    benefit: 'fewer, wider memory instructions; on an H200, y = 2*x over 2^28 floats went from 62% to 101% of copy bandwidth (1.61x)',
  }];
}

/**
 * The count of the build without -D flags first, where an `#if` makes the type 16-bit there and 32-bit in
 * another (llm.c's `floatX`, bf16 unless ENABLE_FP32): `8× ... in the default `__nv_bfloat16` build (4× as `float`)`.
 */
function defaultBuildCount(width: number, accesses: readonly AccessFact[]): string | null {
  const open = accesses.filter((a) => a.elemAlternatives);
  const builds = [...new Set(open.map((a) => a.elemDefault))];
  if (width !== 4 || !open.length || builds.length !== 1 || !builds[0] || elementBits(builds[0]) !== 16) return null;
  // (a fixed 32-bit stream beside them, `float* out`, moves 4 per 16 bytes in every build)
  if (accesses.some((a) => !a.elemAlternatives && a.elemBits !== 16)) return null;
  const wide = [...new Set(open.flatMap((a) => a.elemAlternatives!.filter((t) => elementBits(t) === 32)))];
  return `8× the memory instructions of 16-byte ones in the default \`${builds[0]}\` build${wide.length ? ` (4× as ${wide.map((t) => `\`${t}\``).join(' or ')})` : ''}`;
}

/** `assumes `real` is `float` (...)` for the accesses judged at a narrower alternative than their widest. */
function narrowedAssumption(accesses: readonly AccessFact[], templateParams: readonly string[]): string[] {
  const n = narrowing(accesses, templateParams);
  if (!n) return [];
  return [`assumes \`${n.access.elemType}\` is \`${n.chosen.join('` or `')}\` (${n.why}; as \`${n.wide.join('` or `')}\`, a 16-byte access moves ${128 / (elementBits(n.wide[0]) ?? 64)} elements)`];
}

export const rule: Rule = {
  id: 'vectorization/vector-memory-access',
  languages: ['cuda', 'triton'],
  defaultSeverity: 'information',
  checkFunction: (fn) => (fn.decorators ? tritonVector(fn) : check(fn)),
  fix: fixVectorAccess,
};
