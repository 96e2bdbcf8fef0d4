// The state of one walk of a C/C++ function (cfamily.ts): what it has recorded so far
// (loops, accesses, calls), the guards and loops around the statement being read, and how
// an access is recorded with them.
import type { SyntaxNode as Node } from '../mirror';
import { COMPARE, NO_NAMES, ofNames } from './loop-forms';
import { fieldAccess, NO_RECORDS, type FileRecords } from './records';
import { FLOAT_TYPES, VECTOR_TYPES, baseType, type TypeAliases } from './ctypes';
import { Evaluator, capped, unparen, type Value } from './evaluate';
import type { FileArray, MacroDef } from './file-scope';
import { Poly, constantText, loneSymbol } from '../affine';
import { distinctAcrossLanes } from '../lanes';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import { HOST_LOOP_IDS, type HostHelpers } from './host-inline';
import type { AccessFact, CallFact, CompileTimeGuard, FunctionFacts, InlinedCall, LoopFact, MemorySpace, ParamFact, SharedArrayFact } from './model';
import { rootName, valueFlow } from './c-syntax';
import { lineScan } from '../line-scans';
import type { Range } from '../types';

/** Fused multiply-adds that accumulate into their last argument (`__fmaf_rn(a, b, acc)`). */
const FMA_CALL = /^(?:fmaf?|__fmaf?_r[nzdu]|__fma_r[nzdu]|__hfma2?|__hfma2?_relu)$/;

/** Past this many runs per thread a statement's arithmetic no longer changes a verdict. */
export const MAX_OPS_WEIGHT = 1 << 16;

/** An integer read from a global array at an index that differs per thread (`rowptr[row]`). */
export interface OffsetLoad {
  array: string;
  index: Poly;
  /** The load as written (`rowptr[row]`). */
  text: string;
}

/** A value a loop steps (facts/loop-carried.ts): its per-iteration symbol stands for where it is. */
const steppedByLoop = (p: Poly): boolean => [...p.symbols()].some((s) => s.endsWith("'"));

export abstract class WalkerState extends Evaluator {
  get paramNames(): ReadonlySet<string> {
    return new Set(this.params.keys());
  }
  protected loopStack: number[] = [];
  /** Switches open around the statement being read, and around the innermost loop when it began (a `break` leaves the loop only when they are equal). */
  protected switchDepth = 0;
  protected loopSwitchDepth = 0;
  nextLoopId = 0;
  /** Host code: the file's helpers with loops, inlined where a loop calls them (core/facts/host-inline.ts). */
  hostHelpers?: HostHelpers;
  /** Loop ids of inlined host helpers, shared by every walk of one function (its own loops' ids are positions in `loops`). */
  protected hostIds = { next: HOST_LOOP_IDS };
  /** Loop ids of the `__device__` helpers inlined at calls, a range each by name, shared by the walkers of one kernel. */
  protected helperIds = { next: HELPER_LOOP_IDS, byName: new Map<string, number>() };
  readonly inlined: InlinedCall[] = [];
  /** The file's functions called in a loop here, with their text's key (see `FunctionFacts.calleeVersions`). */
  readonly calleeVersions = new Map<string, string>();
  /** Functions this one hands a global buffer to that it could not read (device code). */
  readonly opaqueBufferCalls = new Set<string>();
  /** A kernel's sums and differences of two array elements (FunctionFacts.addends). */
  readonly addends: [Range, Range][] = [];
  /** A kernel's products of two array elements (FunctionFacts.factors). */
  readonly factors: [Range, Range][] = [];
  /** Where a local was last loaded from an element (`const float f = features[..]`): the operands noteAddends follows. */
  private readonly loadedInto = new Map<string, Range>();
  /** A kernel's `+ - * /` on 16-bit float operands (FunctionFacts.halfOperators). */
  readonly halfOperators: CallFact[] = [];
  readonly loops: LoopFact[] = [];
  readonly accesses: AccessFact[] = [];
  readonly shared: SharedArrayFact[] = [];
  readonly calls: CallFact[] = [];
  readonly syncthreads: FunctionFacts['syncthreads'] = [];
  arithmetic = 0;
  /** How many times a statement here runs per thread: the product of the enclosing loops' constant trip counts. */
  protected opsWeight = 1;
  indexBound: string | null = null;
  indexBoundValue: Poly | null = null;
  /** Every parameter a thread index is checked against (`row < rows && col < cols`): the extents of a 2-D or 3-D kernel. */
  readonly indexBounds = new Set<string>();
  protected pendingPragmas: string[] = [];
  /** Host pointers declared as another name for a struct member (`float *c = l.output_gpu;`): calls through them name the member. */
  protected memberAliases = new Map<string, string>();
  /** Host pointers set from a call's result (`float* y = matmul_forward(out, ...)`): the callee and its arguments' roots. */
  readonly resultAliases = new Map<string, { call: string; roots: (string | null)[] }>();
  /** Host buffers kept under an expected output's name (`h_C` of `float* h_C_ref = h_C;`). */
  readonly expectedAliases = new Set<string>();
  /** What a host function's `return` statements return, as written (`out` of `return out;`). */
  readonly returned: string[] = [];
  /** Buffers the function declares, by name: the loops around each declaration (`AccessFact.declaredUnder`). */
  protected readonly declaredIn = new Map<string, number[]>();
  /** Scalar locals by name: declared type and loop depth of the declaration (for `LoopFact.reductions`). */
  protected localTypes = new Map<string, { type: string; depth: number }>();
  protected override localObjectType(name: string): string | undefined {
    return this.localTypes.get(name)?.type;
  }
  /** > 0 while walking code that at most one lane of a warp runs (`if (threadIdx.x == 0)`). */
  protected singleLaneDepth = 0;
  /** Inside guards that leave only the block's first warp running (facts/warp-guards.ts). */
  protected firstWarpDepth = 0;
  /** The block's first threads that a guard around here leaves active (`if (tid < 20)`), or null for all. */
  protected activeLanes: number | null = null;
  /** In the other arm of a first-threads guard: the first lane that takes part (AccessFact.laneFrom). */
  protected laneFrom: number | null = null;
  /** The same guard's bound when it is a name (`if (tid < R)`, R a template parameter): bound at the launch by the rules. */
  protected firstThreads: string | null = null;
  /** A guard whose passing lanes change with a loop (`if (2 * s * tid < blockDim.x)`): see AccessFact.laneLimit. */
  protected laneLimit: AccessFact['laneLimit'] | null = null;
  /**
   * Inside a guard or loop that lets only a batch's worth of threads through (facts/sequence-bound.ts): the
   * loop depth it holds at (a loop opened inside it, over a vocabulary or a length, moves more than a few values).
   */
  protected perSequenceAt: number | null = null;
  /** Enclosing arms of if/else and switch cases, outermost first (each arm has its own id). */
  protected branches: number[] = [];
  /** Loops whose iterations the enclosing `if`s pick a few of (`if (i == n - 1)`, `if (i % 100 == 0)`). */
  protected readonly rareLoops: number[] = [];
  /** Enclosing one-shot arms (`if (init_state) { init_state = false; ... }`, loop-forms.ts `oneShotArm`). */
  protected onceDepth = 0;
  /** Local `bool` flags and the test each holds (`const bool check = (iter % n) == 0;`), by name. */
  protected readonly flagConditions = new Map<string, { test: Node; loop: number | undefined }>();
  /** Step counters each loop's body advances by hand (loop-forms.ts `stepCounters`), by loop id. */
  protected readonly loopCounters = new Map<number, string[]>();
  /** Inside the short-remainder arm of a chunked loop (loop-forms.ts `chunkTailArm`). */
  protected chunkTailDepth = 0;
  /** Inside an `if` testing the innermost loop's variable (`if (n > 0)`): AccessFact.borderTest. */
  protected borderTestDepth = 0;
  /** Inside the arm of an `if` that runs when a size is not a multiple of a vector width (`else` of `n % 4 == 0`). */
  protected remainderDepth = 0;
  /** Names the `if` arms around bound above (`if (n <= LEAF)`: n ≤ 64): a call's size argument there is at most that. */
  protected sizeCaps: { name: string; max: number }[] = [];
  /** References bound to one element (`float4& out = out4[idx]`), by name: the access recorded where each was bound. */
  protected readonly elementRefs = new Map<string, AccessFact>();
  /** Local arrays of one dimension by name, and how many elements each has (`int block_sizes[] = {32, 64}`: 2). */
  protected readonly arrayLengths = new Map<string, number>();
  protected override arrayLength(name: string): number | null {
    return this.arrayLengths.get(name) ?? null;
  }
  /** Integers loaded from a global array at a thread's own index (`long first = rowptr[row];`), by name: a CSR row's bounds. */
  protected readonly loadedOffsets = new Map<string, OffsetLoad>();
  /** Host pointers declared without a value (`float *J;`, C89 style), by element type: a later `J = malloc(...)` makes them a buffer. */
  protected readonly unsetPointers = new Map<string, string>();
  /** The run of `if (v == c)` tests just walked in this block (a dispatch on `v`). */
  protected dispatch: { variable: string; stmt: number; values: Set<string> } | null = null;
  /** The branch statement of the `if` just walked when its only arm ends in `return`. */
  protected returningIf: number | null = null;
  protected nextBranch = 0;
  /** An inlined helper's template parameters bound to constants at the call (`stage<16, false>(...)`): `if`s on them are decided. */
  protected templateConstants: ReadonlySet<string> = NO_NAMES;
  /** A template helper's value parameters its call gives a value the facts do not know (`copy<sizeof(tmp)>`). */
  protected unboundTemplateParams: ReadonlySet<string> = NO_NAMES;
  /** Host code: names given to a kernel's instantiation (`auto kernel_func = k<64, 64>;`). */
  protected kernelAliases = new Map<string, Node>();
  /**
   * Function pointers declared without a kernel (`void (*kernel)(float*, float*, int, int);`), with the kernels
   * statements assign them (`case 1: kernel = &transposeNaive; break;`): a launch through one is a launch of each.
   */
  protected kernelChoices = new Map<string, Node[]>();
  /** A launch through such a pointer being read once per kernel it may hold. */
  protected choosing = false;
  /** Host code inside an ATen dispatch's lambda: the types `scalar_t` takes there (facts/aten-dispatch.ts). */
  protected dispatchTypes: string[] | null = null;
  /** A kernel's named lambdas (`auto emit = [&](int k) { ... };`): walked where they are called. */
  protected lambdas = new Map<string, Node>();
  /** The busiest arm of each template parameter's `if (A == c)` tests: the arithmetic of the one an instantiation keeps. */
  selectedArithmetic = new Map<string, number>();
  /** The undecided compile-time tests around the statement being read, innermost last. */
  protected guards: CompileTimeGuard[] = [];
  /** Inside an arm of an `if constexpr` on a helper's template parameter its call left unknown: one of several alternatives builds. */
  protected undecidedConstexprDepth = 0;

  /** `if constexpr (SLICES > 1)`, or a plain `if` comparing template parameters only: a test each launch decides. */
  /** Whether a local's value is computed from `names` (`constexpr int nb_per_cpy = alignment == 0 ? nbytes : alignment`). */
  protected valueDependsOn(name: string, names: ReadonlySet<string>): boolean {
    const v = this.env.get(name);
    // (a value kept as text, `(alignment==0?nbytes:alignment)`, names them inside it)
    const named = (s: string) => names.has(s) || (/\W/.test(s) && s.split(/\W+/).some((w) => names.has(w)));
    return v?.kind === 'int' && !v.poly.unknown && v.poly.dependsOn(named);
  }

  protected compileTimeGuard(n: Node, cond: Node): CompileTimeGuard | null {
    if (!this.templateParams.size) return null;
    const test = unparen(cond.type === 'condition_clause' ? field(cond, 'value') ?? namedChildren(cond)[0] ?? null : cond);
    // a flag (`if constexpr (WIDE)`, `if constexpr (!HAS_BIAS)`): the flag against 0
    const negated = test?.type === 'unary_expression' && field(test, 'operator')?.text === '!';
    const flag = unparen(negated ? field(test!, 'argument') : test);
    if (flag?.type === 'identifier' && this.templateParams.has(flag.text)) {
      return { left: Poly.sym(flag.text), op: negated ? '==' : '!=', right: Poly.const(0), holds: true };
    }
    const op = test?.type === 'binary_expression' ? field(test, 'operator')?.text : undefined;
    if (!test || !op || !COMPARE[op]) return null;
    const left = this.eval(field(test, 'left'));
    const right = this.eval(field(test, 'right'));
    if (!ofNames(left, this.templateParams) || !ofNames(right, this.templateParams) || (left.isConstant && right.isConstant)) return null;
    return { left, op: op as CompileTimeGuard['op'], right, holds: true };
  }

  constructor(
    protected readonly isKernel: boolean,
    params: ParamFact[],
    protected readonly lines: string[],
    protected readonly fileArrays: readonly FileArray[] = [],
    protected readonly constants: ReadonlyMap<string, number> = new Map(),
    macros: ReadonlyMap<string, MacroDef> = new Map(),
    /** Where pointer parameters point: global for kernels, host for host code, unknown for __device__ helpers (shared or global). */
    paramSpace: MemorySpace = isKernel ? 'global' : 'host',
    /** `__device__` functions of the file by name: their accesses are seen at their call sites. */
    protected readonly helpers: ReadonlyMap<string, Node> = new Map(),
    /** How many helper calls deep this walk is (bounded). */
    protected readonly depth = 0,
    aliases: TypeAliases = new Map(),
    /** The file's plain structs: a field of an array of them is an access at its offset. */
    protected readonly records: FileRecords = NO_RECORDS,
  ) {
    super(macros, aliases);
    this.memberElements = records.members;
    this.memberSpace = paramSpace;
    for (const [name, value] of constants) this.env.set(name, { kind: 'int', poly: Poly.const(value) });
    for (const g of fileArrays) {
      // (`int ng[LEVELS + 1][3]`: its extents, so that a row's size in bytes is known)
      const dims = g.dimTexts?.map((t) => {
        const v = constantText(t, constants);
        return v === null ? null : Poly.const(v);
      });
      this.env.set(g.name, { kind: 'ptr', base: g.name, offset: Poly.const(0), elemType: g.elemType, space: g.space, vector: VECTOR_TYPES.has(g.elemType), ...(dims ? { dims } : {}) });
    }
    for (const p of params) {
      this.params.set(p.name, p);
      // (a parameter hides a file constant of its name: `int N` against `enum { M, N, K }` or `#define N 64`)
      this.env.delete(p.name);
      if (p.pointer) {
        // an accessor's `acc[i][j][k]` is the element of a contiguous tensor: dims `acc.size(1)`, `acc.size(2)` after the first
        let rows = p.accessor && p.rank ? Array.from({ length: p.rank - 1 }, (_, k) => Poly.sym(`${p.name}.size(${k + 1})`)) : undefined;
        // (`double B[N][N]` with `#define N 40`: the extents, so that a row's size in bytes is known)
        let dims = !p.accessor && p.dimTexts ? p.dimTexts.map((t) => { const v = constantText(t, constants); return v === null ? null : Poly.const(v); }) : undefined;
        // a kernel's `float preact[6][24][24]` is a pointer to rows of constant size: `preact[i][j][k]` is one flat offset,
        // which the warp-wide rules evaluate per lane (CPU rules read a host array's subscripts one by one)
        if (isKernel && dims && dims.length >= 2 && dims.slice(1).every((d) => d !== null && d.isConstant)) {
          rows = dims.slice(1) as Poly[];
          dims = undefined;
        }
        this.env.set(p.name, {
          kind: 'ptr', base: p.name, offset: Poly.const(0), elemType: p.type,
          space: paramSpace, vector: VECTOR_TYPES.has(p.type), ...(rows ? { rows } : {}), ...(dims ? { dims } : {}),
        });
        if (VECTOR_TYPES.has(p.type)) this.usesVectorTypes = true;
      }
    }
  }

  /** `rowptr[row]`, `__ldg(&rowptr[row])`, `(int)rowptr[row]`, or a name declared as one: the array and the thread's index into it. */
  protected offsetLoad(n: Node | null): OffsetLoad | null {
    let v = unparen(n);
    while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
    if (!v) return null;
    if (v.type === 'identifier') return this.loadedOffsets.get(v.text) ?? null;
    const call = v.type === 'call_expression' && /^__ldg$/.test(field(v, 'function')?.text ?? '') ? namedChildren(field(v, 'arguments') ?? v)[0] : null;
    const p = call ? this.evalPtr(call) : null;
    const target = p ? { array: p.base, space: p.space, indices: [p.offset] } : v.type === 'subscript_expression' || v.type === 'pointer_expression' ? this.accessTarget(v) : null;
    if (!target || target.space !== 'global' || target.indices.length !== 1) return null;
    const index = target.indices[0];
    return !index.unknown && index.dependsOn((s) => s.startsWith('threadIdx.')) ? { array: target.array, index, text: capped(v.text.replace(/\s+/g, '')) } : null;
  }

  /** A method's class constants by their bare names (`classes` of `static const int classes = 10;` in `class Softmax`). */
  useClassConstants(owner: string): void {
    const prefix = `${owner}::`;
    for (const [name, value] of this.constants) {
      const bare = name.startsWith(prefix) ? name.slice(prefix.length) : '';
      if (bare && !this.params.has(bare)) this.env.set(bare, { kind: 'int', poly: Poly.const(value) });
    }
  }

  /** Walks one statement (cfamily.ts). */
  abstract statement(n: Node): void;
  /** Records the accesses and calls inside an expression and applies its assignments (cfamily.ts). */
  abstract expressions(n: Node | null): void;

  /**
   * `tid == 0`, `lane == 0`, `u == 0` with `u` lane-dependent (possibly `&&` other tests):
   * at most one lane of a warp passes when the compared value differs in every lane.
   * Returns the operator ('==' or '!=' for the negated test) or null.
   */
  protected singleLaneCondition(cond: Node): '==' | '!=' | null {
    const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
    if (c?.type !== 'binary_expression') return null;
    const op = field(c, 'operator')?.text;
    if (op === '&&') return this.singleLaneCondition(field(c, 'left')!) === '==' || this.singleLaneCondition(field(c, 'right')!) === '==' ? '==' : null;
    if (op !== '==' && op !== '!=') return null;
    const diff = this.eval(field(c, 'left')).sub(this.eval(field(c, 'right')));
    if (diff.unknown || !diff.dependsOn((s) => s.startsWith('threadIdx.x') || s.startsWith('#op'))) return null;
    return distinctAcrossLanes(diff) ? op : null;
  }

  /** `if (threadIdx.x < R)` with `R` a bare name: `R` (a launch may set it). */
  protected firstThreadsName(cond: Node): string | null {
    const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
    if (c?.type !== 'binary_expression' || field(c, 'operator')?.text !== '<') return null;
    const tid = this.eval(field(c, 'left'));
    const bound = this.eval(field(c, 'right'));
    if (tid.unknown || tid.symbols().size !== 1 || !tid.coefficient('threadIdx.x').isConstant || tid.coefficient('threadIdx.x').constant !== 1 || tid.constant !== 0) return null;
    return loneSymbol(bound);
  }

  /**
   * `tid < 20` (`threadIdx.x < K`, `K > tid`, `<=`), with the bound a constant below a warp: how
   * many of the block's first threads pass; null for any other condition.
   */
  protected firstThreadsCondition(cond: Node): number | null {
    const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
    if (c?.type !== 'binary_expression') return null;
    const op = field(c, 'operator')?.text;
    if (op === '&&') {
      const l = this.firstThreadsCondition(field(c, 'left')!);
      const r = this.firstThreadsCondition(field(c, 'right')!);
      return l === null ? r : r === null ? l : Math.min(l, r);
    }
    const left = this.eval(field(c, 'left'));
    const right = this.eval(field(c, 'right'));
    const [tid, bound, inclusive] = op === '<' || op === '<=' ? [left, right, op === '<='] : op === '>' || op === '>=' ? [right, left, op === '>='] : [null, null, false];
    if (!tid || !bound || tid.unknown || bound.unknown || !bound.isConstant) return null;
    const t = tid.coefficient('threadIdx.x');
    if (!t.isConstant || t.constant !== 1 || tid.symbols().size !== 1 || tid.constant !== 0) return null;
    const k = bound.constant + (inclusive ? 1 : 0);
    return k >= 2 && k < 32 ? k : null;
  }

  /**
   * `index < blockDim.x` (and `<=`), its left side growing with the thread and depending on a loop's variable besides
   * (`2 * s * tid`), its right side the same for every thread: see AccessFact.laneLimit; else null.
   */
  protected laneLimitCondition(cond: Node): AccessFact['laneLimit'] | null {
    // (device code inside a loop only: a host `if` costs no evaluation on every edit)
    if (!this.isKernel || this.loopStack.length === 0) return null;
    const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
    if (c?.type !== 'binary_expression') return null;
    const op = field(c, 'operator')?.text;
    if (op === '&&') return this.laneLimitCondition(field(c, 'left')!) ?? this.laneLimitCondition(field(c, 'right')!);
    if (op !== '<' && op !== '<=') return null;
    const index = this.eval(field(c, 'left'));
    const limit = this.eval(field(c, 'right'));
    if (index.unknown || limit.unknown || limit.dependsOn((x) => x.startsWith('threadIdx.'))) return null;
    const t = index.coefficient('threadIdx.x');
    // (the index or the limit moves with the loop: `2 * s * tid < blockDim.x`, or a scan's `thid < d` as `d` halves)
    if (t.unknown || (!this.movesWithLoop(index) && !this.movesWithLoop(limit))) return null;
    return { index, limit, inclusive: op === '<=' };
  }

  /** Whether `v` reads the variable of a loop around the statement being walked. */
  private movesWithLoop(v: Poly): boolean {
    if (!this.loopStack.length) return false;
    const symbols = this.loopStack.map((id) => this.loops.find((l) => l.id === id)?.symbol);
    return v.dependsOn((x) => symbols.includes(x));
  }

  /** `if (i < n)` / `if (i >= n) return;`: remembers which parameter bounds the thread index. */
  protected noteBound(cond: Node): void {
    walk(cond, (c) => {
      if (c.type !== 'binary_expression') return;
      const op = field(c, 'operator')?.text ?? '';
      if (!['<', '>=', '<=', '>'].includes(op)) return;
      const l = this.eval(field(c, 'left'));
      const r = field(c, 'right');
      // a parameter (`n`) or a product of them and constants (`BT * OC`, `n / 4`), or a file-scope constant as written
      // (`#define N (1 << 26)`: the expansion is no product, the value is known)
      const product = (t: string) => /^[\w\s*/()]+$/.test(t);
      const bound = !r ? null
        : r.type === 'identifier' || (r.type === 'binary_expression' && product(r.text)) ? r.text.replace(/\s+/g, '')
        : r.sourceText !== r.text && product(r.sourceText) && this.eval(r).isConstant ? r.sourceText.replace(/\s+/g, '') : null;
      // (not a limit an enclosing loop moves, a tree reduction's `tid < s` as `s` halves: a step of the block's work, not its extent)
      if (bound && l.dependsOn((s) => s.startsWith('threadIdx.')) && !this.movesWithLoop(this.eval(r))) {
        if (this.indexBound === null) this.indexBoundValue = this.eval(r);
        this.indexBound ??= bound;
        this.indexBounds.add(bound);
      }
    });
  }

  /** `a * b` with an operand of a 16-bit float type: an element, or a local or parameter so declared (`x[i] * x[i]`, `v * g`). */
  protected noteHalfOperator(n: Node, op: string): void {
    // (a file that never names a 16-bit float type has none to find: no operand is evaluated again)
    if (!namesHalfTypes(this.lines)) return;
    const half = (e: Node | null): boolean => {
      const x = unparen(e);
      if (!x) return false;
      if (x.type === 'subscript_expression') return HALF_FLOAT.test(this.accessTarget(x)?.elemType ?? '');
      // (a pointer parameter's type is its element's: `sq + h * head_size` on a `half*` is pointer arithmetic)
      if (x.type === 'identifier') {
        const param = this.localTypes.has(x.text) ? undefined : this.params.get(x.text);
        return HALF_FLOAT.test(this.localTypes.get(x.text)?.type ?? (param && !param.pointer ? param.type : ''));
      }
      return false;
    };
    const left = field(n, 'left');
    const right = field(n, 'right');
    if (!half(left) && !half(right)) return;
    this.halfOperators.push({
      kind: 'call', name: `operator${op}`, range: nodeRange(n), nameRange: nodeRange(field(n, 'operator') ?? n),
      args: [left?.text ?? '', right?.text ?? ''], argRoots: [], loops: [...this.loopStack], scopes: [...this.branches],
      ...(this.singleLaneDepth > 0 ? { singleLane: true } : {}),
    });
  }

  /**
   * `features[p + j * n] - clusters[i * d + j]`, `r_x[ii] + r_b[ii]`: two elements added or subtracted (a distance's term,
   * a bias add: no product's operands), also through locals loaded from them (`const float f = features[..], c =
   * clusters[..]; diff = f - c;`): where each was read.
   */
  protected noteAddends(n: Node): void {
    this.notePair(field(n, 'left'), field(n, 'right'), this.addends);
  }

  /** `a * b`, `fmaf(a, b, acc)` of two elements, or of locals loaded from them: a product's operands (FunctionFacts.factors). */
  protected noteFactors(left: Node | null, right: Node | null): void {
    this.notePair(left, right, this.factors);
  }

  private notePair(l: Node | null, r: Node | null, into: [Range, Range][]): void {
    const element = (e: Node | null): Range | null => {
      const x = uncast(e);
      if (x?.type === 'subscript_expression' || (x?.type === 'pointer_expression' && field(x, 'operator')?.text === '*')) return nodeRange(x);
      return x?.type === 'identifier' ? this.loadedInto.get(x.text) ?? null : null;
    };
    const left = element(l);
    const right = left ? element(r) : null;
    if (left && right) into.push([left, right]);
  }

  /** `std::cout << x << y`: output, recorded (at its innermost `<<`, the one the stream starts) as a call named after the stream, like printf. */
  protected noteStreamOutput(n: Node): void {
    const left = field(n, 'left');
    if (!left || !/^(?:std::)?(?:cout|cerr|clog)$/.test(left.text)) return;
    this.calls.push({ kind: 'call', name: left.text, range: nodeRange(n), nameRange: nodeRange(left), args: [], argRoots: [], loops: [...this.loopStack], scopes: [...this.branches] });
  }

  /** Where each local scalar was last set to a number (`sum = 0.f;`): the loops around that place. */
  private readonly resets = new Map<string, { depth: number; loops: number[] }>();

  /** `x = 0.f` (a number, or one in a macro: `SCALAR_VAL(0.0)`): a sum in `x` starts afresh here. */
  protected noteReset(name: string, right: Node | null): void {
    if (!this.localTypes.has(name) || !right || !NUMBER_VALUE.test(right.text)) return;
    this.resets.set(name, { depth: this.loopStack.length, loops: [...this.loopStack] });
  }

  /**
   * `s += e`, `s -= e`, `s *= e`, `s = s + e` on a scalar declared outside the innermost enclosing loop: a reduction of that loop
   * (op `+=`, `-=`, `*=`); `m = fmaxf(m, e)`, `m = m > e ? m : e` or `if (e > m) m = e;`: a running max or min (op `max`, `min`).
   */
  protected noteReduction(name: string, op: string, right: Node | null, at: Node): void {
    const declared = this.localTypes.get(name);
    // (a scalar declared at the top of a block and set anew in a loop before it sums, `sum = 0.f;` under `for i`: the sum
    // starts there, as `float sum = 0.f;` written at that place would)
    const reset = this.resets.get(name);
    const local = declared && reset && reset.depth > declared.depth && reset.loops.every((id, k) => this.loopStack[k] === id) ? { ...declared, depth: reset.depth } : declared;
    if (!local || local.depth >= this.loopStack.length) return;
    const r = unparen(right);
    const self = op === '=' && r?.type === 'binary_expression' && unparen(field(r, 'left'))?.text === name ? field(r, 'operator')?.text ?? '' : '';
    const kind = self ? `${self}=` : op === '=' ? extremum(name, r, at) ?? op : op;
    if (!['+=', '-=', '*=', 'max', 'min'].includes(kind)) return;
    // loop ids are positions in `loops`, except inside an inlined helper, whose loops are its own
    const id = this.loopStack[this.loopStack.length - 1];
    const loop = this.loops.find((l) => l.id === id);
    if (!loop) return;
    // (through a typedef that names one type, `typedef double DATA_TYPE;`: the type the sum is in)
    const alias = this.aliases.get(local.type.replace(/\bconst\b/g, '').trim());
    const type = alias?.length === 1 ? alias[0] : local.type;
    (loop.reductions ??= []).push({ variable: name, type, op: kind, range: nodeRange(at), declaredDepth: local.depth });
  }

  protected isLoopCarried(v: Value): boolean {
    return v.kind === 'int' ? steppedByLoop(v.poly) : steppedByLoop(v.offset);
  }

  protected indexNodes(n: Node): Node[] {
    const out: Node[] = [];
    let cur: Node | null = n;
    while (cur && cur.type === 'subscript_expression') {
      const idx = field(cur, 'indices') ?? field(cur, 'index');
      if (idx) out.push(idx);
      cur = field(cur, 'argument');
    }
    if (cur && cur !== n) out.push(cur);
    if (n.type === 'pointer_expression') {
      const a = field(n, 'argument');
      if (a) out.push(a);
    }
    return out;
  }

  protected accessKind(n: Node): AccessFact['kind'] {
    let cur = n;
    let parent = cur.parent;
    while (parent && (parent.type === 'parenthesized_expression' || parent.type === 'field_expression')) {
      cur = parent;
      parent = parent.parent;
    }
    if (!parent) return 'load';
    if (parent.type === 'assignment_expression' && field(parent, 'left')?.id === cur.id) {
      if (field(parent, 'operator')?.text !== '=') return 'update';
      // `c[i][j] = __fmaf_rn(a[i], b[j], c[i][j])`: an accumulation, as `c[i][j] += a[i] * b[j]` is
      const right = field(parent, 'right');
      const args = right?.type === 'call_expression' && FMA_CALL.test(field(right, 'function')?.text ?? '') ? namedChildren(field(right, 'arguments')!) : [];
      return args.length === 3 && args[2].text.replace(/\s+/g, '') === cur.text.replace(/\s+/g, '') ? 'update' : 'store';
    }
    if (parent.type === 'update_expression') return 'update';
    return 'load';
  }

  /** An object that is the same on every pass of the loops around: a parameter, or a local declared outside them. */
  protected stableObject(name: string): boolean {
    const local = this.localTypes.get(name);
    return local ? local.depth === 0 : this.params.has(name) && !this.isLoopVariable(name);
  }

  /** The variable of a loop the walk is inside. */
  protected isLoopVariable(name: string): boolean {
    return this.loopStack.some((id) => this.loops.find((l) => l.id === id)?.variable === name);
  }

  protected override isRecord(type: string): boolean {
    return this.records.layouts.has(baseType(type));
  }

  protected recordAccess(n: Node, kind?: AccessFact['kind']): void {
    const target = this.accessTarget(n);
    if (!target) return;
    // `data[i].g` of an array of structs: the field, at its offset in the record
    const member = this.records.layouts.size ? fieldAccess(n, target, this.records.layouts, this.aliases) : null;
    if (member) return this.pushAccess(member.target, member.at, kind ?? this.accessKind(n));
    this.pushAccess(target, n, kind ?? this.accessKind(n));
  }

  /** `dim3 block(32, 8)` / `dim3 block = dim3(1, 256)`: each extent, null where not constant. */
  protected readonly dim3dims = new Map<string, (number | null)[]>();
  protected noteDim3(n: Node): void {
    for (const d of children(n)) {
      // `dim3 block(tokens, threads)` with names for arguments reads as a function declaration (C++'s most vexing parse)
      if (d.type === 'function_declarator') {
        const name = field(d, 'declarator')?.text;
        const dims = namedChildren(field(d, 'parameters') ?? d).map((p) => {
          const text = p.text.trim();
          const known = /^[A-Za-z_]\w*$/.test(text) ? this.env.get(text) : undefined;
          return known?.kind === 'int' && known.poly.isConstant ? known.poly.constant : null;
        });
        if (name) this.noteDims(name, dims);
        continue;
      }
      const name = d.type === 'init_declarator' ? field(d, 'declarator')?.text : null;
      if (!name) continue;
      const v = field(d, 'value');
      // (a helper's result, `dim3 block = SoftMax_getBlockSize(ILP, dim_size)`, has extents of its own: none known here)
      if (v?.type === 'call_expression' && field(v, 'function')?.text !== 'dim3') {
        this.noteDims(name, [null, null, null]);
        continue;
      }
      const args = v ? namedChildren(v.type === 'call_expression' ? field(v, 'arguments') ?? v : v) : [];
      const dims = args.map((a) => { const x = this.eval(a); return x.isConstant ? x.constant : null; });
      this.noteDims(name, dims);
    }
  }
  protected noteDims(name: string, dims: (number | null)[]): void {
    this.dim3dims.set(name, dims);
    // `dim3 grid(nElem / block.x)`: the extents read as `block.x`, `block.y` (a dim3's missing ones are 1)
    ['x', 'y', 'z'].forEach((axis, i) => {
      const extent = i < dims.length ? dims[i] : 1;
      if (extent !== null) this.env.set(`${name}.${axis}`, { kind: 'int', poly: Poly.const(extent) });
    });
  }
  /** A `dim3` local or a `dim3(...)` / `dim3{...}` value. */
  protected isDim3(arg: Node): boolean {
    return (arg.type === 'identifier' && this.dim3dims.has(arg.text)) || (arg.type === 'call_expression' && field(arg, 'function')?.text === 'dim3') || braceDim3(arg) !== null;
  }
  /** A launch argument's extents (`256`, `block`, `dim3(32, 16)`), each null where not constant. */
  protected extents(arg: Node): (number | null)[] {
    if (arg.type === 'identifier' && this.dim3dims.has(arg.text)) return this.dim3dims.get(arg.text)!;
    const dims = arg.type === 'call_expression' && field(arg, 'function')?.text === 'dim3' ? namedChildren(field(arg, 'arguments') ?? arg) : braceDim3(arg) ?? [arg];
    return dims.map((d) => { const v = this.eval(d); return v.isConstant ? v.constant : null; });
  }
  /** The number of blocks a launch's grid argument gives (`1`, `grid`, `dim3(2, 2)`), when every extent is constant. */
  protected extent(arg: Node): number | null {
    const dims = this.extents(arg);
    return dims.length && dims.every((d) => d !== null) ? dims.reduce<number>((a, b) => a * b!, 1) : null;
  }

  /** Elements a call hands to a helper's non-const reference the helper assigns (`from_float(out[idx], v)`): by node, how. */
  protected readonly writtenThrough = new Map<number, 'store' | 'update'>();

  /** Records an access at `at`, with the loops and lane guards around it (of `kind` when given: one copy of the target, not two). */
  protected pushAccess(target: Omit<AccessFact, 'range' | 'text' | 'loops' | 'kind'> & Partial<Pick<AccessFact, 'kind'>>, at: Node, kind?: AccessFact['kind']): void {
    if (kind === 'load' && this.writtenThrough.has(at.id)) kind = this.writtenThrough.get(at.id);
    const fact: AccessFact = kind !== undefined
      ? { ...target, kind, range: nodeRange(at), text: capped(at.sourceText), loops: [...this.loopStack] }
      : { ...(target as Omit<AccessFact, 'range' | 'text' | 'loops'>), range: nodeRange(at), text: capped(at.sourceText), loops: [...this.loopStack] };
    if (this.singleLaneDepth > 0) fact.singleLane = true;
    // (only where a rule asks: tile copies into shared memory and the loads that feed them or read tiles back)
    if (this.isKernel && ((fact.kind === 'load' && (fact.space === 'global' || fact.space === 'shared')) || (fact.kind === 'store' && fact.space === 'shared'))) {
      // (into an element of a register array, `regM[i] = As[..]`: its store, pushed just before, is a local one)
      const to = valueFlow(at, fact.kind);
      const element = to?.type === 'subscript_expression' ? this.accesses.at(-1) : undefined;
      if (to?.type === 'identifier') {
        fact.register = to.text;
        if (fact.kind === 'load') this.loadedInto.set(to.text, fact.range);
      }
      else if (element?.space === 'local' && element.range.start.line === to!.startPosition.row && element.range.start.column === to!.startPosition.column) fact.register = element.array;
    }
    if (fact.kind === 'load' && castToWide(at)) fact.widened = true;
    if (fact.kind === 'load' && at.type === 'subscript_expression' && this.byteValued(field(at, 'indices') ?? field(at, 'index'))) fact.byteIndexed = true;
    if (this.chunkTailDepth > 0) fact.chunkTail = true;
    if (this.borderTestDepth > 0) fact.borderTest = true;
    if (this.activeLanes !== null) fact.activeLanes = this.activeLanes;
    if (this.firstWarpDepth > 0) fact.firstWarp = true;
    if (this.laneFrom !== null) fact.laneFrom = this.laneFrom;
    else if (this.firstThreads !== null) fact.firstThreads = this.firstThreads;
    if (this.laneLimit) fact.laneLimit = this.laneLimit;
    if (this.perSequenceAt !== null && this.loopStack.length <= this.perSequenceAt) fact.perSequence = true;
    if (this.branches.length) fact.scopes = [...this.branches];
    if (this.guards.length) fact.compileTimeGuards = [...this.guards];
    if (this.undecidedConstexprDepth > 0) fact.undecidedConstexpr = true;
    // (a member of a struct pointer declared here, `w->data` with `const Matrix* w = weights[l]` in the loop: the struct's)
    const declared = this.declaredIn.get(fact.array) ?? this.declaredIn.get(/^(\w+)(?:->|\.)/.exec(fact.array)?.[1] ?? '');
    if (declared) fact.declaredUnder = declared;
    const alternatives = target.elemType ? this.aliases.get(target.elemType) : undefined;
    if (alternatives && alternatives.length > 1) fact.elemAlternatives = [...alternatives];
    // (a plain alias of one floating-point type, `typedef float real`, `using f16_t = __half`: the type itself)
    else if (alternatives?.length === 1 && FLOAT_TYPES.has(alternatives[0])) fact.elemType = alternatives[0];
    this.accesses.push(fact);
  }

  /** An expression of an 8-bit integer type: a local or parameter so declared, a load from such an array, or a cast to one. */
  protected byteValued(n: Node | null): boolean {
    let e = n?.type === 'subscript_argument_list' ? namedChildren(n)[0] ?? null : n;
    while (e?.type === 'parenthesized_expression') e = namedChildren(e)[0] ?? null;
    if (!e) return false;
    if (e.type === 'identifier') return BYTE_INTEGER.test(this.localTypes.get(e.text)?.type ?? this.params.get(e.text)?.type ?? '');
    if (e.type === 'cast_expression') return BYTE_INTEGER.test(field(e, 'type')?.text ?? '');
    if (e.type === 'subscript_expression') return BYTE_INTEGER.test(this.accessTarget(e)?.elemType ?? '');
    return false;
  }

  /**
   * An argument a loop around the call moves: its loop variable, or a local the loops advance (`float* y_n = y + n * M * N`
   * in `for n`): the launch takes a chunk, image or layer a step, not the same data each step.
   */
  protected movesWithLoops(a: Node): boolean {
    if (!this.loopStack.length) return false;
    const prefixes = this.loopStack.map((id) => `#loop${id}:`);
    const moving = (p: Poly) => p.dependsOn((s) => prefixes.some((x) => s.startsWith(x)));
    let found = false;
    walk(a, (n) => {
      if (found || n.type !== 'identifier') return;
      const v = this.env.get(n.text);
      if (v && moving(v.kind === 'ptr' ? v.offset : v.poly)) found = true;
    });
    return found;
  }

  /** The buffer an argument names, through member aliases. */
  protected root(a: Node): string | null {
    // `w[offset + 2]` passed whole: an element of an array of pointers (a layer's weights), a buffer of its own
    if (a.type === 'subscript_expression') return a.text.replace(/\s+/g, '');
    const r = rootName(a);
    return r === null ? null : this.memberAliases.get(r) ?? r;
  }
}

/** `static_cast<float>(r_x[ii])`, `(float)x[i]`: the operand of its casts, without parentheses. */
function uncast(e: Node | null): Node | null {
  let x = unparen(e);
  for (;;) {
    if (x?.type === 'cast_expression') x = unparen(field(x, 'value'));
    else if (x?.type === 'call_expression' && field(x, 'function')?.type === 'template_function' && /_cast$/.test(field(field(x, 'function')!, 'name')?.text ?? '') && namedChildren(field(x, 'arguments') ?? x).length === 1) x = unparen(namedChildren(field(x, 'arguments')!)[0]);
    else return x;
  }
}

/** `(float)x[i]`, `(double)(x[i])`: the node read straight into a C-style cast to a wide floating type. */
function castToWide(at: Node): boolean {
  let p = at.parent;
  while (p?.type === 'parenthesized_expression') p = p.parent;
  return p?.type === 'cast_expression' && /^(?:const\s+)?(?:float|double)$/.test(field(p, 'type')?.text.trim() ?? '');
}

/** The text of an expression without spaces or the parentheses around it. */
const bare = (n: Node | null): string => unparen(n)?.text.replace(/\s+/g, '') ?? '';
/** `a > b` (`>=`, `<`, `<=`): which of the two sides it holds larger, or null for any other test. */
function larger(cond: Node | null): { big: string; small: string } | null {
  const c = unparen(cond?.type === 'condition_clause' ? field(cond, 'value') ?? namedChildren(cond)[0] ?? null : cond);
  const op = c?.type === 'binary_expression' ? field(c, 'operator')?.text : undefined;
  if (!c || !op || !['>', '>=', '<', '<='].includes(op)) return null;
  const [l, r] = [bare(field(c, 'left')), bare(field(c, 'right'))];
  return op.startsWith('>') ? { big: l, small: r } : { big: r, small: l };
}

/** An 8-bit integer type: its values pick one of at most 256 entries. */
const BYTE_INTEGER = /^(?:const\s+)?(?:(?:unsigned|signed)\s+)?(?:char|uint8_t|int8_t|std::u?int8_t|uchar|u8|i8|bool)(?:\s+const)?$/;

/** Calls that return the larger or the smaller of their two arguments. */
const MAX_CALL = /^(?:std::)?(?:fmax[fl]?|max|MAX|Max)$/;
const MIN_CALL = /^(?:std::)?(?:fmin[fl]?|min|MIN|Min)$/;

/**
 * `m = e`, with `e` the right side, as a step of a running max or min of `m`: `m = fmaxf(m, e)`, `m = std::max(m, e)`,
 * `m = m > e ? m : e` (either way round), or the assignment alone in the arm of `if (e > m)` with no `else`. An `if`
 * that also records where the max was (`if (x[i] > m) { m = x[i]; k = i; }`, an argmax) is not one: the index rides along;
 * nor is a running value the loop reads anywhere else (`m = MAX(m, x[i]); if (m == x[i]) k = i;`).
 */
function extremum(name: string, right: Node | null, at: Node): 'max' | 'min' | null {
  const found = extremumStep(name, right, at);
  return found && !readElsewhere(name, found.statement) ? found.op : null;
}

const LOOP_STATEMENTS = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
/** Does the body of the loop around `statement` name `name` outside `statement`? */
function readElsewhere(name: string, statement: Node): boolean {
  let loop = statement.parent;
  while (loop && !LOOP_STATEMENTS.has(loop.type)) loop = loop.parent;
  const body = loop ? field(loop, 'body') : null;
  if (!body) return false;
  let seen = false;
  walk(body, (c) => {
    if (seen || c.id === statement.id) return false;
    if (c.type === 'identifier' && c.text === name) seen = true;
    return !seen;
  });
  return seen;
}

function extremumStep(name: string, right: Node | null, at: Node): { op: 'max' | 'min'; statement: Node } | null {
  const step = (op: 'max' | 'min' | null, statement: Node = at) => (op ? { op, statement } : null);
  if (right?.type === 'call_expression') {
    const callee = (field(right, 'function')?.text ?? '').replace(/\s+/g, '').replace(/<[^<>]*>$/, '');
    const args = namedChildren(field(right, 'arguments') ?? right).filter((a) => a.type !== 'comment');
    if (args.length !== 2 || !args.some((a) => bare(a) === name) || args.every((a) => bare(a) === name)) return null;
    return step(MAX_CALL.test(callee) ? 'max' : MIN_CALL.test(callee) ? 'min' : null);
  }
  if (right?.type === 'conditional_expression') {
    const test = larger(field(right, 'condition'));
    const [yes, no] = [bare(field(right, 'consequence')), bare(field(right, 'alternative'))];
    if (!test || ![yes, no].includes(name) || yes === no || !([test.big, test.small].includes(yes) && [test.big, test.small].includes(no))) return null;
    return step(yes === test.big ? 'max' : 'min');
  }
  // `if (e > m) m = e;` / `if (m < e) { m = e; }`
  let stmt: Node | null = at.parent?.type === 'expression_statement' ? at.parent : null;
  if (stmt?.parent?.type === 'compound_statement' && namedChildren(stmt.parent).filter((c) => c.type !== 'comment').length === 1) stmt = stmt.parent;
  const branch = stmt?.parent;
  if (!stmt || branch?.type !== 'if_statement' || field(branch, 'consequence')?.id !== stmt.id || field(branch, 'alternative')) return null;
  const test = larger(field(branch, 'condition'));
  const value = bare(right);
  if (!test || value === name || value === '') return null;
  return step(test.big === value && test.small === name ? 'max' : test.big === name && test.small === value ? 'min' : null, branch);
}

/** A number as a value, bare or in a one-argument macro (`0.f`, `-1e30`, `SCALAR_VAL(0.0)`). */
const NUMBER_VALUE = /^\s*(?:[A-Za-z_]\w*\(\s*)?[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fFlLuU]*\s*\)?\s*$/;

/** 16-bit float types, as declared (`half`, `const __half`, `__nv_bfloat16`). */
const HALF_FLOAT = /^(?:const\s+)?(?:half|__half|__nv_bfloat16|nv_bfloat16)$/;

/** Loop ids of inlined `__device__` helpers start here, apart from the function's own (array positions) and host helpers'. */
const HELPER_LOOP_IDS = 10000;
/** Loop ids each inlined helper may take (its own loops and those of helpers it inlines under other names take their own ranges). */
export const HELPER_LOOP_RANGE = 100;

const HALF_WORD = /\b(?:half|__half|__nv_bfloat16|nv_bfloat16)\b/;
/** Whether a file's text names a 16-bit float type anywhere (kept across edits of lines that name none). */
const namesHalfTypes = lineScan((line) => !HALF_WORD.test(line), (lines) => lines.some((l) => HALF_WORD.test(l)));

/** The extents of a `dim3{1, 32}` written with braces, or null for anything else. */
function braceDim3(arg: Node): Node[] | null {
  if (arg.type !== 'compound_literal_expression' || field(arg, 'type')?.text !== 'dim3') return null;
  const list = field(arg, 'value');
  return list ? namedChildren(list).filter((c) => c.type !== 'comment') : null;
}
