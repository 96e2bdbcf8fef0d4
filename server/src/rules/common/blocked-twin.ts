// A loop nest in one arm of a branch whose other arm holds a blocked version of it
// (`if (nb >= n || !tiling) { naive nest } else { tiled nest }`): the code already blocks,
// and the plain arm is its path for small sizes or for turning tiling off. Advice to block
// it, or to interchange its loops, repeats what the other arm does.
import { neverTogether, type FunctionFacts, type LoopFact } from '../../core/facts/model';

/** `l` and the loops around it, innermost first. */
export function loopAndAncestors(fn: FunctionFacts, l: LoopFact): LoopFact[] {
  const out = [l];
  for (let p = l.parent; p !== null; p = fn.loops[p]?.parent ?? null) {
    const up = fn.loops[p];
    if (!up) break;
    out.push(up);
  }
  return out;
}

/** Whether another nest beside `root` (under the same loop, or none), in an arm that never runs with `root`'s, is blocked. */
export function hasBlockedTwin(fn: FunctionFacts, root: LoopFact, isBlocked: (other: LoopFact) => boolean): boolean {
  return fn.loops.some((l) => l.parent === root.parent && l.id !== root.id && neverTogether(root.scopes, l.scopes) && isBlocked(l));
}

/**
 * A nest whose point loops walk inside tiles of loops around them: a loop starting from an enclosing
 * loop's variable (`for (k = kk; ...)`) or bounded by it plus a size or a `min` (`k < kk + nb`, `min(ii + BS, n)`).
 */
export function tiledNest(fn: FunctionFacts, root: LoopFact): boolean {
  return fn.loops.some((l) => {
    const outer = loopAndAncestors(fn, l).slice(1);
    return outer.some((o) => o.id === root.id) && outer.some((o) => pointLoopOf(l, o));
  });
}

/**
 * Whether `inner` walks inside a tile of `outer`: it starts from `outer`'s variable (`for (k = kk; ...)`), is bounded by it
 * plus a size or by a `min` (`k < kk + nb`, `min(ii + BS, n)`), or runs as many steps as `outer` strides (`j < BLK` under
 * `jj += BLK`, the size a constant or a run-time setting); a triangular bound `j <= i` is no tile, nor a start from an outer loop that steps by one.
 */
export function pointLoopOf(inner: LoopFact, outer: LoopFact): boolean {
  // (an outer loop that steps by one element is no tile loop: `for (t = first(c); ...)` inside `c++` is a window)
  const byOne = !!outer.step?.isConstant && Math.abs(outer.step.constant) === 1;
  // `for (j = 0; j < BLK; j++) ... x[jj + j]` under `jj += BLK`: the tile's offset is in the index, not the loop
  const acrossStep = !byOne && !!outer.step?.isConstant && inner.trips !== undefined && inner.trips === Math.abs(outer.step.constant);
  // (the tile size a run-time setting: `j < blk` from 0 under `jj += blk`)
  const acrossSize = !!outer.step && !outer.step.unknown && !outer.step.isConstant && !!inner.init?.isConstant && inner.init.constant === 0 &&
    !!inner.limit && !inner.inclusive && inner.limit.equals(outer.step);
  return !!outer.variable && ((!byOne && !!inner.init?.dependsOn((s) => s === outer.symbol)) || acrossStep || acrossSize ||
    (inner.bound !== null && new RegExp(`\\b${outer.variable}\\s*\\+|\\bmin\\s*\\(`).test(inner.bound)));
}
