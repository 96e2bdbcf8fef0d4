// Structs that hand out the block's dynamic shared memory (the CUDA samples' `SharedMemory<T>`,
// apex's `getPointer()`): which `extern __shared__` array each one returns. Read from a file's
// lines, and from the headers it includes (the preprocessing view), since samples ship the
// struct in a helper header as often as in the kernel's file.

/** Lines a struct's body may span before the search gives up on it. */
const MAX_BODY_LINES = 200;
const HEAD = /\b(?:struct|class)\s+([A-Za-z_]\w*)\b(?!\s*;)/;
const TEMPLATE_HEAD = /\btemplate\s*<[^<>]*>/g;
const CONVERSION = /\boperator\b[^;{]*\*\s*\(\s*\)/;
/** A method with no parameters that declares the array (apex's `float* getPointer() { extern __shared__ float s_float[]; return s_float; }`). */
const GETTER = /\b[A-Za-z_]\w*\s*\(\s*\)\s*(?:const\s*)?\{[^{}]*\bextern\s+__shared__\b/;
const EXTERN_SHARED = /\bextern\s+__shared__\s+[\w\s:<>]+?\b([A-Za-z_]\w*)\s*\[\s*\]/;

/** Each struct of `lines` that hands out an `extern __shared__` array through a conversion operator or getter, with that array's name. */
export function sharedStructsIn(lines: readonly string[]): Map<string, string> {
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
}
