// A kernel seen with its `__device__` helpers' loops as its own (core/facts/helper-loops.ts), once per facts object.
import type { FunctionFacts, LoopFact } from '../../core/facts/model';
import { flattenHelperLoops } from '../../core/facts/helper-loops';

const views = new WeakMap<FunctionFacts, FunctionFacts>();

/** The function with its helpers' loops as its own (the function itself when no access comes from a helper's loop). */
export function withHelperLoops(fn: FunctionFacts): FunctionFacts {
  let view = views.get(fn);
  if (!view) {
    const flat = flattenHelperLoops(fn.loops, fn.accesses);
    views.set(fn, (view = flat.accesses === fn.accesses ? fn : { ...fn, loops: [...flat.loops], accesses: [...flat.accesses] }));
  }
  return view;
}

/** Whether a loop of `withHelperLoops(fn)` is one of a helper's (not written in `fn` itself). */
export const isHelperLoop = (fn: FunctionFacts, loop: LoopFact): boolean => !fn.loops.some((l) => l.id === loop.id);
