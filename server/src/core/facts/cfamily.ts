// Facts for CUDA C++ and C/C++ functions (ANALYSIS.md §1): walks a function body in
// order, statement by statement (its expressions become index forms in evaluate.ts), and
// records every memory access, loop and call, inlining `__device__` helpers at their calls.
import type { SyntaxNode as Node } from '../mirror';
import { liveChildren } from './dead-branches';
import { fileSwitches } from './file-switches';
import { lambdaLoop, type LambdaLoop } from './lambda-loops';
import { markLoopCarried } from './loop-carried';
import { helperFunction, templateParameters } from './templates';
import { sequenceExit, sequenceGuard } from './sequence-bound';
import { COMPARE, NO_NAMES, chunkTailArm, remainderArm, commaParts, constexprArm, firstLanesLoop, ofNames, rareIterationLoops, remainderTrips, steppedName, whileAsFor } from './loop-forms';
import { fieldAccess, type RecordLayouts } from './records';
import { FLOAT_TYPES, VECTOR_TYPES, baseType, containerElementOf, declaratorName, elementBits, misparsedArrayPointer, type TypeAliases } from './ctypes';
import { Evaluator, capped, rowsOf, unparen, type PtrValue, type Value } from './evaluate';
import type { FileArray, MacroDef } from './file-scope';
import { Poly, isVarying, loneSymbol } from '../affine';
import { distinctAcrossLanes } from '../lanes';
import { branchId, type CompileTimeGuard } from './model';
import { LIBRARY_KERNELS, MATH_CALLS } from './library';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import { tick } from '../budget';
import { HOST_LOOP_IDS, type HostHelpers, type HostHelper } from './host-inline';
import type {
  AccessFact,
  CallFact,
  CallKind,
  FunctionFacts,
  InlinedCall,
  KernelClass,
  LoopFact,
  MemorySpace,
  ParamFact,
  SharedArrayFact,
} from './model';

const SYNC_CALLS = /^(cudaDeviceSynchronize|cudaStreamSynchronize|cudaEventSynchronize|cudaThreadSynchronize)$/;
const COPY_CALLS = /^(cudaMemcpy|cudaMemcpyAsync|cudaMemcpy2D|cudaMemcpy2DAsync|cudaMemcpyToSymbol|cudaMemcpyFromSymbol|cudaMemcpyPeer|cudaMemset|cudaMemsetAsync|cudaMemPrefetchAsync)$/;
/** Calls of the CUDA runtime and libraries, the C library and C++ streams: never one of the file's own functions. */
const LIBRARY_CALL = /^(?:cuda|cu[A-Z]|cublas|cudnn|cusparse|curand|nccl|nv|std::|__)|^(?:printf|fprintf|sprintf|snprintf|puts|malloc|calloc|realloc|free|memcpy|memset|assert|exit|abort|rand|srand|time|clock|sizeof|fopen|fclose|fread|fwrite)$|[.:>]/;
const LOOP_TYPES = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
/** A value parsed from the command line: `atoi(argv[2])`, `std::stoi(argv[i])`, `strtol(argv[1], NULL, 10)`. */
const COMMAND_LINE_VALUE = /^\s*(?:std::)?(?:atoi|atol|atoll|stoi|stol|stoul|strtol|strtoul)\s*\(\s*argv\s*\[/;
const MAX_HELPER_DEPTH = 3;
/** What only device code reads: a thread's coordinates, a block barrier. */
const GPU_BUILTINS = /\bthreadIdx\s*\.\s*[xyz]\b|\b__syncthreads\s*\(/;

/** Past this many runs per thread a statement's arithmetic no longer changes a verdict. */
const MAX_OPS_WEIGHT = 1 << 16;
/** Characters of a helper call quoted as the subject of its accesses' findings. */
const MAX_QUOTED_CALL = 60;
/** Cache-hinted loads and stores (`__ldcs(p)`, `__stcs(p, v)`): an access through their first argument. */
/** Calls that combine values across threads: block / warp reduction helpers, and warp shuffles. */
const REDUCE_HELPER = /^__reduce_\w+_sync$|(?:block|warp)_?(?:all)?_?reduce|BlockReduce|WarpReduce/i;
const SHUFFLE = /^__shfl(?:_xor|_down|_up)?_sync$/;
/** CUDA's cache-hinted loads, and x86 SIMD loads through an address (`_mm_load_pd(&A(0, p))`, `_mm256_loadu_ps`, `_mm_loaddup_pd`). */
const LOAD_INTRINSICS = /^__ld(g|cs|cg|ca|lu|cv)$|^_mm\d*_(?:load[u1]?|loaddup|broadcast)_\w+$/;
const STORE_INTRINSICS = /^__st(cs|cg|wb|wt)$|^_mm\d*_storeu?_\w+$/;

/** `size_t const row{blockIdx.x * blockDim.x + threadIdx.x}`, `for (size_t k{0U}; ...)`: one braced item is the value. */
function initializerValue(d: Node): Node | null {
  const v = field(d, 'value');
  if (v?.type !== 'initializer_list') return v;
  const items = namedChildren(v).filter((c) => c.type !== 'comment');
  return items.length === 1 ? items[0] : v;
}

/** `int j{}`: a scalar's empty braces value-initialise it to zero. */
const emptyBraces = (v: Node | null): boolean => v?.type === 'initializer_list' && namedChildren(v).every((c) => c.type === 'comment');

class FunctionWalker extends Evaluator {
  get paramNames(): ReadonlySet<string> {
    return new Set(this.params.keys());
  }
  private loopStack: number[] = [];
  /** Switches open around the statement being read, and around the innermost loop when it began (a `break` leaves the loop only when they are equal). */
  private switchDepth = 0;
  private loopSwitchDepth = 0;
  nextLoopId = 0;
  /** Host code: the file's helpers with loops, inlined where a loop calls them (core/facts/host-inline.ts). */
  hostHelpers?: HostHelpers;
  /** Loop ids of inlined host helpers, shared by every walk of one function (its own loops' ids are positions in `loops`). */
  private hostIds = { next: HOST_LOOP_IDS };
  readonly inlined: InlinedCall[] = [];
  /** The file's functions called in a loop here, with their text's key (see `FunctionFacts.calleeVersions`). */
  readonly calleeVersions = new Map<string, string>();
  /** Functions this one hands a global buffer to that it could not read (device code). */
  readonly opaqueBufferCalls = new Set<string>();
  readonly loops: LoopFact[] = [];
  readonly accesses: AccessFact[] = [];
  readonly shared: SharedArrayFact[] = [];
  readonly calls: CallFact[] = [];
  readonly syncthreads: FunctionFacts['syncthreads'] = [];
  arithmetic = 0;
  /** How many times a statement here runs per thread: the product of the enclosing loops' constant trip counts. */
  private opsWeight = 1;
  indexBound: string | null = null;
  indexBoundValue: Poly | null = null;
  /** Every parameter a thread index is checked against (`row < rows && col < cols`): the extents of a 2-D or 3-D kernel. */
  readonly indexBounds = new Set<string>();
  private pendingPragmas: string[] = [];
  /** Host pointers declared as another name for a struct member (`float *c = l.output_gpu;`): calls through them name the member. */
  private memberAliases = new Map<string, string>();
  /** Scalar locals by name: declared type and loop depth of the declaration (for `LoopFact.reductions`). */
  private localTypes = new Map<string, { type: string; depth: number }>();
  /** > 0 while walking code that at most one lane of a warp runs (`if (threadIdx.x == 0)`). */
  private singleLaneDepth = 0;
  /** The block's first threads that a guard around here leaves active (`if (tid < 20)`), or null for all. */
  private activeLanes: number | null = null;
  /** The same guard's bound when it is a name (`if (tid < R)`, R a template parameter): bound at the launch by the rules. */
  private firstThreads: string | null = null;
  /**
   * Inside a guard or loop that lets only a batch's worth of threads through (facts/sequence-bound.ts): the
   * loop depth it holds at (a loop opened inside it, over a vocabulary or a length, moves more than a few values).
   */
  private perSequenceAt: number | null = null;
  /** Enclosing arms of if/else and switch cases, outermost first (each arm has its own id). */
  private branches: number[] = [];
  /** Loops whose iterations the enclosing `if`s pick a few of (`if (i == n - 1)`, `if (i % 100 == 0)`). */
  private readonly rareLoops: number[] = [];
  /** Inside the short-remainder arm of a chunked loop (loop-forms.ts `chunkTailArm`). */
  private chunkTailDepth = 0;
  /** Inside the arm of an `if` that runs when a size is not a multiple of a vector width (`else` of `n % 4 == 0`). */
  private remainderDepth = 0;
  /** References bound to one element (`float4& out = out4[idx]`), by name: the access recorded where each was bound. */
  private readonly elementRefs = new Map<string, AccessFact>();
  /** The run of `if (v == c)` tests just walked in this block (a dispatch on `v`). */
  private dispatch: { variable: string; stmt: number; values: Set<string> } | null = null;
  /** The branch statement of the `if` just walked when its only arm ends in `return`. */
  private returningIf: number | null = null;
  private nextBranch = 0;
  /** An inlined helper's template parameters bound to constants at the call (`stage<16, false>(...)`): `if`s on them are decided. */
  private templateConstants: ReadonlySet<string> = NO_NAMES;
  /** Host code: names given to a kernel's instantiation (`auto kernel_func = k<64, 64>;`). */
  private kernelAliases = new Map<string, Node>();
  /** The busiest arm of each template parameter's `if (A == c)` tests: the arithmetic of the one an instantiation keeps. */
  selectedArithmetic = new Map<string, number>();
  /** The undecided compile-time tests around the statement being read, innermost last. */
  private guards: CompileTimeGuard[] = [];

  /** `if constexpr (SLICES > 1)`, or a plain `if` comparing template parameters only: a test each launch decides. */
  private compileTimeGuard(n: Node, cond: Node): CompileTimeGuard | null {
    if (!this.templateParams.size) return null;
    const test = unparen(cond.type === 'condition_clause' ? field(cond, 'value') ?? namedChildren(cond)[0] ?? null : cond);
    const op = test?.type === 'binary_expression' ? field(test, 'operator')?.text : undefined;
    if (!test || !op || !COMPARE[op]) return null;
    const left = this.eval(field(test, 'left'));
    const right = this.eval(field(test, 'right'));
    if (!ofNames(left, this.templateParams) || !ofNames(right, this.templateParams) || (left.isConstant && right.isConstant)) return null;
    return { left, op: op as CompileTimeGuard['op'], right, holds: true };
  }

  constructor(
    private readonly isKernel: boolean,
    params: ParamFact[],
    private readonly lines: string[],
    private readonly fileArrays: readonly FileArray[] = [],
    private readonly constants: ReadonlyMap<string, number> = new Map(),
    macros: ReadonlyMap<string, MacroDef> = new Map(),
    /** Where pointer parameters point: global for kernels, host for host code, unknown for __device__ helpers (shared or global). */
    paramSpace: MemorySpace = isKernel ? 'global' : 'host',
    /** `__device__` functions of the file by name: their accesses are seen at their call sites. */
    private readonly helpers: ReadonlyMap<string, Node> = new Map(),
    /** How many helper calls deep this walk is (bounded). */
    private readonly depth = 0,
    aliases: TypeAliases = new Map(),
    /** The file's plain structs: a field of an array of them is an access at its offset. */
    private readonly records: RecordLayouts = new Map(),
  ) {
    super(macros, aliases);
    this.memberSpace = paramSpace;
    for (const [name, value] of constants) this.env.set(name, { kind: 'int', poly: Poly.const(value) });
    for (const g of fileArrays) {
      this.env.set(g.name, { kind: 'ptr', base: g.name, offset: Poly.const(0), elemType: g.elemType, space: g.space, vector: VECTOR_TYPES.has(g.elemType) });
    }
    for (const p of params) {
      this.params.set(p.name, p);
      if (p.pointer) {
        this.env.set(p.name, {
          kind: 'ptr', base: p.name, offset: Poly.const(0), elemType: p.type,
          space: paramSpace, vector: VECTOR_TYPES.has(p.type),
        });
        if (VECTOR_TYPES.has(p.type)) this.usesVectorTypes = true;
      }
    }
  }

  // ---- statements --------------------------------------------------------------

  statement(n: Node): void {
    if (n.isBroken) return; // a statement the grammar could not read: the rest of the function still counts
    tick();
    switch (n.type) {
      case 'compound_statement': {
        const items = namedChildren(n);
        const outer = this.dispatch;
        // an early return (`if (lane != 0) return;`, `if (gidx >= batch_size) return;`) holds for the rest of its block only
        const outerSingle = this.singleLaneDepth;
        const outerSequence = this.perSequenceAt;
        this.dispatch = null;
        let pushed = 0; // `if (done) { ...; return; }`: the statements after it are the other arm
        for (let i = 0; i < items.length; i++) {
          const c = items[i];
          if (c.type !== 'if_statement' && c.type !== 'comment') this.dispatch = null;
          // `for (...)\n#pragma unroll\n for (...)` without braces: the grammar ends the outer
          // loop at the pragma (an empty body) and makes the inner loop its sibling; re-attach it.
          if (LOOP_TYPES.has(c.type) && field(c, 'body')?.text.trim() === '') {
            let j = i + 1;
            const pragmas: string[] = [];
            while (j < items.length && items[j].type === 'preproc_call' && /^#\s*pragma\b/.test(items[j].text.trim())) pragmas.push(items[j++].text.trim().replace(/^#\s*pragma\s*/, ''));
            if (pragmas.length && j < items.length) {
              this.loop(c, { body: items[j], pragmas });
              i = j;
              continue;
            }
          }
          this.statement(c);
          const returned = c.type === 'if_statement' ? this.returningIf : null;
          if (returned !== null) {
            this.branches.push(branchId(returned, ARM_AFTER_RETURN));
            pushed++;
          }
        }
        for (; pushed > 0; pushed--) this.branches.pop();
        this.dispatch = outer;
        this.singleLaneDepth = outerSingle;
        this.perSequenceAt = outerSequence;
        return;
      }
      case 'declaration':
        if (!n.hasError) this.declaration(n);
        return;
      case 'for_statement':
      case 'while_statement':
      case 'do_statement':
      case 'for_range_loop':
        this.loop(n);
        return;
      case 'preproc_call':
      case 'preproc_pragma': {
        const t = n.text.trim();
        if (/^#\s*pragma\b/.test(t)) this.pendingPragmas.push(t.replace(/^#\s*pragma\s*/, ''));
        return;
      }
      case 'if_statement': {
        const cond = field(n, 'condition');
        // `if constexpr (ELTS == 16)` on constants the file fixes: only the arm the compiler keeps is code
        const folded = cond ? constexprArm(n, cond, (x) => this.eval(x), this.templateConstants) : null;
        if (folded) {
          if (folded !== 'none') this.statement(folded);
          return;
        }
        if (cond) {
          this.expressions(cond);
          this.noteBound(cond);
        }
        const single = cond ? this.singleLaneCondition(cond) : null;
        // `if (beam == 1) k<1><<<>>>(); if (beam == 2) k<2><<<>>>();`: one dispatch, its tests arms of one conditional
        const test = !field(n, 'alternative') && cond ? equalityTest(cond) : null;
        const chained = test && this.dispatch?.variable === test.variable && !this.dispatch.values.has(test.value) ? this.dispatch : null;
        const stmt = chained ? chained.stmt : this.nextBranch++;
        const arm = chained ? chained.values.size : 0;
        this.dispatch = test ? { variable: test.variable, stmt, values: new Set([...(chained?.values ?? []), test.value]) } : null;
        if (single === '==') this.singleLaneDepth++;
        const outer = this.activeLanes;
        const outerFirst = this.firstThreads;
        const few = cond ? this.firstThreadsCondition(cond) : null;
        if (few !== null) this.activeLanes = Math.min(few, outer ?? few);
        else if (cond) this.firstThreads = this.firstThreadsName(cond) ?? outerFirst;
        const enclosing = this.loopStack.map((id) => this.loops.find((l) => l.id === id)!).filter((l) => l);
        const rare = cond ? rareIterationLoops(cond, enclosing) : [];
        // `if (remaining >= 4) { vector step } else { scalar tail }` in a chunked loop: the tail arm's accesses
        const tail = cond ? chunkTailArm(cond, (x) => this.eval(x), enclosing) : null;
        this.rareLoops.push(...rare);
        if (tail === 'consequence') this.chunkTailDepth++;
        const remainder = cond ? remainderArm(cond, (x) => this.eval(x)) : null;
        if (remainder === 'consequence') this.remainderDepth++;
        const outerPerSequence = this.perSequenceAt;
        if (cond && sequenceGuard(cond, (x) => this.eval(x))) this.perSequenceAt ??= this.loopStack.length;
        const guard = cond ? this.compileTimeGuard(n, cond) : null;
        const entry = new Map(this.env);
        if (guard) this.guards.push(guard);
        // `if (A == 4)`, `if (A == 5)` on a template parameter: one of them is compiled in, its arithmetic counts
        const selector = guard?.op === '==' && guard.right.isConstant && !field(n, 'alternative') ? String(guard.left) : null;
        const arithmeticBefore = this.arithmetic;
        this.inBranch(field(n, 'consequence'), stmt, arm);
        if (selector !== null) {
          this.selectedArithmetic.set(selector, Math.max(this.selectedArithmetic.get(selector) ?? 0, this.arithmetic - arithmeticBefore));
          this.arithmetic = arithmeticBefore;
        }
        if (guard) this.guards[this.guards.length - 1] = { ...guard, holds: false };
        const afterThen = this.env;
        this.perSequenceAt = outerPerSequence;
        if (tail === 'consequence') this.chunkTailDepth--;
        if (remainder === 'consequence') this.remainderDepth--;
        this.rareLoops.length -= rare.length;
        this.activeLanes = outer;
        this.firstThreads = outerFirst;
        if (single === '==') this.singleLaneDepth--;
        if (tail === 'alternative') this.chunkTailDepth++;
        if (remainder === 'alternative') this.remainderDepth++;
        // each arm starts from the values before the `if`; after it, a variable the arms leave different is either
        // (`start = 0; if (diagonal) start = tid + 1;`): unknown. An arm that returns leaves nothing behind
        this.env = field(n, 'alternative') ? new Map(entry) : entry;
        this.inBranch(field(n, 'alternative'), stmt, 1);
        if (guard) this.guards.pop();
        if (tail === 'alternative') this.chunkTailDepth--;
        if (remainder === 'alternative') this.remainderDepth--;
        const thenExits = endsInExit(field(n, 'consequence'));
        const elseExits = !!field(n, 'alternative') && endsInExit(field(n, 'alternative'));
        // (a clamp, `if (row < 0) row = 0;`, tests the variable it assigns: the edge case; the value before is the usual one)
        this.env = thenExits ? this.env : elseExits ? afterThen : joinValues(afterThen, this.env, entry, () => new Set(cond ? identifiersOf(cond) : []));
        // (an arm of a dispatch that returns leaves the other arms' statements running after it: not a split)
        this.returningIf = !chained && !field(n, 'alternative') && endsInReturn(field(n, 'consequence')) ? stmt : null;
        if (this.returningIf !== null) this.dispatch = null;
        // `if (lane != 0) return;`: what follows runs on one lane
        if (single === '!=' && /^\{?\s*return\b/.test(field(n, 'consequence')?.text ?? '')) this.singleLaneDepth++;
        // `if (gidx >= batch_size * beam_width) return;`: what follows runs on a thread per sequence
        if (cond && endsInReturn(field(n, 'consequence')) && !field(n, 'alternative') && sequenceExit(cond, (x) => this.eval(x))) this.perSequenceAt ??= this.loopStack.length;
        return;
      }
      case 'switch_statement': {
        this.expressions(field(n, 'condition'));
        const stmt = this.nextBranch++;
        let arm = 0;
        // a `break` in a case leaves the switch, not the loop around it
        this.switchDepth++;
        // a thread runs one case (an activation picked by `a`): the switch's arithmetic is its busiest case's
        const before = this.arithmetic;
        let busiest = 0;
        for (const c of namedChildren(field(n, 'body') ?? n)) {
          if (c.type !== 'case_statement') continue;
          this.branches.push(branchId(stmt, arm++));
          for (const st of namedChildren(c)) if (st !== field(c, 'value')) this.statement(st);
          this.branches.pop();
          busiest = Math.max(busiest, this.arithmetic - before);
          this.arithmetic = before;
        }
        this.arithmetic = before + busiest;
        this.switchDepth--;
        return;
      }
      case 'break_statement':
        // leaves the innermost loop early (unless it leaves a switch): its trip count is not known on entry
        if (this.switchDepth === this.loopSwitchDepth && this.loopStack.length) {
          const l = this.loops.find((x) => x.id === this.loopStack[this.loopStack.length - 1]);
          if (l) l.exits = true;
        }
        return;
      case 'else_clause':
        for (const c of namedChildren(n)) this.statement(c);
        return;
      case 'comment':
        return;
      case 'return_statement':
      case 'goto_statement':
        // leaves every loop around it: their trip counts are not known on entry
        for (const id of this.loopStack) {
          const l = this.loops.find((x) => x.id === id);
          if (l) l.exits = true;
        }
        this.expressions(n);
        return;
      default:
        if (n.type.startsWith('preproc_')) {
          for (const c of liveChildren(n, fileSwitches(this.lines))) if (c.isNamed && c.type !== 'identifier' && c.type !== 'preproc_arg') this.statement(c);
          return;
        }
        if (n.hasError) return; // `out[i] = in[i] +;`: what it reads or writes is not known
        this.expressions(n);
    }
  }

  /** Walks one arm of a conditional, so calls there know they may not run. */
  private inBranch(n: Node | null, stmt: number, arm: number): void {
    if (!n) return;
    this.branches.push(branchId(stmt, arm));
    this.statement(n);
    this.branches.pop();
  }

  private declaration(n: Node): void {
    const typeNode = field(n, 'type');
    const container = containerElementOf(typeNode?.text ?? '', this.aliases);
    const type = container ?? baseType(typeNode?.text ?? '');
    const isShared = children(n).some((c) => c.type === 'type_qualifier' && c.text === '__shared__') || /__shared__/.test(n.text.split(/[=;]/)[0]);
    // (four random numbers at once, `float4 r = curand_uniform4(&state)`, are the generator's output, not a vector access)
    if (VECTOR_TYPES.has(type) && !randomDraws(n)) this.usesVectorTypes = true;
    if (this.groupTiles?.size || /\b(?:thread_block_tile|tiled_partition)\b/.test(n.text)) this.noteGroupTiles(n);
    if (type === 'dim3') this.noteDim3(n);
    // `int threads = 256;` in another branch than an earlier `dim3 threads(16, 16)`: that name is no longer the dim3
    else if (this.dim3dims.size) {
      for (const d of namedChildren(n)) {
        const name = declaratorName(d)?.name;
        if (name && this.dim3dims.delete(name)) for (const axis of ['x', 'y', 'z']) this.env.delete(`${name}.${axis}`);
      }
    }
    for (const d of children(n)) {
      if (!['init_declarator', 'identifier', 'pointer_declarator', 'array_declarator', 'reference_declarator'].includes(d.type)) continue;
      if (d === typeNode) continue;
      const info = declaratorName(d);
      if (!info) continue;
      const value = d.type === 'init_declarator' ? initializerValue(d) : null;
      // `auto kernel_func = dense_kernel<CTA_M, CTA_N>;` then `kernel_func<<<...>>>`: a launch of that instantiation
      if (!this.isKernel && value?.type === 'template_function' && typeNode?.text === 'auto') this.kernelAliases.set(info.name, value);
      let pointee: PtrValue | null = null;
      // `float4& out = out4[idx];`: a name for the element; read here unless something is assigned through it
      const element = value && field(d, 'declarator')?.type === 'reference_declarator' && (value.type === 'subscript_expression' || (value.type === 'pointer_expression' && field(value, 'operator')?.text === '*'));
      const before = this.accesses.length;
      if (value) this.expressions(value);
      const bound = element ? this.accesses.slice(before).find((a) => a.range.start.line === value.startPosition.row && a.range.start.column === value.startPosition.column) : undefined;
      if (bound) this.elementRefs.set(info.name, bound);
      else this.elementRefs.delete(info.name);
      if (!container && !info.pointer && !info.arrayDims.length) this.localTypes.set(info.name, { type, depth: this.loopStack.length });
      else this.localTypes.delete(info.name);
      if (container && !info.pointer) {
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space: this.isKernel ? 'local' : 'host', vector: VECTOR_TYPES.has(type) });
      } else if (info.arrayDims.length) {
        const dims = info.arrayDims.map((s) => {
          const v = s.type === 'array_declarator' ? Poly.unknown : this.eval(s);
          return v.isConstant ? v.constant : null;
        });
        const space: MemorySpace = isShared ? 'shared' : this.isKernel ? 'local' : 'host';
        // (a dim of template arguments, `[BK][BN]`, stays a symbol: the launches bind it)
        const flatDims = info.arrayDims.map((s, i) => (dims[i] !== null ? Poly.const(dims[i]!) : s.type === 'array_declarator' ? null : uniformOrNull(this.eval(s))));
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space, vector: VECTOR_TYPES.has(type), ...(isShared && dims.length > 1 ? { dims: flatDims } : {}), ...(info.pointer ? { pointers: true } : {}) });
        if (isShared) {
          const dimRanges = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : nodeRange(s)));
          const dimTexts = info.arrayDims.map((s) => (s.type === 'array_declarator' ? null : s.sourceText));
          this.shared.push({ name: info.name, elemType: type, dims, dimRanges, dimTexts, range: nodeRange(n) });
        }
      } else if (info.pointer) {
        const member = value && !this.isKernel ? rootName(value) : null;
        if (member && /[.>]/.test(member)) this.memberAliases.set(info.name, member);
        else this.memberAliases.delete(info.name);
        if (info.rows) {
          this.pointerToArray(info.name, type, info.rows, value);
          continue;
        }
        const p = this.evalPtr(value);
        if (p) {
          const retyped = p.elemType !== type && type ? this.recast(p, type) : p;
          this.env.set(info.name, { kind: 'ptr', ...retyped });
        } else this.env.delete(info.name);
      } else if (type === 'auto' && (pointee = value ? this.evalPtr(value) : null)) {
        // `auto out = voxels + voxelidx * stride;`: a pointer into the buffer, as if declared `T* out`
        this.env.set(info.name, { kind: 'ptr', ...pointee });
      } else if (FLOAT_TYPES.has(type) || VECTOR_TYPES.has(type)) {
        this.env.set(info.name, { kind: 'int', poly: Poly.unknown });
      } else {
        this.env.set(info.name, { kind: 'int', poly: emptyBraces(value) ? Poly.const(0) : value ? this.eval(value) : Poly.unknown });
      }
    }
  }

  /** `float (*s)[2][T][T] = (float (*)[2][T][T])smem`: `(*s)[b][r][c]` is then one flat offset into smem. */
  private pointerToArray(name: string, type: string, rows: readonly Node[], value: Node | null): void {
    const p = this.evalPtr(value);
    if (!p) {
      this.env.delete(name);
      return;
    }
    const retyped = p.elemType !== type && type ? this.recast(p, type) : p;
    this.env.set(name, { kind: 'ptr', ...retyped, rows: rows.map((r) => uniformOrNull(this.eval(r))) });
  }

  /**
   * `tid == 0`, `lane == 0`, `u == 0` with `u` lane-dependent (possibly `&&` other tests):
   * at most one lane of a warp passes when the compared value differs in every lane.
   * Returns the operator ('==' or '!=' for the negated test) or null.
   */
  private singleLaneCondition(cond: Node): '==' | '!=' | null {
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
  private firstThreadsName(cond: Node): string | null {
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
  private firstThreadsCondition(cond: Node): number | null {
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

  /** `if (i < n)` / `if (i >= n) return;`: remembers which parameter bounds the thread index. */
  private noteBound(cond: Node): void {
    walk(cond, (c) => {
      if (c.type !== 'binary_expression') return;
      const op = field(c, 'operator')?.text ?? '';
      if (!['<', '>=', '<=', '>'].includes(op)) return;
      const l = this.eval(field(c, 'left'));
      const r = field(c, 'right');
      // a parameter (`n`) or a product of them and constants (`BT * OC`, `n / 4`)
      const bound = r && (r.type === 'identifier' || (r.type === 'binary_expression' && /^[\w\s*/()]+$/.test(r.text))) ? r.text.replace(/\s+/g, '') : null;
      if (bound && l.dependsOn((s) => s.startsWith('threadIdx.'))) {
        if (this.indexBound === null) this.indexBoundValue = this.eval(r);
        this.indexBound ??= bound;
        this.indexBounds.add(bound);
      }
    });
  }

  /** `std::cout << x << y`: output, recorded (at its innermost `<<`, the one the stream starts) as a call named after the stream, like printf. */
  private noteStreamOutput(n: Node): void {
    const left = field(n, 'left');
    if (!left || !/^(?:std::)?(?:cout|cerr|clog)$/.test(left.text)) return;
    this.calls.push({ kind: 'call', name: left.text, range: nodeRange(n), nameRange: nodeRange(left), args: [], argRoots: [], loops: [...this.loopStack], scopes: [...this.branches] });
  }

  private loop(n: Node, detached?: { body: Node; pragmas: string[] }): void {
    const id = this.nextLoopId++;
    const kind = n.type === 'for_statement' ? 'for' : n.type === 'while_statement' ? 'while' : n.type === 'do_statement' ? 'do' : 'range';
    const parent = this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null;
    const line = this.lines[n.startPosition.row] ?? '';
    const bodyNode = detached?.body ?? field(n, 'body');
    const headerEnd = bodyNode ? bodyNode.startPosition : n.endPosition;
    let headerEndCol = headerEnd.row === n.startPosition.row && !detached ? headerEnd.column : line.replace(/\s+$/, '').length;
    while (headerEndCol > n.startPosition.column && /\s|\{/.test(line[headerEndCol - 1] ?? '')) headerEndCol--;
    const fact: LoopFact = {
      id, kind, variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: nodeRange(n),
      headerRange: { start: { line: n.startPosition.row, column: n.startPosition.column }, end: { line: n.startPosition.row, column: headerEndCol } },
      parent, depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: this.pendingPragmas,
    };
    this.pendingPragmas = [];
    if (this.branches.length) fact.scopes = [...this.branches];
    this.loops.push(fact);

    let restoreVar: [string, Value | undefined] | null = null;
    const companions: string[] = [];
    const stepped = kind === 'while' ? whileAsFor(n) : null;
    const whileCond = kind === 'while' ? field(n, 'condition') : null;
    if (whileCond && whileCond.endIndex - whileCond.startIndex <= 120) fact.condition = whileCond.text;
    if (kind === 'for' || stepped) {
      // a stepped `while` reads as `for (; cond; step)`: it goes on from where its variable is
      const init = stepped ? null : field(n, 'initializer');
      const cond = stepped ? stepped.cond : field(n, 'condition');
      const update = stepped ? stepped.update : field(n, 'update');
      let variable: string | null = null;
      let initPoly: Poly | null = null;
      if (init?.type === 'declaration') {
        const d = namedChildren(init).find((c) => c.type === 'init_declarator');
        if (d) {
          variable = declaratorName(d)?.name ?? null;
          initPoly = emptyBraces(initializerValue(d)) ? Poly.const(0) : this.eval(initializerValue(d));
          this.expressions(initializerValue(d));
        }
      } else if (init?.type === 'assignment_expression' && field(init, 'left')?.type === 'identifier') {
        variable = field(init, 'left')!.text;
        initPoly = this.eval(field(init, 'right'));
      } else if (init?.type === 'comma_expression') {
        // `for (i = 0, s = 0.0f; i < n; ++i)`: the stepped one is the loop's variable, the others run once before it
        const stepped = update ? steppedName(update) : null;
        for (const part of commaParts(init)) {
          const left = part.type === 'assignment_expression' ? field(part, 'left') : null;
          if (left?.type === 'identifier' && left.text === stepped && variable === null) {
            variable = stepped;
            initPoly = this.eval(field(part, 'right'));
          } else this.expressions(part);
        }
      } else if (!init && update) {
        // `for (; l + 3 < n; l += 4 * nthreads)` goes on from where `l` is: its value now is the loop's start
        const stepped = steppedName(update);
        const now = stepped ? this.env.get(stepped) : undefined;
        if (stepped && now?.kind === 'int') {
          variable = stepped;
          initPoly = now.poly;
          if (now.poly.unknown) fact.tail = true;
        }
      }
      if (variable) {
        const step = update ? this.stepOf(update, variable) : null;
        fact.variable = variable;
        fact.symbol = `#loop${id}:${variable}`;
        fact.init = initPoly;
        fact.step = step;
        if (cond?.type === 'binary_expression' && field(cond, 'left')?.text === variable) {
          fact.bound = unparen(field(cond, 'right'))?.text ?? null; // `(n)` from a macro
          const cmp = field(cond, 'operator')?.text;
          if (cmp === '<=' || cmp === '>=') fact.inclusive = true;
          const bound = this.eval(unparen(field(cond, 'right')));
          if (cmp === '<' || cmp === '<=') fact.trips = tripCount(initPoly, step, bound, cmp === '<=') ?? remainderTrips(initPoly, step, bound, cmp === '<=');
          // a countdown (`i = NDim - 1; i >= 0; i--`) runs as many times
          else if ((cmp === '>' || cmp === '>=') && step?.isConstant && step.constant < 0) fact.trips = tripCount(bound, step.scale(-1), initPoly ?? Poly.unknown, cmp === '>=') ?? undefined;
        }
        // (a step kept as text, `(blockDim.x * gridDim.x) / 32` warps in the grid, names its dimensions inside it)
        const names = (dim: string) => (sym: string) => sym.startsWith(dim) || (/[^\w.]/.test(sym) && sym.includes(dim));
        fact.gridStride = !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && step.dependsOn(names('gridDim.'));
        fact.blockStride = !fact.gridStride && !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && step.dependsOn(names('blockDim.'));
        // (a parameter, or a product of them and constants: `n`, `33 * 1024` of a `#define N`)
        if (fact.gridStride && fact.bound && /^[\w\s*/()]+$/.test(fact.bound) && this.indexBound === null) {
          this.indexBound = fact.bound.replace(/\s+/g, '');
          this.indexBoundValue = this.eval(unparen(field(cond!, 'right')));
        }
        restoreVar = [variable, this.env.get(variable)];
        const value = initPoly && step ? initPoly.add(Poly.sym(fact.symbol).mul(step)) : Poly.sym(fact.symbol);
        this.env.set(variable, { kind: 'int', poly: value });
        // `k++, xi += blockDim.x`: a second variable stepped with the loop's, from where it is now
        for (const part of update && !stepped ? commaParts(update).slice(1) : []) {
          const name = steppedName(part);
          const now = name && name !== variable ? this.env.get(name) : undefined;
          const by = name && now?.kind === 'int' && !now.poly.unknown ? this.stepOf(part, name) : null;
          if (!name || !by || by.unknown || by.dependsOn((x) => x === name || x === fact.symbol)) continue;
          this.env.set(name, { kind: 'int', poly: (now as { poly: Poly }).poly.add(Poly.sym(fact.symbol).mul(by)) });
          companions.push(name);
        }
      }
      if (cond) this.expressions(cond);
    } else if (kind === 'range') {
      const right = field(n, 'right');
      if (right) this.expressions(right);
    } else {
      const cond = field(n, 'condition');
      if (cond) this.expressions(cond);
      if (cond && cond.endIndex - cond.startIndex <= 120) fact.condition ??= cond.text;
    }
    const carried = markLoopCarried(bodyNode, id, fact.variable, this.env, (x) => this.eval(x));
    // `for (i = tid; i < batch_size * beam_width; i += stride)`: a thread per sequence
    const loopCond = kind === 'for' || kind === 'while' ? field(n, 'condition') : null;
    const outerPerSequence = this.perSequenceAt;
    if (loopCond && sequenceGuard(loopCond, (x) => this.eval(x))) this.perSequenceAt ??= this.loopStack.length + 1;
    // `for (r = lane; r < HC_MULT; r += 32)` with HC_MULT = 4: only the warp's first lanes run the body
    const outerLanes = this.activeLanes;
    const few = kind === 'for' ? firstLanesLoop(n, fact, (x) => this.eval(x)) : null;
    if (few !== null) this.activeLanes = Math.min(few, outerLanes ?? few);
    const outerWeight = this.opsWeight;
    if (fact.trips) this.opsWeight = Math.min(outerWeight * fact.trips, MAX_OPS_WEIGHT);
    const outerSwitches = this.loopSwitchDepth;
    this.loopSwitchDepth = this.switchDepth;
    this.loopStack.push(id);
    if (detached) this.pendingPragmas = detached.pragmas;
    if (bodyNode) this.statement(bodyNode);
    this.activeLanes = outerLanes;
    if (kind === 'for') {
      const update = field(n, 'update');
      if (update) this.expressions(update);
    }
    this.loopStack.pop();
    this.perSequenceAt = outerPerSequence;
    this.opsWeight = outerWeight;
    this.loopSwitchDepth = outerSwitches;
    if (restoreVar && n.type === 'for_statement' && field(n, 'initializer')?.type === 'declaration') {
      if (restoreVar[1]) this.env.set(restoreVar[0], restoreVar[1]);
      else this.env.delete(restoreVar[0]);
    } else if (restoreVar) {
      // `for (; l < n; l += 4 * nthreads)` on an outer variable: after the loop `l` is wherever it stopped
      this.env.set(restoreVar[0], { kind: 'int', poly: Poly.unknown });
    }
    for (const name of [...carried, ...companions]) this.env.set(name, { kind: 'int', poly: Poly.unknown });
  }

  /** A loop written as a call with a lambda body (facts/lambda-loops.ts): from `start` (else 0) to `count` by 1. */
  private callLoop(lambda: Node, l: LambdaLoop): void {
    const id = this.nextLoopId++;
    const call = lambda.parent!.parent!;
    const line = call.startPosition.row;
    const fact: LoopFact = {
      id, kind: 'for', variable: l.variable, symbol: `#loop${id}:${l.variable}`, init: l.start ? this.eval(l.start) : Poly.const(0), step: Poly.const(1),
      bound: l.count.text, range: nodeRange(call),
      headerRange: { start: { line, column: call.startPosition.column }, end: { line, column: (this.lines[line] ?? '').trimEnd().length } },
      parent: this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null, depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: [],
    };
    if (this.branches.length) fact.scopes = [...this.branches];
    this.loops.push(fact);
    this.expressions(l.count);
    const saved = this.env.get(l.variable);
    this.env.set(l.variable, { kind: 'int', poly: fact.init!.add(Poly.sym(fact.symbol)) });
    const carried = markLoopCarried(l.body, id, l.variable, this.env, (x) => this.eval(x));
    this.loopStack.push(id);
    this.statement(l.body);
    this.loopStack.pop();
    if (saved) this.env.set(l.variable, saved);
    else this.env.delete(l.variable);
    for (const name of carried) this.env.set(name, { kind: 'int', poly: Poly.unknown });
  }

  /** `i++`, `i += s`, `i = i + s`: the per-iteration step of the loop variable. */
  private stepOf(update: Node, variable: string): Poly | null {
    const u = update.type === 'comma_expression' ? namedChildren(update)[0] : update;
    if (u.type === 'update_expression' && field(u, 'argument')?.text === variable) return Poly.const(u.text.includes('++') ? 1 : -1);
    if (u.type === 'assignment_expression' && field(u, 'left')?.text === variable) {
      const op = field(u, 'operator')?.text;
      const r = this.eval(field(u, 'right'));
      if (op === '+=') return r;
      if (op === '-=') return r.scale(-1);
      if (op === '=') {
        const d = r.sub(Poly.sym(variable));
        if (!d.dependsOn((s) => s === variable)) return d;
      }
      if (op === '<<=' || op === '>>=' || op === '*=' || op === '/=') return null;
    }
    return null;
  }

  /** Records the accesses and calls inside an expression statement and applies assignments. */
  expressions(n: Node | null): void {
    if (!n) return;
    walk(n, (c) => {
      if (c.isBroken) return false;
      tick();
      switch (c.type) {
        case 'subscript_expression':
        case 'pointer_expression':
          if (c.type === 'pointer_expression' && field(c, 'operator')?.text !== '*') {
            // &a[i]: an address, not an access (atomics and __ldg record their own);
            // loads inside its index expressions still count
            const target = unparen(field(c, 'argument'));
            if (target?.type === 'subscript_expression') {
              for (const idx of this.indexNodes(target)) this.expressions(idx);
              return false;
            }
            return true;
          }
          this.recordAccess(c);
          // nested subscripts belong to this access; their index expressions may hold loads
          for (const idx of this.indexNodes(c)) this.expressions(idx);
          return false;
        case 'call_expression': {
          const macro = this.macroFor(c);
          if (macro && (macro.body!.type === 'subscript_expression' || macro.body!.type === 'pointer_expression')) {
            // `A_(row, k)` expanding to `A[(row)*lda+(k)]`: an access, reported at the macro use
            const target = this.expand(c, macro, (body) => this.accessTarget(body), null);
            if (target) this.pushAccess(target, c, this.accessKind(c));
            for (const a of namedChildren(field(c, 'arguments') ?? c)) this.expressions(a);
            return false;
          }
          this.recordCall(c);
          return true;
        }
        case 'gnu_asm_expression': {
          // inline PTX (`asm volatile("mma.sync.aligned.m16n8k8...")`): tensor-core work the rules see as an `mma` call
          const code = field(c, 'assembly_code')?.text ?? '';
          if (/\b(?:w?gmma|mma)\.|\bldmatrix\b|\bHMMA\b/.test(code)) {
            this.calls.push({ kind: 'call', name: 'mma_asm', range: nodeRange(c), nameRange: nodeRange(c), args: [], argRoots: [], loops: [...this.loopStack], scopes: [...this.branches] });
          }
          return true;
        }
        case 'assignment_expression': {
          const left = field(c, 'left');
          const right = field(c, 'right');
          const op = field(c, 'operator')?.text ?? '=';
          // through a reference to an element (`out = v`, `out.x = v`): a store to that element
          const named = left?.type === 'field_expression' ? field(left, 'argument') : left;
          const element = named?.type === 'identifier' ? this.elementRefs.get(named.text) : undefined;
          if (element) {
            // the access recorded where it was bound is this write (`out = v` stores, `out += v` updates)
            if (element.kind === 'load' || (element.kind === 'store' && op !== '=')) element.kind = op === '=' ? 'store' : 'update';
            if (right) this.expressions(right);
            return false;
          }
          const declared = op === '=' ? misparsedArrayPointer(left, this.aliases) : null;
          if (declared) {
            this.expressions(right);
            this.pointerToArray(declared.name, declared.type, declared.rows, right);
            return false;
          }
          if (left?.type === 'identifier' && this.loopStack.length) this.noteReduction(left.text, op, right, c);
          if (left?.type === 'identifier') this.memberAliases.delete(left.text);
          if (left?.type === 'identifier') {
            const v = this.env.get(left.text);
            // `if (argc >= 4) dimx = atoi(argv[2]);`: a command-line override of a default; the program's default
            // run keeps the value it started with (`int dimx = BDIMX;`), the one shapes are judged at; a placeholder
            // (`int order = 0;`) or an unconditional `order = atoi(argv[2]);` is no default any run keeps
            if (v?.kind === 'int' && v.poly.isConstant && v.poly.constant !== 0 && this.branches.length && op === '=' && right && COMMAND_LINE_VALUE.test(right.text)) {
              this.expressions(right);
              return false;
            }
            if (v?.kind === 'int' && !this.isLoopCarried(v)) {
              const r = this.eval(right);
              const cur = v.poly;
              // `id /= c`, `t %= T`, `x >>= 1`: as `id = id / c`, per lane when it depends on the thread
              const next = op === '=' ? r : op.length >= 2 && op.endsWith('=') ? this.combine(op.slice(0, -1), cur, r, c) : Poly.unknown;
              if (right) this.expressions(right);
              this.env.set(left.text, { kind: 'int', poly: next });
              return false;
            }
            if (v?.kind === 'ptr' && (op === '+=' || op === '-=')) {
              // (`tile += k` of a pointer to rows moves k whole rows)
              const r = rowsOf(v, this.eval(right));
              if (r) this.env.set(left.text, { ...v, offset: op === '+=' ? v.offset.add(r) : v.offset.sub(r) });
              else this.env.delete(left.text);
            } else if (v?.kind === 'ptr' && op === '=') {
              const p = this.evalPtr(right);
              if (p) this.env.set(left.text, { kind: 'ptr', ...p });
            }
          }
          if (op !== '=' && left && !['subscript_expression', 'pointer_expression'].includes(left.type)) this.arithmetic += this.opsWeight;
          return true;
        }
        case 'update_expression': {
          // `h++;` between two stores (`out[h] = a; h++; out[h] = b;`): the next element
          const arg = field(c, 'argument');
          const v = arg?.type === 'identifier' ? this.env.get(arg.text) : undefined;
          const by = c.text.includes('++') ? 1 : -1;
          if (v?.kind === 'int' && !v.poly.unknown && !this.isLoopCarried(v)) this.env.set(arg!.text, { kind: 'int', poly: v.poly.add(Poly.const(by)) });
          return true;
        }
        case 'binary_expression': {
          const op = field(c, 'operator')?.text;
          if (op === '+' || op === '-' || op === '*' || op === '/') this.arithmetic += this.opsWeight;
          else if (op === '<<') this.noteStreamOutput(c);
          return true;
        }
        case 'lambda_expression': {
          // `for_i(parallelize, n, [&](size_t i) { ... })`: a loop over `i`
          const asLoop = this.isKernel ? null : lambdaLoop(c);
          if (asLoop) {
            this.callLoop(c, asLoop);
            return false;
          }
          // `DISPATCH_...(..., [&] { kernel<<<...>>>(...); })`: the body runs here
          const body = field(c, 'body');
          if (body && !this.isKernel) this.statement(body);
          return false;
        }
      }
      return true;
    });
  }

  /** `s += e`, `s -= e`, `s *= e`, `s = s + e` on a scalar declared outside the innermost enclosing loop: a reduction of that loop. */
  private noteReduction(name: string, op: string, right: Node | null, at: Node): void {
    const local = this.localTypes.get(name);
    if (!local || local.depth >= this.loopStack.length) return;
    const r = unparen(right);
    const self = op === '=' && r?.type === 'binary_expression' && unparen(field(r, 'left'))?.text === name ? field(r, 'operator')?.text ?? '' : '';
    const kind = self ? `${self}=` : op;
    if (!['+=', '-=', '*='].includes(kind)) return;
    // loop ids are positions in `loops`, except inside an inlined helper, whose loops are its own
    const id = this.loopStack[this.loopStack.length - 1];
    const loop = this.loops.find((l) => l.id === id);
    if (!loop) return;
    (loop.reductions ??= []).push({ variable: name, type: local.type, op: kind, range: nodeRange(at), declaredDepth: local.depth });
  }

  private isLoopCarried(v: Value): boolean {
    return v.kind === 'int' && [...v.poly.symbols()].some((s) => s.endsWith("'"));
  }

  private indexNodes(n: Node): Node[] {
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

  private accessKind(n: Node): AccessFact['kind'] {
    let cur = n;
    let parent = cur.parent;
    while (parent && (parent.type === 'parenthesized_expression' || parent.type === 'field_expression')) {
      cur = parent;
      parent = parent.parent;
    }
    if (!parent) return 'load';
    if (parent.type === 'assignment_expression' && field(parent, 'left')?.id === cur.id) {
      return field(parent, 'operator')?.text === '=' ? 'store' : 'update';
    }
    if (parent.type === 'update_expression') return 'update';
    return 'load';
  }

  private recordAccess(n: Node, kind?: AccessFact['kind']): void {
    const target = this.accessTarget(n);
    if (!target) return;
    // `data[i].g` of an array of structs: the field, at its offset in the record
    const member = this.records.size ? fieldAccess(n, target, this.records, this.aliases) : null;
    if (member) return this.pushAccess(member.target, member.at, kind ?? this.accessKind(n));
    this.pushAccess(target, n, kind ?? this.accessKind(n));
  }

  /**
   * A `__device__` helper's accesses, seen at the call: its parameters bound to the
   * arguments' values (a pointer keeps its buffer, space and offset), so `load128cs(inp + i)`
   * is a 16-byte global load of `inp` at this call site (ANALYSIS.md §0, "Interprocedural").
   */
  private inlineHelper(helper: Node, args: Node[], call: Node): void {
    const def = helperFunction(helper);
    const fdecl = def ? functionDeclarator(field(def, 'declarator')) : null;
    const body = def ? field(def, 'body') : null;
    if (!def || !fdecl || !body) return;
    const params = paramFacts(fdecl, this.aliases);
    if (params.length !== args.length) return;
    const inner = new FunctionWalker(true, [], this.lines, this.fileArrays, this.constants, this.macros, 'unknown', this.helpers, this.depth + 1, this.aliases, this.records);
    inner.nextLoopId = (this.depth + 1) * 10000 + this.nextLoopId; // loop symbols of their own
    this.bindTemplateArgs(inner, helper, call);
    this.bindParams(inner, params, args);
    inner.statement(body);
    // the helper's arithmetic is the caller's thread's, once per call (a polygon IoU before one store)
    this.arithmetic += Math.min(inner.arithmetic * this.opsWeight, MAX_OPS_WEIGHT);
    if (inner.usesVectorTypes) this.usesVectorTypes = true;
    for (const c of inner.opaqueBufferCalls) this.opaqueBufferCalls.add(c);
    // `load128cs(inp + i)` says what is read; a call over several lines is named by the access inside it
    const callText = call.sourceText;
    const quoted = callText.length <= MAX_QUOTED_CALL && !callText.includes('\n');
    const name = field(fdecl, 'declarator')?.text ?? 'helper';
    for (const a of inner.accesses) {
      if (a.space === 'unknown' || a.space === 'local') continue;
      const fact: AccessFact = { ...a, range: nodeRange(call), loops: [...this.loopStack] };
      // the helper's loops around the access (a chunk the thread walks inside `cuWelfordMuSigma2`)
      const around = [...(a.helperLoops ?? []), ...inner.loops.filter((l) => a.loops.includes(l.id))];
      if (around.length) fact.helperLoops = around;
      if (quoted) {
        fact.text = capped(callText);
        delete fact.helper;
      } else fact.helper ??= name;
      if (this.singleLaneDepth > 0) fact.singleLane = true;
    if (this.chunkTailDepth > 0) fact.chunkTail = true;
      if (this.activeLanes !== null) fact.activeLanes = Math.min(this.activeLanes, a.activeLanes ?? 32);
      if (this.perSequenceAt !== null && this.loopStack.length <= this.perSequenceAt && !fact.helperLoops?.length) fact.perSequence = true;
      this.accesses.push(fact);
    }
  }

  /** The caller's variables a helper takes by non-const reference (`int& q_size`): unknown after the call. */
  private forgetReferenceArgs(helper: Node, args: readonly Node[]): void {
    const def = helperFunction(helper);
    const fdecl = def ? functionDeclarator(field(def, 'declarator')) : null;
    const params = fdecl ? namedChildren(field(fdecl, 'parameters') ?? fdecl).filter((p) => p.type === 'parameter_declaration') : [];
    params.forEach((p, i) => {
      const d = field(p, 'declarator');
      const arg = args[i] ? unparen(args[i]) : null;
      if (d?.type !== 'reference_declarator' || /\bconst\b/.test(p.text) || arg?.type !== 'identifier') return;
      if (this.env.get(arg.text)?.kind === 'int') this.env.set(arg.text, { kind: 'int', poly: Poly.unknown });
    });
  }

  /** A template helper's value parameters bound to the call's template arguments, or their defaults (`<128, 16, false>`). */
  private bindTemplateArgs(inner: FunctionWalker, helper: Node, call: Node): void {
    if (helper.type !== 'template_declaration') return;
    const fn = field(call, 'function');
    const given = fn?.type === 'template_function' ? namedChildren(field(fn, 'arguments') ?? fn).filter((a) => a.type !== 'comment') : [];
    const bound = new Set<string>();
    templateParameters(helper).forEach((p, i) => {
      const arg = given[i] ?? p.default;
      if (!p.name || !arg || arg.type === 'type_descriptor') return;
      const value = arg.type === 'true' ? Poly.const(1) : arg.type === 'false' ? Poly.const(0) : this.eval(arg);
      if (!value.isConstant) return;
      inner.env.set(p.name, { kind: 'int', poly: value });
      bound.add(p.name);
    });
    inner.templateConstants = bound;
  }

  /** A helper's parameters bound to a call's arguments: a pointer keeps its buffer, space and offset, an integer its value. */
  private bindParams(inner: FunctionWalker, params: readonly ParamFact[], args: readonly Node[]): void {
    inner.macroWork = this.macroWork;
    params.forEach((p, i) => {
      const ptr = p.pointer ? this.evalPtr(args[i]) : null;
      // a template element type (`const ElementType* address`) is the caller's: no cast then
      const cast = ptr && p.type && ptr.elemType !== p.type && elementBits(p.type, this.aliases) !== null;
      if (ptr) inner.env.set(p.name, { kind: 'ptr', ...(cast ? inner.recast(ptr, p.type) : ptr) });
      else if (!p.pointer) inner.env.set(p.name, { kind: 'int', poly: this.eval(args[i]) });
    });
  }

  /**
   * A host helper with loops called inside a loop (`AddDot(k, &A(i, 0), lda, &B(0, j), &C(i, j))`):
   * its loops and accesses as seen at this call, kept apart in `inlined` so that only the rules
   * that ask for the combined nest (core/facts/host-inline.ts) see them.
   */
  private inlineHostCall(helper: HostHelper, args: Node[], name: string): void {
    const fdecl = functionDeclarator(field(helper.def, 'declarator'));
    const body = field(helper.def, 'body');
    if (!fdecl || !body) return;
    const params = paramFacts(fdecl, this.aliases);
    if (params.length !== args.length) return;
    const ids = this.hostIds;
    if (this.depth > 0) ids.next = Math.max(ids.next, this.nextLoopId);
    const inner = new FunctionWalker(false, [], this.lines, this.fileArrays, this.constants, this.macros, 'host', this.helpers, this.depth + 1, this.aliases, this.records);
    inner.hostHelpers = this.hostHelpers;
    inner.hostIds = ids;
    inner.nextLoopId = ids.next;
    this.bindParams(inner, params, args);
    inner.statement(body);
    ids.next = Math.max(ids.next, inner.nextLoopId);
    if (this.depth > 0) this.nextLoopId = ids.next;
    for (const [n, t] of inner.calleeVersions) this.calleeVersions.set(n, t);
    const around = this.loopStack;
    const under = (l: LoopFact): LoopFact => ({ ...l, parent: l.parent ?? (around.length ? around[around.length - 1] : null), depth: l.depth + around.length, helper: l.helper ?? name });
    const at = (a: AccessFact): AccessFact => ({ ...a, loops: [...around, ...a.loops] });
    const own = inner.accesses.filter((a) => a.space !== 'local' && a.space !== 'unknown');
    if (inner.loops.length) this.inlined.push({ name, loops: inner.loops.map(under), accesses: own.map(at) });
    for (const c of inner.inlined) this.inlined.push({ ...c, loops: c.loops.map(under), accesses: c.accesses.map(at) });
  }

  /** `dim3 block(32, 8)` / `dim3 block = dim3(1, 256)`: each extent, null where not constant. */
  private readonly dim3dims = new Map<string, (number | null)[]>();
  private noteDim3(n: Node): void {
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
      const args = v ? namedChildren(v.type === 'call_expression' ? field(v, 'arguments') ?? v : v) : [];
      const dims = args.map((a) => { const x = this.eval(a); return x.isConstant ? x.constant : null; });
      this.noteDims(name, dims);
    }
  }
  private noteDims(name: string, dims: (number | null)[]): void {
    this.dim3dims.set(name, dims);
    // `dim3 grid(nElem / block.x)`: the extents read as `block.x`, `block.y` (a dim3's missing ones are 1)
    ['x', 'y', 'z'].forEach((axis, i) => {
      const extent = i < dims.length ? dims[i] : 1;
      if (extent !== null) this.env.set(`${name}.${axis}`, { kind: 'int', poly: Poly.const(extent) });
    });
  }
  /** A launch argument's extents (`256`, `block`, `dim3(32, 16)`), each null where not constant. */
  private extents(arg: Node): (number | null)[] {
    if (arg.type === 'identifier' && this.dim3dims.has(arg.text)) return this.dim3dims.get(arg.text)!;
    const dims = arg.type === 'call_expression' && field(arg, 'function')?.text === 'dim3' ? namedChildren(field(arg, 'arguments') ?? arg) : [arg];
    return dims.map((d) => { const v = this.eval(d); return v.isConstant ? v.constant : null; });
  }
  /** The number of blocks a launch's grid argument gives (`1`, `grid`, `dim3(2, 2)`), when every extent is constant. */
  private extent(arg: Node): number | null {
    const dims = this.extents(arg);
    return dims.length && dims.every((d) => d !== null) ? dims.reduce<number>((a, b) => a * b!, 1) : null;
  }

  /** Records an access at `at`, with the loops and lane guards around it (of `kind` when given: one copy of the target, not two). */
  private pushAccess(target: Omit<AccessFact, 'range' | 'text' | 'loops' | 'kind'> & Partial<Pick<AccessFact, 'kind'>>, at: Node, kind?: AccessFact['kind']): void {
    const fact: AccessFact = kind !== undefined
      ? { ...target, kind, range: nodeRange(at), text: capped(at.sourceText), loops: [...this.loopStack] }
      : { ...(target as Omit<AccessFact, 'range' | 'text' | 'loops'>), range: nodeRange(at), text: capped(at.sourceText), loops: [...this.loopStack] };
    if (this.singleLaneDepth > 0) fact.singleLane = true;
    if (this.chunkTailDepth > 0) fact.chunkTail = true;
    if (this.activeLanes !== null) fact.activeLanes = this.activeLanes;
    else if (this.firstThreads !== null) fact.firstThreads = this.firstThreads;
    if (this.perSequenceAt !== null && this.loopStack.length <= this.perSequenceAt) fact.perSequence = true;
    if (this.branches.length) fact.scopes = [...this.branches];
    if (this.guards.length) fact.compileTimeGuards = [...this.guards];
    const alternatives = target.elemType ? this.aliases.get(target.elemType) : undefined;
    if (alternatives && alternatives.length > 1) fact.elemAlternatives = [...alternatives];
    this.accesses.push(fact);
  }

  /** The buffer an argument names, through member aliases. */
  private root(a: Node): string | null {
    // `w[offset + 2]` passed whole: an element of an array of pointers (a layer's weights), a buffer of its own
    if (a.type === 'subscript_expression') return a.text.replace(/\s+/g, '');
    const r = rootName(a);
    return r === null ? null : this.memberAliases.get(r) ?? r;
  }

  private recordCall(n: Node): void {
    const called = field(n, 'function');
    if (!called) return;
    const fn = called.type === 'identifier' && this.kernelAliases.size ? this.kernelAliases.get(called.text) ?? called : called;
    const nameNode = fn.type === 'template_function' ? field(fn, 'name') ?? fn : fn.type === 'qualified_identifier' ? field(fn, 'name') ?? fn : fn;
    const name = nameNode.text;
    const argList = field(n, 'arguments');
    const args = argList ? namedChildren(argList).filter((a) => a.type !== 'comment') : [];
    const launchSyntax = children(n).find((c) => c.type === 'kernel_call_syntax');
    if (name === '__syncthreads' || name === '__syncwarp') this.syncthreads.push(nodeRange(n));
    if (MATH_CALLS.test(name)) this.arithmetic += 8 * this.opsWeight;
    // device-side loads through intrinsics and atomics on an address
    // (a library's atomic wrapper, `cuda::atomic::Add(out + i, v)`, is one too)
    const atomic = /^atomic[A-Z]/.test(name) || (fn.type === 'qualified_identifier' && /\batomic::[A-Z]\w*$/.test(fn.text));
    const intrinsic = LOAD_INTRINSICS.test(name) ? 'load' : STORE_INTRINSICS.test(name) ? 'store' : atomic ? 'atomic' : null;
    if (intrinsic && args[0]) {
      const p = this.evalPtr(args[0]);
      if (p) this.pushAccess({ array: p.base, space: p.space, kind: intrinsic, indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: p.vector }, n);
    }
    // `wmma::load_matrix_sync(frag, a + row * lda + k, lda)`: a warp-wide tile load (or store) at that address
    if ((name === 'load_matrix_sync' || name === 'store_matrix_sync') && args[1]) {
      const p = this.evalPtr(name === 'load_matrix_sync' ? args[1] : args[0]);
      if (p) this.pushAccess({ array: p.base, space: p.space, kind: name === 'load_matrix_sync' ? 'load' : 'store', indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: true }, n);
    }
    // (a project's own overload of a builtin, `atomicAdd(half*, half)` for old GPUs, is not the one a float argument calls)
    const helper = !launchSyntax && this.isKernel && !intrinsic ? this.helpers.get(name) : undefined;
    if (helper && this.depth < MAX_HELPER_DEPTH) this.inlineHelper(helper, args, n);
    // a function we cannot read, handed a global buffer: what it reads or writes there is unknown (not a cast, a
    // random-number set-up, or a load or store wrapper such as `ldg(&src[i])`, which moves what it is handed)
    else if (!helper && !intrinsic && !launchSyntax && this.isKernel && !MATH_CALLS.test(name) && !KNOWN_BUFFER_CALL.test(name) &&
      args.some((a) => (a.type === 'identifier' || a.type === 'binary_expression') && this.evalPtr(a)?.space === 'global')) this.opaqueBufferCalls.add(name);
    // `CheckPixelInsidePoint(..., q_size, ...)` with `int& q_size`: the helper changes the caller's variable
    if (helper) this.forgetReferenceArgs(helper, args);
    // a call of one of the file's host functions: its constant arguments tell the callee's trip counts (core/call-sites.ts)
    // (library calls never are: the file's functions are then not indexed at all)
    const mayBeOwn = !this.isKernel && !launchSyntax && !!this.hostHelpers && !LIBRARY_CALL.test(name);
    const ownCallee = mayBeOwn && this.hostHelpers!.version(name) !== undefined;
    if (mayBeOwn && (this.loopStack.length || this.depth > 0) && this.depth < MAX_HELPER_DEPTH) {
      // (a name not defined yet counts too: the caller is read again once it is)
      const version = this.hostHelpers?.version(name);
      if (this.hostHelpers) this.calleeVersions.set(name, version ?? '');
      const hostHelper = version !== undefined ? this.hostHelpers?.get(name) : undefined;
      if (hostHelper) this.inlineHostCall(hostHelper, args, name);
    }
    let kind: CallKind = 'call';
    if (launchSyntax || LIBRARY_KERNELS.has(name)) kind = 'launch'; // cuBLAS level-1 routines are one-pass kernels
    else if (SYNC_CALLS.test(name)) kind = 'sync';
    else if (COPY_CALLS.test(name)) kind = 'copy';
    const fact: CallFact = {
      kind, name, range: nodeRange(n), nameRange: nodeRange(nameNode),
      args: args.map((a) => capped(a.text)), argRoots: args.map((a) => this.root(a)), loops: [...this.loopStack], scopes: [...this.branches],
    };
    if (this.rareLoops.length) fact.rareIn = [...this.rareLoops];
    if (kind === 'launch' && this.remainderDepth > 0) fact.remainderArm = true;
    const scope = fn.type === 'qualified_identifier' ? field(fn, 'scope')?.text : undefined;
    if (scope) fact.scope = scope;
    if (ownCallee) {
      const values = args.map((a) => { const v = this.eval(a); return v.isConstant ? v.constant : null; });
      if (values.some((v) => v !== null)) fact.argValues = values;
    }
    // `kernel<64, float><<<...>>>`: the template arguments bind the kernel's parameters at this launch (and a
    // launcher's, `run_tile<128, 8>(...)`, those of the launches it passes its parameters on to)
    // (the caller is read again once such a callee is defined or changes: its instantiations bind that callee's launches)
    if (fn.type === 'template_function' && mayBeOwn && this.hostHelpers) this.calleeVersions.set(name, this.hostHelpers.version(name) ?? '');
    if (fn.type === 'template_function' && (launchSyntax || ownCallee)) {
      const targs = namedChildren(field(fn, 'arguments') ?? fn);
      fact.templateArgs = targs.map((a) => capped(a.text));
      const values = targs.map((a) => {
        // `k<BM, 8>`: a name reads as a type (`BM`), a number as an expression
        const known = a.type === 'type_descriptor' ? this.env.get(a.text.trim()) : undefined;
        const v = a.type === 'type_descriptor' ? (known?.kind === 'int' ? known.poly : Poly.unknown) : this.eval(a);
        return v.isConstant ? v.constant : null;
      });
      if (values.some((v) => v !== null)) fact.templateValues = values;
    }
    if (launchSyntax) {
      const cfg = namedChildren(launchSyntax);
      fact.grid = cfg[0]?.text.replace(/\s+/g, '');
      fact.block = cfg[1]?.text.replace(/\s+/g, '');
      const stream = cfg[3]?.text.replace(/\s+/g, '');
      if (stream && !/^(0|NULL|nullptr|cudaStreamLegacy)$/.test(stream)) fact.stream = stream;
      const dims = cfg[1] ? this.extents(cfg[1]) : [];
      if (dims[0] !== null && dims[0] !== undefined) fact.blockX = dims[0];
      if (dims.some((d) => d !== null)) fact.blockDims = dims;
      const blocks = cfg[0] ? this.extent(cfg[0]) : null;
      if (blocks !== null) fact.gridBlocks = blocks;
      const values = args.map((a) => {
        const v = this.eval(a);
        return v.isConstant ? v.constant : null;
      });
      if (values.some((v) => v !== null)) fact.argValues = values;
    }
    this.calls.push(fact);
  }
}

/** The buffer an argument expression names: `d_x`, `(float*)d_x`, `&d_x[0]`, `d_x + off`. */
export function rootName(n: Node): string | null {
  switch (n.type) {
    case 'identifier':
      return n.text;
    case 'parenthesized_expression':
    case 'cast_expression':
      return rootName(field(n, 'value') ?? namedChildren(n)[namedChildren(n).length - 1]);
    case 'pointer_expression':
    case 'subscript_expression':
      return rootName(field(n, 'argument')!);
    case 'binary_expression':
      return field(n, 'left') ? rootName(field(n, 'left')!) : null;
    case 'call_expression': {
      const fn = field(n, 'function');
      const args = namedChildren(field(n, 'arguments') ?? n);
      if (fn?.type === 'template_function' && /_cast$/.test(field(fn, 'name')?.text ?? '') && args[0]) return rootName(args[0]);
      if (/^(thrust::raw_pointer_cast|raw_pointer_cast)$/.test(fn?.text ?? '') && args[0]) return rootName(args[0]);
      return null;
    }
    case 'field_expression':
      // x.data_ptr<float>() style: name the object
      return n.text.replace(/\s+/g, '');
    default:
      return null;
  }
}

/** The arm that the statements after `if (c) { ...; return; }` in the same block form. */
const ARM_AFTER_RETURN = 1;

/** `beam_size == 2`, `2 == beam_size`, `p.mode == MODE_A`: the variable and the value it is tested against. */
/** Iterations of `for (i = init; i < bound; i += step)` when all three are constants (small positive steps only). */
export function tripCount(init: Poly | null, step: Poly | null, bound: Poly, inclusive: boolean): number | null {
  if (!init?.isConstant || !step?.isConstant || !bound.isConstant) return null;
  const s = step.constant;
  if (s <= 0) return null;
  const span = bound.constant - init.constant + (inclusive ? 1 : 0);
  return span > 0 ? Math.ceil(span / s) : 0;
}

function equalityTest(cond: Node): { variable: string; value: string } | null {
  let e = cond;
  while (e.type === 'condition_clause' || e.type === 'parenthesized_expression') {
    const inner = namedChildren(e).filter((c) => c.type !== 'comment');
    if (inner.length !== 1) return null;
    e = inner[0];
  }
  if (e.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return null;
  const [l, r] = [field(e, 'left'), field(e, 'right')];
  if (!l || !r) return null;
  const isVar = (x: Node) => ['identifier', 'field_expression'].includes(x.type);
  const isValue = (x: Node) => x.type === 'number_literal' || x.type === 'char_literal' || (x.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(x.text)) || x.type === 'qualified_identifier';
  if (isVar(l) && isValue(r)) return { variable: l.text, value: r.text };
  if (isVar(r) && isValue(l)) return { variable: r.text, value: l.text };
  return null;
}

/** Whether the arm always leaves the function: `return;` or a block whose last statement is one. */
/** The names an expression mentions. */
function identifiersOf(n: Node): string[] {
  const out: string[] = [];
  walk(n, (c) => {
    if (c.type === 'identifier') out.push(c.text);
    return true;
  });
  return out;
}

/** Calls handed a buffer whose effect is known without their body: intrinsics, casts, random-number set-up, load and store wrappers. */
const KNOWN_BUFFER_CALL = /^(?:__|atomic|printf$|assert$|curand|memcpy$|memset$)|_cast$|ldg|[Ll]oad|[Ss]tore|^(?:ld|st)_/;

/** An arm whose last statement leaves it for good (`return`, `break`, `continue`, `goto`): nothing it assigns is seen after the `if`. */
function endsInExit(n: Node | null): boolean {
  if (!n) return false;
  const last = n.type === 'compound_statement' ? namedChildren(n).filter((c) => c.type !== 'comment').at(-1) : n;
  return !!last && ['return_statement', 'break_statement', 'continue_statement', 'goto_statement'].includes(last.type);
}

/**
 * The values after two arms: one a variable has in both, unknown where they differ (a pointer keeps its buffer);
 * a variable the condition tests keeps its value from before (`testedNames`: a clamp's edge case aside).
 */
function joinValues(a: Map<string, Value>, b: Map<string, Value>, entry: Map<string, Value>, testedNames: () => ReadonlySet<string>): Map<string, Value> {
  const out = new Map<string, Value>();
  let tested: ReadonlySet<string> | undefined; // read only when two arms differ
  for (const [name, x] of a) {
    const y = b.get(name);
    if (!y) continue; // declared in one arm only: out of scope after it
    if (x === y) {
      out.set(name, x);
      continue;
    }
    const before = (tested ??= testedNames()).has(name) ? entry.get(name) : undefined;
    if (before) out.set(name, before);
    else if (x.kind === 'int' && y.kind === 'int') out.set(name, x.poly.equals(y.poly) ? x : { kind: 'int', poly: Poly.unknown });
    else if (x.kind === 'ptr' && y.kind === 'ptr' && x.base === y.base) out.set(name, x.offset.equals(y.offset) ? x : { ...x, offset: Poly.unknown });
  }
  return out;
}

function endsInReturn(n: Node | null): boolean {
  if (!n) return false;
  if (n.type === 'return_statement') return true;
  if (n.type !== 'compound_statement') return false;
  const items = namedChildren(n).filter((c) => c.type !== 'comment');
  return items.length > 0 && items[items.length - 1].type === 'return_statement';
}

function paramFacts(declarator: Node, aliases?: TypeAliases): ParamFact[] {
  const list = field(declarator, 'parameters');
  if (!list) return [];
  const out: ParamFact[] = [];
  for (const p of namedChildren(list)) {
    if (p.type !== 'parameter_declaration' && p.type !== 'optional_parameter_declaration') continue;
    const info = declaratorName(field(p, 'declarator'));
    if (!info) continue;
    const quals = children(p).filter((c) => c.type === 'type_qualifier').map((c) => c.text);
    const container = containerElementOf(field(p, 'type')?.text ?? '', aliases);
    out.push({
      name: info.name,
      type: container ?? baseType(field(p, 'type')?.text ?? ''),
      pointer: info.pointer || info.arrayDims.length > 0 || container !== null,
      ...(info.arrayDims.length > 1 ? { rank: info.arrayDims.length } : {}),
      isConst: quals.includes('const') || /\bconst\b/.test(field(p, 'type')?.text ?? ''),
      restrict: info.restrict,
    });
  }
  return out;
}

/** Finds the function_declarator inside a (possibly pointer/reference) declarator. */
function functionDeclarator(d: Node | null): Node | null {
  let cur = d;
  // (`Real_t& x(Index_t i)`: the grammar gives a reference declarator no `declarator` field)
  while (cur && cur.type !== 'function_declarator') cur = cur.type === 'reference_declarator' ? namedChildren(cur).at(-1) ?? null : field(cur, 'declarator');
  return cur;
}

function classify(w: FunctionWalker, isKernel: boolean): KernelClass {
  const global = w.accesses.filter((a) => a.space === 'global');
  // grid-stride and block-stride loops (`for (i = threadIdx.x; i < n; i += blockDim.x)`) spread elements over threads
  const innerLoops = w.loops.filter((l) => !l.gridStride && !l.blockStride);
  const loopSyms = new Set(innerLoops.map((l) => l.symbol));
  const dependsOnLoop = (a: AccessFact) => a.indices.some((p) => p.dependsOn((s) => s.startsWith('#loop') && (loopSyms.has(s) || [...loopSyms].some((ls) => s.startsWith(ls.split(':')[0] + ':')))));
  if (!isKernel) {
    if (innerLoops.length === 0) return 'other';
  }
  if (w.accesses.some((a) => a.kind === 'atomic')) return 'reduction';
  // threads combining values (`blockReduceMax(v)`, `__shfl_xor_sync`, cub's BlockReduce): a row reduction, whatever its loops
  // (a butterfly of shuffles: in a loop, or unrolled; one shuffle alone exchanges neighbours)
  const shuffles = w.calls.filter((c) => SHUFFLE.test(c.name));
  if (isKernel && (w.calls.some((c) => REDUCE_HELPER.test(c.name)) || shuffles.some((c) => c.loops.length > 0) || shuffles.length >= 3)) return 'reduction';
  // GEMM-like: a loop where two different arrays are read with the loop symbol in their index and multiplied
  for (const l of innerLoops) {
    const reads = w.accesses.filter((a) => a.kind === 'load' && a.loops.includes(l.id) && a.indices.some((p) => p.dependsOn((s) => s === l.symbol)));
    const arrays = new Set(reads.map((a) => a.array));
    if (arrays.size >= 2 && reads.length >= 2) return 'gemm';
  }
  if (innerLoops.length > 0) {
    const loopReads = global.filter((a) => a.kind === 'load' && dependsOnLoop(a));
    if (loopReads.length > 0 || w.shared.length > 0) return 'reduction';
  }
  // loops over registers only (`for (k = 0; k < packed.size; ++k)` on a loaded pack) leave a kernel elementwise;
  // a loop to a runtime count (`k <= terms`) is a computation of its own
  const runtimeTrip = (l: LoopFact) => l.bound !== null && w.paramNames.has(l.bound.trim());
  const memoryLoops = innerLoops.filter((l) => runtimeTrip(l) || global.some((a) => a.loops.includes(l.id)));
  if (isKernel && global.length > 0 && memoryLoops.length === 0 && w.shared.length === 0) {
    // stencil: the same array read at several constant offsets
    const byArray = new Map<string, Set<string>>();
    const fields = new Map<string, { key: string; unit: Poly; offsets: number[] }>();
    for (const a of global) {
      if (a.kind !== 'load' || a.indices.length !== 1 || !a.indices[0].dependsOn(isVarying)) continue; // `pars[0..6]`: scalars, not a stencil
      const key = a.indices[0].without('').toString();
      const set = byArray.get(a.array) ?? new Set<string>();
      set.add(key + '|' + a.indices[0].constant);
      byArray.set(a.array, set);
      const f = fields.get(a.array) ?? { key, unit: a.indices[0].coefficient('threadIdx.x'), offsets: [] };
      if (f.key === key) f.offsets.push(a.indices[0].constant);
      else f.key = '';
      fields.set(a.array, f);
    }
    // (`px[3 * k]`, `px[3 * k + 1]`, `px[3 * k + 2]`: the fields of one interleaved record, each thread's own)
    const record = (array: string) => {
      const f = fields.get(array);
      return !!f?.key && f.unit.isConstant && Math.max(...f.offsets) - Math.min(...f.offsets) < Math.abs(f.unit.constant);
    };
    for (const [array, offs] of byArray) if (offs.size >= 3 && !record(array)) return 'stencil';
    // elementwise: each thread writes its own elements; a kernel whose only stores are
    // warp-uniform (`partial[blockIdx.x] = sum`) reduces what it read
    const stores = global.filter((a) => a.kind !== 'load');
    if (stores.length && stores.every((a) => a.indices.some((p) => p.unknown || p.dependsOn(isVarying)))) return 'elementwise';
    if (stores.length) return 'reduction';
  }
  return 'other';
}

/** Extracts the facts of one function_definition node. */
export function functionFacts(
  def: Node,
  lines: string[],
  fileArrays: readonly FileArray[] = [],
  constants: ReadonlyMap<string, number> = new Map(),
  macros: ReadonlyMap<string, MacroDef> = new Map(),
  helpers: ReadonlyMap<string, Node> = new Map(),
  aliases: TypeAliases = new Map(),
  hostHelpers?: HostHelpers,
  /** Qualifiers a macro split off the definition (`__global__ void LAUNCH_BOUNDS(T, B) name(...)`): see splitHead. */
  splitOff = '',
  records: RecordLayouts = new Map(),
): FunctionFacts | null {
  const fdecl = functionDeclarator(field(def, 'declarator'));
  const body = field(def, 'body');
  if (!fdecl || !body) return null;
  const nameNode = field(fdecl, 'declarator');
  if (!nameNode) return null;
  const heads = splitOff + ' ' + children(def).filter((c) => c !== body).map((c) => c.text).join(' ');
  const isKernel = /\b__global__\b/.test(heads);
  const params = paramFacts(fdecl, aliases);
  // a SYCL kernel body (`operator()(sycl::nd_item<1> item)`, `SYCL_EXTERNAL`) runs per work-item on a GPU: device code too
  // (so is a body that reads the thread's coordinates: device code behind a qualifier macro from a header not found, `CK_TILE_DEVICE`)
  const isDevice = /\b__device__\b|\bSYCL_EXTERNAL\b/.test(heads) || params.some((p) => /\b(?:sycl::)?nd_item\s*</.test(p.type)) ||
    (!isKernel && GPU_BUILTINS.test(body.text));
  const tmpl = def.parent?.type === 'template_declaration' ? def.parent : null;
  const templateParams = tmpl ? templateParameters(tmpl).flatMap((p) => (p.name ? [p.name] : [])) : [];
  const w = new FunctionWalker(isKernel || isDevice, params, lines, fileArrays, constants, macros, isKernel ? 'global' : isDevice ? 'unknown' : 'host', helpers, 0, aliases, records);
  // (tests of them alone are decided at each launch of a kernel)
  if (templateParams.length) w.templateParams = new Set(templateParams);
  if (!isKernel && !isDevice) w.hostHelpers = hostHelpers;
  w.statement(body);
  const launchBounds = children(def).find((c) => c.type === 'launch_bounds')?.text ?? null;
  return {
    name: nameNode.text.replace(/^.*::/, ''),
    range: nodeRange(def),
    nameRange: nodeRange(nameNode.type === 'qualified_identifier' ? field(nameNode, 'name') ?? nameNode : nameNode),
    isKernel,
    isDevice,
    params,
    templateParams,
    loops: w.loops,
    accesses: w.accesses,
    shared: w.shared,
    calls: w.calls,
    syncthreads: w.syncthreads,
    usesVectorTypes: w.usesVectorTypes,
    ...(w.opaqueBufferCalls.size ? { opaqueBufferCalls: [...w.opaqueBufferCalls] } : {}),
    arithmetic: w.arithmetic + [...w.selectedArithmetic.values()].reduce((a, b) => a + b, 0),
    kernelClass: classify(w, isKernel),
    indexBound: w.indexBound,
    ...(w.indexBounds.size > 1 ? { indexBounds: [...w.indexBounds] } : {}),
    ...(w.indexBoundValue && !w.indexBoundValue.unknown ? { indexBoundValue: w.indexBoundValue } : {}),
    launchBounds,
    ...(w.inlined.length ? { inlined: w.inlined } : {}),
    ...(w.calleeVersions.size ? { calleeVersions: [...w.calleeVersions] } : {}),
  };
}

/** A value every thread shares and the launches may bind (`BN`, `BN + 1`), else null. */
function uniformOrNull(p: Poly): Poly | null {
  return p.unknown || p.dependsOn(isVarying) ? null : p;
}

/** A declaration whose every value is drawn from cuRAND (`float4 rand = curand_uniform4(&state)`). */
function randomDraws(decl: Node): boolean {
  const values = namedChildren(decl).filter((d) => d.type === 'init_declarator').map((d) => field(d, 'value'));
  return values.length > 0 && values.every((v) => v?.type === 'call_expression' && /^curand/.test(field(v, 'function')?.text ?? ''));
}
