// A function seen with its `__device__` helpers' loops as its own. A helper's accesses are seen at the call
// (walker-calls.ts) with the helper's loops around them kept apart (`AccessFact.helperLoops`), so what walks
// `loops` alone does not see a k loop that lives in a helper (SGEMM warptiling's `processFromSmem(...)`,
// called once per tile). This view nests each helper loop under the caller's loop at the call and lists it on
// its accesses, innermost last, as if the helper's body were written there.
import type { AccessFact, LoopFact } from './model';

/**
 * The loops and accesses with the helpers' loops as the function's own (the same arrays when no access comes from a
 * helper's loop); `keep` picks the accesses whose helper loops count.
 */
export function flattenHelperLoops(
  loops: readonly LoopFact[], accesses: readonly AccessFact[], keep: (a: AccessFact) => boolean = () => true,
): { loops: readonly LoopFact[]; accesses: readonly AccessFact[] } {
  if (!accesses.some((a) => a.helperLoops?.length && keep(a))) return { loops, accesses };
  const depthOf = new Map(loops.map((l) => [l.id, l.depth]));
  const added = new Map<number, LoopFact>();
  const flat = accesses.map((a): AccessFact => {
    if (!a.helperLoops?.length || !keep(a)) return a;
    const caller = a.loops.at(-1) ?? null;
    const base = caller === null ? 0 : (depthOf.get(caller) ?? 0) + 1;
    // the helper's loops, outermost first: each nested in the one before it, the first in the caller's loop at the call
    let parent = caller;
    a.helperLoops.forEach((l, k) => {
      if (!added.has(l.id) && !depthOf.has(l.id)) added.set(l.id, { ...l, parent, depth: base + k });
      parent = l.id;
    });
    return { ...a, loops: [...a.loops, ...a.helperLoops.map((l) => l.id)] };
  });
  return { loops: [...loops, ...added.values()], accesses: flat };
}
