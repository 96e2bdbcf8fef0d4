// precision/tensor-core-eligible: GEMM work that runs on CUDA cores.
//  - CUDA kernels: a k-loop whose two fp32 operands form a GEMM (shape.ts): scalar FMAs,
//    naive or tiled in shared memory or registers (TF32 tensor cores), or whose two fp16/bf16
//    operands do (tensor cores take them as they are). Quiet when the kernel uses wmma/mma
//    (`wmma::mma_sync`, `load_matrix_sync`, `wgmma`), when the operands mix types, are double
//    or of unknown type, and on reference kernels.
//  - Host code: `cublasSgemm` (also `_v2`, batched, strided) and `cublasGemmEx`-style calls
//    with fp32 inputs and fp32 compute, unless the function sets a tensor-op math mode
//    on the handle before the call (`cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH)`) or a
//    function of the file creates a handle and sets it there. A handle created and set to `CUBLAS_DEFAULT_MATH`
//    by hand is an fp32 baseline's: its GEMMs are quiet. `CUBLAS_PEDANTIC_MATH` anywhere in the file says fp32 is wanted: quiet. So are references and baselines
//    (`gemm_cuBLAS_reference`, a program's `main`, `test_*` / `bench*` drivers), and GEMMs on PyTorch's handle
//    (`at::cuda::getCurrentCUDABlasHandle()`, or handed down from a function that takes it), whose math mode
//    PyTorch sets from `allow_tf32`.
//  - Triton (triton.ts): `tl.dot(..., input_precision="ieee")` / `allow_tf32=False`, and a
//    GEMM done as elementwise products and `tl.sum` without any `tl.dot`.
// TF32 rounds the inputs to a 10-bit mantissa (fp32 accumulation): every finding says so.
import { detail } from '../../common/detail';
import type { Rule } from '../../../core/rule';
import { copiesToHost, neverTogether, type AccessFact, type CallFact, type FileFacts, type FunctionFacts, type LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { perFacts, perFunction } from '../../common/memo';
import { gemmLoop, outerProductLoop, registerTileLoop, type GemmLoop } from '../../common/gemm-shape';
import { isHelperLoop, withHelperLoops } from '../../common/helper-loops';
import { handsOutWork, outputsAtLaunch, tripsAtEveryLaunch, tripsAtLaunch } from '../../common/hot-loops';
import { TF32_NUMERICS, tritonTensorCore } from './triton';
import { TENSOR_MODE, fp32Gemm, fp32LtGemm } from './cublas';
import { picksTensorMode } from '../../../core/preprocess/scan';
import { insideTimedRegion } from '../../../core/timed-region';
import { opOf } from '../../../core/baselines';
import { fix } from './fix';
import { positionBefore } from '../../../core/positions';

/** A dispatcher's parameter that numbers the implementations it runs (`kernel_num`, `algo`, `impl`, `version`). */
const IMPLEMENTATION_NUMBER = /^(?:kernel_?(?:num|number|id|idx|index|type)?|algo(?:rithm)?|impl(?:ementation)?|version|variant|method|which)$/i;

const BENEFIT_CUBLAS = 'on an H200, cublasSgemm 4096^3 ran at 50.9 TFLOP/s in fp32 and at 409 TFLOP/s with the TF32 math mode (8.03x)';
const BENEFIT_KERNEL =
  'on an H200, the fp32 ceiling on CUDA cores (cuBLAS SGEMM 4096^3) is 50.9 TFLOP/s and TF32 tensor cores reach 409 TFLOP/s (8.03x); the best hand-written fp32 SGEMM measured (register-blocked) reached 71% of the fp32 figure';

const BENEFIT_HALF =
  'on an H200, torch fp16 GEMM 8192^3 on tensor cores reached 758 TFLOP/s, against a 50.9 TFLOP/s fp32 ceiling on CUDA cores (cuBLAS SGEMM 4096^3)';

/** Tensor-core instructions or their wrappers in a kernel. */
const TENSOR_CORE_CALL = /(^|::|\.)(mma_sync|load_matrix_sync|store_matrix_sync|fill_fragment|wmma\w*|wgmma\w*|mma\w*|ldmatrix\w*|__hmma\w*)$/;
const FP32 = (t: string | null) => t === 'float' || t === 'const float';
/** A program's entry or a test / benchmark driver (`main`, `test_cublas`, `benchmark_sgemm`). */
/** A word that names how a ladder's kernel is written. */
const RUNG_WORD = /(?:^|_)(?:naive|simple|simt|tiled?|smem|shared|basic|baseline|v\d+)(?:_|$)/i;
const BASELINE_DRIVER = /^(?:main|test\w*|\w+_test|bench\w*|\w*_bench(?:mark)?)$/i;

function checkKernel(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  if (fn.calls.some((c) => TENSOR_CORE_CALL.test(c.name))) return [];
  for (const precision of PRECISIONS) {
    // (a tile read through a vector cast, `LDST128BITS(s_b[k][tx * 8])` of a `__shared__ half` tile, holds the tile's elements)
    const operand = (a: AccessFact) => precision.element(elementOf(fn, a)) && !a.elemAlternatives && a.space !== 'constant';
    const g: HelperGemm | null = gemmOf(fn, operand) ?? helperGemm(fn, operand);
    if (!g) continue;
    // each product scattered by atomics to a place a loaded index picks (`atomicAdd(out + nbr[k] * M + m, ...)`, a point
    // cloud's neighbours): no output tile an MMA could accumulate in registers
    if (fn.accesses.some((a) => a.kind === 'atomic' && a.loops.includes(g.loop.id) && a.indices.some((p) => p.unknown))) return [];
    // a k loop of a few steps at every launch (`j < out` with `out` = 10 classes): no product a tensor-core tile fills
    // (a tile's own `k < TILE` loop, or a filter's taps inside a loop over channels, is one step of a long k dimension)
    if (g.loop.trips === undefined && g.loop.parent === null && (tripsAtLaunch(g.loop, fn) ?? Infinity) <= FEW_K) return [];
    // a product every launch fixes to a few million multiply-adds (MNIST's 64 x 784 x 128 layer): microseconds on CUDA
    // cores, bound by the launch, not by the math tensor cores would speed up
    if ((multiplyAdds(fn, g.loop) ?? Infinity) <= FEW_MULTIPLY_ADDS) return [];
    const v = `${g.loop.variable ? `\`${g.loop.variable}\` loop` : 'loop'}${g.through && isHelperLoop(fn, g.loop) ? ` of \`${g.through}\`` : ''}`;
    // (an operand read in a helper is named by its array: the access's text is the call's)
    const said = (a: AccessFact) => (a.helperLoops?.length ? a.array : a.text);
    if (precision.name !== 'fp32' && BF16.test(elementOf(fn, g.a) ?? '') !== BF16.test(elementOf(fn, g.b) ?? '')) continue;
    const name = precision.name === 'fp32' ? 'fp32' : BF16.test(elementOf(fn, g.a) ?? '') ? 'bf16' : 'fp16';
    const an = name === 'bf16' ? 'a' : 'an';
    // (packed 16-bit FMAs in the loop, LeetCUDA's `__hfma2` HGEMM: two a CUDA-core instruction, still no tensor core)
    const packed = name !== 'fp32' && fn.calls.some((c) => c.loops.includes(g.loop.id) && /^__h(?:fma|mul|add)2(?:_rn|_sat)?$/.test(c.name));
    const pace = packed ? 'two FMAs an instruction (`half2`)' : 'one FMA at a time';
    return [{
      range: g.loop.headerRange,
      function: fn.name,
      confidence: 'likely',
      assumptions: [...precision.assumptions, 'assumes the matrices are large enough to fill 16x8x8 tensor-core tiles (tens of rows and columns or more)'],
      message: `this ${v} is ${an} ${name} matrix multiply, ${pace} on CUDA cores: tensor cores idle`,
      detail: detail(`This ${v} multiplies ${name} \`${said(g.a)}\` by \`${said(g.b)}\`${g.through ? ` (in \`${g.through}\`)` : ''} ${pace}: it is a matrix multiply, ${precision.how}`, precision.advice),
      benefit: precision.benefit,
      related: [
        { range: g.a.range, message: `\`${said(g.a)}\`: one ${name} operand` },
        { range: g.b.range, message: `\`${said(g.b)}\`: the other ${name} operand` },
      ],
    }];
  }
  return [];
}

/** The element type an access reads: a vector cast of a `__shared__` tile reads the tile's elements. */
const elementOf = (fn: FunctionFacts, a: AccessFact): string | null =>
  (a.vector && a.space === 'shared' ? fn.shared.find((s) => s.name === a.array)?.elemType : undefined) ?? a.elemType;

/** A GEMM's k loop, and the helper its FMAs are in when they are in one. */
type HelperGemm = GemmLoop & { through?: string };

const gemmOf = (fn: FunctionFacts, operand: (a: AccessFact) => boolean) => gemmLoop(fn, operand) ?? outerProductLoop(fn, operand) ?? registerTileLoop(fn, operand);

/**
 * The k loop of a GEMM whose FMAs live in a `__device__` helper called once per tile (SGEMM warptiling's
 * `processFromSmem(regM, regN, threadResults, As, Bs, ...)`): found with the helper's loops as the kernel's, and
 * reported at the kernel's loop around the call (or the call itself), the helper named.
 */
function helperGemm(fn: FunctionFacts, operand: (a: AccessFact) => boolean): HelperGemm | null {
  const view = withHelperLoops(fn);
  if (view === fn) return null;
  const g = gemmOf(view, operand);
  if (!g || !isHelperLoop(fn, g.loop)) return g;
  const callerLoop = fn.loops.find((l) => l.id === g.a.loops.filter((id) => fn.loops.some((x) => x.id === id)).at(-1));
  const through = /^([\w:]+)\s*\(/.exec(g.a.text)?.[1] ?? g.a.helper;
  // (with no loop of the kernel around the call: the helper's own k loop, pointed at where the kernel calls it)
  return { ...g, loop: callerLoop ?? { ...g.loop, headerRange: g.a.range }, through };
}

/** Multiply-adds up to which a launch is over in microseconds on CUDA cores (2^24: 16.8 M, about 0.3 µs of an H200's fp32 peak). */
const FEW_MULTIPLY_ADDS = 1 << 24;

/**
 * The multiply-adds every launch does: its outputs times the k extent, the steps of the k loop and the loops around it
 * when the launches fix them; a tile loop over a launch constant (`t < (K + TILE - 1) / TILE` with `K` = 784) walks
 * that many elements in all, whatever its tile loops inside do.
 */
function multiplyAdds(fn: FunctionFacts, k: LoopFact): number | undefined {
  const outputs = outputsAtLaunch(fn);
  if (outputs === undefined) return undefined;
  const chain: LoopFact[] = [];
  for (let l: LoopFact | undefined = k; l; l = l.parent === null ? undefined : fn.loops.find((x) => x.id === l!.parent)) chain.unshift(l);
  let n = outputs;
  for (const l of chain) {
    // (a loop that hands the outputs out to blocks or threads, a persistent kernel's `tile += gridDim.x`: counted in the outputs)
    // (a split-K loop starting at `blockIdx.z * chunk` steps through k: counted)
    if (l.blockStride || handsOutWork(l)) continue;
    const trips = tripsAtEveryLaunch(l, fn);
    if (trips !== undefined) {
      n *= trips;
      continue;
    }
    const extents = Object.entries(fn.launchValues ?? {}).filter(([name]) => new RegExp(`(?<![\\w.])${name}(?!\\w)`).test(l.bound ?? '')).map(([, v]) => v);
    return extents.length ? n * Math.max(...extents) : undefined;
  }
  return n;
}

/** A k dimension this short does a few FMAs per output it writes: bound by the writes, which tensor cores do not speed. */
const FEW_K = 16;

/** fp16 / bf16 element types: tensor cores take them as they are, with fp32 accumulation. */
const HALF = /^(?:const\s+)?(?:half2?|__half2?|__nv_bfloat162?|nv_bfloat162?|at::Half|at::BFloat16|c10::Half|c10::BFloat16)$/;
/** bf16 spellings: a product of an fp16 and a bf16 operand is no one tensor-core input type. */
const BF16 = /bfloat16|BFloat16/;

/** A literal tolerance tighter than TF32's rounding of each product (about 1e-3): `1.0e-6f`, `1e-5`. */
function tightTolerance(arg: string): boolean {
  const m = /^(\d+(?:\.\d*)?(?:[eE]-?\d+)?)[fF]?$/.exec(arg.trim());
  const v = m ? Number(m[1]) : NaN;
  return v > 0 && v < 1e-3;
}

/** A function that compares results (`sdkCompareL2fe`, `l2Close`, `check_result`, `verify`), not one that updates them. */
const CHECKER = /compare|check|verif|valid|close|equal|match|assert|diff/i;

/** The GEMM's result is copied back (its source one of the call's buffers) and a later call checks it with a tight tolerance. */
function checkedTightly(fn: FunctionFacts, g: CallFact): boolean {
  const buffers = new Set(g.argRoots.filter((r): r is string => !!r));
  const copies = fn.calls.filter((c) => copiesToHost(c) && before(g, c) && !!c.argRoots[1] && buffers.has(c.argRoots[1]));
  return copies.some((copy) => fn.calls.some((c) => before(copy, c) && CHECKER.test(c.name) && c.argRoots.includes(copy.argRoots[0]) && c.args.some(tightTolerance)));
}

/** The operand types a CUDA-core GEMM loop is read in, and what moving it to tensor cores means for each. */
const PRECISIONS = [
  {
    name: 'fp32',
    element: FP32,
    assumptions: [TF32_NUMERICS],
    how: 'which tensor cores run as TF32 with fp32 accumulation.',
    advice: 'Call cuBLAS/cuBLASLt with CUBLAS_TF32_TENSOR_OP_MATH (or CUTLASS), or compute the tiles with `wmma`/`mma.sync` on `wmma::precision::tf32` fragments (bf16/fp16 inputs where the numerics allow).',
    benefit: BENEFIT_KERNEL,
  },
  {
    name: 'fp16',
    element: (t: string | null) => !!t && HALF.test(t),
    assumptions: [],
    how: 'which tensor cores take in these very types, accumulating in fp32: the inputs lose no precision.',
    advice: 'Compute the tiles with `wmma` (16x16x16 `half` fragments, a `float` accumulator) or `mma.sync.aligned.m16n8k16`, staged through shared memory, or call cuBLAS (`cublasGemmEx` with CUBLAS_COMPUTE_32F) or CUTLASS.',
    benefit: BENEFIT_HALF,
  },
];

const before = (a: CallFact, b: CallFact) => positionBefore(a.range.start, b.range.start);

function checkHost(fn: FunctionFacts, handleSetUp: boolean, torchHandle: boolean, fastTwins: ReadonlySet<string> = NO_TWINS): RuleFinding[] {
  // a cuBLAS reference (`gemm_cuBLAS_reference`) is what a kernel's results are checked against, and cuBLAS in a
  // program's `main` or a test / benchmark driver is the baseline a hand-written GEMM is timed and checked against:
  // fp32 on purpose
  if (handleSetUp || fn.isKernel || fn.isDevice || isReferenceOracle(fn.name) || BASELINE_DRIVER.test(fn.name)) return [];
  // PyTorch's handle (`at::cuda::getCurrentCUDABlasHandle()`): PyTorch sets its math mode from
  // `torch.backends.cuda.matmul.allow_tf32` whenever it hands it out, a mode the user picks at run time
  // (also where a GEMM wrapper is handed the handle, `mlp_gemm(handle, ...)`, in a file whose functions take PyTorch's);
  // not a handle this function creates, nor PyTorch's after this function sets a math mode of its own on it
  const handle = (c: CallFact) => (c.args[0] ?? '').replace(/\s+/g, '');
  const created = (h: string) => fn.calls.some((c) => /^cublas(?:Lt)?Create/.test(c.name) && (c.args[0] ?? '').replace(/[&\s]/g, '') === h);
  const ownMode = (g: CallFact) => fn.calls.some((m) => m.name === 'cublasSetMathMode' && handle(m) === handle(g) && !TENSOR_MODE.test(m.args[1] ?? '') && before(m, g));
  const torchs = (g: CallFact) => !created(handle(g)) && !ownMode(g) &&
    (fn.calls.some(TORCH_HANDLE) || (torchHandle && fn.params.some((p) => p.name === handle(g))));
  const gemms = fn.calls.filter((c) => c.kind !== 'sync' && c.kind !== 'copy' && (fp32Gemm(c) || fp32LtGemm(c, fn)) && !torchs(c));
  const modes = fn.calls.filter((c) => c.name === 'cublasSetMathMode' && TENSOR_MODE.test(c.args[1] ?? ''));
  // (nor one the file also makes with a FAST_TF32 / FAST_16BF compute type: the twin a switch picks, the reference)
  // (nor one whose result the function copies back and checks at a tolerance TF32 cannot meet, `l2Close(ref, hC, n,
  // 1.0e-6f)`: the check asks for fp32 accuracy)
  const plain = gemms.filter((g) => !modes.some((m) => before(m, g)) && !fastTwins.has(twinKey(g)) && !checkedTightly(fn, g));
  if (!plain.length) return [];
  const first = plain[0];
  // (cuBLASLt has no math mode: its operation descriptor's compute type decides)
  const lt = first.name === 'cublasLtMatmul';
  return [{
    range: first.nameRange,
    function: fn.name,
    confidence: 'likely',
    assumptions: [TF32_NUMERICS, lt ? 'assumes the descriptor is not switched to another compute type between its creation and the call' : 'assumes no other code sets a tensor-op math mode on this handle before the call'],
    message: lt
      ? `\`${first.name}\`: fp32 GEMM described with CUBLAS_COMPUTE_32F runs on CUDA cores: tensor cores idle`
      : `\`${first.name}\`: fp32 GEMM on CUDA cores, the handle's default math mode leaves tensor cores idle`,
    detail: detail(
      lt ? `\`${first.name}\` multiplies fp32 matrices with an operation descriptor created for CUBLAS_COMPUTE_32F.` : `\`${first.name}\` multiplies fp32 matrices, and no TF32 tensor-op math mode is set on its handle.`,
      lt
        ? 'Create the descriptor with CUBLAS_COMPUTE_32F_FAST_TF32 (`cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F_FAST_TF32, CUDA_R_32F)`) to run it as TF32 with fp32 accumulation.'
        : 'Set `cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH)` once where the handle is created (or pass CUBLAS_COMPUTE_32F_FAST_TF32 to cublasGemmEx) to run it as TF32 with fp32 accumulation.',
    ),
    benefit: BENEFIT_CUBLAS,
    related: plain.slice(1, 6).map((c) => ({ range: c.nameRange, message: `\`${c.name}\` here too` })),
  }];
}

// an edit re-checks only the functions it changed
const kernelCached = perFunction(checkKernel);
const hostCached = perFunction(checkHost, (handleSetUp, torchHandle, fastTwins) => `${handleSetUp}${torchHandle}${[...(fastTwins ?? [])].join(';')}`);
const NO_TWINS: ReadonlySet<string> = new Set();
/** A cuBLAS call named by its function and arguments, its compute type and algorithm left out: the same GEMM in another precision. */
const twinKey = (c: CallFact) => `${c.name}(${c.args.filter((a) => !/^\s*CUBLAS_(?:COMPUTE|GEMM)_/.test(a)).map((a) => a.replace(/\s+/g, '')).join(',')})`;

/** Compute types that put an fp32 GEMM on tensor cores. */
const FAST_COMPUTE = /\bCUBLAS_COMPUTE_32F_FAST_(?:TF32|16BF|16F)\b/;
/** A function's calls that ask cuBLAS for a fast compute type, as twinKey names them. */
const fastComputeCalls = perFacts((f: FunctionFacts) => f.calls.filter((c) => c.args.some((a) => FAST_COMPUTE.test(a))).map(twinKey));

/** PyTorch's cuBLAS handle, its math mode set from `allow_tf32` each time PyTorch hands it out. */
const TORCH_HANDLE = (c: CallFact) => /^(?:at::cuda::)?getCurrentCUDABlasHandle$/.test(c.name);

/**
 * Handles a function creates and puts in `CUBLAS_DEFAULT_MATH` by hand (`cublasCreate(&h); cublasSetMathMode(h,
 * CUBLAS_DEFAULT_MATH)`, an fp32 baseline's handle beside a tensor-op one): fp32 asked for, not left by omission. Named
 * as GEMM calls pass them: the handle (`h`) and a getter returning it (`getCublasFp32Handle()`). (The default set on a
 * handle made elsewhere, PyTorch's, overrides the caller's choice: not one of them.)
 */
function fp32Handles(functions: readonly FunctionFacts[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const f of functions) {
    if (!f.calls.some((c) => /^cublas(Lt)?Create/.test(c.name))) continue;
    for (const c of f.calls) {
      if (c.name !== 'cublasSetMathMode' || !/^\s*CUBLAS_DEFAULT_MATH\s*$/.test(c.args[1] ?? '')) continue;
      out.add((c.args[0] ?? '').replace(/\s+/g, ''));
      if (f.params.length === 0) out.add(`${f.name}()`);
    }
  }
  return out;
}

export const rule: Rule = {
  id: 'precision/tensor-core-eligible',
  languages: ['cuda', 'cpp', 'triton'],
  defaultSeverity: 'information',
  fix,
  check(facts: FileFacts): RuleFinding[] {
    if (facts.otherAccelerator) return []; // TF32 on NVIDIA tensor cores: another vendor's backend has its own matrix units and formats
    if (facts.language === 'triton') return tritonTensorCore(facts);
    // a set-up function that creates a handle and puts it in a tensor-op mode (or asks for pedantic fp32) covers the file;
    // so does a mode it picks at run time (`enable_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH` kept in a variable)
    // (also in a header the file includes, llm.c's `setup_main()`: facts.tensorMathMode)
    const handleSetUp = !!facts.tensorMathMode || facts.functions.some(
      (f) =>
        f.calls.some((c) => c.name === 'cublasSetMathMode' && /CUBLAS_PEDANTIC_MATH/.test(c.args[1] ?? '')) ||
        (f.calls.some((c) => /^cublas(Lt)?Create/.test(c.name)) && f.calls.some((c) => c.name === 'cublasSetMathMode' && picksTensorMode(c.args[1] ?? ''))),
    );
    // handles made for fp32 on purpose (by the handle's name, or the getter that makes it): their GEMMs are the baseline's
    const fp32 = fp32Handles(facts.functions);
    // (and handles declared `extern`, `extern cublasHandle_t cublas_handle;` in a layer header: another file, a trainer's
    // `main()`, creates them and sets their math mode)
    const elsewhere = new Set(facts.externHandles ?? []);
    const onFp32Handles = (f: FunctionFacts) => (fp32.size > 0 || elsewhere.size > 0) && f.calls.some(fp32Gemm) &&
      f.calls.filter(fp32Gemm).every((c) => { const h = (c.args[0] ?? '').replace(/\s+/g, ''); return fp32.has(h) || elsewhere.has(h); });
    // `..._f32f32f32` beside `..._tf32tf32f32`, `gemm_fp32` beside `gemm_tf32`: the TF32 kernel exists, a flag picks it
    // (the project's kernels looked up, not copied: a copy was a pass over the whole project per file)
    const own = new Set(facts.functions.map((f) => f.name));
    const named = (name: string) => own.has(name) || !!facts.project?.kernels.has(name);
    // (or a flag picks it: `if (allow_tf32) sgemm_wmma<<<...>>>(); else sgemm_fp32<<<...>>>();`, every launch of the fp32
    // kernel in an arm whose other arm launches a kernel that runs on tensor cores)
    const tensorKernels = new Set(facts.functions.filter((f) => f.isKernel && f.calls.some((c) => TENSOR_CORE_CALL.test(c.name))).map((f) => f.name));
    const launches = tensorKernels.size ? facts.functions.flatMap((f) => f.calls.filter((c) => c.kind === 'launch')) : [];
    const pickedAgainstTensorCores = (name: string) => {
      const mine = launches.filter((c) => c.name === name);
      return mine.length > 0 && mine.every((c) => launches.some((o) => tensorKernels.has(o.name) && neverTogether(o.scopes, c.scopes)));
    };
    // (or a TF32 tensor-core kernel of the same op, `sgemm_wmma_m16n16k8_tf32_kernel` beside `sgemm_naive_f32_kernel`: the
    // file's kernels are its variants, each bound on its own for the caller to pick)
    const tf32Ops = new Set([...tensorKernels].filter((k) => /tf32/i.test(k)).map(opOf).filter((x) => x !== ''));
    // (or a tensor-core kernel of the same op in any precision, `hgemm_wmma_kernel` on half beside `hgemm_simt_kernel`,
    // `wmma_gemm` beside `simple_gemm_fp32`: a lesson's or a benchmark's ladder, whose CUDA-core rungs are the comparison)
    const sameOp = (name: string) => opOf(name).replace(/^[shd](?=gem[mv](?:_|$))/, '');
    const tensorOps = new Set([...tensorKernels].map(sameOp).filter((x) => x !== ''));
    // (a rung named for how it is written, `_naive`, `_simt`, `simple_`, `_tiled`: not a production path picked by dtype,
    // `linear_fp32_kernel` beside `linear_fp16_wmma_kernel`, whose fp32 callers have no tensor-core path)
    const comparedWithTensorCores = (name: string) => RUNG_WORD.test(name) && tensorOps.has(sameOp(name));
    const hasTf32Twin = (name: string) => [name.replace(/fp32/g, 'tf32'), name.replace(/f32f32f32/g, 'tf32tf32f32')].some((twin) => twin !== name && named(twin)) ||
      (tf32Ops.size > 0 && tf32Ops.has(opOf(name))) || pickedAgainstTensorCores(name) || comparedWithTensorCores(name);
    const torchHandle = facts.functions.some((f) => f.calls.some(TORCH_HANDLE));
    // the cuBLAS calls of the file that ask for TF32 or bf16 tensor cores (`CUBLAS_COMPUTE_32F_FAST_TF32`, a runner's
    // kernel 13 beside its fp32 kernel 0): the same call in fp32 is the twin a switch picks, the reference
    const fastTwins = new Set(facts.functions.flatMap(fastComputeCalls));
    // a GEMM wrapper only benchmark drivers call, timed between their clock reads (a cuBLAS fp32 throughput sweep calling
    // `sgemm_rowmajor(...)` in `main`'s timed loop): the baseline being measured, as a cuBLAS call in `main` itself is
    // (the callers are gathered only for a file with an fp32 cuBLAS call: the rule runs on every edit)
    let callers: Map<string, { driver: FunctionFacts; call: CallFact }[]> | null = null;
    const benchmarked = (f: FunctionFacts) => {
      if (!f.calls.some(fp32Gemm)) return false;
      if (!callers) {
        callers = new Map();
        for (const d of facts.functions) for (const c of d.calls) if (c.kind === 'call') callers.set(c.name, [...(callers.get(c.name) ?? []), { driver: d, call: c }]);
      }
      const sites = callers.get(f.name) ?? [];
      return sites.length > 0 && sites.every((s) => BASELINE_DRIVER.test(s.driver.name)) && sites.some((s) => insideTimedRegion(s.driver, s.call));
    };
    // (or one arm of a runner's dispatch among implementations, `case 0: runCublasFP32(...); case 1: sgemm_naive<<<>>>(...);
    // case 2: ...`: the library baseline the hand-written kernels are timed and checked against)
    // (the dispatcher picks by an implementation number, `run_kernel(int kernel_num, ...)`, not by the shape: a production
    // `matmul` choosing a small-M kernel, a split-K one or cuBLAS runs cuBLAS for every large product; the other arms
    // launch kernels themselves or through the file's `run_sgemm_naive(...)` wrappers)
    const launchesKernels = (name: string) => facts.functions.some((g) => g.name === name && !g.isKernel && g.calls.some((c) => c.kind === 'launch'));
    const runnerBaseline = (f: FunctionFacts) => {
      if (!f.calls.some(fp32Gemm)) return false;
      const sites = facts.functions.flatMap((d) => d.calls.filter((c) => c.kind === 'call' && c.name === f.name).map((call) => ({ d, call })));
      return sites.length > 0 && sites.every(({ d, call }) => !!call.scopes?.length && d.params.some((p) => IMPLEMENTATION_NUMBER.test(p.name)) &&
        new Set(d.calls.filter((c) => (c.kind === 'launch' || (c.kind === 'call' && c.name !== f.name && launchesKernels(c.name))) && neverTogether(c.scopes, call.scopes)).map((c) => c.name)).size >= 2);
    };
    // (or timed in a function of its own, `time_sgemm` between a timer's start and stop, in a file that also times a
    // tensor-core GEMM, `cublasHgemm` or a FAST_TF32 compute type: the fp32 rate of a precision comparison)
    const tensorCoreLibrary = facts.functions.some((f) => f.calls.some((c) => /^cublasHgemm|^cublasLtMatmul$/.test(c.name) || c.args.some((a) => FAST_COMPUTE.test(a) || /\bCUDA_R_16[FB]F?\b|\bCUBLAS_COMPUTE_16F\b/.test(a))));
    const timedComparison = (f: FunctionFacts) => tensorCoreLibrary && f.calls.some((c) => fp32Gemm(c) && insideTimedRegion(f, c));
    return facts.functions.flatMap((f) => (f.isKernel ? (hasTf32Twin(f.name) ? [] : kernelCached(f)) : hostCached(f, handleSetUp || benchmarked(f) || onFp32Handles(f) || runnerBaseline(f) || timedComparison(f), torchHandle, fastTwins)));
  },
};
