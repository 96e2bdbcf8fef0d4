// Calls in a C/C++ walk (cfamily.ts): launches, syncs and copies recorded as call facts, loads
// and stores through intrinsics, and `__device__` / host helpers inlined at their call sites.
import { launchThreads } from './launch-threads';
import type { SyntaxNode as Node } from '../mirror';
import { helperFunction, templateParameters } from './templates';
import { hostIndexFunctions, specializationOf, typeSpecialized } from './device-helpers';
import { elementBits } from './ctypes';
import { capped, unparen, type PtrValue } from './evaluate';
import { Poly, atom } from '../affine';
import { LIBRARY_KERNELS, MATH_CALLS } from './library';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import type { HostHelper } from './host-inline';
import { branchId, type AccessFact, type CallFact, type CallKind, type LoopFact, type MemorySpace, type ParamFact } from './model';
import { assignedNames, functionDeclarator, paramFacts } from './c-syntax';
import { HELPER_LOOP_RANGE, MAX_OPS_WEIGHT, WalkerState } from './walker-state';

/** Calls inline PTX stands for (facts/inline-asm.ts) that a `__device__` helper wrapping it makes at each call. */
const ASM_STEPS = new Set(['mma_asm', 'cp_async', 'cp_async_commit_group', 'cp_async_wait_group']);

const SYNC_CALLS = /^(cudaDeviceSynchronize|cudaStreamSynchronize|cudaEventSynchronize|cudaThreadSynchronize)$/;
const COPY_CALLS = /^(cudaMemcpy|cudaMemcpyAsync|cudaMemcpy2D|cudaMemcpy2DAsync|cudaMemcpyToSymbol|cudaMemcpyFromSymbol|cudaMemcpyPeer|cudaMemset|cudaMemsetAsync|cudaMemPrefetchAsync)$/;
/** Calls of the CUDA runtime and libraries, the C library and C++ streams: never one of the file's own functions. */
const LIBRARY_CALL = /^(?:cuda|cu[A-Z]|cublas|cudnn|cusparse|curand|nccl|nv|std::|__)|^(?:printf|fprintf|sprintf|snprintf|puts|malloc|calloc|realloc|free|memcpy|memset|assert|exit|abort|rand|srand|time|clock|sizeof|fopen|fclose|fread|fwrite)$|[.:>]/;
const MAX_HELPER_DEPTH = 3;
/** A PyTorch tensor's stride as an argument's value (`x.stride(0)`, `grad.stride(-1)`). */
const TENSOR_STRIDE = /^[\w.]+\.stride\(\s*-?\w+\s*\)$/;
/** Methods that ask an object for its shape or bounds, not its data. */
const SHAPE_QUERY = /^(?:size|sizes|stride|strides|dim|ndim|numel|shape|rows|cols|width|height|capacity|empty|begin|end|length)$/;
/** Characters of a helper call quoted as the subject of its accesses' findings. */
const MAX_QUOTED_CALL = 60;
/** Cache-hinted loads and stores (`__ldcs(p)`, `__stcs(p, v)`), and x86 SIMD loads through an address (`_mm_load_pd(&A(0, p))`, `_mm256_loadu_ps`, `_mm_loaddup_pd`): an access through their first argument. */
const LOAD_INTRINSICS = /^__ld(g|cs|cg|ca|lu|cv)$|^_mm\d*_(?:load[u1]?|loaddup|broadcast)_\w+$/;
const STORE_INTRINSICS = /^__st(cs|cg|wb|wt)$|^_mm\d*_storeu?_\w+$/;
/** Calls handed a buffer whose effect is known without their body: intrinsics, casts, random-number set-up, load and store wrappers. */
const KNOWN_BUFFER_CALL = /^(?:__|atomic|printf$|assert$|curand|memcpy$|memset$)|_cast$|ldg|[Ll]oad|[Ss]tore|^(?:ld|st)_/;

/** Integer types an index helper returns (`int`, `size_t`, `int64_t`, `unsigned long`, `index_t`). */
const INDEX_TYPE = /^(?:(?:unsigned|signed|long|short|const)\s+)*(?:int|long|short|unsigned|size_t|ptrdiff_t|u?int(?:32|64)_t|index_t|idx_t|IndexType)$/;

/** A helper's body read as an index: scalar declarations, then `return <expression>;`, for an integer return type. */
function returnedIndex(def: Node): { before: Node[]; value: Node } | null {
  const type = field(def, 'type')?.text.replace(/\s+/g, ' ').trim() ?? '';
  return INDEX_TYPE.test(type) && field(def, 'declarator')?.type !== 'pointer_declarator' ? returnedExpression(def) : null;
}

/** A helper returning a pointer (`T* row_ptr(T* base, int row, int pitch)`) read the same way: `return base + row * pitch;`. */
function returnedPointer(def: Node): { before: Node[]; value: Node } | null {
  return field(def, 'declarator')?.type === 'pointer_declarator' ? returnedExpression(def) : null;
}

/** Scalar declarations, then `return <expression>;`: the body as one expression. */
function returnedExpression(def: Node): { before: Node[]; value: Node } | null {
  const items = namedChildren(field(def, 'body') ?? def).filter((c) => c.type !== 'comment');
  const last = items.at(-1);
  const value = last?.type === 'return_statement' ? namedChildren(last)[0] : undefined;
  if (!value || !items.slice(0, -1).every((d) => d.type === 'declaration' && !/[[*&]/.test(d.text.split('=')[0]))) return null;
  return { before: items.slice(0, -1), value };
}

export abstract class CallWalker extends WalkerState {
  /** A walk of a helper's body called from here, one level deeper: a kernel's (device) or the host's. */
  protected abstract nested(isKernel: boolean, space: MemorySpace): CallWalker;

  /**
   * A `__device__` helper's accesses, seen at the call: its parameters bound to the
   * arguments' values (a pointer keeps its buffer, space and offset), so `load128cs(inp + i)`
   * is a 16-byte global load of `inp` at this call site (ANALYSIS.md §0, "Interprocedural").
   */
  protected inlineHelper(helper: Node, args: Node[], call: Node): void {
    const def = helperFunction(helper);
    const fdecl = def ? functionDeclarator(field(def, 'declarator')) : null;
    const body = def ? field(def, 'body') : null;
    if (!def || !fdecl || !body) return;
    const inner = this.nested(true, 'unknown');
    this.bindTemplateArgs(inner, helper, call);
    this.inlineBody(inner, fdecl, body, args, call, field(fdecl, 'declarator')?.text ?? 'helper');
  }

  /** A kernel's lambda called by name: its body at the call, seeing the kernel's variables as it captures them. */
  protected inlineLambda(lambda: Node, name: string, args: Node[], call: Node): void {
    const body = field(lambda, 'body');
    if (!body) return;
    const inner = this.nested(true, 'unknown');
    for (const [k, v] of this.env) inner.env.set(k, v);
    inner.templateConstants = this.templateConstants;
    this.inlineBody(inner, field(lambda, 'declarator'), body, args, call, name);
  }

  /** A helper's or lambda's body walked one level deeper with its parameters bound; its accesses are this call's. */
  private inlineBody(inner: CallWalker, fdecl: Node | null, body: Node, args: Node[], call: Node, name: string): void {
    const params = fdecl ? paramFacts(fdecl, this.aliases, this.macros) : [];
    if (params.length !== args.length) return;
    // loop ids and symbols of each helper's own, apart from every other helper's (two helpers called with no loop of the
    // caller between); calls of one helper share them, its loops being the same wherever it is called
    const ids = this.helperIds;
    let base = ids.byName.get(name);
    if (base === undefined) ids.byName.set(name, (base = ids.next)), (ids.next += HELPER_LOOP_RANGE);
    inner.helperIds = ids;
    inner.nextLoopId = base;
    inner.nextBranch = this.nextBranch; // and branch ids apart from the caller's and other calls'
    this.bindParams(inner, params, args);
    inner.statement(body);
    this.nextBranch = inner.nextBranch;
    // the PTX steps a helper wraps (`cp_async_commit()` around `cp.async.commit_group`, `cp_async_wait<0>()`): made at this call
    // (in the helper's order, all at the call: one that commits and then waits commits first)
    for (const c of inner.calls) if (ASM_STEPS.has(c.name)) this.calls.push({ ...c, range: nodeRange(call), nameRange: nodeRange(call), loops: [...this.loopStack], scopes: [...this.branches] });
    // the helper's arithmetic is the caller's thread's, once per call (a polygon IoU before one store)
    this.arithmetic += Math.min(inner.arithmetic * this.opsWeight, MAX_OPS_WEIGHT);
    if (inner.usesVectorTypes) this.usesVectorTypes = true;
    for (const c of inner.opaqueBufferCalls) this.opaqueBufferCalls.add(c);
    // `load128cs(inp + i)` says what is read; a call over several lines is named by the access inside it
    const callText = call.sourceText;
    const quoted = callText.length <= MAX_QUOTED_CALL && !callText.includes('\n');
    for (const a of inner.accesses) {
      if (a.space === 'unknown' || a.space === 'local') continue;
      const fact: AccessFact = { ...a, range: nodeRange(call), loops: [...this.loopStack] };
      // inside the caller's arms around the call, then the helper's own (`if (blockIdx.y == 0) row_dot(q, ...); else ...`)
      const scopes = [...this.branches, ...(a.scopes ?? [])];
      if (scopes.length) fact.scopes = scopes;
      // the helper's loops around the access (a chunk the thread walks inside `cuWelfordMuSigma2`)
      // (outermost first: this helper's loops, then those of the helpers it called inside them)
      const around = [...inner.loops.filter((l) => a.loops.includes(l.id)), ...(a.helperLoops ?? [])];
      if (around.length) fact.helperLoops = around;
      if (quoted) {
        fact.text = capped(callText);
        delete fact.helper;
      } else fact.helper ??= name;
      if (this.singleLaneDepth > 0) fact.singleLane = true;
      if (this.chunkTailDepth > 0) fact.chunkTail = true;
      if (this.undecidedConstexprDepth > 0) fact.undecidedConstexpr = true;
      if (this.activeLanes !== null) fact.activeLanes = Math.min(this.activeLanes, a.activeLanes ?? 32);
      if (this.perSequenceAt !== null && this.loopStack.length <= this.perSequenceAt && !fact.helperLoops?.length) fact.perSequence = true;
      this.accesses.push(fact);
    }
  }

  /**
   * `m[at2(row, k, cols)]` with `int at2(int r, int k, int c) { return r * c + k; }`: the index a
   * helper returns, its parameters bound to this call's arguments (scalar declarations before the
   * `return` are read too), so the access has the index the helper computes.
   */
  protected override helperValue(call: Node, name: string, args: readonly Node[]): Poly | null {
    const r = this.boundReturn(call, name, args, returnedIndex, false);
    const value = r ? r.inner.eval(r.value) : null;
    return value && !value.unknown ? value : null;
  }

  protected override helperPointer(call: Node, name: string, args: readonly Node[]): PtrValue | null {
    const r = this.boundReturn(call, name, args, returnedPointer, true);
    return r ? r.inner.evalPtr(r.value) : null;
  }

  /** A helper whose body is one returned expression, walked with the call's arguments bound: the walk and that expression. */
  private boundReturn(
    call: Node, name: string, args: readonly Node[], returned: (def: Node) => { before: Node[]; value: Node } | null, pointerParams: boolean,
  ): { inner: CallWalker; value: Node } | null {
    const fn = field(call, 'function');
    const found = this.depth < MAX_HELPER_DEPTH ? this.helperOf(fn?.type === 'template_function' ? fn : null, name) : undefined;
    // (host code reads through the file's index functions only)
    const helper = found && (this.isKernel || hostIndexFunctions.has(found)) ? found : undefined;
    const def = helper ? helperFunction(helper) : null;
    const body = def ? returned(def) : null;
    const fdecl = def ? functionDeclarator(field(def, 'declarator')) : null;
    if (!helper || !body || !fdecl) return null;
    const params = paramFacts(fdecl, this.aliases, this.macros);
    if (params.length !== args.length || (!pointerParams && params.some((p) => p.pointer))) return null;
    const inner = this.nested(true, 'unknown');
    this.bindTemplateArgs(inner, helper, call);
    this.bindParams(inner, params, args);
    for (const d of body.before) inner.statement(d);
    return { inner, value: body.value };
  }

  /**
   * The helper a call runs: its definition by name, or the explicit specialization its template arguments pick
   * (`copy_vector<input_t, 1>(dst, src)` -> `copy_vector<__half, 1>`; the kernel's own `input_t` fits any type).
   */
  private helperOf(tmpl: Node | null, name: string): Node | undefined {
    const given = tmpl ? namedChildren(field(tmpl, 'arguments') ?? tmpl).filter((a) => a.type !== 'comment').map((a) => {
      if (a.type === 'type_descriptor') return elementBits(a.text, this.aliases) !== null ? a.text.replace(/\s+/g, '').replace(/^__/, '') : null;
      const v = this.eval(a);
      return v.isConstant ? v.constant : null;
    }) : [];
    const special = given.length ? specializationOf(this.helpers, name, given) : undefined;
    if (special) return special;
    // (the generic body, unless a specialization for a type may be the one that runs: `row_moments(vals, ...)` on the
    // kernel's own `T`, with `row_moments<at::Half, float>` defined beside it)
    const plain = this.helpers.get(name);
    return plain && typeSpecialized(this.helpers, name) && !given.some((g) => typeof g === 'string') ? undefined : plain;
  }

  /**
   * Integers whose address a call's arguments hand over (`&numSMs`): unknown after the call. Not those a call only reads
   * (`fwrite(&n, ...)`, `cudaMemcpyToSymbol(c_n, &n, ...)`, a copy's source): a copy writes its first argument only.
   */
  protected forgetAddressed(callee: string, args: Node | null): void {
    if (READS_ITS_ARGUMENTS.test(callee)) return;
    const all = args ? namedChildren(args) : [];
    for (const a of WRITES_ITS_FIRST.test(callee) ? all.slice(0, 1) : all) {
      const u = unparen(a);
      const target = u?.type === 'pointer_expression' && field(u, 'operator')?.text === '&' ? unparen(field(u, 'argument')) : null;
      if (target?.type === 'identifier' && this.env.get(target.text)?.kind === 'int') this.env.set(target.text, { kind: 'int', poly: Poly.unknown });
    }
  }

  /** The caller's variables a helper takes by non-const reference (`int& q_size`): unknown after the call. */
  protected forgetReferenceArgs(helper: Node, args: readonly Node[]): void {
    const def = helperFunction(helper);
    const fdecl = def ? functionDeclarator(field(def, 'declarator')) : null;
    const params = fdecl ? namedChildren(field(fdecl, 'parameters') ?? fdecl).filter((p) => p.type === 'parameter_declaration') : [];
    const body = def ? field(def, 'body') : null;
    params.forEach((p, i) => {
      const d = field(p, 'declarator');
      const arg = args[i] ? unparen(args[i]) : null;
      if (d?.type !== 'reference_declarator' || /\bconst\b/.test(p.text) || !arg) return;
      if (arg.type === 'identifier') {
        if (this.env.get(arg.text)?.kind === 'int') this.env.set(arg.text, { kind: 'int', poly: Poly.unknown });
        return;
      }
      // an element handed to a reference the helper assigns (`from_float(out[idx], v)` with `void from_float(half& d, float s)
      // { d = ...; }`): a store there, or an update where the helper also reads it (`d += s`)
      const name = namedChildren(d).find((c) => c.type === 'identifier')?.text;
      const assigned = name && body ? assignmentsTo(body, name) : null;
      if (!assigned) return;
      // (the arguments are walked after the call: their access takes the kind when it is recorded)
      this.writtenThrough.set(arg.id, assigned);
    });
  }

  /** A template helper's value parameters bound to the call's template arguments, or their defaults (`<128, 16, false>`). */
  protected bindTemplateArgs(inner: CallWalker, helper: Node, call: Node): void {
    if (helper.type !== 'template_declaration') return;
    const fn = field(call, 'function');
    const given = fn?.type === 'template_function' ? namedChildren(field(fn, 'arguments') ?? fn).filter((a) => a.type !== 'comment') : [];
    const bound = new Set<string>();
    const unbound = new Set<string>();
    templateParameters(helper).forEach((p, i) => {
      const arg = given[i] ?? p.default;
      if (!p.name || !arg || arg.type === 'type_descriptor') return;
      const value = arg.type === 'true' ? Poly.const(1) : arg.type === 'false' ? Poly.const(0) : this.eval(arg);
      // (an expression of the caller's own compile-time values, `BK + A_PAD` of a kernel templated on A_PAD: bound to it,
      // so the launches that bind A_PAD bind this too)
      if (!value.isConstant && given[i] && !value.unknown && !value.hasAtoms && [...value.symbols()].every((s) => this.templateParams.has(s))) {
        inner.env.set(p.name, { kind: 'int', poly: value });
        return;
      }
      if (!value.isConstant) {
        // (kept as its name, so that the values computed from it say so: `nb_per_cpy = alignment == 0 ? nbytes : ...`)
        if (given[i]) {
          unbound.add(p.name);
          inner.env.set(p.name, { kind: 'int', poly: Poly.sym(p.name) });
        }
        return;
      }
      inner.env.set(p.name, { kind: 'int', poly: value });
      bound.add(p.name);
    });
    inner.templateConstants = bound;
    inner.unboundTemplateParams = unbound;
  }

  /** A helper's parameters bound to a call's arguments: a pointer keeps its buffer, space and offset, an integer its value. */
  protected bindParams(inner: CallWalker, params: readonly ParamFact[], args: readonly Node[]): void {
    inner.macroWork = this.macroWork;
    params.forEach((p, i) => {
      const ptr = p.pointer ? this.evalPtr(args[i]) : null;
      // a template element type (`const ElementType* address`) is the caller's: no cast then
      const cast = ptr && p.type && ptr.elemType !== p.type && elementBits(p.type, this.aliases) !== null;
      // (nor the caller's own template type handed to a specialization's `const __half*`: its launches say what it is)
      const templateType = cast && !!ptr.elemType && elementBits(ptr.elemType, this.aliases) === null && !ptr.vector;
      if (ptr) inner.env.set(p.name, { kind: 'ptr', ...(cast && !templateType ? inner.recast(ptr, p.type) : ptr) });
      // (a shared-memory address handed as an integer, `ldmatrix_x4(RA, a_addr)` with `a_addr = __cvta_generic_to_shared(&A_smem[...])`:
      // the helper's PTX reads where it points, as the same asm written in the caller does)
      else if (!p.pointer && args[i] && unparen(args[i])?.type === 'identifier' && this.env.get(unparen(args[i])!.text)?.kind === 'ptr') inner.env.set(p.name, this.env.get(unparen(args[i])!.text)!);
      else if (!p.pointer) inner.env.set(p.name, { kind: 'int', poly: this.eval(args[i]) });
    });
  }

  /**
   * A host helper with loops called inside a loop (`AddDot(k, &A(i, 0), lda, &B(0, j), &C(i, j))`):
   * its loops and accesses as seen at this call, kept apart in `inlined` so that only the rules
   * that ask for the combined nest (core/facts/host-inline.ts) see them.
   */
  protected inlineHostCall(helper: HostHelper, args: Node[], name: string, call: Node): void {
    const fdecl = functionDeclarator(field(helper.def, 'declarator'));
    const body = field(helper.def, 'body');
    if (!fdecl || !body) return;
    const params = paramFacts(fdecl, this.aliases, this.macros);
    if (params.length !== args.length) return;
    const ids = this.hostIds;
    if (this.depth > 0) ids.next = Math.max(ids.next, this.nextLoopId);
    const inner = this.nested(false, 'host');
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
    const calledAt = nodeRange(call).start;
    // (a buffer the helper declares is a new one on every call: every pass of the loops around the call too)
    const at = (a: AccessFact): AccessFact => ({ ...a, loops: [...around, ...a.loops], calledAt, ...(a.declaredUnder ? { declaredUnder: [...around, ...a.declaredUnder] } : {}) });
    const own = inner.accesses.filter((a) => a.space !== 'local' && a.space !== 'unknown');
    if (inner.loops.length) this.inlined.push({ name, loops: inner.loops.map(under), accesses: own.map(at) });
    for (const c of inner.inlined) this.inlined.push({ ...c, loops: c.loops.map(under), accesses: c.accesses.map(at) });
  }

  /**
   * Inline PTX that moves shared memory: `ldmatrix ... [%4]` (each lane hands a 16-byte row), `ld.shared.v4.u32` /
   * `st.shared.v2.f32` (the vector's width) at the address operand; and `cvta.to.shared` turning a shared pointer
   * into the 32-bit address those take (the output names the pointer from then on).
   */
  protected asmAccesses(n: Node, code: string): void {
    const operands = (list: string) => namedChildren(field(n, list) ?? n).filter((o) => o.type.endsWith('_operand')).map((o) => field(o, 'value'));
    const outs = field(n, 'output_operands') ? operands('output_operands') : [];
    const ins = field(n, 'input_operands') ? operands('input_operands') : [];
    if (/\bcvta\.to\.shared\b/.test(code) && outs.length === 1 && outs[0]?.type === 'identifier') {
      const p = ins.map((x) => (x ? this.evalPtr(x) : null)).find((x) => x?.space === 'shared');
      if (p) this.env.set(outs[0].text, { kind: 'ptr', ...p });
    }
    const m = /\b(ldmatrix|ld\.shared|st\.shared)([\w.]*)\s[^;]*?\[\s*%(\d+)\s*\]/.exec(code);
    const at = m ? [...outs, ...ins][Number(m[3])] : null;
    // (the address made in place, `[%4]` of `"r"(__cvta_generic_to_shared(&s_a[row][col]))`, as a local made of it reads)
    const p = at ? this.sharedAddress(at) ?? this.sharedAddressSum(at) ?? this.evalPtr(at) : null;
    if (!m || !at || p?.space !== 'shared') return;
    const width = m[1] === 'ldmatrix' || /\.v4\b/.test(m[2]) ? 'uint4' : /\.v2\b/.test(m[2]) ? 'uint2' : 'unsigned';
    const wide = this.recast(p, width);
    this.pushAccess({ array: wide.base, space: 'shared', kind: m[1] === 'st.shared' ? 'store' : 'load', indices: [wide.offset], elemType: width, elemBits: elementBits(width, this.aliases), vector: width !== 'unsigned' }, n);
    // quoted as the instruction and its address operand, not the whole statement
    const pushed = this.accesses[this.accesses.length - 1];
    pushed.text = capped(`${m[1]} [${at.text}]`);
    // (`ldmatrix.x1` / `.x2` take their row addresses from the first 8 / 16 lanes; the others' are ignored)
    const matrices = m[1] === 'ldmatrix' ? /\.x([124])\b/.exec(m[2]) : null;
    if (matrices && Number(matrices[1]) < 4) pushed.activeLanes = Math.min(pushed.activeLanes ?? 32, 8 * Number(matrices[1]));
  }

  protected recordCall(n: Node): void {
    // (`cudaDeviceGetAttribute(&numSMs, ...)`, `cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSM, ...)`: a callee handed
    // an integer's address writes it, so the value it had, `int numSMs = 0;`, no longer holds)
    if (!this.choosing) this.forgetAddressed(field(n, 'function')?.text ?? '', field(n, 'arguments'));
    let called = field(n, 'function');
    // (`(k<128, 8>)<<<grid, block>>>(...)`: parentheses that carry a template's commas through a launcher macro)
    while (called?.type === 'parenthesized_expression' && called.namedChildren.length === 1) called = called.namedChildren[0];
    if (!called) return;
    // a launch through a function pointer assigned one of several kernels: a launch of each, in arms of their own
    const choices = called.type === 'identifier' && !this.choosing ? this.kernelChoices.get(called.text) : undefined;
    if (choices?.length && children(n).some((c) => c.type === 'kernel_call_syntax')) {
      const stmt = this.nextBranch++;
      this.choosing = true;
      choices.forEach((target, k) => {
        this.kernelAliases.set(called.text, target);
        if (choices.length > 1) this.branches.push(branchId(stmt, k));
        this.recordCall(n);
        if (choices.length > 1) this.branches.pop();
      });
      this.kernelAliases.delete(called.text);
      this.choosing = false;
      return;
    }
    const fn = called.type === 'identifier' && this.kernelAliases.size ? this.kernelAliases.get(called.text) ?? called : called;
    // (`detail::k<S, D>` and `a::b::k<T>`: the template under the qualifiers carries the arguments)
    let unqualified: Node = fn;
    for (let inner = field(unqualified, 'name'); unqualified.type === 'qualified_identifier' && inner; inner = field(unqualified, 'name')) unqualified = inner;
    const tmpl = unqualified.type === 'template_function' ? unqualified : null;
    const nameNode = tmpl ? field(tmpl, 'name') ?? tmpl : unqualified;
    const name = nameNode.text;
    const argList = field(n, 'arguments');
    const args = argList ? namedChildren(argList).filter((a) => a.type !== 'comment') : [];
    const launchSyntax = children(n).find((c) => c.type === 'kernel_call_syntax');
    // (a block-scope `cuda::barrier`'s `bar.arrive_and_wait()` and the counting forms separate a tile's phases as well)
    // (and cooperative groups' `block.sync()` / `cg::sync(block)`, a barrier's split `bar.wait(bar.arrive())`)
    if (/^(?:__syncthreads(?:_count|_and|_or)?|__syncwarp)$|(?:^|\.)arrive_and_wait$|(?:^|\.)sync$/.test(name) || (/\.wait$/.test(name) && /\barrive\s*\(/.test(argList?.text ?? ''))) this.syncthreads.push(nodeRange(n));
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
      const kind = name === 'load_matrix_sync' ? 'load' : 'store';
      const rows = p ? fragmentRows(p, args[2] ? this.eval(args[2]) : null, elementBits(p.elemType, this.aliases)) : null;
      if (rows) this.pushAccess({ array: p!.base, space: p!.space, kind, indices: [rows], elemType: 'uint4', elemBits: 128, vector: true, fragment: true }, n);
      else if (p) this.pushAccess({ array: p.base, space: p.space, kind, indices: [p.offset], elemType: p.elemType, elemBits: elementBits(p.elemType, this.aliases), vector: true, fragment: true }, n);
    }
    // (a project's own overload of a builtin, `atomicAdd(half*, half)` for old GPUs, is not the one a float argument calls)
    const lambda = this.isKernel && fn.type === 'identifier' ? this.lambdas.get(name) : undefined;
    if (lambda) {
      if (this.depth < MAX_HELPER_DEPTH) this.inlineLambda(lambda, name, args, n);
      return;
    }
    const helper = !launchSyntax && this.isKernel && !intrinsic ? this.helperOf(tmpl, name) : undefined;
    if (helper && this.depth < MAX_HELPER_DEPTH) this.inlineHelper(helper, args, n);
    // a function we cannot read, handed a global buffer: what it reads or writes there is unknown (not a cast, a
    // random-number set-up, or a load or store wrapper such as `ldg(&src[i])`, which moves what it is handed)
    else if (!helper && !intrinsic && !launchSyntax && this.isKernel && !MATH_CALLS.test(name) && !KNOWN_BUFFER_CALL.test(name) &&
      args.some((a) => (a.type === 'identifier' || a.type === 'binary_expression') && this.evalPtr(a)?.space === 'global')) this.opaqueBufferCalls.add(name);
    // a method of an object the kernel takes by value (`table.find(key)` of a hash table, a handle holding device
    // pointers): memory the walk cannot see, unless it only asks for the object's shape (`acc.size(0)`)
    else if (this.isKernel && fn.type === 'field_expression' && !helper) {
      const object = unparen(field(fn, 'argument'));
      const param = object?.type === 'identifier' && this.env.get(object.text) === undefined ? this.params.get(object.text) : undefined;
      const method = field(fn, 'field')?.text ?? '';
      if (param && !param.pointer && !param.accessor && elementBits(param.type, this.aliases) === null && !SHAPE_QUERY.test(method)) this.opaqueBufferCalls.add(name);
    }
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
      if (hostHelper) this.inlineHostCall(hostHelper, args, name, n);
    }
    let kind: CallKind = 'call';
    if (launchSyntax || LIBRARY_KERNELS.has(name)) kind = 'launch'; // cuBLAS level-1 routines are one-pass kernels
    else if (SYNC_CALLS.test(name)) kind = 'sync';
    else if (COPY_CALLS.test(name)) kind = 'copy';
    const fact: CallFact = {
      kind, name, range: nodeRange(n), nameRange: nodeRange(nameNode),
      args: args.map((a) => capped(a.text)), argRoots: args.map((a) => this.root(a)), loops: [...this.loopStack], scopes: [...this.branches],
    };
    const arms = this.argChoices(args);
    if (arms) fact.argChoices = arms;
    if (this.rareLoops.length) fact.rareIn = [...this.rareLoops];
    if (this.onceDepth > 0) fact.once = true;
    if (!this.isKernel && inLambda(n)) fact.inLambda = true;
    if (this.singleLaneDepth > 0 && this.isKernel) fact.singleLane = true;
    if ((kind === 'launch' || kind === 'call') && this.remainderDepth > 0) fact.remainderArm = true;
    if (kind === 'call' && this.sizeCaps.length) {
      const caps = args.map((a) => Math.min(...this.sizeCaps.filter((c) => c.name === a.text.trim()).map((c) => c.max)));
      if (caps.some(Number.isFinite)) fact.argCaps = caps.map((c) => (Number.isFinite(c) ? c : null));
    }
    if (kind === 'launch' && !this.isKernel && args.some((a) => this.movesWithLoops(a))) fact.loopArgs = true;
    // (a call of the file's host function in a loop: the arguments each step moves, `&A(i, p)` under `p += kc` a tile, `W` passed whole none)
    if (kind === 'call' && mayBeOwn && this.loopStack.length) {
      const moving = args.flatMap((a, i) => (this.movesWithLoops(a) ? [i] : []));
      if (moving.length) fact.movingArgs = moving;
    }
    // (a method of a local object names the object's declared type, `GpuTimer t; t.Start()`)
    const receiver = fn.type === 'field_expression' ? field(fn, 'argument') : null;
    // (or of a parameter, `Linear& fc` of `fc.forward(...)`)
    const scope = fn.type === 'qualified_identifier' ? field(fn, 'scope')?.text : receiver?.type === 'identifier' ? this.localTypes.get(receiver.text)?.type ?? this.params.get(receiver.text)?.type : undefined;
    if (scope) fact.scope = scope;
    if (mayBeOwn && args.length) {
      const values = args.map((a) => { const v = this.eval(a); return v.isConstant ? v.constant : null; });
      if (values.some((v) => v !== null)) {
        if (ownCallee) fact.argValues = values;
        // (another file's function: the project's calls of it fix its parameters, ProjectIndex.callConstants)
        else fact.foreignArgValues = values;
        // (the caller is read again when such a callee is defined, changes or stops parsing: whether its constants
        // are handed on hangs on it, core/call-sites.ts)
        this.calleeVersions.set(name, this.hostHelpers!.version(name) ?? '');
      }
    }
    // `run_kernel(k, grid, block, ...)` with `dim3 block(16, 16)`: the extents a launch wrapper's block parameter takes here
    if (mayBeOwn) {
      const dims = args.map((a) => (this.isDim3(a) ? this.extents(a) : null));
      if (dims.some((d) => d?.some((x) => x !== null))) fact.argDims = dims;
    }
    // `kernel<64, float><<<...>>>`: the template arguments bind the kernel's parameters at this launch (and a
    // launcher's, `run_tile<128, 8>(...)`, those of the launches it passes its parameters on to)
    // (the caller is read again once such a callee is defined or changes: its instantiations bind that callee's launches)
    if (tmpl && mayBeOwn && this.hostHelpers) this.calleeVersions.set(name, this.hostHelpers.version(name) ?? '');
    // `static_cast<float>(x[i])`: the type a value is converted to (a 16-bit load widened for fp32 math); and
    // `cuda::pipeline_consumer_wait_prior<0>(pipe)`: how many stages the wait leaves in flight
    if (tmpl && (name === 'static_cast' || name === 'pipeline_consumer_wait_prior')) fact.templateArgs = namedChildren(field(tmpl, 'arguments') ?? tmpl).map((a) => capped(a.text));
    if (tmpl && (launchSyntax || ownCallee)) {
      const targs = namedChildren(field(tmpl, 'arguments') ?? tmpl);
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
      if (this.dispatchTypes) fact.dispatchTypes = this.dispatchTypes;
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
      const polys = args.map((a) => this.eval(a));
      const values = polys.map((v) => (v.isConstant ? v.constant : null));
      if (values.some((v) => v !== null)) fact.argValues = values;
      // (over parameters the function never assigns: `batch = batch * seq_len` first makes `batch` another value)
      const assigned = assignedNames(n);
      const asPassed = (s: string) => this.params.get(s)?.pointer === false && !assigned.has(s);
      const forms = polys.map((v) => (!v.isConstant && !v.unknown && !v.hasAtoms && [...v.symbols()].every(asPassed) ? v : null));
      if (forms.some((v) => v !== null)) fact.argForms = forms;
      const threads = cfg[0] && cfg[1] && dims.length <= 1 ? launchThreads(this.eval(cfg[0]), this.eval(cfg[1]), cfg[1].text, asPassed) : null;
      if (threads) fact.threads = threads;
      // `t.stride(0)`, or a local set to it: a tensor's stride, the caller's layout
      const strides = polys.flatMap((v, i) => (v.terms.size === 1 && TENSOR_STRIDE.test(v.toString()) ? [i] : []));
      if (strides.length) fact.tensorStrideArgs = strides;
    }
    this.calls.push(fact);
  }

  /** The buffers each conditional argument may name (`training ? dropped : probs`), both arms, by argument index. */
  protected argChoices(args: readonly Node[]): Record<number, string[]> | undefined {
    let out: Record<number, string[]> | undefined;
    args.forEach((a, i) => {
      const u = unparen(a);
      if (u?.type !== 'conditional_expression') return;
      const arms = [field(u, 'consequence'), field(u, 'alternative')].map((x) => (x ? this.root(x) : null)).filter((r): r is string => r !== null);
      if (arms.length) (out ??= {})[i] = arms;
    });
    return out;
  }
}

/** Calls that only read what their arguments point at. */
const READS_ITS_ARGUMENTS = /^(?:std::)?(?:fwrite|write|send|printf|fprintf|cudaMemcpyToSymbol(?:Async)?|MPI_(?:Send|Isend|Ssend))$/;
/** Copies: the destination, their first argument, is the one written. */
const WRITES_ITS_FIRST = /^(?:std::)?(?:memcpy|memmove|cudaMemcpy(?:Async|FromSymbol(?:Async)?|2D(?:Async)?)?)$/;


/**
 * A 16-bit fragment's tile in shared memory as the warp reads it (the `ldmatrix` a 16x16 `load_matrix_sync` compiles
 * to): lane L hands the 16-byte half of row L % 16 picked by L / 16, rows `ldm` elements apart, 8 lanes a phase. In
 * 16-byte units, from the tile's start; null for other element widths, a global tile, or a stride not in 16 bytes.
 */
function fragmentRows(p: PtrValue, ldm: Poly | null, bits: number | null): Poly | null {
  // (a leading dimension the kernel's template arguments set, `LD` of `wmma_b<144>` or `BN + B_PAD`: the launches bind them;
  // also a product of them, a local `constexpr int BN = WMMA_N * WMMA_TILE_N * WARP_TILE_N`)
  const symbolic = !!ldm && !ldm.unknown && !ldm.isConstant && !ldm.hasAtoms && [...ldm.terms.keys()].every((k) => k === '' || /^[A-Za-z_]\w*(?:\*[A-Za-z_]\w*)*$/.test(k));
  if (p.space !== 'shared' || bits !== 16 || !ldm || (!symbolic && (!ldm.isConstant || ldm.constant % 8 !== 0))) return null;
  const start = p.offset.divExact(8);
  if (!start) return null;
  const lane = Poly.sym('threadIdx.x');
  const row = atom('%', [lane, Poly.const(16)]);
  const half = atom('%', [atom('/', [lane, Poly.const(16)]), Poly.const(2)]);
  return start.add(symbolic ? row.mul(ldm.scale(1 / 8)) : row.scale(ldm.constant / 8)).add(half);
}

/**
 * How a helper's body writes the reference parameter `name`: `store` (`d = s`), `update` when it also reads it
 * (`d += s`, `d = d * s`), or null when it does not write it.
 */
function assignmentsTo(body: Node, name: string): 'store' | 'update' | null {
  let writes = false;
  let reads = false;
  walk(body, (n) => {
    if (n.type !== 'identifier' || n.text !== name) return;
    const parent = n.parent;
    const assigned = parent?.type === 'assignment_expression' && field(parent, 'left')?.id === n.id;
    if (assigned) writes = true;
    if (!assigned || field(parent!, 'operator')?.text !== '=') reads = true;
  });
  return !writes ? null : reads ? 'update' : 'store';
}

/** Whether a call sits in a lambda's body (`auto forces = [&]() { k<<<...>>>(...); };`): it runs where the lambda is called, not where it is written. */
function inLambda(n: Node): boolean {
  for (let p = n.parent; p && p.type !== 'function_definition'; p = p.parent) if (p.type === 'lambda_expression') return true;
  return false;
}
