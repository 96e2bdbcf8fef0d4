// Kernels launched with blocks one thread wide (`dim3 block(1, 32)`, ggml's diag_mask): a warp's 32 lanes
// are 32 consecutive threadIdx.y, so for what a warp request touches threadIdx.y is the lane index. The
// rules that reason about lanes along threadIdx.x see such a kernel with its x and y thread axes exchanged.
import type { FunctionFacts } from '../../core/facts/model';
import { Poly } from '../../core/affine';
import type { Bindings } from './template-bindings';

const SWAPS: readonly [string, string][] = [['threadIdx.x', 'threadIdx.y'], ['blockDim.x', 'blockDim.y']];

/** `p` with the x and y thread axes exchanged. */
function swapped(p: Poly): Poly {
  let out = p;
  for (const [x, y] of SWAPS) out = out.substitute(x, Poly.sym('#swap')).substitute(y, Poly.sym(x)).substitute('#swap', Poly.sym(y));
  return out;
}

/**
 * A warp of a launch's narrow blocks, `blockX` threads wide: rows of them, or, where every block holds at most a warp
 * and the kernel reads no `threadIdx.y` (`<<<n / 16, 16>>>`), the block's `blockX` threads alone.
 */
export function narrowWarp(fn: FunctionFacts, blockX: number, rowsNote: string): string {
  const flat = !!fn.warpBlocks && !fn.accesses.some((a) => a.indices.some((p) => !p.unknown && p.dependsOn((s) => s === 'threadIdx.y')));
  if (flat) return `${blockX} threads (blocks of ${blockX} threads at every launch)`;
  // (2-D blocks smaller than a warp, `dim3(4, 4)`: the block's rows alone)
  const threads = fn.warpThreads;
  if (threads && threads % blockX === 0) return `${threads / blockX} rows of ${blockX} threads (blocks of ${threads} threads at every launch)`;
  return `${32 / blockX} rows of ${blockX} threads${rowsNote}`;
}

/** The assumption a finding on such a kernel rests on. */
export const ALONG_Y = 'every launch makes blocks one thread wide (blockDim.x = 1): a warp is 32 consecutive threadIdx.y';

const alongX = new WeakMap<FunctionFacts, FunctionFacts>();

/**
 * The kernel with threadIdx.y as the lane axis when every launch makes blocks one thread wide (kept per facts
 * object, so rules' caches keep working); the kernel itself otherwise, and when some index hides a thread index
 * in a `/` or `%` (not exchanged there).
 */
export function warpAlongX(fn: FunctionFacts): FunctionFacts {
  if (fn.blockDimX !== 1) return fn;
  let out = alongX.get(fn);
  if (out) return out;
  const axis = (s: string) => /^(?:threadIdx|blockDim)\.[xy]$/.test(s);
  const hidden = fn.accesses.some((a) => a.indices.some((p) => [...p.symbols()].some((s) => s.startsWith('#op') && Poly.sym(s).dependsOn(axis))));
  out = hidden ? fn : { ...fn, blockDimX: undefined, accesses: fn.accesses.map((a) => ({ ...a, indices: a.indices.map((p) => (p.unknown ? p : swapped(p))) })) };
  if (out !== fn) turnedViews.add(out);
  alongX.set(fn, out);
  return out;
}

/** Whether `fn` is a kernel `warpAlongX` turned. */
export const turned = (fn: FunctionFacts): boolean => turnedViews.has(fn);
const turnedViews = new WeakSet<FunctionFacts>();

/** Launch bindings without the block's x and y sizes, for a kernel `warpAlongX` turned (its warps are those of a 32-wide x). */
export function bindingsAlongX(bindings: Bindings): Bindings {
  if (!bindings.has('blockDim.x') && !bindings.has('blockDim.y')) return bindings;
  const out = new Map(bindings);
  out.delete('blockDim.x');
  out.delete('blockDim.y');
  return out;
}
