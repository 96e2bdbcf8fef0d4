// A kernel seen with its `__device__` helpers' loops as its own. A helper's accesses are seen at
// the call (core/facts/walker-calls.ts) with the helper's loops around them kept apart
// (`helperLoops`), so a rule that walks `fn.loops` does not see a k loop that lives in a helper
// (SGEMM warptiling's `processFromSmem(regM, regN, threadResults, As, Bs, ...)`, called once per
// tile). This view nests each helper loop under the caller's loop at the call and lists it on
// its accesses, innermost last, as if the helper's body were written there.
import type { AccessFact, FunctionFacts, LoopFact } from '../../core/facts/model';

const views = new WeakMap<FunctionFacts, FunctionFacts>();

/** The function with its helpers' loops as its own (the function itself when no access comes from a helper's loop). */
export function withHelperLoops(fn: FunctionFacts): FunctionFacts {
  let view = views.get(fn);
  if (!view) views.set(fn, (view = flatten(fn)));
  return view;
}

/** Whether a loop of `withHelperLoops(fn)` is one of a helper's (not written in `fn` itself). */
export const isHelperLoop = (fn: FunctionFacts, loop: LoopFact): boolean => !fn.loops.some((l) => l.id === loop.id);

function flatten(fn: FunctionFacts): FunctionFacts {
  if (!fn.accesses.some((a) => a.helperLoops?.length)) return fn;
  const depthOf = new Map(fn.loops.map((l) => [l.id, l.depth]));
  const added = new Map<number, LoopFact>();
  const accesses = fn.accesses.map((a): AccessFact => {
    if (!a.helperLoops?.length) return a;
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
  return { ...fn, loops: [...fn.loops, ...added.values()], accesses };
}
