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

/** Lines a struct's body may span before the search gives up on it. */
const MAX_BODY_LINES = 200;
const HEAD = /\b(?:struct|class)\s+([A-Za-z_]\w*)\b(?!\s*;)/;
const TEMPLATE_HEAD = /\btemplate\s*<[^<>]*>/g;
const CONVERSION = /\boperator\b[^;{]*\*\s*\(\s*\)/;
/** A method with no parameters that declares the array (apex's `float* getPointer() { extern __shared__ float s_float[]; return s_float; }`). */
const GETTER = /\b[A-Za-z_]\w*\s*\(\s*\)\s*(?:const\s*)?\{[^{}]*\bextern\s+__shared__\b/;
const EXTERN_SHARED = /\bextern\s+__shared__\s+[\w\s:<>]+?\b([A-Za-z_]\w*)\s*\[\s*\]/;

/** The lines a search for such structs reads: the others (no struct head, brace, operator or `__shared__`) change nothing. */
const readsNothing = (line: string): boolean =>
  !line.includes('{') && !line.includes('}') && !line.includes('struct') && !line.includes('class') && !line.includes('operator') && !line.includes('__shared__');

/** Each struct of the file that hands out an `extern __shared__` array through a conversion operator, with that array's name. */
const accessorsIn = lineScan(readsNothing, (lines): ReadonlyMap<string, string> => {
  const out = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    // (`template <class T> struct SharedMemory {`: the template's parameter list names no struct)
    const head = HEAD.exec(lines[i].replace(TEMPLATE_HEAD, ''));
    if (!head) continue;
    // the struct's body: from its head to the brace that closes it
    let depth = 0;
    let opened = false;
    let end = i;
    for (; end < lines.length && end < i + MAX_BODY_LINES; end++) {
      for (const ch of lines[end]) {
        if (ch === '{') (depth++, (opened = true));
        else if (ch === '}') depth--;
      }
      if (opened && depth <= 0) break;
    }
    const body = lines.slice(i, end + 1).join('\n');
    const array = CONVERSION.test(body) || GETTER.test(body) ? EXTERN_SHARED.exec(body) : null;
    // (the primary template's array: a later specialization, `SharedMemory<double>` with its `__smem_d`, is another type's)
    if (array && !out.has(head[1])) out.set(head[1], array[1]);
  }
  return out;
});

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
