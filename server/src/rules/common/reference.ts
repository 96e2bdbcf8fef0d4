// Reference implementations that tests compare against (`matmul_ref`, `attention_reference`,
// `golden_softmax`, `REF_MMult`, and in Triton projects the eager `ff_pytorch` / `torch_softmax`)
// the scalar fallbacks of SIMD paths, and warm-up kernels are kept simple on purpose: rules stay quiet in them.
// One home for the name test, so every rule agrees on what counts as one.
import { neverTogether, type CallFact, type FunctionFacts } from '../../core/facts/model';
import { hasTimedRegion, insideTimedRegion, outsideTimedRegion } from '../../core/timed-region';
import { EXPECTED_OUTPUT } from '../../core/test-code';
import { positionBefore, rangeHolds } from '../../core/positions';
import { boundedMemo, lastTwo } from '../../core/bounded-memo';
import { RESULT_CHECK } from '../../core/facts/triton/host';
/** Names of expected-result code: `gemm_ref`, `reference_softmax`, `goldenOut`, the CUDA samples' `computeGold`. */
const REFERENCE = /(?:^|_)(?:ref|reference|gold|golden|oracle|REF|REFERENCE|GOLD|GOLDEN|ORACLE)(?:_|$)|Reference|Gold(?![a-z])|Golden|Oracle|Ref$/;
/** Named as the PyTorch version (`ff_pytorch`, `torch_softmax`): the eager side, unless it launches a kernel itself. */
const TORCH_VERSION = /_(?:pytorch|torch)$|^(?:pytorch|torch)_/;

/** A test framework's test body (`TEST(Gemm, Small) { ... }` reads as a function named TEST): test code, not a target. */
const TEST_BODY = /^(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P|BOOST_AUTO_TEST_CASE|BOOST_FIXTURE_TEST_CASE|TEST_CASE|SCENARIO)$/;

/** The portable scalar twin of a SIMD path (`softmax_cpu_nonavx2`, `dequant_fallback`): the machines that matter take the other one. */
const SCALAR_TWIN = /(?:^|_)(?:fallback|non_?avx\d*|non_?simd|no_?simd|non_?neon)(?:_|$)|Fallback/i;

/** A kernel launched only to wake the GPU up before the timed runs (`warmup`, `warm_up_kernel`, `warmUpGPU`). */
const WARM_UP = /^warm_?up(?:_|[A-Z]|$)/i;

export const isReferenceOracle: (functionName: string) => boolean = boundedMemo((functionName) =>
  REFERENCE.test(functionName) || TORCH_VERSION.test(functionName) || TEST_BODY.test(functionName) || SCALAR_TWIN.test(functionName) || WARM_UP.test(functionName), 10_000);

// (a host function named as the unfused baseline of a fused twin, which the fusion rules leave alone)
export { isUnfusedBaseline } from '../../core/baselines';

/**
 * A plain PyTorch version kept beside the kernels to compare them with (`naive_gdn_gate`, `ref_rmsnorm`,
 * `swiglu_backward_eager`, `matmul_lora_naive`): eager on purpose, for every fusion rule alike.
 */
const EAGER_VERSION = /^(?:naive|ref|reference|eager|torch|pytorch)_|_(?:naive|ref|reference|eager|torch|pytorch)$/i;
export const isEagerVersion = (name: string): boolean => EAGER_VERSION.test(name);
/**
 * Of those, one named naive or a reference (`matmul_lora_naive`, `ref_linear`): kept to compare with. (An `_eager` twin of
 * a compiled function, `linear_gelu_eager`, is the path that runs uncompiled: the GEMM rules still read it.)
 */
const NAIVE_VERSION = /^(?:naive|ref|reference)_|_(?:naive|ref|reference)$/i;
export const isNaiveVersion = (name: string): boolean => NAIVE_VERSION.test(name);

/** A test function by name (pytest's `test_bwd_correctness`, `testSoftmax`; C's `test_gpu_accuracy` driver): it builds data and checks results. */
export const isTestName = (functionName: string): boolean => /^test(?:_|[A-Z]|$)/.test(functionName);

/** Calls that compare a kernel's output with the expected one (`torch.allclose`, `torch.testing.assert_close`, `np.testing.assert_allclose`). */
const PYTHON_COMPARE = RESULT_CHECK;

/**
 * Python host code nobody tunes: a test, the eager version a kernel is checked against (`naive_recurrent_rwkv6`,
 * `naive_chunk_gla`, a puzzle book's `flashatt_spec`), or a function that returns or asserts a comparison of results (`torch.allclose(out, ref)`):
 * its eager math is the expected side (or one calling `torch.testing.assert_close(out, ref)`). (A CUDA `naive_matmul` kernel is the code to improve: this reads Python host functions only.)
 */
// (`linear_gelu_torch` launching a Triton GEMM is the PyTorch-hosted path of the kernel, not the eager side)
export const isPythonOracle = (fn: FunctionFacts): boolean =>
  isTestName(fn.name) || (isReferenceOracle(fn.name) && !(TORCH_VERSION.test(fn.name) && !REFERENCE.test(fn.name) && launchesKernels(fn))) || (/^naive(?:_|[A-Z])|_spec$/.test(fn.name) && !launchesKernels(fn)) || fn.calls.some((c) => PYTHON_COMPARE.test(c.name) && ((ASSERTS.test(c.name) && !fn.loops.length) || checkedResult(fn.calls, c, fn.loops.length > 0)));

/**
 * A class kept as the expected side a fused kernel is checked against, by a name that says so at its end
 * (`GemmaMLPReference`, `LlamaMLPRef`), or, beside the file's own kernels, at its start or as a baseline
 * (`TorchLMHeadCE`, `EagerRMSNorm`, `NaiveAttention`, `MLPBaseline`, `RMSNormTorch`). Elsewhere those are models' names
 * (`ReferenceEncoder`, `ViTBaseline`, `TorchMLP`, `SupervisedBaseline`).
 */
const referenceClass = (name: string, besideKernels: boolean): boolean =>
  /(?:Reference|Ref)$/.test(name) || (besideKernels && (/(?:Baseline|Eager|Naive|Torch)$/.test(name) || /^(?:Torch|PyTorch|Eager|Naive|Baseline)(?=[A-Z])/.test(name)));

/** A `naive_attention` that launches Triton kernels (`qk_kernel[grid](...)`) is a naive implementation to improve, not the eager oracle. */
const launchesKernels = (fn: FunctionFacts): boolean => fn.calls.some((c) => c.kind === 'launch');

/**
 * The file's Python host functions nobody tunes: isPythonOracle's, and those whose result another function of the file
 * binds to a name holding expected results and compares (`ref = eager_attention(q, k, v, ...)`, then
 * `torch.testing.assert_close(ref, tri)`): the eager version a kernel is checked against.
 */
export function pythonOracles(functions: readonly FunctionFacts[]): ReadonlySet<FunctionFacts> {
  const known = oraclesOf.get(functions);
  if (known) return known;
  const referenced = new Set<string>();
  // (the functions that launch the file's kernels, which the baselines and the fallbacks are told apart from)
  const launching = launchingHosts(functions);
  const eager = new Set(functions.filter((f) => !f.isKernel && !launching.has(f.name)).map((f) => f.name));
  // (the file's classes, and those whose methods launch nothing: an eager module)
  const classes = new Set(functions.flatMap((f) => (f.className ? [f.className] : [])));
  const eagerClasses = new Set([...classes].filter((k) => functions.every((f) => f.className !== k || !launching.has(f.name))));
  for (const g of functions) {
    const checks = g.calls.filter((c) => PYTHON_COMPARE.test(c.name));
    const compared = new Set(checks.flatMap((c) => c.argRoots.filter((r): r is string => r !== null)));
    if (!compared.size) continue;
    // what each compared name was assigned from: `ref_out = attention_eager(q, k, v)`
    const source = new Map<string, CallFact>();
    g.calls.forEach((c) => {
      const held = (c.form === 'call' || c.form === 'method') && c.parent !== undefined ? g.calls[c.parent] : undefined;
      const name = held?.form === 'assign' && held.name === '=' && held.assignedTo?.length === 1 ? held.assignedTo[0] : null;
      if (name && compared.has(name)) source.set(name, c);
      if (name && c.form === 'call' && isExpectedOutput(name) && compared.has(name)) referenced.add(c.name);
    });
    // (or, of two results compared, the one the file's eager code computes against the other a kernel computes, a
    // function launching one or an extension's op: `allclose(minimal_result, manual_result)`)
    // (a side written as the call itself, `allclose(minimal_result, manual_attn(q, k, v))`; an instance of one of the file's
    // modules stands for its class's `forward`, `manual_attn = ManualAttn()`)
    const instances = new Map<string, string>();
    g.calls.forEach((c) => {
      const held = c.form === 'call' && c.parent !== undefined ? g.calls[c.parent] : undefined;
      if (held?.form === 'assign' && held.assignedTo?.length === 1 && classes.has(c.name)) instances.set(held.assignedTo[0], c.name);
    });
    const eagerSide = (x: CallFact) => eager.has(x.name) || (instances.has(x.name) && eagerClasses.has(instances.get(x.name)!));
    for (const c of checks) {
      const at = g.calls.indexOf(c);
      const inline = (k: number) => g.calls.find((d) => d.parent === at && (d.form === 'call' || d.form === 'method') && c.args[k]?.trim().startsWith(d.name));
      const sides = c.argRoots.slice(0, 2).map((r, k) => (r ? source.get(r) : undefined) ?? inline(k));
      if (sides.length !== 2 || !sides[0] || !sides[1]) continue;
      // (an extension's entry, `minimal_attn.forward(q, k, v)` of a module `load(...)` built, or a Function's `apply`)
      const kernelSide = (x: CallFact) => launching.has(x.name) || (x.form === 'method' && /^\.(?:forward|apply)$/.test(x.name)) ||
        (x.form === 'call' && !eager.has(x.name) && x.name.includes('.') && !/^(?:torch|F|np|numpy|math)\./.test(x.name));
      const [a, b] = sides as CallFact[];
      for (const [x, y] of [[a, b], [b, a]]) {
        if (!eagerSide(x) || !kernelSide(y)) continue;
        referenced.add(x.name);
        if (instances.has(x.name)) referenced.add(instances.get(x.name)!);
      }
    }
  }
  const baselines = timedBaselines(functions, launching);
  const drivers = validationDrivers(functions);
  const fallbacks = kernelFallbacks(functions, launching);
  // (and module code that launches nothing, kept for what it compares: a self-check script)
  const selfCheck = (f: FunctionFacts) => f.name === '<module>' && !f.calls.some((c) => c.kind === 'launch');
  const hasKernels = functions.some((f) => f.isKernel);
  const out = new Set(functions.filter((f) => !f.isKernel && (isPythonOracle(f) || selfCheck(f) || referenced.has(f.name) || baselines.has(f.name) || (!!f.className && (baselines.has(f.className) || referenced.has(f.className) || referenceClass(f.className, hasKernels))) || drivers.has(f) || fallbacks.has(f.name))));
  oraclesOf.set(functions, out);
  return out;
}

/**
 * Functions (whose loops only check) that hand what they computed to a checker of the file as its expected side: a function that
 * runs an implementation it is given and compares the result with its parameter (`run_test(expect, fn, a, b)`: `actual =
 * fn(a, b)`, `torch.allclose(expect, actual)`), or one whose compared parameter is named so (`expected`, `ref`).
 * Validation drivers, whose products are the expected side. (A `check(out, x)` that computes the reference itself
 * takes the driver's product as the actual side: not this.)
 */
function validationDrivers(functions: readonly FunctionFacts[]): ReadonlySet<FunctionFacts> {
  const checkers = new Map<string, number[]>();
  for (const g of functions) {
    if (g.isKernel) continue;
    const compared = new Set(g.calls.filter((c) => PYTHON_COMPARE.test(c.name)).flatMap((c) => c.argRoots.filter((r): r is string => r !== null)));
    const params = new Set(g.params.map((p) => p.name));
    const runsGiven = g.calls.some((c) => c.form === 'call' && params.has(c.name));
    const at = g.params.map((p, i) => (compared.has(p.name) && (runsGiven || isExpectedOutput(p.name)) ? i : -1)).filter((i) => i >= 0);
    if (at.length) checkers.set(g.name, at);
  }
  if (!checkers.size) return new Set();
  return new Set(functions.filter((h) => !h.isKernel && onlyChecksInLoops(h, checkers) && !checkers.has(h.name) && h.calls.some((c) => c.form === 'call' &&
    (checkers.get(c.name) ?? []).some((i) => c.argRoots[i] !== null && c.argRoots[i] !== undefined))));
}

/**
 * A driver's loops do nothing but check (`for fn, label in impls: run_test(expected, fn, a, b, label)`: every variant
 * against one expected result), or it has none. A loop doing other work (a training loop validating each step) is work.
 */
function onlyChecksInLoops(h: FunctionFacts, checkers: ReadonlyMap<string, number[]>): boolean {
  // (and a label the loop writes for the check, `label = f"Persistent ({flag})"`)
  const label = (c: CallFact): boolean => c.name === 'f-string' || (c.form === 'assign' && c.name === '=' && /^[rfbu]*["']/i.test(c.args[0]?.trim() ?? ''));
  const checking = (c: CallFact): boolean => (c.form === 'assign' && c.name === 'for') || checkers.has(c.name) || c.name === 'print' || label(c);
  return h.calls.every((c) => {
    if (!c.loops.length) return true;
    for (let at: CallFact | undefined = c, steps = 0; at && steps < 8; at = at.parent !== undefined ? h.calls[at.parent] : undefined, steps++) if (checking(at)) return true;
    return false;
  });
}

/** The file's Python functions that launch its kernels, directly or through others of its functions: the code under study. */
function launchingHosts(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const launching = new Set(functions.filter((f) => !f.isKernel && f.calls.some((c) => c.kind === 'launch')).map((f) => f.name));
  for (let grew = true; grew;) {
    grew = false;
    for (const f of functions) if (!f.isKernel && !launching.has(f.name) && f.calls.some((c) => c.form === 'call' && launching.has(c.name))) { launching.add(f.name); grew = true; }
  }
  return launching;
}

/**
 * Python functions the file calls only where its kernel path is not taken: the other arm of `if e.is_cuda:` (or after
 * that arm's `return`) beside a call that launches the file's kernel, in a function that asks where its tensors are
 * (unsloth's `swiglu_torch_forward` when Triton cannot run). The fused path is the kernel; the eager one is there for
 * machines without it.
 */
function kernelFallbacks(functions: readonly FunctionFacts[], launching: ReadonlySet<string>): ReadonlySet<string> {
  const mine = new Set(functions.filter((f) => !f.isKernel && !launching.has(f.name)).map((f) => f.name));
  const fallback = new Set<string>();
  const direct = new Set<string>();
  for (const g of functions) {
    if (g.isKernel) continue;
    // (a dispatcher that asks where the tensor is or what the machine has: `x.is_cuda`, `x.device`, `torch.cuda.is_available()`;
    // one that picks by size, `if x.shape[0] <= 16:`, picks between two real paths)
    const offPath = kernelOffPath(g, launching);
    for (const c of g.calls) {
      if (c.form !== 'call' || !mine.has(c.name)) continue;
      (offPath(c) ? fallback : direct).add(c.name);
    }
  }
  return new Set([...fallback].filter((name) => !direct.has(name)));
}

/**
 * In a dispatcher that asks where its tensors are (`x.is_cuda`, `x.device`, `torch.cuda.is_available()`): whether a call
 * runs only where its kernel path is not taken (the other arm, or after that arm's `return`). Never, in a function that
 * does not ask (one that picks by size, `if x.shape[0] <= 16:`, picks between two real paths).
 */
export function kernelOffPath(g: FunctionFacts, launching: ReadonlySet<string> = new Set()): (c: CallFact) => boolean {
  if (!g.calls.some((c) => DEVICE_TEST.test(c.name))) return () => false;
  const gpu = g.calls.filter((l) => l.kind === 'launch' || (l.form === 'call' && launching.has(l.name)));
  return (c) => gpu.some((l) => neverTogether(c.scopes, l.scopes) || returnsBefore(g, l, c));
}

/** What a dispatcher asks to pick the kernel path: where the tensor is, or whether the machine can run it. */
const DEVICE_TEST = /^\.(?:is_cuda|is_cpu|device)$|(?:^|\.)(?:is_available|is_interpret\w*)$/;

/** `l` sits in an arm that returns (`if e.is_cuda: return kernel(e)`) and `c` comes after that arm, outside it: `c` runs only when the arm does not. */
function returnsBefore(g: FunctionFacts, l: CallFact, c: CallFact): boolean {
  const arm = l.scopes?.[l.scopes.length - 1];
  if (arm === undefined || c.scopes?.includes(arm) || !positionBefore(l.range.start, c.range.start)) return false;
  return g.calls.some((r) => r.form === 'return' && !!r.scopes?.includes(arm) && positionBefore(r.range.start, c.range.start));
}

/** A benchmark's timer (`triton.testing.do_bench`, `do_bench_cudagraph`). */
const DO_BENCH = /(?:^|\.)do_bench(?:_\w+)?$/;
/** A clock a timing helper reads (`time.perf_counter()`, `time.time()`, `torch.cuda.Event`, `start.elapsed_time(end)`). */
const CLOCK = /(?:^|\.)(?:perf_counter(?:_ns)?|time|monotonic|elapsed_time|Event)$/;
/**
 * A name imported from a kernel library (`flag_gems.ops.addmm.addmm`, `liger_kernel.transformers.swiglu.LigerSwiGLUMLP`):
 * the line of a comparison that is measured. Not any module's (a project's own helpers, the standard library).
 */
const KERNEL_LIBRARY = /^(?:flag_gems|liger_kernel|unsloth|apex|xformers|flash_attn|bitsandbytes|fla|vllm|sgl_kernel|deepspeed|transformer_engine|triton_kernels|gemlite|torchao|lightllm|mamba_ssm|causal_conv1d|thunderkittens|tilelang)\./;
export const kernelLibrary = (qualified: string | undefined): boolean => !!qualified && KERNEL_LIBRARY.test(qualified);

/** A library's fused kernel, the line measured against an eager one (`F.scaled_dot_product_attention`). */
const FUSED_LIBRARY_OP = /(?:^|\.)(?:scaled_dot_product_attention|flash_attn_\w*func|memory_efficient_attention)$/;
/** The function a timer's first argument runs: `lambda: eager_attention(q, k, v)`, or `eager_attention` handed over. */
const LAMBDA_CALL = /^lambda[^:]*:\s*([\w.]+)\s*\(/;
/** Or bound to its arguments first: `partial(F.scaled_dot_product_attention, is_causal=True)`. */
const PARTIAL_CALL = /^(?:functools\.)?partial\s*\(\s*([\w.]+)\s*[,)]/;
const NAME = /^[\w.]+$/;

/**
 * Python functions the file runs only as one line of a benchmark beside another (`do_bench(lambda: eager_attention(...))`
 * in one provider's arm, `do_bench(lambda: attention(...))` in the other's; `timed(causal_eager_attn, q, k, v)` beside
 * `timed(lambda ...: F.scaled_dot_product_attention(...), ...)` with a timer of the file's own): the baseline measured
 * against its twin, as a reference compared against one is. A function also called outside a timer is code the program runs.
 */
function timedBaselines(functions: readonly FunctionFacts[], launching: ReadonlySet<string>): ReadonlySet<string> {
  // the line measured: one that launches the file's kernels, a library's fused kernel, or the ops of a kernel library
  // imported from it (`from flag_gems.ops.addmm import addmm`, `LigerSwiGLUMLP`); judged per function, so that two
  // classes' `forward` methods are told apart
  const measured = (f: FunctionFacts) => f.calls.some((c) => c.kind === 'launch' || (c.form === 'call' && (launching.has(c.name) || kernelLibrary(c.qualified))));
  // (a file's wrapper of a fused library attention, `sdpa(q, k, v)` around `F.scaled_dot_product_attention`: the
  // baseline of the eager attentions timed beside it, not of other layers timed for a breakdown)
  const fusedWrappers = new Set(functions.filter((f) => !f.isKernel && !f.className && f.calls.some((c) => c.form === 'call' && FUSED_LIBRARY_OP.test(c.qualified ?? c.name))).map((f) => f.name));
  const softmaxes = (name: string) => functions.some((f) => f.name === name && f.calls.some((c) => /(?:^|\.)softmax$/.test(c.qualified ?? c.name)));
  const studiedFunctions = new Set(functions.filter((f) => !f.isKernel && !f.className && measured(f)).map((f) => f.name));
  const classes = new Set(functions.map((f) => f.className).filter((c): c is string => !!c));
  const studiedClasses = new Set(functions.filter((f) => !!f.className && measured(f)).map((f) => f.className!));
  const studied = (line: Line) => launching.has(line.name) || FUSED_LIBRARY_OP.test(line.name) || studiedFunctions.has(line.name) || studiedClasses.has(line.name) || kernelLibrary(line.qualified);
  // the file's own timers: a function that runs what it is given and reads a clock
  const timers = new Set(functions.filter((f) => !f.isKernel && f.calls.some((c) => CLOCK.test(c.name)) &&
    f.calls.some((c) => c.form === 'call' && f.params.some((p) => p.name === c.name))).map((f) => f.name));
  const timed = new Set<string>();
  const called = new Set<string>();
  // functions that construct each class of the file, and those that time something
  const constructs = new Map<string, Set<FunctionFacts>>();
  const timing = new Set<FunctionFacts>();
  const fileNames = new Set(functions.filter((f) => !f.isKernel).map((f) => f.name));
  for (const g of functions) {
    for (const c of g.calls) if (c.form === 'call' && classes.has(c.name)) (constructs.get(c.name) ?? constructs.set(c.name, new Set()).get(c.name)!).add(g);
    // (an instance, `mlp = LlamaMLP(H, I)` then `do_bench(lambda: mlp(x))`: its class is the line, or the library's)
    const instanceOf = (name: string): Line => {
      const made = g.calls.findIndex((c) => c.form === 'assign' && c.assignedTo?.length === 1 && c.assignedTo[0] === name);
      if (made < 0) return { name };
      // (the constructor under the assignment, through calls on it: `LlamaMLP(H, I).to("cuda", dtype)`)
      const under = (c: CallFact) => { for (let at = c.parent, k = 0; at !== undefined && k < 4; at = g.calls[at].parent, k++) if (at === made) return true; return false; };
      const ctor = g.calls.find((c) => c.form === 'call' && under(c) && (classes.has(c.name) || /^_*[A-Z]/.test(c.name.split('.').pop() ?? '')));
      return ctor ? { name: ctor.name, qualified: ctor.qualified } : { name };
    };
    const runs = (t: CallFact): string => { const first = t.args[0]?.trim() ?? ''; return LAMBDA_CALL.exec(first)?.[1] ?? PARTIAL_CALL.exec(first)?.[1] ?? (NAME.test(first) ? first : ''); };
    // (a loop over the variants, `for name, fn in (("eager", ln_eager), ("triton", ln_triton)): do_bench(lambda: fn(x))`:
    // each function, or instance, its iterable names is a line)
    const variants = (name: string): Line[] => {
      const loop = g.calls.find((c) => c.form === 'assign' && c.name === 'for' && !!c.assignedTo?.includes(name));
      if (!loop) return [instanceOf(name)];
      return (loop.args[0]?.match(/[A-Za-z_][\w.]*/g) ?? []).map(instanceOf).filter((l) => fileNames.has(l.name) || classes.has(l.name) || kernelLibrary(l.qualified));
    };
    const benches = g.calls.filter((t) => t.form === 'call' && (DO_BENCH.test(t.name) || timers.has(t.name)));
    if (benches.length) timing.add(g);
    const lines = benches.map(runs).filter((name) => name !== '').flatMap(variants).filter((l, i, all) => all.findIndex((m) => m.name === l.name) === i);
    // (a benchmark of one line times the function for itself: nothing to measure it against; the baseline is the line
    // that runs none of the file's kernels, measured against one that does or against a library's fused kernel)
    if (lines.length >= 2 && lines.some(studied)) for (const line of lines) if (!studied(line)) timed.add(line.name);
    if (lines.length >= 2 && lines.some((l) => fusedWrappers.has(l.name))) for (const line of lines) if (!fusedWrappers.has(line.name) && softmaxes(line.name)) timed.add(line.name);
    for (const c of g.calls) if (c.form === 'call' || c.kind === 'launch') called.add(c.name);
  }
  // (a function also called outside a timer is code the program runs; a class, one constructed where nothing is timed,
  // a model trained in `train()` and profiled in `profile()`)
  return new Set([...timed].filter((name) => (classes.has(name) ? [...(constructs.get(name) ?? [])].every((g) => timing.has(g)) : !called.has(name))));
}

/** A line of a benchmark: the function or class it runs, and where an imported one comes from. */
interface Line {
  name: string;
  qualified?: string;
}
const oraclesOf = new WeakMap<readonly FunctionFacts[], ReadonlySet<FunctionFacts>>();

/** Comparisons that assert themselves (`torch.testing.assert_close(out, ref)`, a statement of its own): in a function with no loop, a check; after a training loop, only its last step's. */
const ASSERTS = /(?:^|\.)assert_\w+$/;

/**
 * A comparison the function returns, asserts or prints (`return torch.allclose(out, ref)`, `assert torch.allclose(...)`,
 * `print(f"{'OK' if torch.allclose(out, ref) else 'MISMATCH'}")`), not a loop's convergence test.
 */
function checkedResult(calls: readonly CallFact[], c: CallFact, loops: boolean): boolean {
  const parent = c.parent !== undefined ? calls[c.parent] : undefined;
  if (parent && (parent.form === 'return' || parent.name === 'assert')) return true;
  // (through the expression around it, a conditional or an f-string, into a print; in a function with no loop, as an
  // assert on its own: a training loop that prints a last check is still a training loop)
  if (loops) return false;
  for (let at = c.parent, steps = 0; at !== undefined && steps < 4; at = calls[at].parent, steps++) if (calls[at].form === 'call' && calls[at].name === 'print') return true;
  return false;
}

/** A Python function under `@torch.compile` (`@torch.compile()`, `@torch.compile(mode="max-autotune")`). */
const decoratedCompiled = (fn: FunctionFacts): boolean => !!fn.decorators?.some((d) => /^(?:torch\.)?compile(?:\(|$)/.test(d));
const COMPILE = /^(?:torch\.)?compile$/;
const PARTIAL = /(?:^|\.)partial$/;

/**
 * The file's Python functions Inductor compiles, so that the fusion rules leave them alone (it fuses their pointwise
 * ops into their producers): those under `@torch.compile`, those handed to `torch.compile(f)`, and what they run of
 * the file's functions, called or handed on (`torch.func.grad_and_value(compute_loss)` with `compute_loss =
 * partial(_compute_loss, ...)`, which calls `chunk_forward`: Liger's chunked losses).
 */
export function compiledHosts(functions: readonly FunctionFacts[]): ReadonlySet<FunctionFacts> {
  const known = compiledOf.get(functions);
  if (known) return known;
  const byName = new Map(functions.filter((f) => !f.isKernel).map((f) => [f.name, f]));
  const partials = new Map<string, string>();
  const work = functions.filter((f) => !f.isKernel && decoratedCompiled(f));
  for (const g of functions) {
    for (const c of g.calls) {
      if (c.form !== 'call' || !c.argRoots[0]) continue;
      if (COMPILE.test(c.name)) { const f = byName.get(c.argRoots[0]); if (f) work.push(f); }
      const held = PARTIAL.test(c.name) && c.parent !== undefined ? g.calls[c.parent] : undefined;
      if (held?.form === 'assign' && held.assignedTo?.length === 1) partials.set(held.assignedTo[0], c.argRoots[0]);
    }
  }
  const roots = new Set(work);
  const out = new Set<FunctionFacts>();
  // (and a class's methods named in a call's arguments, `Base.chunk_forward(xx, w, b)` in a lambda handed to
  // `torch.func.grad_and_value`, or `partial(Base._compute_loss, ...)`: they run inside the compiled function too)
  const methods = (c: CallFact) => [...c.args.join(' ').matchAll(/\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*[(,)]/g)]
    .flatMap((m) => functions.filter((f) => !f.isKernel && f.className === m[1] && f.name === m[2]));
  while (work.length) {
    const f = work.pop()!;
    if (out.has(f)) continue;
    out.add(f);
    for (const c of f.calls) {
      for (const name of [c.name, ...c.argRoots]) {
        const g = name ? byName.get(partials.get(name) ?? name) : undefined;
        if (g && !out.has(g)) work.push(g);
      }
      for (const g of methods(c)) if (!out.has(g)) work.push(g);
    }
  }
  // (a helper the program also calls outside them runs eagerly there, and so does what it calls)
  for (let changed = true; changed; ) {
    changed = false;
    for (const g of functions) {
      if (g.isKernel || out.has(g)) continue;
      for (const c of g.calls) {
        const f = byName.get(partials.get(c.name) ?? c.name);
        if (f && !roots.has(f) && out.delete(f)) changed = true;
      }
    }
  }
  compiledOf.set(functions, out);
  return out;
}
const compiledOf = new WeakMap<readonly FunctionFacts[], ReadonlySet<FunctionFacts>>();

/**
 * A check of the results after the timed work (`checkTRIADresults`, `CheckResult`, `verify_output`, `validate`, `sdkCompareL2fe`,
 * `assert_allclose`, and the comparers callers check with, `maxError`, `max_abs_diff`): its sums and scans run once.
 */
export const isResultCheck = (functionName: string): boolean =>
  /^(?:sdk)?(?:[Cc]heck|[Vv]erify|[Vv]alidate|[Aa]ssert|[Cc]ompare)(?:[A-Z_]|$)|all_?close|AllClose/.test(functionName) || CHECKER.test(functionName) ||
  // (a benchmark's own check, named after it: `lud_verify`, `kmeans_validate_results`, `bfs_check_result`; a bare
  // `_check` also names hot helpers, `convergence_check` each iteration)
  /_(?:verify|validate)(?:_?results?|_?output)?$|_check_?(?:results?|output)$/i.test(functionName);

/** Calls that compare results (`compareResults(C, C_gpu)`, `EXPECT_NEAR`, `allclose`). */
const CHECKER = /^(?:compare\w*|verify\w*|validate\w*|check_?results?\w*|checkResult\w*|value_test|allclose|isclose|max_?(?:abs_?|rel_?)?(?:err|error|diff)\w*|(?:EXPECT|ASSERT)_[A-Z_]+)$/i;
/**
 * The error metric a result is scored with (Rodinia's `accuracy(out, answer, n)`, `rmse`, `l2_error`, a PSNR): a check when
 * every call of it is outside a loop (a training loop's `mse(pred, y, n)` each epoch is work); a caller of it may be
 * the program's main loop, whose other calls stay work.
 */
// (and an image's quality against its reference, `CalculatePSNR(ImgRef, ImgCmp, ...)`, `compute_ssim`)
const IMAGE_QUALITY = /psnr|ssim/i;
const ERROR_METRIC = /^(?:(?:calc(?:ulate)?|compute|get)_?)?(?:accuracy|r?mse|mae|psnr|ssim|rms_?err\w*|l[12]_?err\w*|rel(?:ative)?_?err\w*)$/i;
/**
 * Calls of a function that reads or writes files (`writeenergy`: `fopen`, a checksum loop, `fprintf`;
 * a loader's `fread`; an `std::ofstream`'s `outfile.close()`): its loops load the input or write the
 * output, outside the computation.
 */
const FILE_IO = /^(?:std::)?(?:fopen|fdopen|fprintf|fwrite|fputs|fread|fscanf|fgets|fclose)$|^\w+\.(?:open|close|is_open)$/;
/** Such a call, not a message on the terminal (`fprintf(stderr, "error: ...")`, Rodinia's drivers on a failed malloc). */
const fileIo = (c: CallFact): boolean => FILE_IO.test(c.name) && !(/^(?:std::)?(?:fprintf|fputs)$/.test(c.name) && c.args.some((a) => /^\s*(?:stderr|stdout)\s*$/.test(a)));
/** A CPU version kept to check the GPU's output against, by name (`sgemm_gold`, `verify_result`, `compare_output`). */
const CHECK_NAME = /(?:^|_)gold(?:_|$)|^(?:verify|validate|compare)/i;
/** The CPU twin of a GPU kernel, in a file with kernels: `sgemm_naive_cpu`, `gemvCPU`, `cpu_gemm`, `sumArraysOnHost`, `matmul_host`. */
const CPU_TWIN = /cpu|CPU|Cpu|OnHost|(?:^|_)host(?:_|$)|^host[A-Z]|Host$/;
/** A name that holds expected results (`C_ref`, `ref`, `expected`, `out_cpu`): the reference side of a check. */
export const isExpectedOutput = (name: string): boolean => EXPECTED_OUTPUT.test(name);

/**
 * Host functions of a file that only its test bodies call (`naiveMatmul` checked by
 * `EXPECT_NEAR` inside `TEST(Gemm, Small)`): the expected results of a test, not a target.
 */
export function calledOnlyFromTests(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const tests = functions.filter((f) => TEST_BODY.test(f.name));
  if (!tests.length) return NO_NAMES;
  const fromTests = new Set(tests.flatMap((t) => t.calls.map((c) => c.name)));
  for (const f of functions) if (!TEST_BODY.test(f.name)) for (const c of f.calls) fromTests.delete(c.name);
  return fromTests;
}
const NO_NAMES: ReadonlySet<string> = new Set();

/** `caller` compares results after calling `name` (which is no checker itself). */
const checksResults = (caller: FunctionFacts, name: string): boolean => !CHECKER.test(name) && caller.calls.some((c) => CHECKER.test(c.name));

/** `fabs`, `std::abs`: the size of a difference, what a check compares with its tolerance. */
const ABS = /^(?:std::)?(?:fabsf?|abs)$/;
/** The buffer a side of a difference names: its first identifier, under a cast (`c[i]`, `(double)out[i]`: `c`, `out`). */
const rootOf = (arg: string): string | null => /^\s*(?:\(\s*[\w\s:<>*]+\)\s*)?&?\s*([A-Za-z_]\w*)/.exec(arg)?.[1] ?? null;

/**
 * After `call`, a loop of the caller takes the size of a difference between an element of a buffer the call was
 * given and another (`if (std::fabs(c[i] - out[i]) > tol)`): the caller checks the call's output inline.
 */
function comparesInline(caller: FunctionFacts, call: CallFact): boolean {
  const given = new Set(call.argRoots.filter((r): r is string => r !== null));
  return caller.calls.some((d) => {
    if (!ABS.test(d.name) || d.loops.length === 0 || d.args.length !== 1 || !positionBefore(call.range.start, d.range.start)) return false;
    // (a convergence test inside the loop that repeats the call, `fabsf(unew[i] - u[i])` after `sweep(u, unew)`, checks
    // the iteration, not a result: the call is the work)
    if (call.loops.some((id) => d.loops.includes(id))) return false;
    const sides = d.args[0].split(/\s-\s|(?<=[\w\])])-(?=[\w(])/);
    // one side the call's output, the other what it is checked against (not another of the call's own arguments)
    return sides.length === 2 && sides.map(rootOf).filter((r) => r !== null && given.has(r)).length === 1;
  });
}

/**
 * Host functions of this file whose output a caller checks (`gemm(...); compareResults(C, C_gpu)`),
 * launching nothing themselves, timed or not: a benchmark's CPU baseline keeps the simple
 * loops it is compared with (cpu-simd leaves them alone; the loop nest and column walks still count where timed).
 */
export function checkedByCaller(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const out = new Set<string>();
  const local = new Map(functions.filter((f) => !f.isKernel && !f.isDevice && !f.calls.some((c) => c.kind === 'launch')).map((f) => [f.name, f]));
  for (const g of functions) for (const c of g.calls) if (local.has(c.name) && c.name !== g.name && (checksResults(g, c.name) || comparesInline(g, c))) out.add(c.name);
  return out;
}

const untunedMemo = new WeakMap<readonly FunctionFacts[], ReadonlySet<string>>();

/**
 * Host functions of a file that nobody tunes: the expected results of its tests, references
 * by name, and functions its own code uses only as a reference or around the timed work —
 * the CPU twin of a kernel (`sgemm_naive_cpu` beside `sgemm_naive_kernel`), a function whose
 * caller then compares results (`gemm(...); compareResults(C, C_gpu)`) or which fills an
 * expected output (`matmul(A, B, C_ref)`), and one called only before a driver's first
 * clock read or after its last. A call between two clock reads makes it measured work,
 * whatever its name (`mm2_cpu` timed against the GPU): the CPU rules speak there. With the
 * project, also a function another file calls with an expected-results argument.
 */
/** Suffixes of a function's SIMD version beside its plain one (`resample_row_hv_2` and `resample_row_hv_2_simd`). */
const SIMD_SUFFIXES = ['_simd', '_sse', '_sse2', '_sse4', '_avx', '_avx2', '_avx512', '_neon', '_vsx', '_rvv', 'Simd', 'SSE', 'AVX', 'AVX2', 'NEON'];

/** The plain function is the scalar fallback when the file also defines it with a SIMD suffix: the machines that matter take that one. */
const hasSimdTwin = (name: string, names: ReadonlySet<string>): boolean => SIMD_SUFFIXES.some((s) => names.has(name + s));

/**
 * `gpuIncluded`: the file includes a CUDA source of its own (Rodinia hotspot3D's `#include "opt1.cu"`, the kernel and its
 * launcher there): a GPU program, whose CPU twins are references as where the kernel sits in the file.
 */
export function untunedHosts(functions: readonly FunctionFacts[], project?: { references: ReadonlySet<string> }, gpuIncluded = false): ReadonlySet<string> {
  const known = untunedMemo.get(functions);
  if (known) return known;
  // a new array of the same facts objects (an edit in a comment: the rules that read the lines run again): the same answer
  const references = project?.references.size ?? 0;
  const same = untunedKept.find((k) => k.project === project && k.references === references && k.gpuIncluded === gpuIncluded && k.functions.length === functions.length && k.functions.every((f, i) => f === functions[i]));
  if (same) {
    untunedMemo.set(functions, same);
    return same;
  }
  const out = new Set(calledOnlyFromTests(functions));
  // called with an expected-results argument in another file of the project (a test driver's `C_ref`)
  for (const f of functions) if (project?.references.has(f.name)) out.add(f.name);
  const gpuFile = gpuIncluded || functions.some((f) => f.isKernel || f.calls.some((c) => c.kind === 'launch'));
  const hosts = new Map(functions.filter((f) => !f.isKernel && !f.isDevice && f.name !== 'main' && !f.calls.some((c) => c.kind === 'launch')).map((f) => [f.name, f]));
  const sites = new Map<string, { caller: FunctionFacts; call: CallFact }[]>();
  for (const caller of functions)
    for (const call of caller.calls) if (hosts.has(call.name) && call.name !== caller.name) (sites.get(call.name) ?? sites.set(call.name, []).get(call.name)!).push({ caller, call });
  const names = new Set(functions.map((f) => f.name));
  const byName = new Map(functions.map((f) => [f.name, f]));
  // (or a buffer the caller then keeps under such a name, `float *h_C_ref = h_C;`)
  const fillsExpected = (s: { caller: FunctionFacts; call: CallFact }) => s.call.argRoots.some((r) => r !== null && (isExpectedOutput(r) || !!s.caller.expectedAliases?.includes(r)));
  // (a function that reads or writes files: its own loops load or dump data, but what it calls may be the work,
  // `generate()` printing tokens per second around `forward()`)
  const io = new Set<string>();
  for (const name of hosts.keys()) {
    const reads = isReferenceOracle(name) || isResultCheck(name) || CHECK_NAME.test(name) || isTestName(name) || hasSimdTwin(name, names);
    if (reads || hosts.get(name)!.calls.some(fileIo)) {
      out.add(name);
      if (!reads) io.add(name);
      continue;
    }
    const at = sites.get(name) ?? [];
    // (or, for an image's quality against its reference, called from another file only: `CalculatePSNR` in an image
    // utility the sample's driver checks with; a loss such as `mse` may be what another file's training loop calls)
    if (ERROR_METRIC.test(name) && (at.length ? at.every((s) => s.call.loops.length === 0) : IMAGE_QUALITY.test(name))) {
      out.add(name);
      continue;
    }
    // (or in a lambda handed to a function that times it, `time_it([&] { matmul(A, B, C, n); }, 3)`)
    if (at.some((s) => insideTimedRegion(s.caller, s.call) || timedThroughLambda(s.caller, s.call, byName))) continue;
    const reference =
      (gpuFile && CPU_TWIN.test(name)) ||
      at.some((s) => checksResults(s.caller, name) || comparesInline(s.caller, s.call)) ||
      // (filling an expected output, unless it is also the work a loop repeats on plain outputs: `matmul_ikj(n, A, B, ref)`
      // once, then `matmul_ikj(n, A, B, C)` each repetition)
      (at.some(fillsExpected) && !at.some((s) => s.call.loops.length > 0 && !fillsExpected(s))) ||
      (at.length > 0 && at.every((s) => outsideTimedRegion(s.caller, s.call))) ||
      // (or the fallback for shapes the tuned path cannot take, llm.c's `if (B*T % LOOP_UNROLL != 0) { matmul_forward_naive(...); return; }`)
      (at.length > 0 && at.every((s) => !!s.call.remainderArm));
    if (reference) out.add(name);
  }
  // a helper only references call (`compute_reference` -> `transpose_on_cpu`) computes the expected result too
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of hosts.keys()) {
      const at = sites.get(name) ?? [];
      // (a function that prints passes on only what it calls once, a norm for its summary line, not a loop's work)
      if (out.has(name) || !at.length || !at.every((s) => (out.has(s.caller.name) && (!io.has(s.caller.name) || s.call.loops.length === 0)) || isReferenceOracle(s.caller.name))) continue;
      out.add(name);
      grew = true;
    }
  }
  untunedMemo.set(functions, out);
  return untunedKept.keep({ functions, project, references, gpuIncluded }, out);
}
/** The last two answers by the facts they were read from (bounded: two arrays of the file's facts). */
const untunedKept = lastTwo<{ functions: readonly FunctionFacts[]; project: object | undefined; references: number; gpuIncluded: boolean }, ReadonlySet<string>>();

/** The file includes a CUDA source of its own (`#include "opt1.cu"`): a GPU program even where its kernels are there. */
export const includesCudaSource = (facts: { includedHeaders?: readonly string[] }): boolean => !!facts.includedHeaders?.some((h) => /\.cuh?$/.test(h));

/** `call` sits in a lambda written as an argument of a call to a function of the file that reads a clock around its work. */
function timedThroughLambda(caller: FunctionFacts, call: CallFact, byName: ReadonlyMap<string, FunctionFacts>): boolean {
  if (!call.inLambda) return false;
  return caller.calls.some((d) => d !== call && rangeHolds(d.range, call.range.start) && !!byName.get(d.name) && hasTimedRegion(byName.get(d.name)!));
}
