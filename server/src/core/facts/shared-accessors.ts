// A struct whose conversion operator hands out the block's dynamic shared memory, the CUDA
// samples' idiom kernels use to get a typed pointer to it in a template:
//   template <class T> struct SharedMemory { __device__ operator T*() { extern __shared__ int __smem[]; return (T*)__smem; } };
//   T* sdata = SharedMemory<T>();
// or through a getter, as apex's layer norm does: `SharedMemory<U> shared; U* buf = shared.getPointer();`
// `sdata` then points at the start of the `extern __shared__` array, so its accesses are shared
// memory accesses (bank conflicts), not unknown ones. Read once per version of the file's lines;
// the engine puts them in the key of every function's facts, so an edit of the struct reads its
// users again.
import type { SyntaxNode as Node } from '../mirror';
import { field } from '../syntax';
import { lineScan } from '../line-scans';
import { unparen } from './evaluate';
import { sharedStructsIn } from '../preprocess/shared-structs';

/** The lines a search for such structs reads: the others (no struct head, brace, operator or `__shared__`) change nothing. */
const readsNothing = (line: string): boolean =>
  !line.includes('{') && !line.includes('}') && !line.includes('struct') && !line.includes('class') && !line.includes('operator') && !line.includes('__shared__');

/** Each struct of the file that hands out an `extern __shared__` array, with that array's name. */
const accessorsIn = lineScan(readsNothing, (lines): ReadonlyMap<string, string> => sharedStructsIn(lines));

/** The file's shared-memory structs and their arrays, as one key (`SharedMemory=__smem`): facts of functions that may use them depend on it. */
export function sharedAccessorsKey(lines: readonly string[]): string {
  return [...accessorsIn(lines)].map(([name, array]) => `${name}=${array}`).join(',');
}

/** The `extern __shared__` array a struct of the file hands out through its conversion operator, or null when `name` is no such struct. */
export function sharedAccessorArray(lines: readonly string[], name: string): string | null {
  return accessorsIn(lines).get(name) ?? null;
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

/** `shared.getPointer()`: the object a method with no arguments is called on, else null. */
export function getterObject(value: Node | null): string | null {
  const v = unparen(value);
  if (v?.type !== 'call_expression' || field(v, 'arguments')?.namedChildren.length) return null;
  const fn = field(v, 'function');
  const object = fn?.type === 'field_expression' && field(fn, 'operator')?.text === '.' ? field(fn, 'argument') : null;
  return object?.type === 'identifier' ? object.text : null;
}
