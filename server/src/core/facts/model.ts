// The facts the rules read (ANALYSIS.md): per function, its loops, memory accesses with
// their index forms, shared-memory declarations and calls (kernel launches, syncs,
// copies) in source order. One shape for CUDA, C/C++ and Triton.
import type { Poly } from '../affine';
import type { Position, Range, SourceLanguage } from '../types';

export type MemorySpace = 'global' | 'shared' | 'constant' | 'local' | 'host' | 'unknown';
export type KernelClass = 'elementwise' | 'reduction' | 'gemm' | 'stencil' | 'other';

export interface ParamFact {
  name: string;
  /** Element type for pointers (`float` for `const float* x`), else the type itself. */
  type: string;
  pointer: boolean;
  isConst: boolean;
  restrict: boolean;
  /** Dimensions of an array parameter (`float A[N][M]` -> 2), when more than one. */
  rank?: number;
  /** Their extents as written (`N`, `M`; empty for `[]`), with the rank: a row's size where they are constants. */
  dimTexts?: string[];
  /** A one-dimensional array parameter's extent as written (`6` of `float bias[6]`). */
  extentText?: string;
  /** The values of its extents where a name spells one (`float W[D][D]` with `#define D 64` -> [64, 64]); absent when they are all literals or one is unknown. */
  dimValues?: number[];
  /** A PyTorch tensor accessor (`acc[n][c][h][w]`): `rank` subscripts index a contiguous tensor of that many dims. */
  accessor?: boolean;
  /** Triton: the parameter is annotated `tl.constexpr` (a compile-time value, never a pointer). */
  constexpr?: boolean;
  /** Its type is a project alias (`const floatX* x`, `typedef __nv_bfloat16 floatX`): the types it stands for, one per `#if` arm. */
  aliasOf?: readonly string[];
  /** C++: it has a default value (`float* pre_gelu = NULL`): a call may leave it out. */
  optional?: boolean;
  /** Python: the default value as written (`1` of `num_stages=1`), at most 40 characters. */
  defaultValue?: string;
}

export interface LoopFact {
  id: number;
  kind: 'for' | 'while' | 'do' | 'range';
  variable: string | null;
  /** The loop's iteration symbol (`#loop3:k`); the variable's value is init + symbol * step. */
  symbol: string;
  init: Poly | null;
  step: Poly | null;
  /** A loop that multiplies its variable each pass (`s *= 2`, `s <<= 1`: 2; `s /= 2`, `s >>= 1`: 0.5); its step is then null. */
  factor?: number;
  /**
   * Other variables the body multiplies once a pass from a constant (`offset = 1` before a scan's up-sweep, `offset *= 2`
   * at the end of its body): `symbol` stands for the value of pass k, `init * factor^k`.
   */
  geometric?: { variable: string; symbol: string; init: number; factor: number }[];
  /** Text of the upper bound in `i < bound`, when there is one. */
  bound: string | null;
  /** A `while` / `do` / `for` loop's condition as written (`frontier_length > 0`), at most a line. */
  condition?: string;
  /** The branches (`branchId`s) the loop is inside, outermost first, when it is inside any. */
  scopes?: number[];
  /** `for (; l < n; ++l)` after a loop that left `l` where it stopped: the scalar tail of a vector or chunked loop. */
  tail?: boolean;
  /** The bound is reached (`i <= bound`, `i >= bound`). */
  inclusive?: boolean;
  /** The number of iterations, when the step is a constant and the bound a constant distance past the start (C/C++). */
  trips?: number;
  /** At most this many iterations, where the bound is the smaller of two ends and one is a fixed distance from the start. */
  maxTrips?: number;
  /** The bound as evaluated: `y < y1` with `y1 = (oy + 1) * S`; Triton's `range(0, i_i)` with `i_i = i_c % NC` -> `i_c % NC`. */
  limit?: Poly;
  /** A `return`, `goto` or (not inside a `switch`) `break` inside leaves the loop early (C/C++). */
  exits?: boolean;
  /** Pointers the body points at another's buffer, `[target, source]` of `A = B` (a ping-pong swap through a temporary), C/C++. */
  repoints?: [string, string][];
  /** The conditions of the `if (...) break;` that leave it (`sum <= tol`), as written, at most a line each (C/C++). */
  exitTests?: string[];
  /** What the locals those tests read were set to before them in the loop's body (`next` of `int next = shared->tokens[pos + 1];`), as written, and where. */
  exitSources?: { text: string; at: Position }[];
  /** Host code: locals the body's own statements set from another local (`token = next;`), what one step hands to the next. */
  handsOn?: string[];
  /** Host code: the function's parameters the body assigns (`t = x[i] * x[i] + 1`). */
  assignsParams?: string[];
  range: Range;
  /** The loop header (`for (...)`) on its first line: where loop findings point. */
  headerRange: Range;
  parent: number | null;
  depth: number;
  /** A grid-stride loop: starts at a thread-dependent index and steps by a grid-wide stride. */
  gridStride: boolean;
  /** The thread's own contiguous share of a range (`idx = N * pos / size; idx < N * (pos + 1) / size`): its elements are its own. */
  chunked?: boolean;
  /** A block-stride loop (`for (i = threadIdx.x; i < C; i += blockDim.x)`): hands elements to the block's threads. */
  blockStride: boolean;
  /** `#pragma unroll` (or similar) right before the loop; a Triton loop's own directives, `tl.range(..., num_stages=3)`, as `num_stages=3`. */
  pragmas: string[];
  /** C/C++: in a nest an OpenACC, OpenMP `target` or HMPP directive offloads (core/facts/offload.ts): its iterations are GPU threads. */
  offloaded?: boolean;
  /**
   * C/C++: scalar locals declared outside the loop and accumulated directly in its body
   * (`s += x[i]`, `s = s + x[i]`, `p *= x[i]`), with their declared type and how many loops
   * enclose the declaration (the loops between it and this one all feed the sum): reductions.
   */
  reductions?: {
    variable: string; type: string; op: string; range: Range; declaredDepth: number;
    /** Its running value is read in the loop besides its update (`sat[x] = ... + rowsum`): a scan, not a reduction. */
    readInLoop?: true;
  }[];
  /**
   * Python: the loop walks a literal list or tuple, written in place or bound to a local
   * name (`for size in [1024, 4096]`, `sizes = [...]; for M, N, K in sizes`), of this many
   * items: a sweep over test cases or settings, not a steady-state loop.
   */
  literalItems?: number;
  /** A host helper's loop seen at a call (`FunctionFacts.inlined`): the helper's name. */
  helper?: string;
}

export interface AccessFact {
  /** The array or pointer the access goes through, after following local pointer aliases. */
  array: string;
  space: MemorySpace;
  kind: 'load' | 'store' | 'update' | 'atomic';
  /** One index form per subscript dimension (pointer accesses have one). */
  indices: Poly[];
  elemType: string | null;
  /** Bits per element access, when the element type is known. */
  elemBits: number | null;
  range: Range;
  /** An inlined host helper's access: where the function calls the helper (its place in the function's order). */
  calledAt?: Position;
  /** A buffer the function declares itself: the loops around its declaration, on each pass of which it is a new one. */
  declaredUnder?: number[];
  text: string;
  /** Enclosing loops, outermost first. */
  loops: number[];
  /** The if/else or switch arms around it (branch ids, as a CallFact's `scopes`), when inside any. */
  scopes?: number[];
  /** Compile-time tests around it the facts could not decide (`if constexpr (K / WK > 1)`): a launch's template arguments decide them. */
  compileTimeGuards?: CompileTimeGuard[];
  /**
   * In an arm of an `if constexpr` that nothing here decides (`if constexpr (nb_per_cpy == 1)` of a helper called with
   * `sizeof(tmp)`): only one of the arms is built, and which is unknown.
   */
  undecidedConstexpr?: boolean;
  /** Accessed through a wide type: float4, int4, half2, reinterpret_cast<...4*>. */
  vector: boolean;
  /**
   * A kernel's value moved through a register: a load kept whole in a local variable or register array (`float4 tmp =
   * FLOAT4(A[i]);`, `regM[i] = As[..]`), or a store of a variable or one of its fields (`As[...] = tmp.x;`).
   */
  register?: string;
  /** A load cast to float or double as it is read (`(float)x[i]`): the arithmetic on it is fp32. */
  widened?: boolean;
  /**
   * Indexed by an 8-bit integer (`lut[in[i]]` with `in` of uint8_t, `table[(unsigned char)c]`): a lookup into a table of
   * at most 256 entries, which stays in L1 however the lanes pick from it.
   */
  byteIndexed?: boolean;
  /** A tensor-core fragment the warp loads or stores together (`wmma::load_matrix_sync(frag, A + ..., lda)`): its address is the tile's. */
  fragment?: boolean;
  /**
   * Triton: for each axis of the accessed block, outermost first, the lane symbol
   * (`#lane<k>:<name>`) laid along it, or null for an axis with no lane (broadcast).
   * The last entry is the axis that must be contiguous. [] for a scalar access.
   */
  lanes?: (string | null)[];
  /** Triton: the access has a `mask=`. */
  masked?: boolean;
  /** The types an alias may stand for when an `#if` is undecided (`floatX`: `__nv_bfloat16` or `float`); elemBits is the widest. */
  elemAlternatives?: string[];
  /** Which of elemAlternatives the build without -D flags makes it (llm.c's `floatX`: `__nv_bfloat16`), when the file says. */
  elemDefault?: string;
  /** Under a guard that leaves at most one lane of a warp active (`if (threadIdx.x == 0)`): not a warp-wide request. */
  singleLane?: boolean;
  /** In the short-remainder arm of a chunked loop (`else { for (j < remaining) ... }` after `if (remaining >= 4)`): only its last chunk runs it. */
  chunkTail?: boolean;
  /** Under an `if` that tests the innermost loop's variable against a bound (`if (n > 0) m = min(m, src[n - 1])`): a border case. */
  borderTest?: boolean;
  /**
   * Under a guard that leaves only the block's first few threads active (`if (tid < NUM_BINS)`,
   * NUM_BINS = 20): that many lanes of the first warp make the request (2 to 31).
   */
  activeLanes?: number;
  /** Under a guard that leaves only the block's first warp running (`if (warp == 0)`, `if (threadIdx.x < 32)`): no other warp makes it. */
  firstWarp?: boolean;
  /**
   * In the other arm of such a guard (`if (tid < 16) ... else { idx = tid - 16; ... }`, a 32-thread block split in
   * halves): the first warp's lanes from this one on make the request.
   */
  laneFrom?: number;
  /**
   * Under `if (index < blockDim.x)` whose left side moves with the thread and with a loop (`index = 2 * s * tid` of a
   * tree reduction): the lanes that run at each pass are those the comparison lets through.
   */
  laneLimit?: { index: Poly; limit: Poly; inclusive: boolean };
  /** Under `if (threadIdx.x < R)` with `R` a name a launch may set (a template parameter): `R`, which the rules bind to the launch's value. */
  firstThreads?: string;
  /** Made only by a batch's worth of threads, one per sequence (`if (index < batch_size)`): a few KB in all. */
  perSequence?: boolean;
  /** A field of an array-of-structures element (`data[i].g`): the record's type and size; the index counts fields of the access's type. */
  field?: { record: string; bytes: number };
  /** A `__device__` helper's access seen at a call too long to quote (its range is the call): the helper's name; `text` is then the access inside it. */
  helper?: string;
  /** A `__device__` helper's access seen at a call: the helper's own loops around it, outermost first (their symbols are in `indices`; `loops` are the caller's). */
  helperLoops?: LoopFact[];
  /** Elements in one row of a multi-dimensional array whose inner extents are known (`int ng[L][3]`: 3). */
  rowElems?: number;
  /** Through a host function's own automatic array (`GGML_F32_VEC ax[UNROLL][ARR]`): on its stack, in cache. */
  onStack?: boolean;
}

export interface SharedArrayFact {
  name: string;
  elemType: string;
  dims: (number | null)[];
  /** Where each dimension's size is written (`32` in `tile[32][33]`), for fixes that pad it. */
  dimRanges: (Range | null)[];
  /** Each dimension's size as written (`TILE_DIM`), for fixes. */
  dimTexts: (string | null)[];
  /** Each dimension's size as evaluated where it is not a number: a local constant's value (`BN` = `MMA_N*TILE_N`), which a launch binds. */
  dimForms?: (string | null)[];
  range: Range;
}

export type CallKind = 'launch' | 'sync' | 'copy' | 'call';

export interface CallFact {
  kind: CallKind;
  name: string;
  range: Range;
  /** Range of the callee name (the kernel name for a launch). */
  nameRange: Range;
  args: string[];
  /** The buffer each argument names (identifier under casts, &, + offset), else null. */
  argRoots: (string | null)[];
  /** The buffers a conditional argument may name, each arm's (`training ? dropped : probs`), by argument index. */
  argChoices?: Record<number, string[]>;
  loops: number[];
  /** For launches: the <<<grid, block, ...>>> texts, whitespace removed. */
  grid?: string;
  block?: string;
  /** For 1-D launches: the threads they start over the launching function's parameters (`<<<CEIL_DIV(N, 256), 256>>>` -> `N`; facts/launch-threads.ts). */
  threads?: string;
  /** For launches: the stream argument (`<<<g, b, 0, s1>>>` -> `s1`), whitespace removed; absent for the default stream. */
  stream?: string;
  /** The launch's blockDim.x, when it is a constant (`dim3 block(1, 256)` -> 1). */
  blockX?: number;
  /** The launch's block extents x, y, z as written (`256` -> [256], `dim3 block(32, 16)` -> [32, 16]); null where not constant. */
  blockDims?: (number | null)[];
  /** The launch's number of blocks, when constant (`<<<1, 256>>>`, `dim3 grid(2, 2)` -> 4). */
  gridBlocks?: number;
  /** For launches inside an ATen dispatch (`AT_DISPATCH_FLOATING_TYPES(..., [&] { ... })`): the types `scalar_t` takes. */
  dispatchTypes?: string[];
  /** For launches: the arguments whose value is a tensor's stride (`x.stride(0)`, or a local set to it), by position. */
  tensorStrideArgs?: number[];
  /** For launches of a template kernel: the template argument texts (`kernel<64, float><<<...>>>` -> ['64', 'float']). */
  templateArgs?: string[];
  /** A launch's, or a call's of one of the file's own host functions, arguments that are constants where it is made (`k<<<g, b>>>(d, 1024)`, `int n = 1 << 10; ...(d, n)`), else null. */
  argValues?: (number | null)[];
  /** The most an argument can be where the call sits (`if (n <= LEAF) leaf(A, B, C, n);` with LEAF 64: 64), by argument. */
  argCaps?: (number | null)[];
  /** The same for a call of a function the file does not define: the project's calls of it fix its parameters (ProjectIndex.callConstants). */
  foreignArgValues?: (number | null)[];
  /** A call's of one of the file's own host functions, the extents of its `dim3` arguments (`dim3 block(16, 16)` -> [16, 16]), else null: a launch wrapper's block. */
  argDims?: ((number | null)[] | null)[];
  /**
   * A launch's arguments that are no constant but a form over the launching function's integer parameters (`batch * HIDDEN`
   * with HIDDEN 128 -> 128·batch), else null: where every call of that function passes constants, core/call-sites.ts evaluates them.
   */
  argForms?: (Poly | null)[];
  /** Their values where the launching code makes them constant (`const int BM = 64; k<BM><<<...>>>` -> [64]). */
  templateValues?: (number | null)[];
  /** Triton: keyword arguments (`BLOCK=1024`, `num_warps=4`), with the buffer each names. */
  keywords?: { name: string; value: string; root: string | null }[];
  /** Triton: the callee with import aliases resolved (`F.gelu` -> `torch.nn.functional.gelu`). */
  qualified?: string;
  /** Host launches: an argument a loop around the launch moves (`cols + b * spatial * k`, a local `y_n = y + n * M * N`): a step takes its own chunk. */
  loopArgs?: boolean;
  /** A call of one of the file's host functions in a loop: the arguments (by position) a loop around it moves (`&A(i, p)` under `p += kc`). */
  movingArgs?: number[];
  /** C++: in a lambda's body in a host function (`auto forces = [&]() { ... }`): it runs where the lambda is called, not where it is written. */
  inLambda?: boolean;
  /** C++: the scope a qualified callee is named in (`Timer` of `Timer::Start()`; `name` is then `Start`), or the declared type of the local object a method is called on (`GpuTimer` of `t.Start()`). */
  scope?: string;
  /**
   * Triton host code records every operation on values in evaluation order, not only
   * calls: `call` (`torch.relu(y)`, `print(y)`), `method` (`y.relu()`: name `.relu`,
   * args[0] is the receiver), `operator` (`y + b`: name `+`; `y += b`: name `+=`),
   * `subscript` (`y[0]`), `attribute` (`y.shape`), `assign` (`z = y`: name `=`, args[0]
   * the right-hand side; a `for` target: name `for`), `store` (`out[i] = v`: name `[]=`),
   * `return`, `other` (tuples, comprehensions, anything else that reads names).
   */
  form?: 'call' | 'method' | 'operator' | 'subscript' | 'attribute' | 'assign' | 'store' | 'return' | 'other';
  /** Python: part of a test that decides whether a loop goes on (`if err.item() < tol: break`, `while err > tol:`). */
  exitTest?: boolean;
  /** Triton host code: index in `calls` of the operation that takes this one's result. */
  parent?: number;
  /** Triton host code: the plain names this operation's result is bound to. */
  assignedTo?: string[];
  /** The enclosing conditional branches (if/elif/else/except/case arms), outermost first. */
  /** Device code: made by one lane of the warp only (`if (lane == 0) atomicAdd(...)`). */
  singleLane?: true;
  scopes?: number[];
  /** A launch made inside the host function called here (a launch wrapper such as `gelu_forward`). */
  via?: string;
  /**
   * A launch or call in the arm that runs when a size is not a multiple of a vector width or an unroll factor (the `else` of
   * `if (n % 4 == 0)`, the body of `if (B*T % LOOP_UNROLL != 0)`): a scalar or naive fallback.
   */
  remainderArm?: boolean;
  /** Loops (ids) in which the call runs only on some iterations: under `if (i == n - 1)`, `if (step % 100 == 0)` on the loop's variable. */
  rareIn?: number[];
  /** Under a one-shot guard that turns itself off (`if (init_state) { init_state = false; ... }`): runs once. */
  once?: boolean;
}

export interface FunctionFacts {
  name: string;
  range: Range;
  nameRange: Range;
  isKernel: boolean;
  isDevice: boolean;
  /**
   * A C/C++ function some of whose loops a directive sends to an accelerator (`LoopFact.offloaded`): an OpenACC compute
   * construct (`#pragma acc parallel`, `kernels`, `serial`, `loop`), an OpenMP `target` region, or an HMPP codelet
   * (`#pragma hmpp g codelet` before it). Those loop nests run as GPU threads, not as CPU loops.
   */
  offload?: 'openacc' | 'openmp-target' | 'hmpp';
  /** Defined `static` at file scope: its own file's (internal linkage), no other file calls it by that name. */
  isStatic?: boolean;
  params: ParamFact[];
  templateParams: string[];
  loops: LoopFact[];
  accesses: AccessFact[];
  shared: SharedArrayFact[];
  calls: CallFact[];
  syncthreads: Range[];
  /** Declares or casts to 128-bit/packed vector types (float4, int4, half2, ...). */
  usesVectorTypes: boolean;
  /** Arithmetic operations outside index expressions; math-library calls count 8. */
  arithmetic: number;
  /** Device code: functions it hands a global buffer to that the analysis could not read (`bilinear_interpolate(input, ...)` from a header not found): their accesses are unknown. */
  opaqueBufferCalls?: string[];
  /**
   * A kernel's arithmetic operators on 16-bit floats (`x[i] * x[i] + s[i]` with `x`, `s` of `half`, a `__half` local
   * times another): cuda_fp16.h's overloads, one scalar HMUL / HADD each, as `__hmul` / `__hadd` are. Named `operator*`.
   */
  halfOperators?: CallFact[];
  /**
   * A kernel's sums and differences of two array elements (`features[p + j * n] - clusters[i * d + j]`, `r_x[ii] + r_b[ii]`,
   * or of locals loaded from them): where each operand was read. Two operands a loop reads only to add or subtract (a
   * distance's terms, a bias add), never multiplying them (`factors`), are no matrix product's (a choice: ‖x‖² + ‖c‖² −
   * 2x·c is a GEMM rewrite some libraries make, a restructure rather than a fix).
   */
  addends?: [Range, Range][];
  /** A kernel's products of two array elements or of locals loaded from them (`a * b`, `fmaf(a, b, acc)`): where each was read. */
  factors?: [Range, Range][];
  kernelClass: KernelClass;
  /** Triton, a kernel of class 'other': elementwise on its output, with operands read at other positions (a bias at `b + offs % N`, an outer product's vectors). */
  broadcastOperands?: true;
  /** What a thread index is bounds-checked against (`if (i < n)`): a parameter, or a product of parameters and constants (`BT*OC`). */
  indexBound: string | null;
  /** Every bound a thread index is checked against, when there are several (`row < rows && col < cols`). */
  indexBounds?: string[];
  /** The first bound's value over the parameters (`total` of `int total = rows * cols; if (k >= total)` is `rows*cols`). */
  indexBoundValue?: Poly;
  launchBounds: string | null;
  /** blockDim.x every launch of this kernel in the file agrees on (set per file, not cached with the function). */
  blockDimX?: number;
  /** Every launch of this kernel in the file is one block (`<<<1, 256>>>`): a demo or a last reduction stage, not a stream (set per file). */
  singleBlock?: boolean;
  /** Every launch of this kernel in the file is one block of fewer than 32 threads (`<<<1, 4>>>`): less than a warp in all (set per file). */
  subWarp?: boolean;
  /** Every launch of this kernel in the file runs blocks of at most one warp (`<<<grid, 32>>>`): no other warp shares a block's `__shared__` tiles (set per file). */
  warpBlocks?: boolean;
  /** Every launch of this kernel in the file runs blocks of this many threads, fewer than a warp (`dim3(4, 4)`): a warp is one block (set per file). */
  warpThreads?: number;
  /** Every launch of this kernel in the file passes a small constant (at most 2^19, launch-bound on an H200) for the count its thread index is checked against, or starts at most that many threads: a demo size (set per file). */
  smallProblem?: boolean;
  /**
   * Every launch of this kernel in the file sits in an unfused baseline (`LSTM_elementwise_unfused`, core/baselines.ts)
   * that a caller picks against a fused launch (`if (FUSE_PW) fused<<<...>>>(...); else ..._unfused(...)`): plain on purpose (set per file).
   */
  baselineLaunch?: boolean;
  /** Integer parameters every launch passes the same constant for (`C` = 50257), directly or through a wrapper `main` calls. */
  launchValues?: Readonly<Record<string, number>>;
  /** Integer parameters every launch passes a count of experts, heads, classes or beams for (`num_experts`): a few hundred at most. */
  fewCounts?: readonly string[];
  /** Integer parameters named as a vocabulary (`V`) that every launch passes a count of another name for (`T`): no vocabulary. */
  notVocabulary?: readonly string[];
  /**
   * Every launch in the file runs only every so many steps of a loop around it (`if (t % 100 == 0) monitor<<<...>>>`),
   * outside a benchmark's timed region, or once beside a loop of the same host function that launches the steps.
   */
  rarelyLaunched?: boolean;
  /**
   * Every launch in the file shares a host loop step with a kernel sweeping a 2-D grid over one of its buffers (an
   * elimination's pivot-column kernel beside the trailing update): its own traffic is O(n) beside that O(n²).
   */
  besideSweep?: boolean;
  /** Every launch in the file passes mapped host memory (zero-copy) for each buffer the kernel loads: the interconnect sets its pace. */
  zeroCopy?: boolean;
  /**
   * A template kernel a launch of the file instantiates on 16-byte vectors (`k<<<...>>>(reinterpret_cast<const uint4*>(a), ...)`),
   * or a kernel launched only where the other arm of the condition launches a packed twin (`(const half2*)x`), or a generic
   * template kernel beside its own `__half` / bf16 specialization (the fp32 build's path): the fallback (set per file).
   */
  vectorLaunch?: boolean;
  /**
   * Pointer parameters every launch of the file passes at a run-time offset of unknown alignment (`k<<<g, b>>>(acc + offset, ...)`,
   * `&buf[start]`): a 16-byte access through them needs an alignment check first (set per file).
   */
  offsetBuffers?: string[];
  /** Triton: decorator texts (`triton.jit`, `triton.autotune(configs=[...], key=[...])`). */
  decorators?: string[];
  /** The class a method is defined in (Python: `self.fc1` names that class's attribute; C++: `Residual::forward`). */
  className?: string;
  /**
   * Triton: for each decorator (same order as `decorators`), the configs of a `@triton.autotune` read from the syntax
   * (facts/triton/configs.ts): written in place or named by a module-level list bound once; null for other decorators
   * and for configs built some other way (a helper's call, a list that is appended to).
   */
  autotuneConfigs?: (AutotuneConfigs | null)[];
  /** A host function whose every `return` hands back this pointer parameter (`return out;`). */
  returnsParam?: string;
  /** Host pointers set from a call's result (`float* y = matmul_forward(out, ...)`), by name: the callee and its arguments' roots. */
  resultAliases?: Record<string, { call: string; roots: (string | null)[] }>;
  /** Host buffers the function keeps under an expected output's name (`h_C` of `float* h_C_ref = h_C;`). */
  expectedAliases?: string[];
  /** C/C++ host code: the file's helpers with loops called inside this function's loops, as seen at each call (core/facts/host-inline.ts). */
  inlined?: InlinedCall[];
  /** The file's functions this one's loops call (through its helpers too), with a key naming their text when read: a cached function is stale when one changed. */
  calleeVersions?: [name: string, version: string][];
}

/** The `triton.Config(...)` entries of an autotune decorator's list. */
export interface AutotuneConfigs {
  /**
   * Each config's options by name (`num_stages`, `num_warps`, and the block-size dict as the first positional one is not
   * kept): the texts the option can have, one as written or a comprehension variable's literal values (`for s in [2, 3]`).
   */
  configs: Record<string, string[]>[];
  /** The list literals and comprehensions the configs were read from (in the decorator or at module level). */
  sources: Range[];
}

/**
 * A host helper's loops and accesses seen at a call inside a loop (`AddDot(k, &A(i,0), lda, ...)`
 * in `for i, for j`), with its parameters bound to the call's arguments: the loop nest the
 * two functions make together. Its loops' ids are its own (from 100000 up) and its outermost
 * loops' parent is the call's innermost loop; its accesses' `loops` start with the call's.
 */
export interface InlinedCall {
  name: string;
  loops: LoopFact[];
  accesses: AccessFact[];
}

export interface FileFacts {
  language: SourceLanguage;
  functions: FunctionFacts[];
  /** Kernels and launch wrappers of the other files of the project, when an index was built. */
  project?: import('../project').ProjectIndex;
  /** Functions that could not be modelled, and why (silence is never a clean bill). */
  skipped?: { function: string; reason: string; line: number }[];
  /** Lines of the source, for messages and fixes. */
  lines: string[];
  /** Explicit instantiations of function templates (`template void run<16, 64>(...);`): facts/instantiations.ts. */
  instantiations?: CallFact[];
  /** What the project's build files say about float math (`-Ofast`, `-ffast-math`); absent: default flags. */
  build?: import('../preprocess').BuildFlags;
  /**
   * Only its kernels' findings count (core/test-code.ts): the file lies in a test folder of the workspace or is
   * named as a test, or lies in a folder of scalar fallbacks (`fallback/`), whose CPU loops are the portable twins of SIMD paths.
   */
  kernelsOnly?: boolean;
  /** Nothing in it is reported: a reference implementation's or vendored code's folder, or kernel source compiled at run time (core/test-code.ts). */
  notTuned?: boolean;
  /**
   * The file lies in a backend folder for another vendor's accelerator (`triton_ascend/`, `_cambricon/`,
   * `musa/`: core/test-code.ts), where advice about NVIDIA's tensor cores and copy pipelines does not hold.
   */
  otherAccelerator?: string;
  /** C/C++: names the file declares without defining them, prototypes and random-number objects (facts/declared-only.ts). */
  declaredOnly?: string[];
  /** C/C++: cuBLAS handles the file declares `extern` (`extern cublasHandle_t cublas_handle;`), set up in another file (facts/extern-handles.ts). */
  externHandles?: string[];
  /** C/C++: the headers the file includes, as the preprocessor view found them (absolute paths). */
  includedHeaders?: readonly string[];
  /**
   * Python: the program runs PyTorch's own fp32 matmuls without TF32 (`torch.backends.cuda.matmul.allow_tf32 =
   * False`, `set_float32_matmul_precision("highest")`): full fp32 is what its kernels are compared against.
   */
  fullFp32Matmuls?: boolean;
  /** C/C++: a SYCL source, whose loops run in work-items. */
  sycl?: boolean;
  /** C/C++: aliases with `#if` alternatives, and the type a build without `-D` flags gives each (preprocess/view.ts). */
  defaultTypes?: ReadonlyMap<string, string>;
  /** C/C++: sizes a build without `-D` flags picks by a dataset switch the file sets for it (PolyBench's `NP` = 160 under `LARGE_DATASET`). */
  defaultConstants?: ReadonlyMap<string, number>;
  /** C/C++: a header the file includes sets up a cuBLAS handle's math mode (preprocess/scan.ts): its GEMMs' math is decided there. */
  tensorMathMode?: boolean;
}

/** Branch ids number the arms of one conditional together: arms of one `if`/`switch` exclude each other. */
const ARMS = 1024;
export const branchId = (statement: number, arm: number): number => statement * ARMS + Math.min(arm, ARMS - 1);
/** Are two branch ids arms of the same conditional (at most one of them runs)? */
export const exclusiveArms = (a: number, b: number): boolean => a !== b && Math.floor(a / ARMS) === Math.floor(b / ARMS);
/** Code under branches `a` and under branches `b` (each outermost first) never runs in one pass: they sit in arms of one conditional. */
/** A copy to the host (`cudaMemcpy(h, d, n, cudaMemcpyDeviceToHost)`, an async one too): results brought back. */
export const copiesToHost = (c: CallFact): boolean => c.kind === 'copy' && c.args.some((a) => /DeviceToHost/.test(a));

export const neverTogether = (a: readonly number[] = [], b: readonly number[] = []): boolean => a.some((x) => b.some((y) => exclusiveArms(x, y)));

/** `left op right` of template parameters, and whether the access is in the arm where it holds. */
export interface CompileTimeGuard {
  left: Poly;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  right: Poly;
  holds: boolean;
}
