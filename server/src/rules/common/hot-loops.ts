// Where a kernel spends its time. An access inside its main loop (one whose trip count is a
// run-time size: `k < K`, a grid-stride loop) runs once per iteration; an access outside
// every such loop, in a kernel that has one, runs once per thread (the epilogue's store of a
// register tile, a staging copy, a per-block readout after the loop) and is a small share of
// the kernel's traffic: a rule about how well one access uses memory leaves it alone there.
import type { AccessFact, FunctionFacts, LoopFact } from '../../core/facts/model';

/**
 * A loop whose trip count is not a known constant (`k < K`, a grid-stride loop), as the facts,
 * its literal bound or `known` (a template parameter the launches set: `n < TN`) tell.
 */
export const runtimeLoop = (l: LoopFact, known: (bound: string) => boolean = () => false): boolean =>
  l.trips === undefined && !(l.bound !== null && (/^\s*\d+\s*$/.test(l.bound) || known(l.bound.trim())));

/**
 * The function's main loops, found once: `outside(a, beside)` says whether `a` runs outside every
 * one of them while another access runs inside one, of the same memory space (`space`: a global
 * load before a tree reduction over shared memory is the kernel's traffic still) or of any (`any`:
 * a shared-memory readout after a streaming loop).
 */
export function mainLoops(fn: FunctionFacts, accesses: readonly AccessFact[], known: (bound: string) => boolean) {
  const main = new Set(fn.loops.filter((l) => runtimeLoop(l, known)).map((l) => l.id));
  const inMain = (x: AccessFact) => x.loops.some((id) => main.has(id));
  return {
    outside: (a: AccessFact, beside: 'space' | 'any'): boolean =>
      main.size > 0 && !inMain(a) && accesses.some((b) => b !== a && (beside === 'any' || b.space === a.space) && inMain(b)),
  };
}

/** A bound made of numbers and template parameters every launch sets (`8 * BN`, `TN`): a constant at run time. */
export const boundByLaunches = (bindings: ReadonlyMap<string, number>) => (bound: string): boolean =>
  bindings.size > 0 && (bound.match(/[A-Za-z_]\w*/g) ?? []).every((name) => bindings.has(name));
