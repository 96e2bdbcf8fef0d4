// vectorization/packed-half: a CUDA kernel doing fp16 / bf16 arithmetic one element at a
// time (`__hadd`, `__hmul`, `__hfma`, `hexp`, their operators `*` / `+` on `half` values, or a `__half2float` / `__float2half` round
// trip per element) over 16-bit data that neighbouring threads (or loop steps) hold
// consecutively, so two elements could travel and compute as one `__half2` /
// `__nv_bfloat162` (`__hadd2`, `__hmul2`, `__hfma2`, `__floats2half2_rn`). Also a template
// kernel whose element type the file's launch dispatch names as Half / BFloat16 and which
// computes on those elements with operators.
// Quiet when the kernel already packs (half2 / bf162 types or intrinsics, uint4 / float4
// reinterpretation), when its 16-bit data are gathered or strided (not pairable), or
// when each thread touches a single per-row value. The wide-load side of the same kernel
// is vectorization/vector-memory-access's; this rule speaks about the arithmetic.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { SAMPLES, laneValues } from '../../../core/lanes';
import { fix } from './fix';
import { perFunction } from '../../common/memo';
import { runtimeLoop } from '../../common/hot-loops';

const HALF_TYPES = new Set(['half', '__half', '__nv_bfloat16', 'nv_bfloat16']);
/** Scalar fp16 / bf16 arithmetic intrinsics (cuda_fp16.h, cuda_bf16.h). */
const SCALAR_MATH = /^(?:__h(?:add|sub|mul|div|fma|neg|abs|max|min)(?:_sat|_rn|_relu|_nan)?|h(?:exp|exp2|exp10|log|log2|log10|sqrt|rsqrt|rcp|sin|cos|tanh|ceil|floor|rint|trunc))$/;
/** Per-element conversions between a 16-bit float and float. */
const CONVERSION = /^(?:__half2float|__float2half(?:_r[nzdu])?|__bfloat162float|__float2bfloat16(?:_r[nzdu])?)$/;
/** Intrinsics on pairs: the kernel already packs. */
const PAIRED = /^(?:__h\w*2(?:_sat|_rn|_relu)?|h2\w+|__h2div|__floats2(?:half2|bfloat162)_rn|__float2(?:half2|bfloat162)_rn|__half22float2|__bfloat1622float2|__float22(?:half2|bfloat162)_rn|__halves2(?:half2|bfloat162)|__(?:low|high)2(?:half|float|bfloat16)|__(?:lows|highs)2(?:half2|bfloat162)|__(?:half|bfloat16)2(?:half2|bfloat162)|make_(?:half2|bfloat162))$/;
const TID = 'threadIdx.x';
/** A widening conversion's call as a whole argument (`__half2float(x[i])`), and a numeric constant (`0.f`). */
const CONVERTED = /^\s*(?:__half2float|__bfloat162float|__ushort_as_half|__ushort_as_bfloat16)\s*\((?:[^()]|\([^()]*\))*\)\s*$/;
const LITERAL = /^\s*-?\d+(?:\.\d*)?(?:e-?\d+)?f?\s*$/i;

const is16BitFloat = (a: AccessFact) => !!a.elemType && HALF_TYPES.has(a.elemType) && !a.vector;

/**
 * Could two consecutive elements of this access go to one thread? Its index must be known
 * and step by one element between neighbouring threads (`x[i]`, `x[row * K + k]` with k
 * from threadIdx.x) or between steps of a loop the thread runs (`x[row * K + k]`, `k++`).
 */
function pairable(a: AccessFact, fn: FunctionFacts): boolean {
  if (a.indices.length !== 1 || a.indices[0].unknown || a.singleLane) return false;
  const idx = a.indices[0];
  // `x[row_off + i % half_dim]`: consecutive lanes on consecutive elements in every sample
  if (idx.hasAtoms) return SAMPLES.every((s) => laneValues(idx, s)?.every((v, i, vs) => i === 0 || v - vs[i - 1] === 1) ?? false);
  const unit = (sym: string) => {
    const c = idx.coefficient(sym);
    return c.isConstant && c.constant === 1;
  };
  if (unit(TID)) return true;
  return !idx.dependsOn((s) => s.startsWith('threadIdx.')) && a.loops.some((id) => fn.loops[id] && unit(fn.loops[id].symbol));
}

/** The same value for a whole warp at every step (`scale[blockIdx.x]`, `w[0]`): a broadcast, not part of the stream. */
const broadcast = (a: AccessFact) => a.indices.length === 1 && !a.indices[0].unknown && !a.indices[0].dependsOn((s) => s.startsWith('threadIdx.') || s.startsWith('#loop') || s.startsWith('#op'));

const benefit =
  'one instruction computes two elements; on an H200, y = a*x + b over 2^28 fp16 went from 35% of copy bandwidth with scalar __half to 62% with __half2 (1.77x), and to 99% with 8 halves per thread through one uint4 (2.85x)';

/** The 16-bit global stream of a kernel, when every part of it is pairable; null when some part is gathered or strided. */
function pairedStream(fn: FunctionFacts, isHalf: (a: AccessFact) => boolean): AccessFact[] | null {
  const stream = fn.accesses.filter((a) => a.space === 'global' && isHalf(a) && !broadcast(a));
  if (stream.length === 0 || !stream.every((a) => pairable(a, fn))) return null;
  return stream;
}

const alreadyPacked = (fn: FunctionFacts) => fn.usesVectorTypes || !!fn.vectorLaunch || fn.accesses.some((a) => a.vector && a.space !== 'shared') || fn.calls.some((c) => PAIRED.test(c.name));

/** A step of a shuffle tree (`__hadd(v, __shfl_xor_sync(...))`): it combines values of different lanes. */
const shuffleStep = (c: CallFact) => c.args.some((a) => /__shfl/.test(a));

/** `mathHelpers`: the `__device__` helpers the kernel calls that do scalar 16-bit math; `reduces`: whether it calls one that reduces. */
function checkKernel(fn: FunctionFacts, mathHelpers: readonly string[] = [], callsReduction = false): RuleFinding[] {
  // (nor one launched every so many steps, or only as a benchmark's set-up or check: a sliver of the run; nor only by an
  // unfused baseline kept beside its fused twin)
  // (nor a kernel every launch of which is a few hundred KB, launch-bound: twice the math rate changes nothing there,
  // as vectorization/vector-memory-access says of its loads; nor one launched in a single block)
  if (!fn.isKernel || alreadyPacked(fn) || fn.rarelyLaunched || fn.baselineLaunch || fn.smallProblem || fn.singleBlock) return [];
  const stream = pairedStream(fn, is16BitFloat);
  if (!stream) return [];
  // (or in a `__device__` helper of the file it calls, `swish_half(x[idx])` computing with `__hmul`, `hexp`)
  // (not one thread's scalar, `if (tid == 0) s_var = hrsqrt(v)`, nor a step of a shuffle tree, `__hadd(v, __shfl_xor_sync(...))`:
  // values of different lanes, nothing two neighbouring elements could share)
  // (cuda_fp16.h's operators on 16-bit values, `x[i] * x[i] + s[i]`, are the same scalar instructions)
  const math = [...fn.calls, ...(fn.halfOperators ?? [])].filter((c) => c.kind === 'call' && (SCALAR_MATH.test(c.name) || mathHelpers.includes(c.name) || /^operator/.test(c.name)) && !c.singleLane && !shuffleStep(c));
  const conversions = fn.calls.filter((c) => c.kind === 'call' && CONVERSION.test(c.name));
  // a round trip: 16-bit data both read and written, converted per element on the way, with float
  // arithmetic between (`__float2half(__half2float(x[i]) * s)`); a conversion of a conversion
  // (`__float2bfloat16_rn(__half2float(x[i]))`) or of a constant only changes the type: the wide loads
  // and stores that kernel wants are vectorization/vector-memory-access's
  const narrowing = conversions.filter((c) => /^__float2/.test(c.name));
  const onlyRetypes = narrowing.length > 0 && narrowing.every((c) => CONVERTED.test(c.args[0] ?? '') || LITERAL.test(c.args[0] ?? ''));
  // (a reduction's one conversion each way around fp32 math, a softmax's normalizer, is no stream of round trips)
  const reduces = fn.kernelClass === 'reduction' || callsReduction;
  const roundTrip = conversions.length > 0 && !onlyRetypes && !reduces && stream.some((a) => a.kind === 'load') && stream.some((a) => a.kind !== 'load');
  if (math.length === 0 && !roundTrip) return [];
  // one 16-bit operation on values that leave as fp32 (`master[i] = __half2float(__hmul(g[i], inv_scale))`): a
  // conversion pass, bound by its memory; its wider loads are vectorization/vector-memory-access's
  if (math.length === 1 && !math[0].loops.length && !stream.some((a) => a.kind !== 'load')) return [];
  // a main loop that reads the stream and computes in fp32 (a GEMM's k-loop converting to float), with the 16-bit math
  // only after it (`Y[i] = __hadd(Y[i], __float2half(acc))`): one instruction per output, not the kernel's time
  const runtime = new Set(fn.loops.filter((l) => runtimeLoop(l)).map((l) => l.id));
  const hot = (loops: readonly number[]) => loops.some((id) => runtime.has(id));
  const loopReadsOnly = stream.some((a) => a.kind === 'load' && hot(a.loops)) && !stream.some((a) => a.kind !== 'load' && hot(a.loops));
  if (math.length > 0 && math.every((c) => !hot(c.loops)) && loopReadsOnly) return [];
  // (so is a round trip whose computed values narrow only after that loop, `C[..] = __float2half(acc)` of an fp32 sum:
  // the widening in the loop feeds an fp32 accumulator, which `__half2` math would round at every step)
  const computed = narrowing.filter((c) => !LITERAL.test(c.args[0] ?? ''));
  if (math.length === 0 && loopReadsOnly && computed.every((c) => !hot(c.loops))) return [];
  const type = stream[0].elemType!;
  const bf16 = /bfloat16/.test(type);
  const pair = bf16 ? '__nv_bfloat162' : '__half2';
  const names = [...new Set([...math, ...conversions].map((c) => `\`${c.name}\``))].slice(0, 4).join(', ');
  // (pointed at a conversion of a value, not of the constant a bounds guard fills with)
  const at: CallFact = math[0] ?? conversions.find((c) => !LITERAL.test(c.args[0] ?? '')) ?? conversions[0];
  const what = math.length ? `scalar ${bf16 ? 'bf16' : 'fp16'} arithmetic (${names})` : `a per-element ${bf16 ? 'bf16' : 'fp16'} ↔ float round trip (${names})`;
  const pairOps = bf16 ? '`__hadd2` / `__hmul2` / `__hfma2` on `__nv_bfloat162`, `__bfloat1622float2` / `__floats2bfloat162_rn`' : '`__hadd2` / `__hmul2` / `__hfma2`, `__half22float2` / `__floats2half2_rn`';
  return [{
    range: at.range,
    function: fn.name,
    confidence: 'likely',
    assumptions: [`assumes the element count is even (or a scalar tail handles the last element) and the buffers are 4-byte aligned`],
    message: `\`${fn.name}\`: ${math.length ? 'scalar' : 'per-element ↔ float'} ${bf16 ? 'bf16' : 'fp16'} ${math.length ? 'arithmetic' : 'round trips'} on one \`${type}\` per thread, half the throughput of \`${pair}\``,
    detail: detail(
      `\`${fn.name}\` does ${what} on one \`${type}\` per thread, and neighbouring elements are consecutive in memory.`,
      `Have each thread take two adjacent elements as one \`${pair}\` (${pairOps}), or eight through one 16-byte load.`,
    ),
    benefit,
  }];
}

/** `AT_DISPATCH_FLOATING_TYPES_AND2(at::ScalarType::Half, at::ScalarType::BFloat16, ...)`: the dispatch runs its lambda on 16-bit floats. */
const dispatchesHalf = (c: CallFact) => /DISPATCH/.test(c.name) && (/HALF|BFLOAT16/.test(c.name) || c.args.some((a) => /^(?:at::|c10::)?(?:ScalarType::)?(?:Half|BFloat16)$/.test(a.trim())));

/** Each kernel's first host in the file that launches it under a Half / BFloat16 dispatch, read once per file version. */
const launchersOf = new WeakMap<FileFacts, Map<string, FunctionFacts>>();
function halfLaunchers(facts: FileFacts): Map<string, FunctionFacts> {
  let out = launchersOf.get(facts);
  if (out) return out;
  launchersOf.set(facts, (out = new Map()));
  for (const h of facts.functions) {
    if (h.isKernel || !h.calls.some(dispatchesHalf)) continue;
    // (a launch inside an ATen dispatch of its own is built for that dispatch's types: float and double, or with half)
    const half = (c: CallFact) => !c.dispatchTypes || c.dispatchTypes.some((t) => t === 'half' || t === '__nv_bfloat16');
    for (const c of h.calls) if (c.kind === 'launch' && half(c) && !out.has(c.name)) out.set(c.name, h);
  }
  return out;
}

/**
 * A template kernel (`scalar_t`) launched in this file under a dispatch that names Half or
 * BFloat16, computing with operators on its pairable `scalar_t` stream: for those types each
 * operator converts to float and back per element.
 */
function checkDispatched(fn: FunctionFacts, facts: FileFacts): RuleFinding[] {
  if (!fn.isKernel || fn.templateParams.length === 0 || fn.arithmetic === 0) return [];
  const launcher = halfLaunchers(facts).get(fn.name);
  if (!launcher || alreadyPacked(fn)) return [];
  const isT = (a: AccessFact) => !a.vector && !!a.elemType && fn.templateParams.includes(a.elemType);
  const stream = pairedStream(fn, isT);
  if (!stream || !stream.some((a) => a.kind === 'load') || !stream.some((a) => a.kind !== 'load')) return [];
  // every load widened to fp32 first (`static_cast<float>(x[i])`, `float(x[i])`, `(float)x[i]`): the math is fp32, one conversion each
  // way, nothing to pair (the wide loads and stores that kernel wants are vectorization/vector-memory-access's)
  const widened = (a: AccessFact) => !!a.widened || fn.calls.some((c) => c.args[0]?.trim() === a.text &&
    ((c.name === 'static_cast' && WIDE_MATH.test(c.templateArgs?.[0] ?? '')) || /^(?:float|double)$/.test(c.name)));
  if (stream.filter((a) => a.kind === 'load').every(widened)) return [];
  const type = stream[0].elemType!;
  return [{
    range: fn.nameRange,
    function: fn.name,
    confidence: 'heuristic',
    assumptions: [
      `assumes the Half / BFloat16 instantiations dispatched in \`${launcher.name}\` matter (for float the kernel is unchanged)`,
      'assumes the element count is even (or a scalar tail handles the last element) and the buffers are 4-byte aligned',
    ],
    message: `\`${fn.name}\`: one \`${type}\` per thread, dispatched on Half / BFloat16, converting to float and back per operator`,
    detail: detail(
      `\`${fn.name}\` computes on one \`${type}\` per thread with operators, and \`${launcher.name}\` dispatches it on Half / BFloat16, where each operator converts to float and back.`,
      'For the 16-bit types, have each thread take two adjacent elements as one `__half2` / `__nv_bfloat162` and use the paired intrinsics (`__hmul2`, `__hfma2`).',
    ),
    benefit,
  }];
}

/** Types that compute in fp32 or wider: `float`, `double`, PyTorch's `accscalar_t` / `acc_t` / `opmath_t`. */
const WIDE_MATH = /^\s*(?:const\s+)?(?:float|double|acc_?\w*|\w*accscalar\w*|opmath_t|at::acc_type<.*>)\s*$/;

/** `checkKernel` kept with each function's facts and the helpers it reads: an edit re-checks only the functions it changed. */
const kernelFindings = perFunction(checkKernel, (mathHelpers: readonly string[] = [], callsReduction = false) => `${mathHelpers.join()}|${callsReduction}`);

export const rule: Rule = {
  id: 'vectorization/packed-half',
  languages: ['cuda'],
  defaultSeverity: 'information',
  fix,
  check: (facts: FileFacts) => {
    // the file's `__device__` helpers that do scalar 16-bit arithmetic, by name (a warp's shuffle tree, `__hadd(v,
    // __shfl_xor_sync(...))`, combines lanes' values: none); and those that reduce across a block or warp, whose callers
    // are reductions however their own loops look (a softmax's `block_sum(e)`)
    // (with intrinsics, `__hmul`, or cuda_fp16.h's operators, `x * (x + three) / six`)
    const helpers = new Set(facts.functions.filter((f) => f.isDevice && !f.isKernel &&
      (f.calls.some((c) => SCALAR_MATH.test(c.name) && !shuffleStep(c)) || (f.halfOperators ?? []).some((c) => !c.singleLane))).map((f) => f.name));
    const reducing = new Set(facts.functions.filter((f) => f.isDevice && !f.isKernel && f.kernelClass === 'reduction').map((f) => f.name));
    return facts.functions.flatMap((fn) => {
      const used = [...new Set(fn.calls.filter((c) => helpers.has(c.name)).map((c) => c.name))];
      const direct = kernelFindings(fn, used, fn.calls.some((c) => reducing.has(c.name)));
      return direct.length ? direct : checkDispatched(fn, facts);
    });
  },
};
