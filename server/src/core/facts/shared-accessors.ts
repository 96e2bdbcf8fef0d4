// A struct whose conversion operator hands out the block's dynamic shared memory, the CUDA
// samples' idiom kernels use to get a typed pointer to it in a template:
//   template <class T> struct SharedMemory { __device__ operator T*() { extern __shared__ int __smem[]; return (T*)__smem; } };
//   T* sdata = SharedMemory<T>();
// `sdata` then points at the start of the `extern __shared__` array, so its accesses are shared
// memory accesses (bank conflicts), not unknown ones.
import type { SyntaxNode as Node } from '../mirror';
import { field } from '../syntax';
import { unparen } from './evaluate';

/** Lines after a struct's head within which its conversion operator must declare the array. */
const BODY_LINES = 24;

const known = new WeakMap<readonly string[], Map<string, string | null>>();

/**
 * The `extern __shared__` array a struct of the file hands out through its conversion operator
 * (`__smem` of `SharedMemory`), or null when `name` is no such struct.
 */
export function sharedAccessorArray(lines: readonly string[], name: string): string | null {
  let byName = known.get(lines);
  if (!byName) known.set(lines, (byName = new Map()));
  let hit = byName.get(name);
  if (hit === undefined) byName.set(name, (hit = findArray(lines, name)));
  return hit;
}

function findArray(lines: readonly string[], name: string): string | null {
  if (!/^[A-Za-z_]\w*$/.test(name)) return null;
  const head = new RegExp(`\\b(?:struct|class)\\s+${name}\\b(?!\\s*;)`);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes(name) || !head.test(lines[i])) continue;
    const body = lines.slice(i, i + BODY_LINES).join('\n');
    if (!/\boperator\b[^;{]*\*\s*\(\s*\)/.test(body)) continue;
    const array = /\bextern\s+__shared__\s+[\w\s:<>]+?\b([A-Za-z_]\w*)\s*\[\s*\]/.exec(body);
    if (array) return array[1];
  }
  return null;
}

/** `SharedMemory<T>()` or `SharedMemory()`: the struct named by a call with no arguments (a conversion), else null. */
export function conversionCallee(value: Node | null): string | null {
  const v = unparen(value);
  if (v?.type !== 'call_expression') return null;
  const args = field(v, 'arguments');
  if (!args || args.namedChildren.length) return null;
  const fn = field(v, 'function');
  const name = fn?.type === 'template_function' ? field(fn, 'name')?.text : fn?.type === 'identifier' ? fn.text : null;
  return name ?? null;
}
