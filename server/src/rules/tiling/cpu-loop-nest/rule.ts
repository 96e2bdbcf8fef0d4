// tiling/cpu-loop-nest: a C/C++ loop nest of depth >= 3 whose accesses are re-read
// across an outer loop (ANALYSIS.md §1, loop variables in place of thread indices):
// an access whose index form omits the symbol of an enclosing loop L is re-read on every
// iteration of L, and when the loops inside L sweep it over two or more large dimensions
// (B[k][j] under `for i`), the data touched between two re-reads is a whole matrix,
// which we assume does not fit in cache. No blocking in the nest -> one finding on the
// header of the nest's outermost loop. Blocking counts when done by tile loops, by
// `#pragma omp tile`, by a `while` loop stepping a tile start, or by a caller (a point loop
// `for (i = i0; i < i0 + bs; ++i)`). Filter loops (`r < R`, `kx < KW`) never make a nest
// deep nor are named as loops to block. When the re-reading loop carries a dependence
// (Floyd–Warshall, LU), the advice is a blocked algorithm that keeps it, not an interchange.
import { filterLoop } from '../../common/filter-taps';
import { hasBlockedTwin } from '../../common/blocked-twin';
import { detail } from '../../common/detail';
import { isReferenceOracle, untunedHosts, includesCudaSource } from '../../common/reference';
import { repetitionLoop, untunedLoop } from '../../../core/timed-region';
import { constantTrip, constantValue, fileConstants } from '../../common/file-constants';
import { perFunction } from '../../common/memo';
import { HOST_LOOP_IDS, withInlined } from '../../../core/facts/host-inline';
import type { Rule } from '../../../core/rule';
import type { AccessFact, CallFact, FileFacts, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RelatedLocation, RuleFinding } from '../../../core/types';
import { positionBefore, rangeHolds } from '../../../core/positions';
import { Poly } from '../../../core/affine';
import { fixedArrayBytes } from '../../common/fixed-extent';
import { elementBits } from '../../../core/facts/ctypes';

/** A loop with a constant trip count at or below this is "small" (channels, 3x3 windows, an unrolled tile). */
const SMALL_TRIP = 64;
/** Steps of a time loop from which its sweeps are worth blocking across, however few next to SMALL_TRIP. */
const TIME_STEPS = 16;
/** Small outer loops whose trips multiply to this many rows or more re-read what is inside them as a large loop would. */
const BATCH_ROWS = 128;
/** Names of a tile or block size: `bs`, `BS`, `TILE`, `block_size`, `nb`, or a number. */
const TILE_SIZE = '[1-9]\\d+|[4-9]|[A-Za-z_]*(?:bs|BS|[Tt]ile|TILE|[Bb]lock|BLOCK|nb|NB)[A-Za-z_0-9]*|[bB]';
/** Re-read data of a known size at or below this stays in L2 on current CPUs (256 KiB to 2 MiB): nothing to block. */
const L2_BYTES = 256 * 1024;
/** A loop stepping by this much or more (or by a symbol) over an inner loop that follows it is a tile loop. */
const TILE_STEP = 4;
/** A loop stepping by this much or more (or by a symbol) hands a cache tile to the helpers it calls. */
const TILE_HANDOFF_STEP = 16;

type Constants = ReadonlyMap<string, number>;


/** Does a symbol belong to this loop (its iteration symbol, or a variable carried by it: `#loop3:idx'`)? */
const ofLoop = (l: LoopFact) => (s: string) => s.startsWith(`#loop${l.id}:`);
const dependsOnLoop = (p: Poly, l: LoopFact) => p.dependsOn(ofLoop(l));
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Reuse {
  access: AccessFact;
  /** The outer loop the access is re-read across. */
  loop: LoopFact;
  /** Large loops inside `loop` that the access sweeps: the dimensions of what is re-read. */
  sweeps: LoopFact[];
}

class Nest {
  readonly loops: LoopFact[];
  readonly accesses: AccessFact[];
  private readonly byId = new Map<number, LoopFact>();
  private readonly forms = new Map<AccessFact, Poly[]>();
  private readonly time = new Map<number, boolean>();

  constructor(
    readonly root: LoopFact,
    readonly fn: FunctionFacts,
    private readonly small: (l: LoopFact) => boolean,
    readonly trip: (l: LoopFact) => number | null,
    private readonly lines: readonly string[],
    /** Dataset sizes a build without -D flags picks (PolyBench's default `NP`): the declared extents' likely values. */
    readonly defaults?: Constants,
  ) {
    // with the loops of helpers called inside the nest (`for i, for j: AddDot(k, ...)` loops over p)
    const whole = withInlined(fn);
    for (const l of whole.loops) this.byId.set(l.id, l);
    this.loops = whole.loops.filter((l) => this.chain(l).includes(root));
    // (a scalar tail after a vector loop, `for (; i < n; ++i)` from where `i` stopped, repeats the vector loop's
    // accesses for its last few elements, at a start the walk does not know: the vector loop's accesses say it all)
    const tail = new Set(whole.loops.filter((l) => l.tail).map((l) => l.id));
    this.accesses = whole.accesses.filter((a) => a.loops.includes(root.id) && a.space !== 'shared' && !a.loops.some((id) => tail.has(id)));
  }

  /** The loop and its ancestors, innermost first. */
  chain(l: LoopFact): LoopFact[] {
    const out: LoopFact[] = [];
    for (let cur: LoopFact | undefined = l; cur; cur = cur.parent === null ? undefined : this.byId.get(cur.parent)) out.push(cur);
    return out;
  }

  /** Loops that make the nest deep: known loop kinds with a large or unknown trip count, not a filter window. */
  counts(l: LoopFact): boolean {
    return l.kind !== 'range' && (!this.small(l) || this.batchLoop(l) || this.manySteps(l)) && !this.filterLoop(l) && !this.converges(l);
  }

  /**
   * A time loop of a few dozen steps (PolyBench-ACC's `t < tsteps`, 20 at every call): however small its count, each
   * step sweeps the whole grids again, which temporal blocking turns into reuse.
   */
  manySteps(l: LoopFact): boolean {
    const t = this.trip(l);
    return t !== null && t >= TIME_STEPS && this.isTimeLoop(l);
  }

  /**
   * Small outer loops whose trips multiply past a small loop's (`b < B` and `t < T` at B = 4, T = 64: 256 rows)
   * re-read what is inside them as often as one large loop: the innermost of them counts for them all.
   */
  batchLoop(l: LoopFact): boolean {
    const outer = this.chain(l).filter((c) => this.loops.includes(c));
    if (!outer.every((c) => c.kind === 'for' && this.small(c) && this.trip(c) !== null)) return false;
    if (outer.reduce((n, c) => n * (this.trip(c) as number), 1) < BATCH_ROWS) return false;
    // (the rows of a batch: some array the nest reads moves with none of them, the weight every row re-reads; not a
    // convolution's output and input channels, each of which some operand moves with)
    if (!this.accesses.some((a) => a.kind !== 'store' && outer.every((c) => !this.dependsOn(a, c)))) return false;
    return this.loops.some((inner) => inner.parent === l.id && !this.small(inner));
  }

  /**
   * A solver's convergence loop (`do { ... delta += ... } while (delta > threshold)`, or `for (k < max_iter) { ...;
   * if (sum <= tol) break; }`): whether another pass runs depends on a sum over the whole pass before it, so no loop
   * order or blocking reuses data across passes.
   */
  converges(l: LoopFact): boolean {
    const tests = l.kind === 'do' || l.kind === 'while' ? (l.condition ? [l.condition] : []) : l.exitTests ?? [];
    if (!tests.length) return false;
    const tested = new Set(tests.join(' ').match(/[A-Za-z_]\w*/g) ?? []);
    return this.loops.some((inner) => inner !== l && this.chain(inner).includes(l) && (inner.reductions ?? []).some((r) => tested.has(r.variable)));
  }

  filterLoop(l: LoopFact): boolean {
    return filterLoop(l, this.loops, this.accesses);
  }

  depth(): number {
    let best = 0;
    for (const l of this.loops) best = Math.max(best, this.chain(l).filter((c) => this.loops.includes(c) && this.counts(c)).length);
    return best;
  }

  /**
   * A tile loop (`ii += BS`, `ii += 64`) with a loop inside it that starts from it, is bounded by it, or is a small tile loop;
   * a loop under `#pragma omp tile sizes(...)`; or a `while`/`do` loop stepping a tile start (`i0 += bs`) that a loop inside
   * starts from and is bounded by (`for (i = i0; i < min(i0 + bs, n); ++i)`).
   */
  blocked(): boolean {
    if (this.loops.some((l) => l.pragmas.some((p) => /^omp\s+tile\b/.test(p)))) return true;
    // a tile's point loop, the tile start given from outside (a tile kernel called by a blocked driver):
    // `for (i = i0; i < i0 + bs; ++i)`, `for (k = kb; k < std::min(kb + BS, n); ++k)`
    for (const l of this.loops) {
      if (l.kind !== 'for') continue;
      const header = this.lines[l.headerRange.start.line]?.slice(l.headerRange.start.column, l.headerRange.end.column) ?? '';
      const m = /^for\s*\(\s*(?:[\w:<>]+\s+)*([A-Za-z_]\w*)\s*=\s*([A-Za-z_]\w*)\s*;([^;]*);/.exec(header);
      if (m && new RegExp(`\\b${m[2]}\\s*\\+\\s*(?:${TILE_SIZE})\\b`).test(m[3])) return true;
    }
    for (const outer of this.loops) {
      if (outer.kind !== 'while' && outer.kind !== 'do') continue;
      const body = this.lines.slice(outer.range.start.line, outer.range.end.line + 1).join('\n');
      for (const inner of this.loops) {
        if (inner === outer || !inner.init || !inner.bound || !this.chain(inner).includes(outer)) continue;
        for (const sym of inner.init.symbols()) {
          if (!ofLoop(outer)(sym)) continue;
          const v = sym.slice(sym.indexOf(':') + 1).replace(/'+$/, '');
          if (!/^[A-Za-z_]\w*$/.test(v) || !new RegExp(`\\b${v}\\b`).test(inner.bound)) continue;
          const stepped = new RegExp(`\\b${v}\\s*(?:\\+=\\s*(?!1\\s*;)[\\w(]|=\\s*${v}\\s*\\+\\s*(?!1\\s*;)[\\w(])`);
          if (stepped.test(body)) return true;
        }
      }
    }
    for (const outer of this.loops) {
      const step = outer.step;
      if (!step || step.unknown) continue;
      const tileStep = step.isConstant ? Math.abs(step.constant) >= TILE_STEP : true;
      if (!tileStep || !outer.variable) continue;
      const name = new RegExp(`\\b${outer.variable}\\b`);
      for (const inner of this.loops) {
        if (inner === outer || !this.chain(inner).includes(outer)) continue;
        if (inner.init && dependsOnLoop(inner.init, outer)) return true;
        if (inner.bound && name.test(inner.bound)) return true;
        if (this.small(inner)) return true;
        if (this.walksWithin(inner, outer, step)) return true;
      }
    }
    // a tile loop counting tiles (PLUTO's `t2 <= floord(n - 1, 32)`) whose point loop spans the tile it names:
    // `for (t5 = 32 * t2; t5 <= min(n - 1, 32 * t2 + 31); t5++)`
    for (const outer of this.loops) {
      if (!outer.variable || !outer.step?.isConstant || outer.step.constant !== 1) continue;
      const name = new RegExp(`\\b${outer.variable}\\b`);
      for (const inner of this.loops) {
        if (inner === outer || !inner.init || !inner.bound || !name.test(inner.bound) || !this.chain(inner).includes(outer)) continue;
        const c = inner.init.coefficient(outer.symbol);
        if (c.isConstant && c.constant >= TILE_STEP) return true;
      }
    }
    // a tile handed to a helper: a loop stepping by a cache tile (`p += kc`) around a call whose loops are inlined here
    return this.loops.some((l) => l.id >= HOST_LOOP_IDS && this.chain(l).some((o) => o.id < HOST_LOOP_IDS && tileStride(o)));
  }

  /**
   * A point loop that walks inside the tile of a tile loop by a relative offset: `C[(i + ir) * N + j]`
   * under `i += MC`, or `tile_a[i * K + k]` with `tile_a = A + tile_row * K` under `tile_row += 16`.
   * In some index, the tile loop moves it `step` times as far as the point loop does.
   */
  walksWithin(inner: LoopFact, outer: LoopFact, step: Poly): boolean {
    return this.accesses.some((a) =>
      a.indices.some((p) => {
        const byInner = p.coefficient(inner.symbol);
        const byOuter = p.coefficient(outer.symbol);
        return !byInner.unknown && !byOuter.unknown && byInner.terms.size > 0 && byOuter.equals(byInner.mul(step));
      }),
    );
  }

  /**
   * The index forms over loop *values* rather than iteration counts: a loop starting at an
   * outer loop's value (`for (j = k + 1; ...)`) gets its own variable, so `A[i][j]` in a
   * triangular nest reads as independent of `k` (the same elements come back for each `k`).
   */
  valueForms(a: AccessFact): Poly[] {
    let cached = this.forms.get(a);
    if (cached) return cached;
    const inner = a.loops.map((id) => this.byId.get(id)).filter((l): l is LoopFact => !!l).reverse();
    cached = a.indices.map((p) => {
      for (const m of inner) {
        if (!m.init || m.init.unknown || m.init.isConstant || !m.step?.isConstant || Math.abs(m.step.constant) !== 1) continue;
        // a window whose end moves with the loops its start does (`y = oy*S; y < oy*S + S`): each outer step reads
        // the next window, not the same elements again
        if (m.limit && m.init.dependsOn((s) => s.startsWith('#loop') && m.limit!.dependsOn((t) => t === s))) continue;
        const c = p.coefficient(m.symbol);
        if (c.unknown || c.terms.size === 0) continue;
        p = p.sub(c.scale(m.step.constant).mul(m.init));
      }
      return p;
    });
    this.forms.set(a, cached);
    return cached;
  }

  dependsOn(a: AccessFact, l: LoopFact): boolean {
    return this.valueForms(a).some((p) => dependsOnLoop(p, l));
  }

  /**
   * Accesses re-read across an enclosing large loop, with the large loops inside it they
   * sweep. An access is re-read across the outermost loop whose symbol its index omits;
   * a loop that indexes nothing (a time or iteration loop) counts only when no other loop
   * does and data flows from one pass to the next.
   */
  reuses(): Reuse[] {
    const out: Reuse[] = [];
    for (const a of this.accesses) {
      const loops = a.loops.map((id) => this.byId.get(id)!).filter((l) => l && this.loops.includes(l));
      let timeReuse: Reuse | null = null;
      let found = false;
      for (let i = 0; i < loops.length && !found; i++) {
        const l = loops[i];
        // (a buffer declared inside `l` is a new one on each pass: nothing of it is re-read)
        if (!this.counts(l) || this.dependsOn(a, l) || a.declaredUnder?.includes(l.id)) continue;
        // a scratch array each pass of `l` fills before reading it back: nothing read comes from an earlier pass
        if ((!this.isTimeLoop(l) && this.refilledEachPass(a, l)) || this.handedToCall(a.array, l)) continue;
        const sweeps = loops.slice(i + 1).filter((inner) => this.counts(inner) && this.dependsOn(a, inner));
        if (sweeps.length === 0 || this.fitsInL2(a, sweeps)) continue;
        if (this.isTimeLoop(l)) {
          if (!timeReuse && this.carriesData(l) && !this.contracted(l)) timeReuse = { access: a, loop: l, sweeps };
          continue;
        }
        // (an array each pass rewrites after summing over it, per-sample SGD's weights under the sample loop: the next pass
        // needs all of it first, as in a time loop)
        if (this.accesses.some((w) => w.kind !== 'load' && w.array === a.array && w.loops.includes(l.id)) && this.contracted(l)) continue;
        out.push({ access: a, loop: l, sweeps });
        found = true;
      }
      if (!found && timeReuse) out.push(timeReuse);
    }
    return out;
  }

  /**
   * `matmul(s->q, ...)` or `memset(xb, ...)` in a pass of `l`, a call the nest does not see into: it may rewrite the
   * buffer on every pass (a layer loop), so what the nest reads of it need not be the last pass's data.
   */
  handedToCall(array: string, l: LoopFact): boolean {
    const key = `${array}\u0000${l.id}`;
    let known = this.handed.get(key);
    if (known === undefined) this.handed.set(key, (known = this.passedToOpaqueCall(array, l)));
    return known;
  }
  private readonly handed = new Map<string, boolean>();

  private passedToOpaqueCall(array: string, l: LoopFact): boolean {
    // (a helper inlined into the nest with its accesses of the buffer is seen into, and so is an intrinsic the walk read
    // as an access, `_mm256_loadu_ps(&B[k * ldb + j])`; `std::swap` of two buffers is a time step's ping-pong, which
    // carriesData reads)
    const seen = (call: CallFact) => this.accesses.some((a) => a.array === array && rangeHolds(call.range, a.calledAt ?? a.range.start));
    return this.fn.calls.some((c) => c.kind === 'call' && c.name !== 'swap' && c.loops.includes(l.id) && c.argRoots.includes(array) && !seen(c));
  }

  /**
   * `sys[j][i] = ...` over the whole plane, then `... = sys[j][i]` in the same pass of `k`: the array's
   * first access in each pass (in source order) is a store that `l` does not move, so the pass reads and
   * rewrites what it wrote itself (a per-plane scratch, privatizable), not what an earlier pass left.
   * (A first statement that also reads the array, `s[j] = s[j] + 1`, reads the earlier pass's values.)
   */
  refilledEachPass(a: AccessFact, l: LoopFact): boolean {
    const key = `${a.array}\u0000${l.id}`;
    let known = this.refilled.get(key);
    if (known === undefined) this.refilled.set(key, (known = this.startsAfresh(a.array, l)));
    return known;
  }
  private readonly refilled = new Map<string, boolean>();

  private startsAfresh(array: string, l: LoopFact): boolean {
    const inPass = this.accesses.filter((x) => x.array === array && x.loops.includes(l.id));
    // (an inlined helper's access comes where the helper is called, not at its own line above the caller)
    const at = (x: AccessFact) => x.calledAt ?? x.range.start;
    const first = inPass.reduce<AccessFact | null>((m, x) => (!m || positionBefore(at(x), at(m)) ? x : m), null);
    if (!first || first.kind !== 'store' || this.dependsOn(first, l)) return false;
    return !inPass.some((x) => x.kind !== 'store' && at(x).line === at(first).line);
  }

  /**
   * A time step that solves along whole lines both ways, as ADI's Thomas algorithm does: a forward recurrence
   * (`p[i][j] = f(p[i][j - 1])`, `j` running up) and a back substitution that reads what it computed
   * (`v[j][i] = p[i][j] * v[j + 1][i] + q[i][j]`, `j` running down) in each pass of `t`. The back substitution starts
   * from the end of the line the forward pass has just finished, so no tile can run several steps ahead of the rest
   * of its lines: time tiling is not legal there. (Unconnected scans beside a stencil, one each way, say nothing.)
   */
  solvesLinesBothWays(t: LoopFact): boolean {
    const recurrences: { direction: number; array: string; loop: number }[] = [];
    const zero = (p: Poly) => p.isConstant && p.constant === 0;
    for (const w of this.accesses) {
      if (w.kind !== 'store' || !w.loops.includes(t.id)) continue;
      const inner = this.byId.get(w.loops[w.loops.length - 1]);
      if (!inner || inner === t) continue;
      for (const r of this.accesses) {
        if (r.kind === 'store' || r.array !== w.array || r.loops[r.loops.length - 1] !== inner.id || r.indices.length !== w.indices.length) continue;
        // the read is the element the previous pass of `inner` wrote: one subscript apart by what a pass moves it (the
        // pass symbol's coefficient, negative for a loop running down), the others the same
        const apart = r.indices.map((p, i) => p.sub(w.indices[i]));
        const at = apart.findIndex((d) => !zero(d));
        if (at < 0 || apart.some((d, i) => i !== at && !zero(d)) || !apart[at].isConstant) continue;
        // (along the innermost loop, or along a loop around it: ADI written line-parallel, `for j { for i: c[j][i] = f(c[j - 1][i]) }`)
        const along = w.loops.slice(w.loops.indexOf(t.id) + 1).map((id) => this.byId.get(id)?.symbol).find((sym) => {
          const c = sym ? w.indices[at].coefficient(sym) : null;
          return !!c && c.isConstant && c.constant !== 0 && apart[at].constant === -c.constant;
        });
        if (along) recurrences.push({ direction: Math.sign(w.indices[at].coefficient(along).constant), array: w.array, loop: inner.id });
      }
    }
    // (one pass reads what the other's recurrence wrote: ADI's back substitution reads the forward pass's `p` and `q`)
    const reads = (loop: number, array: string) => this.accesses.some((a) => a.kind !== 'store' && a.array === array && a.loops[a.loops.length - 1] === loop);
    return recurrences.some((f) => recurrences.some((b) => b.direction !== f.direction && (f.array === b.array || reads(b.loop, f.array) || reads(f.loop, b.array))));
  }

  /**
   * A read inside `l` of an array written inside `l`, at an index that moves with `l` and differs
   * from where it is written (`d[i][k]` against `d[i][j] = ...` under `for k`): one pass of `l`
   * reads what an earlier pass wrote, so `l` cannot be moved inside the tile loops. An update of
   * one element (`C[i][j] += ...`) is a reduction, not such a dependence.
   */
  carriedRead(l: LoopFact): AccessFact | null {
    const inside = this.accesses.filter((a) => a.loops.includes(l.id));
    const same = (a: AccessFact, b: AccessFact) => a.indices.length === b.indices.length && a.indices.every((p, i) => p.equals(b.indices[i]));
    // (`out[k][j][i - 1]` against `out[k][j][i] = ...`: a subscript both write as the same function of `l` alone pins
    // them to the same pass, so the read sees this pass's writes, not an earlier one's)
    const ownsL = (p: Poly) => dependsOnLoop(p, l) && !p.dependsOn((s) => s.startsWith('#loop') && !ofLoop(l)(s));
    const samePass = (a: AccessFact, b: AccessFact) => a.indices.length === b.indices.length && a.indices.some((p, i) => ownsL(p) && p.equals(b.indices[i]));
    for (const r of inside) {
      if (r.kind === 'store') continue;
      // (a row an earlier pass finished, `A[k][j]` under `k < i` where pass `i` writes row `A[i][...]`: LU, Cholesky)
      if (this.earlierRow(r, l, inside)) return r;
      if (!this.dependsOn(r, l)) continue;
      const writes = inside.filter((w) => w.kind !== 'load' && w.array === r.array && !this.mirrored(w, l, inside));
      if (writes.length && !writes.every((w) => same(w, r) || samePass(w, r))) return r;
    }
    return null;
  }

  /**
   * A symmetric matrix's mirror store, `cov[j][i] = cov[i][j]` with `j` from `i` up: pass `i` fills column `i` below the
   * diagonal, which later passes (rows and columns from theirs up) never read. Not a dependence.
   */
  private mirrored(w: AccessFact, l: LoopFact, inside: readonly AccessFact[]): boolean {
    if (w.indices.length !== 2 || !l.symbol) return false;
    const [row, col] = w.indices;
    // (a loop's variable reads as its start plus the loop's count: `j` from `i` is `i + #loop:j`)
    const from = Poly.sym(l.symbol);
    const rowLoop = this.loops.find((m) => m !== l && !!m.symbol && !!m.init?.equals(from) && row.equals(from.add(Poly.sym(m.symbol))));
    if (!col.equals(from) || !rowLoop) return false;
    return inside.some((o) => o !== w && o.kind !== 'load' && o.array === w.array && o.indices.length === 2 && o.indices[0].equals(col) && o.indices[1].equals(row));
  }

  /**
   * `r` reads a row of a 2-D array by a loop running below `l`'s variable (`k < i`, or `k < j` with `j < i`), and each
   * pass of `l` writes its own row (`A[i][j] -= ...`): the rows read were written by earlier passes.
   */
  private earlierRow(r: AccessFact, l: LoopFact, inside: readonly AccessFact[]): boolean {
    if (r.indices.length < 2 || !l.variable) return false;
    const loneLoop = (p: Poly) => {
      if (p.unknown || p.constant !== 0 || p.terms.size !== 1) return undefined;
      const [[sym, c]] = [...p.terms];
      return c === 1 ? this.loops.find((m) => m.symbol === sym) : undefined;
    };
    const ownRow = inside.some((w) => w.kind !== 'load' && w.array === r.array && w.indices.length === r.indices.length && loneLoop(w.indices[0]) === l);
    if (!ownRow) return false;
    // (through loops bounded by one another, at most as deep as the nest)
    let m = loneLoop(r.indices[0]);
    for (let hops = 0; m && m !== l && hops < this.loops.length; hops++) {
      if (!m.limit || m.inclusive) return false;
      const below = loneLoop(m.limit);
      if (below === l) return true;
      m = below;
    }
    return false;
  }

  /**
   * All swept loops have constant trip counts and what they sweep of the array fits in L2 (a 128×128 matmul); or the
   * whole array, by the extents its parameter declares (PolyBench's `double C4[NP][NP]`, 200 KB), fits.
   */
  fitsInL2(a: AccessFact, sweeps: LoopFact[]): boolean {
    const declared = fixedArrayBytes(a, this.fn, this.defaults);
    if (declared !== null && declared <= L2_BYTES) return true;
    let bytes = (a.elemBits ?? 32) / 8;
    for (const l of sweeps) {
      const t = this.trip(l);
      if (t === null) return false;
      bytes *= t;
    }
    return bytes <= L2_BYTES;
  }

  /** An iteration/time loop: nothing in the nest is indexed by it. */
  isTimeLoop(l: LoopFact): boolean {
    let v = this.time.get(l.id);
    // (a source term read once a step, fdtd's `ey[0][j] = _fict_[t]`, indexes nothing the nest sweeps: still a time loop)
    const stepSource = (a: AccessFact) => a.kind === 'load' && a.indices.length === 1 && !a.indices[0].dependsOn((s) => s.startsWith('#loop') && !ofLoop(l)(s));
    if (v === undefined) this.time.set(l.id, (v = !this.accesses.some((a) => a.loops.includes(l.id) && this.dependsOn(a, l) && !stepSource(a))));
    return v;
  }

  /**
   * Is an array the loop `l` rewrites whole on each pass summed over a whole dimension inside it (a layer's forward pass, `in2[j] +=
   * out1[i] * w1[i][j]` over `i`, in a per-sample SGD loop that then updates `w1`)? Each pass then needs all of the
   * last pass's array before any of its own work: no skewing or blocking of `l` reuses its arrays, unlike a stencil's
   * neighbours.
   */
  contracted(l: LoopFact): boolean {
    let v = this.contractions.get(l.id);
    if (v === undefined) this.contractions.set(l.id, (v = this.findContraction(l)));
    return v;
  }
  private readonly contractions = new Map<number, boolean>();

  private findContraction(l: LoopFact): boolean {
    const inner = this.loops.filter((m) => m !== l && this.chain(m).includes(l));
    // (rewritten whole by each pass, its index not moving with `l`: an LU's pass writes its own row of what the next
    // ones sum over, a triangle a blocked LU reuses)
    // (nor a trailing part, `A[i][j]` for `j = k + 1 ..` of Gram-Schmidt: its loops must start where the pass does not move them)
    const fromStart = (a: AccessFact) => a.loops.every((id) => { const m = this.byId.get(id); return !m || m === l || !m.init || !m.init.dependsOn((x) => x === l.symbol); });
    const written = new Set(this.accesses.filter((a) => a.kind !== 'load' && a.loops.includes(l.id) && !this.dependsOn(a, l) && fromStart(a)).map((a) => a.array));
    // (into an array, `in2[j] += ...` not moving with `i`, or into a scalar, `sum += w2[i][j] * theta3[j]` over `j`)
    return this.accesses.some((r) => r.kind === 'load' && written.has(r.array) && r.loops.includes(l.id) && inner.some((m) => r.loops.includes(m.id) && this.dependsOn(r, m) &&
      ((m.reductions ?? []).some((red) => red.variable !== m.variable) || this.accesses.some((u) => u.kind === 'update' && u.array !== r.array && u.loops.join() === r.loops.join() && !this.dependsOn(u, m)))));
  }

  /**
   * Does one pass of the loop read what an earlier pass wrote: an array both written and read
   * inside it, or buffers swapped (`std::swap`, or through a temporary)? A benchmark repetition loop around a
   * kernel that reads `in` and writes `out` does not, and is not worth temporal blocking.
   */
  carriesData(l: LoopFact): boolean {
    const inside = this.accesses.filter((a) => a.loops.includes(l.id));
    const written = new Set(inside.filter((a) => a.kind !== 'load').map((a) => a.array));
    if (inside.some((a) => a.kind !== 'store' && written.has(a.array))) return true;
    const arrays = new Set(inside.map((a) => a.array));
    // (or a temporary's three assignments, `tmp = A; A = B; B = tmp;`: one of the arrays pointed at the other's buffer)
    if (l.repoints?.some(([to, from]) => arrays.has(to) && arrays.has(from))) return true;
    // (or a swap of local pointers the accesses were read through, `double *src = A, *dst = B;` then `tmp = src; src = dst;
    // dst = tmp;`: the accesses name the buffers, A and B, the swap the pointers; a pass that writes one and reads the other)
    const swapped = (l.repoints ?? []).some(([to, from]) => (l.repoints ?? []).some(([t2]) => t2 === from) && to !== from);
    if (swapped && inside.some((a) => a.kind !== 'load') && inside.some((a) => a.kind === 'load' && !written.has(a.array))) return true;
    return this.fn.calls.some((c) => c.loops.includes(l.id) && c.name === 'swap' && c.argRoots.filter((r) => r && arrays.has(r)).length >= 2);
  }
}

const name = (l: LoopFact) => `\`${l.variable ?? (l.kind === 'do' ? 'do' : l.kind === 'while' ? 'while' : 'for')}\`` + (l.helper ? ` (in \`${l.helper}\`)` : '');
/** "every `i`", or "every pass of the `while` loop" for a loop without a variable. */
const every = (l: LoopFact) => (l.variable ? `every ${name(l)}` : `every pass of the ${name(l)} loop`);
function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Groups reuses by array and reuse loop: a stencil reads one array at several offsets. */
function groups(reuses: Reuse[]): Reuse[][] {
  const map = new Map<string, Reuse[]>();
  for (const r of reuses) {
    const key = `${r.access.array}|${r.loop.id}`;
    const g = map.get(key) ?? [];
    g.push(r);
    map.set(key, g);
  }
  return [...map.values()];
}

/** "`b[k][j]` is re-read for every `i` and `a[i][k]` for every `j`": one clause per reuse loop. */
function describe(gs: Reuse[][]): string {
  const byLoop = new Map<number, Reuse[][]>();
  for (const g of gs) byLoop.set(g[0].loop.id, [...(byLoop.get(g[0].loop.id) ?? []), g]);
  const clauses = [...byLoop.values()].map((lgs, n) => {
    const items = lgs.map((g) => {
      const texts = new Set(g.map((r) => oneLine(r.access.text)));
      const more = texts.size - 1;
      return `\`${oneLine(g[0].access.text)}\`${more > 0 ? ` (and ${more} more access${more > 1 ? 'es' : ''} to \`${g[0].access.array}\`)` : ''}`;
    });
    const verb = n > 0 ? '' : items.length > 1 ? 'are re-read ' : 'is re-read ';
    return `${list(items)} ${verb}for ${every(lgs[0][0].loop)}`;
  });
  return list(clauses);
}

function tileHint(bits: number | null, type: string | null): string {
  const bytes = (bits ?? 32) / 8;
  const edge = bytes <= 4 ? 64 : 32;
  const kib = (edge * edge * bytes) / 1024;
  return `e.g. ${edge}×${edge} tiles of \`${type ?? 'float'}\` ≈ ${kib} KiB, which fit in L1 and L2`;
}

/** A loop stepping by a cache tile (`i += mc`, `p += 128`): what it calls works on one tile. */
const tileStride = (l: LoopFact) => !!l.step && !l.step.unknown && (l.step.isConstant ? Math.abs(l.step.constant) >= TILE_HANDOFF_STEP : true);

/**
 * Functions every call of which in the file sits in a tile loop (`InnerKernel(ib, n, pb, &A(i, p), ...)` under `p += kc`):
 * blocked by their callers. `whole`: the callers hand over tile coordinates (a moving integer argument) or the callee is
 * not the file's, so all of its arrays count as tiled; else only the array parameters a call's step moves do. A mini-batch
 * loop handing each batch to a dense layer, `dense_forward(xb, W, ...)` under `s += BATCH`, tiles the samples, never `W`.
 */
function tiledCallees(functions: readonly FunctionFacts[]): Map<string, { whole: boolean; params: Set<string> }> {
  const byName = new Map(functions.map((f) => [f.name, f] as const));
  const inTile = new Map<string, { whole: boolean; params: Set<string> } | null>();
  for (const fn of functions) {
    for (const c of fn.calls) {
      if (c.kind !== 'call') continue;
      const tiles = c.loops.map((id) => fn.loops[id]).filter((l): l is LoopFact => !!l && tileStride(l));
      const had = inTile.get(c.name);
      if (!tiles.length || had === null) {
        inTile.set(c.name, null);
        continue;
      }
      const callee = byName.get(c.name);
      const entry = had ?? { whole: !callee, params: new Set<string>() };
      const vars = tiles.flatMap((l) => (l.variable ? [l.variable] : []));
      const moves = (i: number) => !!c.movingArgs?.includes(i) || vars.some((v) => new RegExp(`\\b${v}\\b`).test(c.args[i] ?? ''));
      callee?.params.forEach((p, i) => {
        if (!moves(i)) return;
        if (p.pointer || p.rank) entry.params.add(p.name);
        else entry.whole = true;
      });
      if (callee && callee.params.length < c.args.length) entry.whole = true;
      inTile.set(c.name, entry);
    }
  }
  return new Map([...inTile].flatMap(([n, t]) => (t ? [[n, t] as const] : [])));
}

/** A server core's L2 (1 to 2 MiB): a swept block past this misses there too. */
const SERVER_L2_BYTES = 2 << 20;

/**
 * The element width a size is counted at: an element type an `#if` leaves open, `int` or `double` for PolyBench's
 * `DATA_TYPE`, counts as the narrower one, and the size is said as at least that.
 */
function sizingBits(a: AccessFact): { bits: number; atLeast: string } {
  const widths = (a.elemAlternatives ?? []).map((t) => elementBits(t, new Map())).filter((b): b is number => b !== null);
  const narrowest = widths.length === (a.elemAlternatives ?? []).length && widths.length > 1 ? Math.min(...widths) : null;
  return { bits: narrowest ?? a.elemBits ?? 32, atLeast: narrowest !== null && narrowest !== Math.max(...widths) ? 'at least ' : '' };
}
const sizeText = (bytes: number) => (bytes >= 1 << 20 ? `${+(bytes / (1 << 20)).toFixed(1)} MiB` : `${+(bytes / 1024).toFixed(1)} KiB`);

/**
 * The block the sweeping loops cover when their trip counts are known (1024×1024, 8 MiB, more than L2 holds), else null.
 * (Only blocks past L2_BYTES get here: one that a server core's larger L2 may hold says so.)
 */
function sweptSize(nest: Nest, loops: readonly LoopFact[], a: AccessFact): { extents: string; size: string; fits: string } | null {
  const trips = loops.map((l) => nest.trip(l));
  if (trips.some((t) => t === null)) return null;
  const { bits, atLeast } = sizingBits(a);
  const bytes = (trips as number[]).reduce((n, t) => n * t, bits / 8);
  return {
    extents: trips.join('×'),
    size: atLeast + sizeText(bytes),
    fits: bytes > SERVER_L2_BYTES ? 'more than L2 holds' : `more than a ${L2_BYTES / 1024} KiB L2 holds (a 1-2 MiB server L2 may hold it: then blocking gains less)`,
  };
}

/** Two-letter tile variable for a loop variable: `k` -> `kk`, `ic` -> `ic0`. */
const tileVar = (v: string) => (v.length === 1 ? v + v : `${v}0`);

/** `tiledByCaller`: array parameters the callers' tile loops hand over a tile at a time (not re-read whole here). */
function checkNest(nest: Nest, fn: FunctionFacts, tiledByCaller: ReadonlySet<string> = new Set()): RuleFinding | null {
  if (nest.depth() < 3) return null;
  if (nest.accesses.length === 0) return null;
  // an index we could not model (indirect, clamped, computed by a call): say nothing about the nest
  if (nest.accesses.some((a) => a.indices.some((p) => p.unknown))) return null;
  if (nest.blocked()) return null;
  const reuses = nest.reuses();
  // the re-read data must span two or more large dimensions to outgrow a cache;
  // the re-read arrays, those read (not only written) and swept over the most loops first
  let primary = groups(reuses.filter((r) => r.sweeps.length >= 2 && !tiledByCaller.has(r.access.array))).sort(
    (a, b) => Number(b[0].access.kind === 'load') - Number(a[0].access.kind === 'load') || b[0].sweeps.length - a[0].sweeps.length,
  );
  if (primary.length === 0) return null;
  // re-reads across an index loop (i in a matmul) are the finding; across a time loop only when there are no others
  const timeOnly = primary.every((g) => nest.isTimeLoop(g[0].loop));
  if (timeOnly && nest.solvesLinesBothWays(primary[0][0].loop)) return null;
  if (!timeOnly) primary = primary.filter((g) => !nest.isTimeLoop(g[0].loop));
  // arrays only written in the nest are rewritten, not re-read: keep them out of the message when others are re-read
  const reads = (g: Reuse[]) => g.some((r) => r.access.kind !== 'store');
  if (primary.some(reads)) primary = primary.filter(reads);
  const secondary = groups(reuses.filter((r) => r.sweeps.length === 1))
    .filter(reads)
    .filter((g) => timeOnly || !nest.isTimeLoop(g[0].loop))
    .filter((g) => !primary.some((p) => p[0].access.array === g[0].access.array));

  // loop order of the deepest chain, outermost first
  const deepest = nest.loops.reduce((a, b) => (nest.chain(b).length > nest.chain(a).length ? b : a), nest.root);
  const order = nest.chain(deepest).reverse().filter((l) => nest.counts(l));
  const depth = order.length;
  // (a helper's loop named like a loop around its call, `i` in `axpy` under the caller's `i`, is named with its helper)
  const label = (l: LoopFact) => (l.helper && order.some((o) => o !== l && o.variable === l.variable) ? `${l.helper}.${l.variable}` : l.variable);
  const orderText = order.every((l) => l.variable) ? ` (${order.map(label).join('-')} order)` : '';

  const main = primary[0];
  const reuseLoop = main[0].loop;
  // the loops to block: those the re-read array is swept by (sibling loops of one name count once)
  // (a helper's loop is not the caller's loop of the same name)
  const blockLoops = [...new Map(main.flatMap((r) => r.sweeps).sort((a, b) => a.depth - b.depth || a.id - b.id).map((l) => [`${l.helper ?? ''}.${l.variable ?? `#${l.id}`}`, l])).values()];
  // the re-reading and the sweeping all inside a helper (a benchmark's repeat loop around `naiveMatmul(...)`):
  // the helper's own nest, reported where the helper is defined
  if (reuseLoop.helper && blockLoops.every((l) => l.helper)) return null;
  const arr = `\`${main[0].access.array}\``;
  const seen = describe([...primary, ...secondary]);
  const timeLoop = nest.isTimeLoop(reuseLoop);
  let advice: string;
  const carried = timeLoop ? null : nest.carriedRead(reuseLoop);
  if (carried) {
    // Floyd–Warshall, LU: the reuse loop carries a dependence and must stay outermost
    const k = name(reuseLoop);
    advice =
      `the ${k} loop carries a dependence (\`${oneLine(carried.text)}\` reads what earlier ${k} passes wrote to \`${carried.array}\`), so it cannot simply be moved inside tile loops: ` +
      `blocking only the ${list(blockLoops.map(name))} loops with ${k} kept outermost is legal but leaves this reuse alone. ` +
      `Restructure it as a blocked algorithm instead: for each block of ${k} steps, update the diagonal tile, then the tiles of its row and column, then the remaining tiles, ` +
      `each over the whole ${k} block (as blocked LU factorization, e.g. LAPACK \`getrf\`, and blocked Floyd–Warshall do), so a tile of ${arr} is reused across a block of ${k} steps ` +
      `(${tileHint(main[0].access.elemBits, main[0].access.elemType)})`;
  } else if (timeLoop) {
    advice =
      `tile the ${list(blockLoops.map(name))} loops and advance several ${reuseLoop.variable ? `${name(reuseLoop)} steps` : `passes of the ${name(reuseLoop)} loop`} on one tile before moving to the next ` +
      `(time skewing or overlapped/wavefront tiling, respecting the dependences between steps), so a tile of ${arr} is reused from cache across steps`;
  } else {
    const b = blockLoops[blockLoops.length - 1];
    const v = b.variable;
    const t = v ? tileVar(v) : '';
    const example = v && b.bound ? ` (\`for (${t} = 0; ${t} < ${oneLine(b.bound)}; ${t} += BS)\` outside, \`for (${v} = ${t}; ${v} < min(${t} + BS, ${oneLine(b.bound)}); ++${v})\` inside)` : '';
    advice =
      `block the ${list(blockLoops.map(name))} loops${example} ` +
      `so a tile of ${arr} stays in cache while the ${name(reuseLoop)} loop re-reads it (${tileHint(main[0].access.elemBits, main[0].access.elemType)})`;
  }
  // one line: the array, the loop that re-reads it, the cost; what was seen and what to do go to `detail`
  const message = `${arr} re-read on ${every(reuseLoop)} of this unblocked ${depth}-deep nest${orderText}: cache misses for large sizes`;
  const explanation = detail(
    `${seen} in this ${depth}-deep loop nest, and nothing blocks it: each pass re-reads data evicted since the last one.`,
    `${advice[0].toUpperCase()}${advice.slice(1)}.` + (timeLoop || carried ? '' : ' Or call a tuned library (BLAS, oneDNN), which blocks for every cache level.'),
  );

  const related: RelatedLocation[] = [];
  const listed = new Set<string>();
  for (const g of [...primary, ...secondary]) {
    for (const r of g) {
      const key = `${oneLine(r.access.text)}|${r.loop.id}`;
      if (listed.has(key)) continue;
      listed.add(key);
      related.push({ range: r.access.range, message: `\`${oneLine(r.access.text)}\` does not depend on ${r.loop.variable ? name(r.loop) : `the ${name(r.loop)} loop`}: ${r.access.kind === 'store' ? 'rewritten' : 're-read'} on ${every(r.loop)}` });
    }
  }
  const mainSweeps = list(blockLoops.map(name));
  const swept = sweptSize(nest, blockLoops, main[0].access);
  // (the re-read array's whole size where its parameter declares its extents, `double A[N][N]`, and the loops' trips are not known)
  const sizing = sizingBits(main[0].access);
  const declared = swept ? null : fixedArrayBytes({ ...main[0].access, elemBits: sizing.bits }, fn, nest.defaults);
  return {
    range: nest.root.headerRange,
    message,
    detail: explanation,
    function: fn.name,
    confidence: 'likely',
    assumptions: [
      swept
        ? `between two re-reads, the ${mainSweeps} loops sweep a ${swept.extents} block of ${arr} (${swept.size}), ${swept.fits}`
        : declared !== null
        ? `between two re-reads, the ${mainSweeps} loops sweep a ${blockLoops.length}-D block of ${arr}, an array declared ${sizing.atLeast}${sizeText(declared)}; assumes the block does not fit in a ${L2_BYTES / 1024} KiB L2${declared <= SERVER_L2_BYTES ? ' (a 1-2 MiB server L2 may hold it: then blocking gains less)' : ''}`
        : `assumes the ${timeLoop ? 'grids' : blockLoops.length === 2 ? 'matrices' : 'arrays'} do not fit in L2 (their sizes are not known here): between two re-reads, the ${mainSweeps} loops sweep a ${blockLoops.length}-D block of ${arr}`,
      'assumes the compiler does not block the nest itself (GCC and Clang do not by default; Polly or GCC `-floop-block` can)',
    ],
    benefit: timeLoop
      ? `depends on the sizes and the cache: when the grids do not fit in cache, temporal blocking cuts memory traffic by about the number of ${reuseLoop.variable ? `${name(reuseLoop)} steps` : 'passes'} advanced per tile; when they fit, it gains little`
      : `depends on the sizes and the cache: when ${arr} does not fit in cache, blocking cuts its memory traffic by about the tile size ` +
        `(each element brought into cache is reused about that many times before eviction); when everything fits in cache already, blocking gains little`,
    related,
  };
}

/** Reference implementations kept to check an optimized kernel against: nobody should block those. */

function check(fn: FunctionFacts, constants: Constants, lines: readonly string[], defaults?: Constants, tiledByCaller: ReadonlySet<string> = new Set()): RuleFinding[] {
  if (fn.isKernel || fn.isDevice || isReferenceOracle(fn.name)) return [];
  // (a parameter hides a constant of the same name another function declares: `int T`, a sequence length, is not the
  // `const int T = 32` of a tiled matmul beside it)
  const params = new Set(fn.params.map((p) => p.name));
  if ([...params].some((p) => constants.has(p))) constants = new Map([...constants].filter(([name]) => !params.has(name)));
  const trip = (l: LoopFact) => constantTrip(l, constants);
  const small = (l: LoopFact) => {
    const t = trip(l);
    if (t !== null) return t <= SMALL_TRIP;
    // `for (ix = 0; ix < AROW; ++ix)` with AROW a template parameter: a compile-time tile (a micro-kernel's
    // register block), already the blocked shape
    if (l.bound !== null && fn.templateParams.includes(l.bound.trim())) return true;
    // `for (j = i; j < 16; ++j)`: a start we do not know, but an upward loop to a small constant
    const bound = l.kind === 'for' ? constantValue(l.bound, constants) : null;
    return bound !== null && bound <= SMALL_TRIP && !!l.step?.isConstant && l.step.constant > 0;
  };
  const out: RuleFinding[] = [];
  // (a benchmark's set-up before its first clock read, or its check of the results after the last)
  // (a benchmark's repetition loop, `for (iter ...) { if (iter == 1) t = wtime(); ... }`, repeats the nests inside it: those are the roots)
  const roots = (parent: number | null): LoopFact[] =>
    fn.loops.filter((l) => l.parent === parent && !untunedLoop(fn, l)).flatMap((l) => (repetitionLoop(fn, l) ? roots(l.id) : [l]));
  for (const root of roots(null)) {
    // (a nest an OpenACC, OpenMP target or HMPP directive offloads runs as GPU threads: no CPU cache to block for)
    if (root.offloaded) continue;
    // the plain arm beside a blocked one (`if (nb >= n || !tiling) {...} else {tiled}`): the code blocks already
    if (hasBlockedTwin(fn, root, (other) => new Nest(other, fn, small, trip, lines, defaults).blocked())) continue;
    const f = checkNest(new Nest(root, fn, small, trip, lines, defaults), fn, tiledByCaller);
    if (f) out.push(f);
  }
  return out;
}

export const rule: Rule = {
  id: 'tiling/cpu-loop-nest',
  languages: ['cpp', 'cuda'],
  defaultSeverity: 'information',
  // (its blocked-nest tests read the loop headers' and bodies' text)
  readsLines: true,
  check: (facts: FileFacts) => {
    // host code with a loop nest at least 3 deep; the file's constants are read only then
    const untuned = untunedHosts(facts.functions, facts.project, includesCudaSource(facts));
    const deep = facts.functions.filter((fn) => !fn.isKernel && !fn.isDevice && !untuned.has(fn.name) && withInlined(fn).loops.some((l) => l.depth >= 2));
    if (deep.length === 0) return [];
    const tiled = tiledCallees(facts.functions);
    const nests = deep.filter((fn) => !tiled.get(fn.name)?.whole);
    const { constants, key } = fileConstants(facts.lines);
    const defaults = facts.defaultConstants;
    const defaultsKey = [...(defaults ?? [])].map(([n, v]) => `${n}=${v}`).join(',');
    return nests.flatMap((fn) => {
      const byCaller = [...(tiled.get(fn.name)?.params ?? [])].sort();
      return checkCached(fn, constants, facts.lines, `${key}|${defaultsKey}|${byCaller.join(',')}`, defaults, new Set(byCaller));
    });
  },
};

/** A nest's findings read only its own facts and lines, and the file's constants. */
const checkCached = perFunction(
  (fn: FunctionFacts, constants: Constants, lines: readonly string[], _key: string, defaults?: Constants, tiledByCaller?: ReadonlySet<string>) => check(fn, constants, lines, defaults, tiledByCaller),
  (_c: Constants, _l: readonly string[], key: string, _defaults?: Constants, _tiled?: ReadonlySet<string>) => key,
);
