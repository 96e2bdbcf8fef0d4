// pipelining/multi-stage: a loop over tiles that stages its operands through ONE
// `__shared__` buffer per operand (global -> shared copy, `__syncthreads()`, compute,
// `__syncthreads()`), so every iteration waits for its own global loads before it can
// compute, and the next copy waits for the compute (ANALYSIS.md §2). Two stages, the
// next tile copied with `cp.async` while the current one is computed, hide that wait.
// Measured, the CUDA gain is modest (1.11x on a register-blocked SGEMM with 16-byte
// copies, 1.02x with 4-byte copies), so the finding is a hint and says so.
// Quiet when: narrow copies feed one output per thread, or products that read both operands
// from shared memory (register blocking comes first); the
// kernel already copies asynchronously (`cp.async`, `__pipeline_memcpy_async`,
// `cuda::memcpy_async`, TMA, pipeline/barrier primitives); a shared index depends on the
// loop (a stage index alternating, `buf[k & 1][...]`) or cannot be read; an array has a
// stage dimension; the loop also writes a staged array from registers, or loads global
// memory after its barrier (register prefetch: the next tile is loaded during the compute;
// or an operand streamed from global memory, as in a GEMV, which the copy does not bound).
// Triton: see triton.ts.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, FileFacts, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { atomDef, dependsOnLane, loneSymbol, type Poly } from '../../../core/affine';
import { stagedLoops, type StagedLoop } from './staged';
import { registerBlocked } from '../../tiling/register-blocking/rule';
import { tritonMultiStage } from './triton';
import { waitedAtOnce, wideCopy } from './waited-at-once';
import { fix } from './fix';
import { perFunction } from '../../common/memo';
import { elementBits } from '../../../core/facts/ctypes';

/** Asynchronous copies and the pipeline primitives around them: the kernel pipelines already. */
const ASYNC = /memcpy_async|cp_async|cp\.async|__pipeline|pipeline_(?:commit|wait|producer|consumer)|wait_prior|commit_group|wait_group|cp_async_bulk|(?:^|_)tma(?:_|$)|TMA|mbarrier|arrive_and_wait|producer_acquire|consumer_wait/;

/** A stage dimension (`As[2][BM][BK]`, `smem[STAGES][...]`): the buffer is already multi-buffered. */
const hasStageDimension = (fn: FunctionFacts, name: string, s?: StagedLoop) =>
  fn.shared.some((x) => x.name === name && x.dims.length >= 2 && (x.dims[0] === 2 || x.dims[0] === 3 || x.dims[0] === 4 || /stage|STAGE|Stage|PIPE|pipe|buf|BUF/.test(x.dimTexts[0] ?? ''))) ||
  (!!s && flatStages(fn, name, s));

/**
 * A flat buffer of two to four tiles (`As[2 * BM * BK]`) the loop fills at two places a tile apart from the same
 * global array (`As` and `As + BM * BK` handed to the copy helper, each half of the block filling its own): stages
 * too. (A buffer holding A's tile and then B's, `smem` and `smem + BM * BK`, is filled from two arrays: one stage.)
 */
function flatStages(fn: FunctionFacts, name: string, s: StagedLoop): boolean {
  const decl = fn.shared.find((x) => x.name === name);
  if (!decl || decl.dims.length !== 1 || !/^\s*\(?\s*(?:[234]|\w*(?:stage|STAGE|Stage)\w*)\s*\)?\s*\*/.test(decl.dimTexts[0] ?? '')) return false;
  const fills = s.copies.map((c, i) => ({ c, from: s.sources[i].array })).filter((x) => x.c.array === name && x.c.indices.length === 1 && !x.c.indices[0].unknown);
  // two fills from one array, a whole tile apart: the same form up to a term no thread or loop moves
  return fills.some((a, i) => fills.slice(i + 1).some((b) => {
    if (a.from !== b.from) return false;
    const d = distance(a.c.indices[0], b.c.indices[0]);
    return !d.unknown && !(d.isConstant && d.constant === 0) && !d.dependsOn((x) => x.startsWith('threadIdx.') || x.startsWith('#'));
  }));
}

/** `p - q`, also for two 16-byte offsets kept as quotients (`(X + BK * BN) / 4` and `X / 4`): the difference of what they divide. */
function distance(p: Poly, q: Poly): Poly {
  const quotient = (x: Poly) => {
    const sym = loneSymbol(x);
    const d = sym !== null ? atomDef(sym) : undefined;
    return d && d.op === '/' && d.args.length === 2 && d.args[1].isConstant ? d.args : null;
  };
  const [a, b] = [quotient(p), quotient(q)];
  return a && b && a[1].constant === b[1].constant ? a[0].sub(b[0]) : p.sub(q);
}

/** Does this shared access's index move with the tile loop (a stage index) or escape us? */
const movesWithLoop = (a: AccessFact, symbol: string) => a.indices.some((p) => p.unknown || p.dependsOn((s) => s === symbol));

/** Bytes each thread copies per global load of the tile copies (4 for a plain float). */
function copyBytes(s: StagedLoop): number | null {
  const bits = s.sources.map((a) => (a.vector ? 128 : a.elemBits));
  if (bits.some((b) => b === null)) return null;
  return Math.max(...(bits as number[])) / 8;
}

/** `a`, `a` and `b`, `a`, `b` and `c` */
function names(xs: string[], and = ' and '): string {
  const u = [...new Set(xs)].map((x) => `\`${x}\``);
  return u.length > 1 ? `${u.slice(0, -1).join(', ')}${and}${u[u.length - 1]}` : u[0];
}

/**
 * Every statement of the loop that reads a shared tile reads two of them (`acc[i] += As[r][k] * Bs[k][c]`):
 * each product fetches both operands from shared memory, none is kept in a register (`b = Bs[k][tx]`,
 * a fragment array, a query row loaded before the loop).
 */
function bothFromShared(fn: FunctionFacts, loop: LoopFact): boolean {
  const byStatement = new Map<number, Set<string>>();
  for (const a of fn.accesses) {
    if (a.space !== 'shared' || a.kind !== 'load' || !a.loops.includes(loop.id)) continue;
    const arrays = byStatement.get(a.range.start.line) ?? new Set<string>();
    arrays.add(a.array);
    byStatement.set(a.range.start.line, arrays);
  }
  return byStatement.size > 0 && [...byStatement.values()].every((arrays) => arrays.size >= 2);
}

/** Every tile copy loads 16 bytes a thread (a `float4`, `uint4`; not a 4-byte `half2`, a vector type too). */
const allWide = (s: StagedLoop) => s.sources.every((a) => (a.elemBits ?? (a.vector ? 128 : 0)) >= 128);

/**
 * Two staged tiles multiplied with one of them read straight from shared memory in the product (`tmpB = Bs[..]`, then
 * `acc[i] += As[..] * tmpB` under it, 1-D block tiling): the product's loop nest reads both tiles, and a read is not
 * first kept in a register (a variable, `float b = Bs[..]`, a register array, `regM[i] = As[..]`, a tensor-core
 * fragment or a 16-byte read). (An attention row's K and V tiles, read in loops side by side, are no such product.)
 */
function tileProductFromShared(fn: FunctionFacts, s: StagedLoop): boolean {
  const kept = (r: AccessFact) => !!r.register || !!r.fragment || r.vector;
  const nested = (a: readonly number[], b: readonly number[]): boolean => a.length <= b.length ? a.every((id, i) => b[i] === id) : nested(b, a);
  // (a `__device__` helper's loops count as the loops around its accesses: `compute_tile(acc, As, Bs, ...)`)
  const around = (a: AccessFact) => [...a.loops, ...(a.helperLoops ?? []).map((l) => l.id)];
  return s.reads.some((r) => !kept(r) && around(r).at(-1) !== s.loop.id &&
    s.reads.some((q) => q.array !== r.array && nested(around(q), around(r)) && around(q).length > around(r).indexOf(s.loop.id) + 1));
}

function checkCuda(fn: FunctionFacts, oneWarpBlocks: boolean, wideCopiers: readonly string[] = []): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  // (asynchronous copies already: unless each is waited for as soon as it is committed)
  if (fn.calls.some((c) => ASYNC.test(c.name))) return waitedAtOnce(fn, wideCopiers);
  const out: RuleFinding[] = [];
  for (const s of stagedLoops(fn)) {
    if (!s.copiesOnly || s.streams) continue;
    // blocks of one warp with tiles of a few KB (`mma<<<grid, 32>>>`, one MMA tile a block): dozens of blocks share an SM,
    // one's loads already overlap another's math, and blocks of several warps sharing bigger tiles come before a second
    // stage (a one-warp block holding tens of KB, a minimal flash attention's, leaves few blocks an SM: reported)
    if (oneWarpBlocks && sharedBytes(fn) <= SMALL_TILES) continue;
    const sym = s.loop.symbol;
    if (s.copies.some((a) => movesWithLoop(a, sym)) || s.reads.some((a) => movesWithLoop(a, sym))) continue;
    if (s.copies.some((a) => hasStageDimension(fn, a.array, s))) continue;
    // every thread copies one element and walks the whole tile, each element a broadcast (`shPosition[j]` over
    // `j < blockDim.x`, n-body's all-pairs step): the compute per tile grows with the tile, the copy stays one element
    // per thread: compute-bound (a thread per query row copying its share of a K tile in a loop is not)
    const allPairs = s.copies.every((a) => a.loops[a.loops.length - 1] === s.loop.id) &&
      s.reads.length > 0 && s.reads.every((a) => !a.indices.some((p) => p.unknown || dependsOnLane(p)) && (a.loops[a.loops.length - 1] !== s.loop.id || !!a.helperLoops?.length));
    if (allPairs) continue;
    const bytes = copyBytes(s);
    const wide = bytes !== null && bytes >= 16;
    const blocked = registerBlocked(fn, s.loop);
    // narrow copies feeding one output per thread: double buffering measured 1.02x with 4-byte copies,
    // and register blocking and wider copies come first (the register-blocking rule says so)
    if (!wide && !blocked) continue;
    // products that read both operands from shared memory (`acc[i] += As[r][k] * Bs[k][c]`, no operand kept in a
    // register) after narrow copies, or in a one-output-per-thread kernel whatever the width of its copies (a `float4`
    // fill of the tile too): shared-load bound, so fragments in registers come before a second stage
    if ((!wide || !blocked) && bothFromShared(fn, s.loop)) continue;
    // a product that reads a tile straight from shared memory (`acc[i] += As[..] * tmpB`, 1-D block tiling) after copies
    // not all 16 bytes wide, or without register blocking: bound by shared loads, so register fragments and wider
    // copies come before a second stage
    if ((!allWide(s) || !blocked) && tileProductFromShared(fn, s)) continue;
    const variable = s.loop.variable ?? 'loop';
    const buffers = names(s.copies.map((c) => c.array), ', ');
    const operands = names(s.sources.map((c) => c.array));
    out.push({
      range: s.loop.headerRange,
      function: fn.name,
      confidence: wide ? 'likely' : 'heuristic',
      assumptions: [
        'assumes an sm_80 or newer GPU (cp.async) and a loop long enough for the copy latency to matter',
        ...(wide ? [] : [`assumes the copies can be made 16 bytes wide (they are ${bytes ?? 'of unknown width'}${bytes ? ' bytes' : ''} per thread now)`]),
      ],
      message: `\`${variable}\` loop: single-buffered \`__shared__\` tiles (${buffers}), each iteration waits for its own global loads`,
      detail: detail(
        `The \`${variable}\` loop stages tiles of ${operands} through ${s.copies.length > 1 ? 'one `__shared__` buffer each' : 'one `__shared__` buffer'}, so each iteration waits at \`__syncthreads()\` for its own global loads before computing.`,
        'Double-buffer the tiles: copy the next tile into a second buffer with 16-byte `cp.async` (`__pipeline_memcpy_async`, `cuda::memcpy_async`) while the current one is computed' +
          (blocked ? '.' : '; this pays after register blocking (several outputs per thread), not before.'),
      ),
      benefit:
        'modest: on an H200, double-buffering a register-blocked SGEMM with cp.async went from 76% to 84% of cuBLAS fp32 (1.11x) with 16-byte copies and only 1.02x with 4-byte copies',
      related: [
        { range: s.copies[0].range, message: `copied from global memory into \`${s.copies[0].array}\` here` },
        ...s.barriers.map((r) => ({ range: r, message: 'barrier of the single-buffered loop' })),
      ],
    });
  }
  return out;
}

/** Findings per function facts: an edit re-runs the check only on functions whose facts changed (or moves them). */
const cached = perFunction(checkCuda, (oneWarpBlocks, wideCopiers = []) => `${oneWarpBlocks}|${wideCopiers.join()}`);

/** Static shared memory a block of this kernel holds (Infinity with `extern` or unsized arrays). */
function sharedBytes(fn: FunctionFacts): number {
  let total = 0;
  for (const s of fn.shared) {
    const bits = elementBits(s.elemType);
    // (an extent a template parameter names takes the value every launch gives it, `MMA_M` of `kernel<16, 8, 16>`)
    const dims = s.dims.map((d, i) => d ?? fn.launchValues?.[s.dimTexts?.[i]?.trim() ?? ''] ?? null);
    if (bits === null || dims.length === 0 || dims.some((d) => d === null)) return Infinity;
    total += (dims as number[]).reduce((m, d) => m * d, bits / 8);
  }
  return total;
}
/** Tiles small enough for 32 one-warp blocks, an SM's limit, to fit in an SM's shared memory many times over. */
const SMALL_TILES = 4096;

export const rule: Rule = {
  id: 'pipelining/multi-stage',
  languages: ['cuda', 'triton'],
  defaultSeverity: 'hint',
  fix,
  check(facts: FileFacts) {
    if (facts.otherAccelerator) return []; // `cp.async` and Triton's num_stages pipelining are NVIDIA's; other backends pipeline their own way
    if (facts.language === 'triton') return tritonMultiStage(facts);
    // (the file's `__device__` helpers that issue 16-byte `cp.async` copies, cuda_hgemm's `loadTile`: their callers copy wide)
    // (through helpers that call such a helper, `load_tiles` calling `load_tile_16`)
    const copiers = new Set(facts.functions.filter((f) => !f.isKernel && f.calls.some(wideCopy)).map((f) => f.name));
    for (let grew = copiers.size > 0; grew;) {
      grew = false;
      for (const f of facts.functions) if (!f.isKernel && !copiers.has(f.name) && f.calls.some((c) => copiers.has(c.name))) copiers.add(f.name), (grew = true);
    }
    return facts.functions.flatMap((fn) => cached(fn, !!fn.warpBlocks, [...copiers].filter((name) => fn.calls.some((c) => c.name === name))));
  },
};
