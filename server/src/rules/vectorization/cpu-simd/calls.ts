// The calls cpu-simd reads in a loop: libm calls left in it, calls it cannot see into, intrinsics and
// hand-vectorized routines, and which of the file's functions run in a loop (their loops are hot).
import type { FunctionFacts } from '../../../core/facts/model';
import { boundedMemo } from '../../../core/bounded-memo';
import { keptAcrossMoves } from '../../../core/facts/shift';

/** SIMD intrinsics: the function is vectorized by hand. */
const INTRINSIC = /^(?:_mm\d*_\w+|__builtin_ia32_\w+|_mm_\w+|v(?:ld|st)\d\w*q?_\w+|sv\w+_[a-z]\d+\w*)$/;
/** A call into a hand-vectorized routine (`Step_AVX<1>(&rounded, ...)`): what loops remain are its scalar tails. */
// (and a SIMD mapping layer's macros, ggml's `GGML_F32_VEC_FMA`, `GGML_F32x8_LOAD`, left unexpanded where an `#if` chain
// picks NEON or AVX: the function is vectorized whichever it picks)
const HAND_VECTORIZED = /(?:^|_)(?:AVX|avx|SSE|sse|NEON|neon|SIMD|simd|AVX512|avx512)(?:\d*)(?:_|$)|^(?:AVX|SIMD|NEON)\w*$|_F(?:16|32)_VEC_\w+$|_F(?:16|32)x\d+_\w+$/;
const VECTOR_REGISTER = /^__m(?:64|128|256|512)[di]?$|^float32x4_t$|^float64x2_t$|_F(?:16|32)_VEC$|_F(?:16|32)x\d+$/;
/** Calls that keep a loop scalar: random numbers, methods of objects, element swaps (a plain function may be an inline helper from a header). */
export const OPAQUE_CALL = /^(?:std::)?rand$|rand_r|drand48|[Rr]andom|_distribution|[Gg]aussian|NormallyDistributed|\.|->|(?:^|::)swap$/;
/**
 * Names a loop cannot see into: those the file declares but never defines (facts/declared-only.ts), less the
 * libm and inlined calls judged on their own.
 */
export function declaredElsewhere(declared: readonly string[], defined: ReadonlySet<string>): Set<string> {
  return new Set(declared.filter((name) => !defined.has(name) && !LIBM_CALL.test(name) && !INLINE_CALL.test(name)));
}
/** Calls compilers inline or vectorize themselves: min / max / abs, casts, and the usual element accessors. */
export const INLINE_CALL = /^(?:std::)?(?:min|max|fmin|fminf|fmax|fmaxf|abs|fabs|fabsf|floor|floorf|ceil|ceilf|round|roundf|rint|rintf|copysign|copysignf|fma|fmaf|static_cast|reinterpret_cast|const_cast|size|data|at|operator\[\]|get|real|imag|conj|norm|rows|cols|columns|width|height|length|numel|stride|n_?rows|n_?cols|num_?rows|num_?cols)$/;
/** `std::pow(2, 12)`, `sqrtf(2.0f / M_PI)`: every argument literals and math.h's constants, folded at compile time (no call is left in the loop). */
/** A numeric literal of C (`1.0f`, `2e-3`, `16u`). */
export const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fFlLuU]*/g;
const constantCall = (c: { args: readonly string[] }) => c.args.length > 0 && c.args.every((a) => {
  // (math.h's and float.h's constants, `M_PI`, `FLT_EPSILON`: not any capital name, which may be a variable, `T` or `G`)
  const rest = a.replace(/\b(?:M_[A-Z0-9_]+|(?:FLT|DBL|LDBL)_[A-Z_]+)\b/g, '1').replace(NUMBER, '0');
  return rest.includes('0') && /^[\s0+\-*/()]*$/.test(rest);
});
/** `pow(d, 2)`, `powf(x, 2.0f)`: compilers turn a square into `d * d` under default flags (no call is left in the loop). */
const squareCall = (c: { name: string; args: readonly string[] }) => /^(?:std::)?powf?$/.test(c.name) && c.args.length === 2 && /^\s*2(?:\.0*)?[fF]?\s*$/.test(c.args[1]);
/** A libm call the compiler leaves in the loop under default flags. */
export const libmLeft = (c: { name: string; args: readonly string[] }, noMathErrno: boolean) =>
  LIBM_CALL.test(c.name) && !constantCall(c) && !squareCall(c) && !(noMathErrno && /^sqrtf?$/.test(c.name));
/** libm calls gcc and clang do not vectorize at -O3: `sqrt` without -fno-math-errno, the others without -ffast-math and a vector math library. */
export const LIBM_CALL = /^(?:sqrt|sqrtf|exp|expf|exp2|exp2f|expm1|log|logf|log2|log2f|log10|log10f|log1p|pow|powf|sin|sinf|cos|cosf|tan|tanf|tanh|tanhf|erf|erff|atan|atanf|atan2|atan2f|cbrt|cbrtf|hypot|hypotf|fmod|fmodf)$/;

/** Vectorized by hand: intrinsics, vector-register types, or a hand-vectorized routine. */
export const byHand = (fn: FunctionFacts): boolean => {
  let known = keptAcrossMoves(handVectorized, fn);
  if (known === undefined) {
    known = fn.calls.some((c) => INTRINSIC.test(c.name) || HAND_VECTORIZED.test(c.name)) || fn.accesses.some((a) => VECTOR_REGISTER.test(a.elemType ?? '')) || fn.params.some((p) => VECTOR_REGISTER.test(p.type));
    handVectorized.set(fn, known);
  }
  return known;
};
/** Per function facts (kept across edits): every file-level check asks for every function. */
const handVectorized = new WeakMap<FunctionFacts, boolean>();

/** A call's function name without its object or scope (`obj.f`, `p->f`, `ns::f`: `f`); every call of the file, on every edit. */
const calleeName = boundedMemo((name: string): string => name.replace(/^.*(?:\.|->|::)/, ''), 10_000);

/**
 * Each function the file calls: true when some call repeats (inside a loop, `AddDot1x4` in the matmul's `j`
 * loop, or from such a function, `AddDot` from `AddDot1x4`) or comes from `main`, false when every call runs once
 * per call of a caller that is itself called once.
 */
export function calledInLoops(functions: readonly FunctionFacts[], mainIsHot = true): Map<string, boolean> {
  const callee = (c: FunctionFacts['calls'][number]) => calleeName(c.name);
  const hot = new Map<string, boolean>();
  const calleesOf = new Map<string, string[]>();
  const seeds: string[] = [];
  for (const f of functions) {
    for (const c of f.calls) {
      if (c.kind !== 'call') continue;
      const to = callee(c);
      if (!hot.has(to)) hot.set(to, false);
      (calleesOf.get(f.name) ?? calleesOf.set(f.name, []).get(f.name)!).push(to);
      // (what `main` calls is the program's computation, run once or not: a benchmark's kernel)
      if (c.loops.length > 0 || (mainIsHot && f.name === 'main')) seeds.push(to);
    }
  }
  // what a hot function calls is hot too
  while (seeds.length) {
    const name = seeds.pop()!;
    if (hot.get(name)) continue;
    hot.set(name, true);
    for (const to of calleesOf.get(name) ?? []) if (!hot.get(to)) seeds.push(to);
  }
  return hot;
}
