// The C/C++ half of memory/uncoalesced-access (DESIGN.md: "on CPU, an inner loop walking
// the slow dimension of a row-major array"): in an innermost loop, an access whose loop
// variable moves a row index (`B[k][j]` under `for k`) or multiplies a row pitch
// (`B[k * N + j]`) while an enclosing loop's variable moves the contiguous index: every
// iteration lands on a new cache line, and interchanging the two loops makes the walk
// contiguous (and vectorizable).
import { convShape } from '../../common/conv-shape';
import { filterBound, filterLoop } from '../../common/filter-taps';
import { detail, elementsText } from '../../common/detail';
import { neverTogether, type AccessFact, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { mostTrips, windowLoop } from '../../common/file-constants';
import { untunedLoop } from '../../../core/timed-region';
import { countsFewItems } from '../../common/few-items';
import { callsRoutine } from '../../common/hot-loops';
import { hasBlockedTwin, loopAndAncestors, pointLoopOf, tiledNest } from '../../common/blocked-twin';
import { atomDef, type Poly } from '../../../core/affine';

/** The channel count of an interleaved image (`c`, `nChannels`, `img->channels`): 1 to 4. */
const PIXEL_CHANNELS = /^(?:[\w.]+(?:->|\.))?(?:n_?|num_?)?(?:c|ch|channels?|Channels)$/;
/** A cache line: a flat stride of at least this many bytes needs a new line each iteration. */
const LINE_BYTES = 64;
/** An inner loop of at most this many steps walks so few lines that they stay in L1 for the next step of the loop around it. */
const FEW_ROWS = 16;

interface Walk {
  access: AccessFact;
  /** The enclosing loop whose variable moves the contiguous index: the one to put innermost. */
  outer: LoopFact;
  stride: string;
}

/** How `inner` moves this access, if it walks the slow dimension while `outer` walks the fast one. */
/**
 * Whether a step of `l` moves the index by one element, up or down: `j` of `a[k * n + j]` under `for j`, or the column `t % cols`
 * of a flattened loop (`for t: i = t / cols; j = t % cols`), which moves by one except where a row ends.
 */
function movesByOne(index: Poly, l: LoopFact): boolean {
  // (either way: `h - 1 - y` of a rotation walks its column backwards, one element a step)
  const unit = (p: Poly) => {
    const c = p.coefficient(l.symbol);
    return c.isConstant && Math.abs(c.constant) === 1;
  };
  return unit(index) || [...index.symbols()].some((s) => {
    const d = atomDef(s);
    const c = index.coefficient(s);
    return d?.op === '%' && c.isConstant && c.constant === 1 && unit(d.args[0]);
  });
}

function slowWalk(a: AccessFact, inner: LoopFact, fn: FunctionFacts): Walk | null {
  // (the function's own stack array, `ax[k][j]` of `GGML_F32_VEC ax[UNROLL][ARR]`, is a few registers' or lines' worth, in L1)
  if (a.indices.some((p) => p.unknown) || a.space !== 'host' || a.onStack) return null;
  const last = a.indices[a.indices.length - 1];
  const moves = (p: { coefficient(s: string): { terms: ReadonlyMap<string, number> } }, l: LoopFact) => p.coefficient(l.symbol).terms.size > 0;
  const enclosing = a.loops.map((id) => fn.loops[id]).filter((l): l is LoopFact => !!l && l.id !== inner.id && l.variable !== null);
  if (a.indices.length >= 2) {
    // `B[k][j]`: k moves a row index, not the last one
    if (moves(last, inner) || !a.indices.slice(0, -1).some((p) => moves(p, inner))) return null;
    // rows shorter than a cache line (`int ng[L][3]`: 12 bytes): several steps share each line
    if (a.rowElems !== undefined && a.rowElems * ((a.elemBits ?? 32) / 8) < LINE_BYTES) return null;
    const outer = enclosing.find((l) => {
      const c = last.coefficient(l.symbol);
      return c.terms.size === 1 && c.isConstant && c.constant === 1;
    });
    return outer ? { access: a, outer, stride: 'a whole row' } : null;
  }
  const c = last.coefficient(inner.symbol);
  if (c.terms.size === 0 || c.unknown) return null;
  if (c.isConstant && Math.abs(c.constant) * ((a.elemBits ?? 32) / 8) < LINE_BYTES) return null; // 32 int8s apart: two steps per line
  // a row pitch that is a template parameter (`B[k * N + j]` in `_micro_gemm<..., N, ...>`): a micro-kernel's packed
  // tile, a compile-time few columns wide, whose rows stay cached
  if (!c.isConstant && c.terms.size === 1 && fn.templateParams.includes([...c.terms.keys()][0])) return null;
  // 8- or 16-bit pixels `channels` apart (`data[i * step + j * c + k]`, an interleaved image's channels): a few bytes per step
  if (!c.isConstant && c.terms.size === 1 && (a.elemBits ?? 32) <= 16 && PIXEL_CHANNELS.test([...c.terms.keys()][0])) return null;
  // a convolution's or pooling's stride (`w * stride` beside `ksize` and `pad`): 1 or 2, a few floats per step
  if (!c.isConstant && c.terms.size === 1 && convShape(fn).get([...c.terms.keys()][0]) === 1) return null;
  const outer = enclosing.find((l) => movesByOne(last, l));
  return outer ? { access: a, outer, stride: elementsText(c) } : null;
}

/** L1 data cache of current x86-64 and Arm cores (32 to 64 KiB): a walk over fewer bytes keeps its lines. */
const L1_BYTES = 32 * 1024;

/** The rows a walk steps over, at their full width, fit in L1: both the inner loop's trips and the row's length are known. */
function walkFitsL1(w: Walk, inner: LoopFact): boolean {
  const bytes = (w.access.elemBits ?? 32) / 8;
  const last = w.access.indices[w.access.indices.length - 1];
  const pitch = w.access.indices.length >= 2 ? w.access.rowElems : last.coefficient(inner.symbol).isConstant ? Math.abs(last.coefficient(inner.symbol).constant) : undefined;
  return inner.trips !== undefined && pitch !== undefined && inner.trips * pitch * bytes <= L1_BYTES;
}

/**
 * A packing routine (`pack_panelB`, `packA`, `bli_spackm`, a weight repack at load, `repack_q4_0_tiled`): it reads one
 * layout to write another, on purpose, once per block or once per model.
 */
const PACKING = /(?:^|_)(?:un|re)?pack|[a-z](?:Un|Re)?Pack|^(?:Un|Re)?Pack|[a-z]packm/;

/**
 * Another access of the loop that walks contiguously where `access` strides (`t[i*n + j] = a[j*n + i]`): a transpose,
 * where an interchange only moves the column walk to it; blocking both loops is the fix.
 */
export function transposePartner(fn: FunctionFacts, access: AccessFact, inner: LoopFact, outer: LoopFact): AccessFact | undefined {
  return fn.accesses.find((b) => b.loops.includes(inner.id) && b !== access && b.indices.length > 0 && !b.indices.some((p) => p.unknown) &&
    b.indices[b.indices.length - 1].coefficient(inner.symbol).isConstant && b.indices[b.indices.length - 1].coefficient(inner.symbol).constant === 1 &&
    (b.indices.length > 1 ? b.indices.slice(0, -1).some((p) => p.coefficient(outer.symbol).terms.size > 0) : !b.indices[0].coefficient(outer.symbol).isConstant));
}

/**
 * A column walk that is a sliver of its function's work, beside a deeper nest over the same array (vectorization/cpu-simd
 * leaves it alone too):
 *  - a transposed copy that a deeper nest then reads (`BT` before the i-j-k product over it), or one made after the
 *    deeper nest that wrote it (a covariance mirroring its upper triangle, `cov[j][i] = cov[i][j]`): O(n²) beside O(n³);
 *  - a walk in the same step of the loops around it as a deeper nest over the array: a right-looking LU's pivot column
 *    `A[i][k] /= A[k][k]`, O(n) per `k` beside the O(n²) trailing update (its `i` has no loop inside to interchange with);
 *  - a walk in a nest of its own beside a deeper one over the array: a covariance's column means (`mean[j] += data[i][j]`),
 *    O(n²) once beside the O(n³) product.
 * Loops of a few constant trips (a 3-tap window) add no depth. `partner`: the access's transposePartner.
 */
export function minorWalk(fn: FunctionFacts, access: AccessFact, inner: LoopFact, partner: AccessFact | undefined): boolean {
  // (a filter's taps, `k < ksize`, add no depth either: a few steps though the bound is a run-time value)
  const sized = (a: AccessFact) => a.loops.filter((id) => (fn.loops[id]?.trips ?? Infinity) > FEW_ROWS && !(fn.loops[id] && filterLoop(fn.loops[id], fn.loops, fn.accesses))).length;
  const deeper = (r: AccessFact, array: string) => r.array === array && !r.loops.includes(inner.id) && sized(r) > sized(access);
  const copy = partner && [access, partner].find((x) => x.kind === 'store');
  if (copy && fn.accesses.some((r) => deeper(r, copy.array) && (r.kind === 'load' ? r.range.start.line > copy.range.start.line : r.range.start.line < copy.range.start.line))) return true;
  const around = access.loops.filter((id) => id !== inner.id);
  // (or in a nest of its own before or after the deeper one: a covariance's column means beside its O(n³) product)
  // (not the other arm of an if/else: a blocked nest beside the plain small-size path runs instead of it)
  const apart = (r: AccessFact) => !access.loops.some((id) => r.loops.includes(id)) && !neverTogether(r.scopes, access.scopes);
  return fn.accesses.some((r) => deeper(r, access.array) && (around.every((id) => r.loops.includes(id)) || apart(r)));
}

/**
 * The loop around `inner`, nearest first, whose steps move every access of `inner`'s body by one element or not at
 * all (a row index never): brought innermost, the body walks contiguously; undefined when none does.
 */
function everyAccessContiguous(fn: FunctionFacts, inner: LoopFact): LoopFact | undefined {
  const body = fn.accesses.filter((a) => a.loops.includes(inner.id));
  if (!body.length || body.some((a) => a.indices.some((p) => p.unknown))) return undefined;
  const around = loopAndAncestors(fn, inner).slice(1).filter((l) => l.variable !== null);
  return around.find((l) => body.some((a) => movesByOne(a.indices[a.indices.length - 1], l)) && body.every((a) => {
    const last = a.indices[a.indices.length - 1].coefficient(l.symbol);
    const rows = a.indices.slice(0, -1).every((p) => p.coefficient(l.symbol).terms.size === 0);
    return rows && (last.terms.size === 0 || (last.isConstant && last.constant === 1) || movesByOne(a.indices[a.indices.length - 1], l));
  }));
}

/** `mainComputes`: `main` is where a CPU program iterates (computesInMain). */
export function checkCpu(fn: FunctionFacts, mainComputes = false): RuleFinding[] {
  // a program's `main` sets data up and prints it (cpu-simd leaves it alone too), unless it is where the program computes
  if (fn.isKernel || fn.isDevice || (fn.name === 'main' && !mainComputes) || isReferenceOracle(fn.name) || PACKING.test(fn.name)) return [];
  const out: RuleFinding[] = [];
  // loops that walk the same way under the same outer loop (a normalization's mean, variance and output passes): one cause, one finding
  const byCause = new Map<string, { finding: RuleFinding; more: number }>();
  // (a stencil's taps, `jj = -RADIUS; jj <= RADIUS`, and a filter's, `j < kernel_w`, are a few: the loop around them decides)
  const taps = (l: LoopFact) => windowLoop(l, fn.loops) || filterBound(l.bound);
  const inside = (c: LoopFact, l: LoopFact): boolean => c.parent !== null && (c.parent === l.id || (!!fn.loops[c.parent] && inside(fn.loops[c.parent], l)));
  // (nor loops a directive offloads: their iterations are GPU threads, and which loop the lanes take is the directive's)
  const innermost = fn.loops.filter((l) => l.variable !== null && !l.offloaded && !taps(l) && !fn.loops.some((c) => !taps(c) && inside(c, l)) && !untunedLoop(fn, l));
  for (const inner of innermost) {
    // a few rows (`r < rows`, every caller passing BATCH_SIZE 8): the lines they touch stay in L1 while the outer loop moves along them
    // (or a triangle's side inside a small block: `k < i` under `i < 16`)
    if ((mostTrips(inner, fn.loops) ?? Infinity) <= FEW_ROWS) continue;
    // (`iy < BROW` with BROW a template parameter: a micro-kernel's compile-time register block, as few)
    if (inner.bound !== null && fn.templateParams.includes(inner.bound.trim())) continue;
    // a loop over the classes (`k < num_class_`) of each row `i`: a few streams the outer loop walks in order
    if (countsFewItems(inner.bound)) continue;
    // each step calls a micro-kernel (`kmap[i][j]` picks it): the call is the work
    if (callsRoutine(fn, inner)) continue;
    // the plain arm beside a tiled one (`if (nb >= n || !tiling) {...} else {tiled}`): the code blocks already
    if (loopAndAncestors(fn, inner).some((l) => hasBlockedTwin(fn, l, (r) => tiledNest(fn, r)))) continue;
    // a tile loop (`for (j = jj; j < min(jj + BS, n); ++j)`): the column walk stays inside a cached tile, unless the
    // tile's own point loops can be interchanged to make every access contiguous (blocked i-j-k with `k` innermost:
    // i-k-j inside the tile vectorizes, 2.1x measured at n = 1000)
    // (not an in-place sweep that reads its neighbours, `a[(i-1)*n + j+1]`: a blocked solver's order is its result)
    const isPointLoop = (l: LoopFact) => loopAndAncestors(fn, l).slice(1).some((a) => pointLoopOf(l, a));
    const contiguous = everyAccessContiguous(fn, inner);
    const inTile = isPointLoop(inner);
    const pointSwap = inTile && !!contiguous && isPointLoop(contiguous) && !readsNeighboursInPlace(fn, inner);
    if (inTile && !pointSwap) continue;
    const walks = fn.accesses
      .filter((a) => a.loops.includes(inner.id))
      .map((a) => slowWalk(a, inner, fn))
      .filter((w): w is Walk => w !== null)
      // the loop moving along the rows is a tile's (`j < BLK` under `jj += BLK`): a blocked transpose, whose rows stay
      // cached across the tile's few columns
      .filter((w) => pointSwap || !isPointLoop(w.outer));
    if (!walks.length) continue;
    const w = walks[0];
    // every row the walk visits, whole, fits in L1 (`double B[40][40]` under `k < 40`): the lines stay cached across the outer loop
    if (walkFitsL1(w, inner)) continue;
    const v = inner.variable!;
    const partner = transposePartner(fn, w.access, inner, w.outer);
    if (minorWalk(fn, w.access, inner, partner)) continue;
    // the loop to bring innermost: one under which every access of the body is contiguous or invariant (`j` of trmm's
    // `B[i][j] += A[k][i] * B[k][j]`, not `i`, which would move the walk to `B[i][j]`); with none, a transpose is blocked
    const swap = contiguous;
    const transpose = !!partner && !swap;
    const o = (swap ?? w.outer).variable!;
    const fix = transpose
      ? `Block both loops (tiles of 32 to 64 elements a side) so that the rows of both arrays a tile touches stay in cache; an interchange would only move the column walk to the other array.`
      : pointSwap
        ? `Interchange the tile's point loops so that \`${o}\` is innermost (keep the blocking): the walk becomes contiguous and vectorizable.`
        : `Interchange the loops so that \`${o}\` is innermost (or block the nest), and the walk becomes contiguous and vectorizable.`;
    const cause = `${w.outer.id}|${w.stride}`;
    const same = byCause.get(cause);
    if (same) {
      same.more++;
      (same.finding.related ??= []).push({ range: w.access.range, message: `the same walk in another \`${v}\` loop: \`${w.access.text}\`` });
      continue;
    }
    const finding: RuleFinding = {
      range: w.access.range,
      function: fn.name,
      confidence: 'likely',
      // (a transpose is blocked, not interchanged: no interchange is assumed there)
      assumptions: [transpose ? 'assumes row-major arrays larger than the cache' : 'assumes row-major arrays larger than the cache, and that the two loops can be interchanged (no dependence carried across them)'],
      message: pointSwap
        ? `\`${w.access.text}\`: the innermost \`${v}\` loop of the tile strides ${w.stride} per step: no SIMD along it`
        : `\`${w.access.text}\`: the innermost \`${v}\` loop strides ${w.stride} per step, a new cache line per step`,
      detail: detail(`The innermost \`${v}\` loop walks the slow dimension of a row-major array, while \`${o}\` ${swap && swap !== w.outer ? 'moves every access of the body along a row, or leaves it in place' : 'moves the contiguous index'}.`, fix),
      benefit: pointSwap
        ? 'on this workplace\'s x86-64 (gcc -O3 -march=native, one thread), a 64-blocked fp64 matmul went 2.1x faster at 1000³ (12x at 1024³) with its point loops in i-k-j order than in i-j-k'
        : 'on this workplace\'s x86-64 (gcc -O3, one thread), a 1024³ fp32 matmul went 27–40x faster in i-k-j order than in i-j-k (6.5x at 1000³)',
      related: [
        { range: inner.headerRange, message: `the \`${v}\` loop` },
        { range: (swap ?? w.outer).headerRange, message: swap ? `the \`${o}\` loop, under which every access of the body walks contiguously or stays put` : `the \`${o}\` loop, which moves the contiguous index` },
        ...walks.slice(1, 3).map((x) => ({ range: x.access.range, message: `also strides across rows: \`${x.access.text}\`` })),
      ],
    };
    byCause.set(cause, { finding, more: 0 });
    out.push(finding);
  }
  return out.map((f) => {
    const more = [...byCause.values()].find((g) => g.finding === f)?.more ?? 0;
    return more ? { ...f, message: `${f.message} (and ${more} more loop${more > 1 ? 's' : ''} like it)` } : f;
  });
}

/** A store under `inner` to an array the same loops also read at another index (`a[i][j] = (a[i-1][j+1] + ...)`): an in-place sweep. */
function readsNeighboursInPlace(fn: FunctionFacts, inner: LoopFact): boolean {
  const under = fn.accesses.filter((a) => a.loops.includes(inner.id));
  const stores = under.filter((a) => a.kind === 'store' || a.kind === 'update');
  return stores.some((st) => under.some((a) => a.kind === 'load' && a.array === st.array && a.indices.some((p, i) => !p.equals(st.indices[i] ?? p))));
}
