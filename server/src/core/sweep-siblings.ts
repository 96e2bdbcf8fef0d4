// Launches that share a host loop step with a two-dimensional sweep over one of their buffers: a right-looking
// elimination's pivot-column kernel (Rodinia gaussian's `Fan1`, O(n) elements a step) launched beside the
// trailing update (`Fan2`, an O(n²) grid over the same matrix). Rules weigh the column kernel by that company.
import type { CallFact, FunctionFacts } from './facts/model';
import { keptAcrossMoves } from './facts/shift';
import { baseName } from './project';

/** A kernel whose global accesses span a 2-D grid: indexed by both the x and the y thread or block index. */
export function sweepsTwoAxes(k: FunctionFacts): boolean {
  // (a copy moved by whole lines sweeps as its original did: an Enter above a kernel moves it)
  let known = keptAcrossMoves(twoAxes, k);
  if (known === undefined) {
    const along = (axis: string) => (s: string) => s === `threadIdx.${axis}` || s === `blockIdx.${axis}`;
    known = k.accesses.some((a) => a.space === 'global' && a.indices.some((i) => i.dependsOn(along('x')) && i.dependsOn(along('y'))));
    twoAxes.set(k, known);
  }
  return known;
}
const twoAxes = new WeakMap<FunctionFacts, boolean>();

/**
 * The launches made in the innermost host loop of another launch, of a different kernel that sweeps two axes and is
 * passed one of the same buffers (`fan1<<<>>>(m, a, n, t); fan2<<<g2, b2>>>(m, a, n, t);` in `for t`), each passing
 * something the loop moves (the pivot `t`): a column that moves with the step. (A fixed column beside a stencil's
 * time steps, a halo packed each step, is the kernel's own work.)
 */
export function launchesBesideSweeps(owner: ReadonlyMap<CallFact, FunctionFacts>, kernels: ReadonlyMap<string, FunctionFacts>): ReadonlySet<CallFact> {
  const out = new Set<CallFact>();
  const inLoops = [...owner].filter(([c]) => c.loops.length > 0);
  for (const [c, host] of inLoops) {
    if (!c.loopArgs) continue;
    const step = c.loops[c.loops.length - 1];
    const buffers = new Set(c.argRoots.filter((r): r is string => r !== null));
    const beside = inLoops.some(([d, other]) => {
      if (d === c || other !== host || d.loops[d.loops.length - 1] !== step || baseName(d.name) === baseName(c.name)) return false;
      const k = kernels.get(baseName(d.name));
      return !!k && sweepsTwoAxes(k) && d.argRoots.some((r) => r !== null && buffers.has(r));
    });
    if (beside) out.add(c);
  }
  return out;
}
