// Matrix products in host code, and the passes that run beside them: a loop nest that multiplies
// a matrix the loops index together (a mat-vec, a GEMM) does O(n^2) work or more per call, so a
// single loop or a transpose run as often beside it is a fraction of the time.
import type { AccessFact, FunctionFacts, LoopFact } from '../../core/facts/model';
import { windowLoop } from './file-constants';
import { filterBound } from './filter-taps';
import { loopAndAncestors } from './blocked-twin';
import { positionBefore } from '../../core/positions';
import { perFacts } from './memo';

/** The variable an access's array is reached through: `BT` of `BT.data`, `p` of `p->x`. */
const rootOf = (array: string): string => array.split(/\.|->|\[/)[0].trim();

/**
 * The loop of a matrix product: nested in another, it reads a matrix the two loops index together and sums over it
 * with a second operand (`val += w[i * n + j] * x[j]`), or updates an element with it (`C[i][j] += a * B[k][j]`).
 * (A 2-D scale, `row[t2] *= s`, reads no second operand.) Once per facts object: every check of a file asks.
 */
export const productLoop = perFacts((f: FunctionFacts): LoopFact | undefined =>
  f.loops.find((l) => {
    // (over a long dimension: a filter's taps, `k < 2 * radius + 1`, make a few FMAs per output, no more than a pass)
    if (l.parent === null || windowLoop(l, f.loops) || filterBound(l.bound) || (l.trips ?? Infinity) <= 64) return false;
    const outer = new Set(f.loops.filter((o) => o.depth < l.depth).map((o) => o.symbol));
    const inner = f.accesses.filter((a) => a.loops[a.loops.length - 1] === l.id && a.indices.some((p) => p.dependsOn((x) => x === l.symbol)));
    const matrix = (a: AccessFact) => a.indices.some((p) => p.dependsOn((x) => outer.has(x)));
    const loads = inner.filter((a) => a.kind === 'load');
    // (a window sliding with an outer loop, `src[y * w + x + i]`: a convolution's taps, as many as the filter is wide)
    const slides = (a: AccessFact) => a.indices.some((p) => [...outer].some((o) => !(p.coefficient(o).isConstant && p.coefficient(o).constant === 0) && p.coefficient(o).equals(p.coefficient(l.symbol))));
    if (inner.some(slides)) return false;
    if (l.reductions?.length) return loads.length >= 2 && loads.some(matrix);
    return inner.some((a) => a.kind === 'update' && matrix(a)) && loads.some(matrix);
  }),
);

export const runsProduct = (f: FunctionFacts): boolean => productLoop(f) !== undefined;

/**
 * Host functions whose loop nests are shallower than a product each of their callers runs next over what they wrote (a
 * 2-deep transpose, `transposeInto(B, BT)`, called outside the 3-deep multiply over `BT`, or before a call of a function
 * that runs one, in the same loops): an O(n^2) pre-pass beside O(n^3) work, not where the time goes.
 */
export function prePasses(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  let out = prePassMemo.get(functions);
  if (!out) prePassMemo.set(functions, (out = findPrePasses(functions)));
  return out;
}
const prePassMemo = new WeakMap<readonly FunctionFacts[], ReadonlySet<string>>();

function findPrePasses(functions: readonly FunctionFacts[]): Set<string> {
  const hosts = functions.filter((f) => !f.isKernel && !f.isDevice);
  const depth = (f: FunctionFacts) => Math.max(-1, ...f.loops.map((l) => l.depth));
  const products = new Map(hosts.flatMap((f) => {
    const p = productLoop(f);
    return p ? [[f.name, { f, loop: p }] as const] : [];
  }));
  const out = new Set<string>();
  for (const f of hosts) {
    if (!f.loops.length || products.has(f.name)) continue;
    const d = depth(f);
    const sites = hosts.flatMap((g) => (g === f ? [] : g.calls.filter((c) => c.kind === 'call' && c.name === f.name).map((c) => ({ g, c }))));
    const prefix = (a: readonly number[], b: readonly number[]) => a.length <= b.length && a.every((x, i) => x === b[i]);
    // (what it prepares: the buffers it writes, by the names the call passes, which the product reads after it)
    const written = f.params.flatMap((p, i) => (f.accesses.some((a) => a.kind !== 'load' && rootOf(a.array) === p.name) ? [i] : []));
    const beside = ({ g, c }: { g: FunctionFacts; c: (typeof g.calls)[number] }) => {
      const made = new Set(written.map((i) => c.argRoots[i]).filter((r): r is string => !!r));
      if (!made.size) return false;
      const own = products.get(g.name);
      // (outside every loop of the product's nest, the loops whose variables its accesses index by: a transpose redone on
      // each `i` of the multiply is n times O(n^2), as much as the product)
      const nest = own ? loopAndAncestors(g, own.loop).filter((l) => g.accesses.some((a) => a.loops.includes(own.loop.id) && a.indices.some((p) => p.dependsOn((x) => x === l.symbol)))) : [];
      if (own && own.loop.depth > d && prefix(c.loops, loopAndAncestors(g, own.loop).reverse().map((l) => l.id)) && !nest.some((l) => c.loops.includes(l.id)) &&
        g.accesses.some((a) => a.kind === 'load' && a.loops.includes(own.loop.id) && made.has(rootOf(a.array)) && positionBefore(c.range.start, a.range.start))) return true;
      return g.calls.some((e) => e.kind === 'call' && e.name !== f.name && e.loops.join() === c.loops.join() && (products.get(e.name)?.loop.depth ?? -1) > d &&
        positionBefore(c.range.start, e.range.start) && e.argRoots.some((r) => !!r && made.has(r)));
    };
    if (sites.length && sites.every(beside)) out.add(f.name);
  }
  return out;
}
