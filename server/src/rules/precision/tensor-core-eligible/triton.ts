// The Triton half of precision/tensor-core-eligible, in `@triton.jit` kernels:
//  - `tl.dot(a, b, input_precision="ieee")` or `allow_tf32=False`: fp32 operands multiplied
//    on CUDA cores. When the operands are upcast on the spot (`a.to(tl.float32)`), the dot
//    can take them in their own 16-bit type instead.
//  - a GEMM written as elementwise products reduced with `tl.sum` or accumulated (`acc +=
//    a * b` over k, one output per program) in a kernel with no `tl.dot` at all.
// Quiet on the default precision (TF32 for fp32 operands), "tf32", "tf32x3", a precision
// passed in as a parameter, on "ieee" in a program that turns TF32 off for PyTorch's own matmuls, on kernels that already call `tl.dot`, on TF32 turned off in a
// kernel that casts to its inputs' type (written for 16-bit inputs too), and on recurrences
// that store a result every step of the product loop.
import { detail } from '../../common/detail';
import type { CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import { programAxes, isTlDot as isDot } from '../../common/program-axes';
import type { RuleFinding } from '../../../core/types';
import { isEagerVersion, isReferenceOracle } from '../../common/reference';
import { RESULT_CHECK } from '../../../core/facts/triton/host';
import { gemmLoop } from '../../common/gemm-shape';
import { bindArguments } from '../../common/triton-host';

export const TF32_NUMERICS =
  'TF32 rounds the multiplied inputs to a 10-bit mantissa (fp32 accumulation, about 1e-3 relative error per product); assumes the result tolerates that, otherwise use bf16/fp16 inputs with a check, or a 3xTF32 split';
const BENEFIT_DOT = 'on an H200, tl.dot on fp32 4096^3 with input_precision="ieee" -> "tf32" measured 1.93x (B row-major) to 14.4x (B K-major)';
const BENEFIT_NO_DOT =
  'tensor cores only run through tl.dot: on an H200, tl.dot on fp32 4096^3 measured 1.93x (B row-major) to 14.4x (B K-major) faster as "tf32" than as "ieee" (CUDA-core FMAs), and per-output products are slower than "ieee" tl.dot';

/** "ieee" precision or TF32 switched off, as literals, or through a constexpr every launch of the file sets so (`allow_tf32=ALLOW_TF32`). */
function ieee(c: CallFact, passed: (param: string) => string[]): boolean {
  const off = (name: string, value: string) => (name === 'input_precision' && /^['"]ieee['"]$/.test(value)) || (name === 'allow_tf32' && value === 'False');
  return (c.keywords ?? []).some((k) => {
    const v = k.value.trim();
    if (off(k.name, v)) return true;
    const given = /^[A-Za-z_]\w*$/.test(v) ? passed(v) : [];
    return given.length > 0 && given.every((g) => off(k.name, g.trim()));
  });
}

/** The texts the file's launches of `k` pass for a parameter (none where a launch leaves it out or cannot be read). */
function launchedValues(k: FunctionFacts, functions: readonly FunctionFacts[]): (param: string) => string[] {
  return (param) => {
    if (!k.params.some((p) => p.name === param && p.constexpr)) return [];
    const out: string[] = [];
    for (const h of functions) {
      if (h.isKernel) continue;
      for (const c of h.calls) {
        if (c.kind !== 'launch' || c.name !== k.name) continue;
        const v = bindArguments(k, c)?.get(param)?.text;
        if (v === undefined) return [];
        out.push(v);
      }
    }
    return out;
  };
}

/** How the code turns TF32 off, as written (`allow_tf32=False`, `input_precision="ieee"`). */
const setting = (c: CallFact): string => {
  const k = (c.keywords ?? []).find((x) => x.name === 'allow_tf32' || x.name === 'input_precision');
  return k ? `\`${k.name}=${k.value.trim()}\`` : '"ieee" precision';
};

/** A kernel named as a library's matrix multiply (`mm_kernel`, `addmm_kernel`, `_matmul_kernel`, `gemm_fwd`). */
const GEMM_NAME = /(?:^|_)(?:mm|bmm|addmm|baddbmm|matmul|gemm|sgemm|hgemm)(?:_|$)/i;

/** A cast to another value's type (`b_o.to(p_o.dtype.element_ty)`, `x.to(b_k.dtype)`): the kernel runs on whatever type it is given, 16-bit inputs included. */
const castsToGivenType = (c: CallFact) => c.name.endsWith('.to') && /\.dtype\b/.test(c.args[0] ?? '');

/**
 * Kernels a host function launches and then checks with a tolerance TF32 cannot meet (`rtol=1e-5, atol=1e-5`: TF32
 * rounds each product to about 1e-3): the test asks for fp32 accuracy, so "ieee" is what the kernel must keep. Every
 * tolerance the check gives must be that tight (`|a - b| <= atol + rtol * |b|` passes on the looser one).
 */
function tightlyChecked(functions: readonly FunctionFacts[]): Set<string> {
  const out = new Set<string>();
  for (const host of functions) {
    if (host.isKernel) continue;
    const tight = host.calls.some((c) => {
      if (!RESULT_CHECK.test(c.qualified ?? c.name)) return false;
      const given = (c.keywords ?? []).filter((k) => k.name === 'rtol' || k.name === 'atol').map((k) => Number(k.value.trim()));
      return given.length > 0 && given.every((v) => Number.isFinite(v) && v >= 0 && v < 1e-3);
    });
    if (tight) for (const c of host.calls) if (c.kind === 'launch') out.add(c.name);
  }
  return out;
}

/** Every launch of `k` is in a host function that tests two of the tensors it passes for a 16-bit dtype (`a.dtype == torch.float16`). */
function launchedOnHalves(k: FunctionFacts, functions: readonly FunctionFacts[]): boolean {
  let launches = 0;
  for (const h of functions) {
    if (h.isKernel) continue;
    for (const c of h.calls) {
      if (c.kind !== 'launch' || c.name !== k.name) continue;
      launches++;
      const passed = new Set(c.argRoots.filter((r): r is string => r !== null));
      const halves = new Set(h.calls.filter((t) => t.form === 'operator' && (t.name === '==' || t.name === 'is') && t.args.some((a) => HALF_DTYPE.test(a.trim())))
        .flatMap((t) => t.args.map((a) => /^([A-Za-z_]\w*)\.dtype$/.exec(a.trim())?.[1]).filter((x): x is string => !!x && passed.has(x))));
      if (halves.size < 2) return false;
    }
  }
  return launches > 0;
}
const HALF_DTYPE = /^torch\.(?:float16|half|bfloat16)$/;

function checkKernel(fn: FunctionFacts, fullFp32: boolean, functions: readonly FunctionFacts[]): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  const dots = fn.calls.filter(isDot);
  const passed = launchedValues(fn, functions);
  const exact = dots.filter((c) => ieee(c, passed));
  // (in a program that runs PyTorch's own matmuls in full fp32 too, TF32 off: the precision it is compared at, on purpose)
  if (exact.length && fullFp32) return [];
  if (exact.length) {
    const c = exact[0];
    const upcast = c.args.slice(0, 2).some((a) => /\.to\(\s*tl\.float32\s*\)/.test(a));
    // TF32 turned off in a kernel written for any input type: a no-op on 16-bit inputs, and on fp32 the
    // author's choice of precision (recurrences over chunks, where TF32 error accumulates). A kernel named as a matrix
    // multiply casts its result to the output's type as every GEMM does: no such choice (FlagGems' `mm_kernel` and
    // `addmm_kernel`, which `torch.mm` on fp32 tensors reaches)
    if (!upcast && !GEMM_NAME.test(fn.name) && fn.calls.some(castsToGivenType)) return [];
    // (operands cast to a 16-bit type in the dot's loop, `tl.load(...).to(tl.float16)` for both: the setting is a
    // no-op there, the dot runs on tensor cores)
    const halves = fn.calls.filter((d) => d.name.endsWith('.to') && /^tl\.(?:float16|bfloat16)$/.test(d.args[0]?.trim() ?? '') && c.loops.every((id) => d.loops.includes(id)));
    if (!upcast && halves.length >= 2) return [];
    // (nor where every launch's host asserts its operands are 16-bit, `assert a.dtype == torch.float16`)
    if (!upcast && launchedOnHalves(fn, functions)) return [];
    return [{
      range: c.nameRange,
      function: fn.name,
      confidence: 'likely',
      assumptions: [TF32_NUMERICS, ...(upcast ? [] : ['assumes the operands are fp32 (for 16-bit operands the setting changes nothing)'])],
      message: upcast ? '`tl.dot` on operands upcast to fp32 with TF32 off: CUDA cores, not tensor cores' : `\`tl.dot\` with ${setting(c)}: fp32 operands multiply on CUDA cores, not tensor cores (16-bit ones are unaffected)`,
      detail: upcast
        ? detail('`tl.dot` upcasts its operands to fp32 and turns TF32 off, so it runs on CUDA cores.', 'Pass the 16-bit operands to `tl.dot` as they are (fp32 accumulation), or use `input_precision="tf32x3"` where fp32 accuracy is needed.')
        : detail(`\`tl.dot\` with ${setting(c)} multiplies fp32 operands on CUDA cores (on fp16 or bf16 operands the setting changes nothing: they run on tensor cores either way).`, '`input_precision="tf32"` (or "tf32x3" for near-fp32 accuracy) runs it on tensor cores with fp32 accumulation.'),
      benefit: BENEFIT_DOT,
      related: exact.slice(1, 6).map((d) => ({ range: d.nameRange, message: 'another "ieee" `tl.dot`' })),
    }];
  }
  if (dots.length) return [];
  const g = gemmLoop(fn, () => true);
  if (!g) return [];
  // (a scalar `tl.load` per step times a block, `acc += weight * residual`, is a scaled vector sum, not a matrix
  // product: the weight moves with no program axis, which the test of axes below turns away; a scalar of A's row
  // times a strip of B's, `a_ptr + pid_m * K + k` and `b_ptr + k * N + rn`, is a matrix product one row strip a program)
  // a recurrence (`h += k[:, None] * v[None, :]`, then `o = tl.sum(h * q[:, None], 0)` stored every step) is
  // sequential in its loop: chunking it into matrix products is a different algorithm, not a tl.dot away
  if (fn.accesses.some((a) => a.kind !== 'load' && a.loops.includes(g.loop.id))) return [];
  // a matrix product spreads its outputs over programs along both operands: A's block moves with one program
  // axis, B's with another (`m` and `n`). Operands that share their axes (one query's probabilities times V in
  // decode attention) make a matrix-vector product, which tensor cores do not speed up
  const ax = programAxes(g.a);
  const bx = programAxes(g.b);
  if (![...ax].some((x) => !bx.has(x)) || ![...bx].some((x) => !ax.has(x))) return [];
  // (one scalar of each a step, `tl.load(a_ptr + pid_m * K + k)`: one output per program, no blocks)
  const what = g.a.lanes?.length || g.b.lanes?.length ? 'blocks' : 'scalars';
  return [{
    range: g.loop.headerRange,
    function: fn.name,
    confidence: 'likely',
    assumptions: [TF32_NUMERICS, 'assumes the operands are fp32 or 16-bit floats'],
    message: `\`${g.a.array}\` × \`${g.b.array}\` ${what} multiplied and reduced without \`tl.dot\`: a matrix multiply off the tensor cores`,
    detail: detail(
      `This loop multiplies the ${what} loaded from \`${g.a.array}\` and \`${g.b.array}\` elementwise and reduces the products: it is a matrix multiply without \`tl.dot\`, so it never reaches the tensor cores.`,
      'Load [BLOCK_M, BLOCK_K] and [BLOCK_K, BLOCK_N] tiles and accumulate `tl.dot(a, b, acc)` in fp32, one output tile per program.',
    ),
    benefit: BENEFIT_NO_DOT,
    related: [{ range: g.b.range, message: 'the other operand' }],
  }];
}

export function tritonTensorCore(facts: FileFacts): RuleFinding[] {
  const checked = tightlyChecked(facts.functions);
  // (and a kernel every launch of which is in a host named as the reference, `matmul_reference_fp32`: the exact fp32
  // baseline the mixed-precision kernels are validated against)
  const launchers = new Map<string, FunctionFacts[]>();
  for (const h of facts.functions) if (!h.isKernel) for (const c of h.calls) if (c.kind === 'launch') launchers.set(c.name, [...(launchers.get(c.name) ?? []), h]);
  for (const [kernel, hosts] of launchers) if (hosts.every((h) => isReferenceOracle(h.name) || isEagerVersion(h.name))) checked.add(kernel);
  return facts.functions.flatMap((fn) => checkKernel(fn, !!facts.fullFp32Matmuls || checked.has(fn.name), facts.functions));
}
