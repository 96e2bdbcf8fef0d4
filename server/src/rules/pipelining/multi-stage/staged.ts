// The shape both pipelining/multi-stage and tiling/register-blocking look for in CUDA: a
// loop over tiles that, in every iteration, copies global memory into `__shared__` arrays
// (a shared store fed by a global load in the same statement), waits at `__syncthreads()`,
// then computes from those arrays, with a second barrier so the next copy does not
// overwrite what slower threads still read. Read off the facts only.
import type { AccessFact, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { Range } from '../../../core/types';
import { tripsAtEveryLaunch } from '../../common/hot-loops';

export interface StagedLoop {
  loop: LoopFact;
  /** Shared stores whose statement loads from global memory (the tile copies). */
  copies: AccessFact[];
  /** The global loads those copies take. */
  sources: AccessFact[];
  /** Shared reads after the barrier that follows the copies (the compute). */
  reads: AccessFact[];
  /** Barriers inside the loop, in source order. */
  barriers: Range[];
  /** Global loads after the barrier (an operand streamed straight from global memory, or the next tile prefetched into registers). */
  streams: boolean;
  /** Every store to a staged array in the loop is a copy from global memory (no register prefetch into it). */
  copiesOnly: boolean;
}

const before = (a: Range, b: Range) => a.start.line < b.start.line || (a.start.line === b.start.line && a.start.column < b.start.column);
export const inside = (r: Range, outer: Range) => !before(r, outer) && !before({ start: outer.end, end: outer.end }, r);

/** Tile steps up to which a second stage has too little to overlap (the prologue it adds is as long as the loop). */
const FEW_TILES = 4;

/** A loop over a small constant range (`for (i = 0; i < 4; ++i)`): an unrolled detail, not a loop over tiles. */
export function smallConstantTrip(loop: LoopFact): boolean {
  const bound = loop.bound !== null && /^\d+$/.test(loop.bound.trim()) ? Number(loop.bound) : null;
  return bound !== null && bound <= 16 && !!loop.init?.isConstant;
}

/** A step derived from the bound (`i < N_HEAD; i += N_HEAD / 4`): a fixed handful of iterations. */
const fixedTrip = (loop: LoopFact) => {
  const bound = loop.bound?.trim() ?? '';
  if (!/^\w+$/.test(bound)) return false;
  const word = new RegExp(`(^|\\W)${bound}(\\W|$)`); // uniform steps such as `N_HEAD/4` are one opaque symbol
  return !!loop.step?.dependsOn((x) => word.test(x));
};

/**
 * A shared store fed by a global load of the same statement: the access right after the
 * store in source order (the right-hand side comes after the subscript) is a global load
 * on the line where the store's target ends or the next two (`s_b[i] =\n    b[k * N + col];`).
 */
function copySource(store: AccessFact, ordered: AccessFact[]): AccessFact | undefined {
  const at = ordered.indexOf(store);
  // a tile copied by way of a register (`float4 tmp = FLOAT4(A[..]); As[..] = tmp.x; ...`): the load that filled it
  // earlier in the same iteration
  if (store.register) {
    for (let i = at - 1; i >= 0; i--) {
      const a = ordered[i];
      if (a.kind !== 'load' || a.register !== store.register) continue;
      return a.space === 'global' && a.loops.join() === store.loops.slice(0, a.loops.length).join() ? a : undefined;
    }
  }
  const next = ordered[at + 1];
  // (counted from where the store's target ends: a target clang-format breaks over lines, `*((int4 *)&smem[r][0] +\n ...) = *src`)
  if (!next || next.range.start.line - store.range.end.line > 2 || next.kind !== 'load') return undefined;
  if (next.space === 'global') return next;
  // through a register array filled from global memory earlier in the iteration (`reg[4*i..] = float4 load;
  // As[transposed] = reg[4*i]`): a copy that transposes on its way, not a prefetch of the next tile
  if (next.space !== 'local') return undefined;
  for (let i = at - 1; i >= 0; i--) {
    const a = ordered[i];
    if (a.array !== next.array || a.kind !== 'store' || a.space !== 'local') continue;
    if (a.loops.join() !== store.loops.slice(0, a.loops.length).join()) return undefined;
    return copySource(a, ordered);
  }
  return undefined;
}

/** Loops of a kernel that stage tiles through shared memory and compute from them (outermost first). */
export function stagedLoops(fn: FunctionFacts): StagedLoop[] {
  if (!fn.isKernel || fn.syncthreads.length < 2) return [];
  if (!fn.accesses.some((a) => a.space === 'shared')) return [];
  const ordered = [...fn.accesses].sort((a, b) => (before(a.range, b.range) ? -1 : before(b.range, a.range) ? 1 : 0));
  const out: StagedLoop[] = [];
  for (const loop of fn.loops) {
    if (loop.gridStride || loop.blockStride || smallConstantTrip(loop) || fixedTrip(loop)) continue;
    // (a few steps at every launch, `so < hs` with hs = C / NH = 64 in steps of 32: half its loads are the prologue a
    // second stage would add)
    if ((tripsAtEveryLaunch(loop, fn) ?? Infinity) <= FEW_TILES) continue;
    const within = fn.accesses.filter((a) => a.loops.includes(loop.id));
    // a loop that writes results as it goes (a scan over time steps, a row walk) streams; the loop over tiles only accumulates
    if (within.some((a) => a.space === 'global' && a.kind !== 'load')) continue;
    const stores = within.filter((a) => a.space === 'shared' && a.kind === 'store');
    const copies: AccessFact[] = [];
    const sources: AccessFact[] = [];
    for (const s of stores) {
      const src = copySource(s, ordered);
      if (src) {
        copies.push(s);
        sources.push(src);
      }
    }
    if (copies.length === 0) continue;
    const barriers = fn.syncthreads.filter((r) => inside(r, loop.range));
    if (barriers.length < 2) continue; // one barrier per iteration is not the load / compute / overwrite cycle
    const lastCopy = copies.reduce((m, c) => (before(m.range, c.range) ? c : m));
    const wait = barriers.find((b) => before(lastCopy.range, b));
    if (!wait) continue;
    const staged = new Set(copies.map((c) => c.array));
    const reads = within.filter((a) => a.space === 'shared' && a.kind === 'load' && staged.has(a.array) && before(wait, a.range));
    if (reads.length === 0) continue;
    // a staged array also written from registers: the next tile is prefetched through registers (or the buffer holds results)
    const copiesOnly = stores.every((st) => copies.includes(st) || !staged.has(st.array));
    const streams = within.some((a) => a.space === 'global' && a.kind === 'load' && before(wait, a.range));
    out.push({ loop, copies, sources, reads, barriers, streams, copiesOnly });
  }
  // a loop over tiles nested in another staged loop (a tile loop inside a batch loop): keep the innermost
  return out.filter((s) => !out.some((o) => o !== s && isAncestor(fn, s.loop, o.loop)));
}

/** Is `outer` an ancestor of `inner`? */
export function isAncestor(fn: FunctionFacts, outer: LoopFact, inner: LoopFact): boolean {
  for (let p = inner.parent; p !== null; p = fn.loops[p]?.parent ?? null) if (p === outer.id) return true;
  return false;
}
