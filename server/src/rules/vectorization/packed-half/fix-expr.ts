// Expressions of a scalar fp16 / bf16 element, rewritten for a pair of elements: the
// tables that map each scalar intrinsic to its paired form (same rounding, same special
// cases, element by element) and the types the rewrite tells apart.
import type { SyntaxNode } from '../../../core/mirror';

/** Why no fix is offered: thrown while reading the kernel, returned as the fixer's reason. */
export class Refusal extends Error {}
export const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

export type Half = 'fp16' | 'bf16';
export const HALF_OF: Readonly<Record<string, Half>> = { __half: 'fp16', half: 'fp16', __nv_bfloat16: 'bf16', nv_bfloat16: 'bf16' };

/** The pair type of each 16-bit type and its conversions (cuda_fp16.h, cuda_bf16.h). */
export const PAIR: Readonly<Record<Half, { pair: string; toFloat2: string; fromFloat2: string; fromFloats: string; broadcast: string; toFloat: string[]; fromFloat: string[] }>> = {
  fp16: {
    pair: '__half2',
    toFloat2: '__half22float2',
    fromFloat2: '__float22half2_rn',
    fromFloats: '__floats2half2_rn',
    broadcast: '__half2half2',
    toFloat: ['__half2float'],
    fromFloat: ['__float2half', '__float2half_rn'],
  },
  bf16: {
    pair: '__nv_bfloat162',
    toFloat2: '__bfloat1622float2',
    fromFloat2: '__float22bfloat162_rn',
    fromFloats: '__floats2bfloat162_rn',
    broadcast: '__bfloat162bfloat162',
    toFloat: ['__bfloat162float'],
    fromFloat: ['__float2bfloat16', '__float2bfloat16_rn'],
  },
};

/** Float → 16-bit conversions that round otherwise than to nearest: no paired form rounds the same way. */
export const OTHER_ROUNDING = /^__float2(?:half|bfloat16)_r[zdu]$/;

/**
 * Scalar intrinsic → the paired one that computes each element the same way (the paired
 * forms apply the scalar operation, or the same instruction sequence, per element), with
 * the number of operands. Both exist for __half and __nv_bfloat16.
 */
export const PAIRED: Readonly<Record<string, { name: string; arity: number }>> = Object.fromEntries(
  (
    [
      ['__hadd', '__hadd2', 2],
      ['__hsub', '__hsub2', 2],
      ['__hmul', '__hmul2', 2],
      ['__hdiv', '__h2div', 2],
      ['__hfma', '__hfma2', 3],
      ['__hneg', '__hneg2', 1],
      ['__habs', '__habs2', 1],
      ['__hmax', '__hmax2', 2],
      ['__hmin', '__hmin2', 2],
      ['__hmax_nan', '__hmax2_nan', 2],
      ['__hmin_nan', '__hmin2_nan', 2],
      ['__hadd_sat', '__hadd2_sat', 2],
      ['__hsub_sat', '__hsub2_sat', 2],
      ['__hmul_sat', '__hmul2_sat', 2],
      ['__hfma_sat', '__hfma2_sat', 3],
      ['__hfma_relu', '__hfma2_relu', 3],
      ['__hadd_rn', '__hadd2_rn', 2],
      ['__hsub_rn', '__hsub2_rn', 2],
      ['__hmul_rn', '__hmul2_rn', 2],
      ['hexp', 'h2exp', 1],
      ['hexp2', 'h2exp2', 1],
      ['hexp10', 'h2exp10', 1],
      ['hlog', 'h2log', 1],
      ['hlog2', 'h2log2', 1],
      ['hlog10', 'h2log10', 1],
      ['hsqrt', 'h2sqrt', 1],
      ['hrsqrt', 'h2rsqrt', 1],
      ['hrcp', 'h2rcp', 1],
      ['hsin', 'h2sin', 1],
      ['hcos', 'h2cos', 1],
      ['htanh', 'h2tanh', 1],
      ['hceil', 'h2ceil', 1],
      ['hfloor', 'h2floor', 1],
      ['hrint', 'h2rint', 1],
      ['htrunc', 'h2trunc', 1],
    ] as const
  ).map(([s, p, arity]) => [s, { name: p, arity }]),
);

/** `__half` operators are these intrinsics (cuda_fp16.hpp, cuda_bf16.hpp). */
export const OPERATOR: Readonly<Record<string, string>> = { '+': '__hadd2', '-': '__hsub2', '*': '__hmul2', '/': '__h2div' };

/** float math whose result is a float and which reads nothing but its arguments. */
export const FLOAT_MATH = new Set([
  'expf', '__expf', 'exp2f', 'exp10f', '__exp10f', 'expm1f', 'logf', '__logf', 'log2f', '__log2f', 'log10f', '__log10f', 'log1pf',
  'sqrtf', 'rsqrtf', 'cbrtf', 'tanhf', 'tanf', '__tanf', 'sinf', '__sinf', 'cosf', '__cosf', 'atanf', 'erff', 'erfcf', 'normcdff',
  'fabsf', 'fmaxf', 'fminf', 'powf', '__powf', 'fmaf', '__fmaf_rn', '__fmul_rn', '__fadd_rn', '__fdiv_rn', '__fdividef', '__frcp_rn',
  '__fsqrt_rn', '__saturatef', 'copysignf', 'ceilf', 'floorf', 'roundf', 'rintf', 'truncf', 'fmodf',
]);

/** Integer helpers an index may call (pure). */
export const INT_MATH = new Set(['min', 'max', '__mul24', '__umul24']);

const INT_TYPES = new Set([
  'int', 'unsigned', 'unsigned int', 'signed', 'signed int', 'short', 'unsigned short', 'int32_t', 'uint32_t', 'int16_t', 'uint16_t',
  'long', 'long int', 'unsigned long', 'long long', 'long long int', 'unsigned long long', 'size_t', 'std::size_t', 'ptrdiff_t',
  'int64_t', 'uint64_t', 'std::int64_t', 'std::uint64_t', 'intptr_t', 'uintptr_t', 'index_t', 'auto',
]);
const WIDE_TYPES = new Set(['long', 'long int', 'unsigned long', 'long long', 'long long int', 'unsigned long long', 'size_t', 'std::size_t', 'ptrdiff_t', 'int64_t', 'uint64_t', 'std::int64_t', 'std::uint64_t', 'intptr_t', 'uintptr_t']);

export type TypeClass = Half | 'float' | 'double' | 'int' | 'other';

/** A declared type without its qualifiers. */
export const bareType = (t: string): string =>
  t.replace(/\b(?:const|volatile|register|static|__restrict__|__restrict|restrict)\b/g, ' ').replace(/\s+/g, ' ').trim();

export function typeClass(t: string | null | undefined): TypeClass {
  if (!t) return 'other';
  const b = bareType(t);
  if (HALF_OF[b]) return HALF_OF[b];
  if (b === 'float') return 'float';
  if (b === 'double') return 'double';
  if (INT_TYPES.has(b) && b !== 'auto' && b !== 'index_t') return 'int';
  return 'other';
}

/** A type an element index may have (a 32-bit one is widened to `long long` by the rewrite). */
export const isIndexType = (t: string): boolean => INT_TYPES.has(bareType(t)) && bareType(t) !== 'index_t';
export const isWideIndexType = (t: string): boolean => WIDE_TYPES.has(bareType(t));

/** The type of a number literal. */
export function literalClass(text: string): TypeClass {
  if (/^0[xX][0-9a-fA-F']*[uUlL]*$/.test(text) || /^\d[\d']*[uUlL]*$/.test(text)) return 'int';
  if (/[fF]$/.test(text)) return 'float';
  return 'double';
}

/** The value of an integer literal, or null. */
export function intLiteral(n: SyntaxNode): number | null {
  if (n.type !== 'number_literal') return null;
  const m = /^(\d+)[uUlL]*$/.exec(n.text);
  return m ? Number(m[1]) : null;
}

/** The operator of a binary, unary, assignment or update expression. */
export function operatorOf(n: SyntaxNode): string {
  return n.childForFieldName('operator')?.type ?? '';
}

/** Without parentheses and casts around it (for matching index forms only). */
export function bare(n: SyntaxNode): SyntaxNode {
  for (;;) {
    if (n.type === 'parenthesized_expression' && n.namedChildren.length === 1) n = n.namedChildren[0];
    else if (n.type === 'cast_expression' && n.childForFieldName('value')) n = n.childForFieldName('value')!;
    else return n;
  }
}

/** Is `n` the built-in `obj.field` (`threadIdx.x`)? */
export function isBuiltin(n: SyntaxNode, obj: string, fieldName: string): boolean {
  n = bare(n);
  return n.type === 'field_expression' && n.childForFieldName('argument')?.text === obj && n.childForFieldName('field')?.text === fieldName;
}

/** The factors of a product (`a * b * c`), parentheses and casts stripped. */
function factors(n: SyntaxNode): SyntaxNode[] {
  n = bare(n);
  if (n.type === 'binary_expression' && operatorOf(n) === '*') return [...factors(n.childForFieldName('left')!), ...factors(n.childForFieldName('right')!)];
  return [n];
}
const isProductOf = (n: SyntaxNode, a: [string, string], b: [string, string]): boolean => {
  const f = factors(n);
  return f.length === 2 && ((isBuiltin(f[0], ...a) && isBuiltin(f[1], ...b)) || (isBuiltin(f[0], ...b) && isBuiltin(f[1], ...a)));
};

/** `blockIdx.x * blockDim.x + threadIdx.x`, in any order, with casts. */
export function isGlobalIndex(n: SyntaxNode): boolean {
  n = bare(n);
  if (n.type !== 'binary_expression' || operatorOf(n) !== '+') return false;
  const l = n.childForFieldName('left')!;
  const r = n.childForFieldName('right')!;
  const block = (m: SyntaxNode) => isProductOf(m, ['blockIdx', 'x'], ['blockDim', 'x']);
  return (isBuiltin(r, 'threadIdx', 'x') && block(l)) || (isBuiltin(l, 'threadIdx', 'x') && block(r));
}

/** `blockDim.x * gridDim.x`, either order, with casts. */
export const isGridStride = (n: SyntaxNode): boolean => isProductOf(n, ['blockDim', 'x'], ['gridDim', 'x']);

/** Binary operators that bind tighter than `+` or as tight (left-associative): `a OP b + c` needs no parentheses. */
const ADDITIVE_OR_TIGHTER = new Set(['+', '-', '*', '/', '%']);
/** Node types that are primary expressions (or postfix ones) in C++. */
const PRIMARY = new Set(['identifier', 'number_literal', 'field_expression', 'call_expression', 'subscript_expression', 'parenthesized_expression', 'qualified_identifier', 'true', 'false']);

/** The text of `n` as the left operand of `+` (or of a comparison below additive precedence). */
export function asAddend(n: SyntaxNode, text = n.text): string {
  const u = n;
  if (PRIMARY.has(u.type) || (u.type === 'binary_expression' && ADDITIVE_OR_TIGHTER.has(operatorOf(u))) || u.type === 'cast_expression') return text;
  return `(${text})`;
}

/** The text of `n` as an operand of `*` on its right (`8LL * n`). */
export function asFactor(n: SyntaxNode): string {
  if (PRIMARY.has(n.type) || n.type === 'cast_expression' || (n.type === 'binary_expression' && operatorOf(n) === '*')) return n.text;
  return `(${n.text})`;
}

/** The text of `n` as the right operand of a relational operator (`i + 8 <= n`). */
export function asBound(n: SyntaxNode): string {
  if (PRIMARY.has(n.type) || n.type === 'cast_expression' || (n.type === 'binary_expression' && [...ADDITIVE_OR_TIGHTER, '<<', '>>'].includes(operatorOf(n)))) return n.text;
  return `(${n.text})`;
}
