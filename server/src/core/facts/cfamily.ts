// Facts for CUDA C++ and C/C++ functions (ANALYSIS.md §1): walks a function body in
// order, statement by statement (its expressions become index forms in evaluate.ts), and
// records every memory access, loop and call, inlining `__device__` helpers at their calls.
import type { SyntaxNode as Node } from '../mirror';
import { liveChildren } from './dead-branches';
import { fileSwitches } from './file-switches';
import { lambdaLoop } from './lambda-loops';
import { dispatchedTypes } from './aten-dispatch';
import { containerRow, elementAt, rowAccessor, rowPitch } from './object-rows';
import { templateParameters } from './templates';
import { sequenceExit, sequenceGuard } from './sequence-bound';
import { chunkTailArm, remainderArm, constexprArm, rareIterationLoops } from './loop-forms';
import type { RecordLayouts } from './records';
import { FLOAT_TYPES, VECTOR_TYPES, baseType, containerElementOf, declaratorName, elementBits, misparsedArrayPointer, type TypeAliases } from './ctypes';
import { rowsOf, unparen, type PtrValue, type Value } from './evaluate';
import type { FileArray, MacroDef } from './file-scope';
import { Poly, isVarying } from '../affine';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import { tick } from '../budget';
import type { HostHelpers } from './host-inline';
import { branchId, type FunctionFacts, type MemorySpace } from './model';
import { emptyBraces, endsInExit, endsInReturn, equalityTest, functionDeclarator, identifiersOf, initializerValue, joinValues, paramFacts, randomDraws, rootName, uniformOrNull } from './c-syntax';
import { classify } from './classify';
import { markOffloaded } from './offload';
import { asmCalls, asmOperand } from './inline-asm';
import { LoopWalker } from './walker-loops';

const LOOP_TYPES = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
/** A value parsed from the command line: `atoi(argv[2])`, `std::stoi(argv[i])`, `strtol(argv[1], NULL, 10)`. */
const COMMAND_LINE_VALUE = /^\s*(?:std::)?(?:atoi|atol|atoll|stoi|stol|stoul|strtol|strtoul)\s*\(\s*argv\s*\[/;
/** What only device code reads: a thread's coordinates, a block barrier. */
const GPU_BUILTINS = /\bthreadIdx\s*\.\s*[xyz]\b|\b__syncthreads\s*\(/;

/** A host pointer's initial value that names a buffer the walk cannot trace: an allocation, a call's result, a struct member. */
function hostBufferSource(value: Node): boolean {
  let v: Node | null = unparen(value);
  while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
  return v?.type === 'new_expression' || v?.type === 'call_expression' || v?.type === 'field_expression';
}

/** `s->key_cache + loff + t * kv_dim`, or the buffer alone: such a buffer and the element offsets added to it (in any order); else null. */
function hostBufferAt(value: Node): { source: Node; offsets: Node[] } | null {
  const terms: Node[] = [];
  const flatten = (n: Node | null): void => {
    const v = unparen(n);
    if (v?.type === 'binary_expression' && field(v, 'operator')?.text === '+') {
      flatten(field(v, 'left'));
      flatten(field(v, 'right'));
    } else if (v) terms.push(v);
  };
  flatten(value);
  const sources = terms.filter(hostBufferSource);
  if (sources.length === 1 && terms.length > 1) return { source: sources[0], offsets: terms.filter((t) => t !== sources[0]) };
  return hostBufferSource(value) ? { source: value, offsets: [] } : null;
}

/** The arm that the statements after `if (c) { ...; return; }` in the same block form. */
const ARM_AFTER_RETURN = 1;

class FunctionWalker extends LoopWalker {
  protected override nested(isKernel: boolean, space: MemorySpace): FunctionWalker {
    return new FunctionWalker(isKernel, [], this.lines, this.fileArrays, this.constants, this.macros, space, this.helpers, this.depth + 1, this.aliases, this.records);
  }

  // ---- statements --------------------------------------------------------------

  override statement(n: Node): void {
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
        // (an `if constexpr` on a helper's template parameter its call left unknown, `nb_per_cpy == 1` of
        // `copy<sizeof(tmp)>`: its arms are alternatives, one of them built)
        const undecided = !!cond && this.unboundTemplateParams.size > 0 && children(n).some((c) => c.type === 'constexpr') &&
          identifiersOf(cond).some((x) => this.unboundTemplateParams.has(x) || this.valueDependsOn(x, this.unboundTemplateParams));
        if (undecided) this.undecidedConstexprDepth++;
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
        if (undecided) this.undecidedConstexprDepth--;
        if (tail === 'alternative') this.chunkTailDepth--;
        if (remainder === 'alternative') this.remainderDepth--;
        const thenExits = endsInExit(field(n, 'consequence'));
        const elseExits = !!field(n, 'alternative') && endsInExit(field(n, 'alternative'));
        // (a clamp, `if (row < 0) row = 0;`, tests the variable it assigns: the edge case; the value before is the usual one)
        const uniformCondition = !!cond && this.uniformIn(entry, cond);
        this.env = thenExits ? this.env : elseExits ? afterThen : joinValues(afterThen, this.env, entry, () => new Set(cond ? identifiersOf(cond) : []), uniformCondition);
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
        // each case starts from the values before the switch (unless the one above falls through into it); after it,
        // a variable the cases leave different is one of their values: unknown (`case NCHW: step = 1; break; case NC32: step = 32;`)
        const cond = field(n, 'condition');
        const entry = new Map(this.env);
        let after: Map<string, Value> | null = null;
        let fallsThrough = false;
        let hasDefault = false;
        const join = (a: Map<string, Value> | null, b: Map<string, Value>) =>
          a ? joinValues(a, b, entry, () => new Set(cond ? identifiersOf(cond) : []), !!cond && this.uniformIn(entry, cond)) : b;
        for (const c of namedChildren(field(n, 'body') ?? n)) {
          if (c.type !== 'case_statement') continue;
          if (!field(c, 'value')) hasDefault = true;
          if (!fallsThrough) this.env = new Map(entry);
          this.branches.push(branchId(stmt, arm++));
          const body = namedChildren(c).filter((st) => st !== field(c, 'value') && st.type !== 'comment');
          for (const st of body) this.statement(st);
          this.branches.pop();
          let end = body.at(-1);
          while (end?.type === 'compound_statement') end = namedChildren(end).filter((x) => x.type !== 'comment').at(-1);
          const last = end?.type;
          fallsThrough = last === undefined || !['return_statement', 'break_statement', 'continue_statement', 'goto_statement', 'throw_statement'].includes(last);
          if (last === 'break_statement' || fallsThrough) after = join(after, this.env);
          busiest = Math.max(busiest, this.arithmetic - before);
          this.arithmetic = before;
        }
        this.env = hasDefault ? (after ?? entry) : join(after, entry);
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
      case 'try_statement':
        // the guarded statements, as a block (a plugin's `enqueue` wraps its launches in try/catch); the
        // handlers are the error path, not the work
        {
          const body = field(n, 'body');
          if (body) this.statement(body);
        }
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

  /** `auto& in = X[s]` with `X` a parameter holding a container of containers: the rows' element type; else null. */
  private autoRowElement(typeText: string, d: Node, object: string): string | null {
    if (baseType(typeText) !== 'auto' || field(d, 'declarator')?.type !== 'reference_declarator') return null;
    const rows = this.params.get(object)?.type;
    const row = rows ? rowType(rows) : null;
    return row ? containerElementOf(row, this.aliases) : null;
  }

  /** Whether a condition is the same for a whole warp, evaluated with the variables' values before the `if`. */
  private uniformIn(env: Map<string, Value>, cond: Node): boolean {
    const now = this.env;
    this.env = env;
    try {
      // (C++ wraps the test in a condition clause: `if (int x = f(); x > 0)` has two parts, read as unknown)
      const clause = cond.type === 'condition_clause' ? namedChildren(cond) : [cond];
      const v = clause.length === 1 ? this.eval(clause[0]) : Poly.unknown;
      return !v.unknown && !v.dependsOn(isVarying);
    } finally {
      this.env = now;
    }
  }

  /** Walks one arm of a conditional, so calls there know they may not run. */
  protected inBranch(n: Node | null, stmt: number, arm: number): void {
    if (!n) return;
    this.branches.push(branchId(stmt, arm));
    this.statement(n);
    this.branches.pop();
  }

  protected declaration(n: Node): void {
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
      let row: ReturnType<typeof rowAccessor> = null;
      let buffer: ReturnType<typeof hostBufferAt> = null;
      // `float4& out = out4[idx];`: a name for the element; read here unless something is assigned through it
      const element = value && field(d, 'declarator')?.type === 'reference_declarator' && (value.type === 'subscript_expression' || (value.type === 'pointer_expression' && field(value, 'operator')?.text === '*'));
      const before = this.accesses.length;
      if (value) this.expressions(value);
      const bound = element ? this.accesses.slice(before).find((a) => a.range.start.line === value.startPosition.row && a.range.start.column === value.startPosition.column) : undefined;
      if (bound) this.elementRefs.set(info.name, bound);
      else this.elementRefs.delete(info.name);
      if (!container && !info.pointer && !info.arrayDims.length) this.localTypes.set(info.name, { type, depth: this.loopStack.length });
      else this.localTypes.delete(info.name);
      // `const std::vector<float>& in = X[s];` (or `const auto& in = X[s];` of a vector of vectors): row `s` of the
      // container of rows `X` (a sample of a batch), not a buffer of its own
      const sample = !info.pointer && !this.isKernel && value ? containerRow(value) : null;
      const rowElem = sample && (container ? type : this.autoRowElement(typeNode?.text ?? '', d, sample.object));
      if (sample && rowElem && this.stableObject(sample.object)) {
        const at = this.eval(sample.index);
        this.env.set(info.name, { kind: 'ptr', base: sample.object, offset: at.unknown ? Poly.unknown : at.mul(rowPitch('row', sample.object)), elemType: rowElem, space: 'host', vector: VECTOR_TYPES.has(rowElem) });
      } else if (container && !info.pointer) {
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space: this.isKernel ? 'local' : 'host', vector: VECTOR_TYPES.has(type) });
      } else if (info.arrayDims.length) {
        const dims = info.arrayDims.map((s) => {
          const v = s.type === 'array_declarator' ? Poly.unknown : this.eval(s);
          return v.isConstant ? v.constant : null;
        });
        const space: MemorySpace = isShared ? 'shared' : this.isKernel ? 'local' : 'host';
        // (a dim of template arguments, `[BK][BN]`, stays a symbol: the launches bind it)
        const flatDims = info.arrayDims.map((s, i) => (dims[i] !== null ? Poly.const(dims[i]!) : s.type === 'array_declarator' ? null : uniformOrNull(this.eval(s))));
        // (a host function's own array, not `static`, lives on its stack: small, and in cache)
        const onStack = space === 'host' && !info.pointer && !children(n).some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
        this.env.set(info.name, { kind: 'ptr', base: info.name, offset: Poly.const(0), elemType: type, space, vector: VECTOR_TYPES.has(type), ...(dims.length > 1 ? { dims: flatDims } : {}), ...(info.pointer ? { pointers: true } : {}), ...(onStack ? { onStack: true } : {}) });
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
          // (a member of unknown type, `s->key_cache + off` into a `float*`: C allows no other element type there, so the
          // offset was counted in the declared one)
          const retyped = p.elemType === null && type && type !== 'void' ? { ...p, elemType: type, vector: VECTOR_TYPES.has(type) } : p.elemType !== type && type ? this.recast(p, type) : p;
          this.env.set(info.name, { kind: 'ptr', ...retyped });
        } else if (!this.isKernel && value && (row = rowAccessor(value)) && this.stableObject(row.object)) {
          // `const float* r = img.ptr<float>(y)`: row `y` of the object's buffer, rows a run-time pitch apart
          const at = this.eval(row.index);
          this.env.set(info.name, { kind: 'ptr', base: row.object, offset: at.unknown ? Poly.unknown : at.mul(rowPitch(row.method, row.object)), elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
        } else if (!this.isKernel && value && (buffer = hostBufferAt(value))) {
          // `double* d = new double[n]`, `(float*)malloc(...)`, `t.data_ptr<float>()`, `in.values` of a struct: a buffer of its own
          // (made from a loop's variable or an object declared in a loop, `blobs[b].channel(q)`: another buffer on each pass),
          // at an element offset when one is added (`s->key_cache + t * kv_dim`)
          const { source, offsets } = buffer;
          const varies = this.loopStack.length > 0 && identifiersOf(source).some((name) => !this.stableObject(name) && (this.localTypes.has(name) || this.isLoopVariable(name)));
          const at = varies ? Poly.unknown : offsets.reduce((sum, o) => sum.add(this.eval(o)), Poly.const(0));
          // (a member, `s->q`, is one buffer whichever local points into it, and the name calls pass it by)
          const member = offsets.length && unparen(source)?.type === 'field_expression' && source.text.length <= 80 ? source.text.replace(/\s+/g, '') : null;
          this.env.set(info.name, { kind: 'ptr', base: member ?? info.name, offset: at, elemType: type, space: 'host', vector: VECTOR_TYPES.has(type) });
        } else this.env.delete(info.name);
        const address = value ? unparen(value) : null;
        const ofStruct = !this.isKernel && !VECTOR_TYPES.has(type) && address?.type === 'pointer_expression' && field(address, 'operator')?.text === '&' && unparen(field(address, 'argument'))?.type === 'field_expression';
        if ((ofStruct && !this.env.has(info.name)) || (value && this.linkedRecord(type, value, info.name, n))) this.structPointers.add(info.name);
        else this.structPointers.delete(info.name);
      } else if (type === 'auto' && (pointee = value ? this.evalPtr(value) : null)) {
        // `auto out = voxels + voxelidx * stride;`: a pointer into the buffer, as if declared `T* out`
        this.env.set(info.name, { kind: 'ptr', ...pointee });
      } else if (FLOAT_TYPES.has(type) || VECTOR_TYPES.has(type)) {
        this.env.set(info.name, { kind: 'int', poly: Poly.unknown });
      } else if (this.isKernel && value && (pointee = this.sharedAddress(value))) {
        // `uint32_t addr = __cvta_generic_to_shared(&tile[r][c]);` for an `ldmatrix`: the address of that element
        this.env.set(info.name, { kind: 'ptr', ...pointee });
      } else {
        this.env.set(info.name, { kind: 'int', poly: emptyBraces(value) ? Poly.const(0) : value ? this.eval(value) : Poly.unknown });
        const loaded = value && this.isKernel ? this.offsetLoad(value) : null;
        if (loaded) this.loadedOffsets.set(info.name, loaded);
        else this.loadedOffsets.delete(info.name);
      }
      // a buffer of its own declared here (`std::vector<float> v;`, `float tmp[64];`, `new float[n]`): a new one on each
      // pass of the loops around
      const own = this.env.get(info.name);
      if (own?.kind === 'ptr' && own.base === info.name) this.declaredIn.set(info.name, [...this.loopStack]);
      else this.declaredIn.delete(info.name);
    }
  }

  /**
   * `node_t *q = p->child[0];` (or `p->next`, `&net->layers[0]`) in host code: a pointer to another record of the caller's,
   * read from a member of a pointer parameter or of such a local, whose members are then buffers as a parameter's are.
   * Its type names no element (`float *x = p->data` is a buffer); read outside loops, or from values no loop changes
   * (`q = nodes[i]` under `for i` is another record on each pass), and never pointed elsewhere (`q = q->next`).
   */
  protected linkedRecord(type: string, value: Node, name: string, decl: Node): boolean {
    const t = baseType(type);
    if (this.isKernel || !/^[A-Za-z_][\w:]*$/.test(t) || VECTOR_TYPES.has(t) || this.templateParams.has(t) || elementBits(t, this.aliases) !== null || /^(?:void|auto|char|bool|FILE)$/.test(t)) return false;
    let v: Node | null = unparen(value);
    while (v?.type === 'cast_expression') v = unparen(field(v, 'value'));
    if (v?.type === 'pointer_expression' && field(v, 'operator')?.text === '&') v = unparen(field(v, 'argument'));
    while (v?.type === 'subscript_expression') v = unparen(field(v, 'argument'));
    if (v?.type !== 'field_expression') return false;
    let obj: Node | null = v;
    while (obj?.type === 'field_expression' || obj?.type === 'subscript_expression') obj = unparen(field(obj, 'argument'));
    const root = obj?.type === 'identifier' && (this.params.get(obj.text)?.pointer || this.structPointers.has(obj.text));
    if (!root || identifiersOf(value).some((x) => this.isLoopVariable(x) || (this.localTypes.has(x) && !this.stableObject(x)))) return false;
    let moved = false;
    if (decl.parent) {
      walk(decl.parent, (c) => {
        if (moved) return false;
        const target = c.type === 'assignment_expression' ? field(c, 'left') : c.type === 'update_expression' ? field(c, 'argument') : null;
        if (target?.type === 'identifier' && target.text === name) moved = true;
        return !moved;
      });
    }
    return !moved;
  }

  /** `float (*s)[2][T][T] = (float (*)[2][T][T])smem`: `(*s)[b][r][c]` is then one flat offset into smem. */
  protected pointerToArray(name: string, type: string, rows: readonly Node[], value: Node | null): void {
    const p = this.evalPtr(value);
    if (!p) {
      this.env.delete(name);
      return;
    }
    const retyped = p.elemType !== type && type ? this.recast(p, type) : p;
    this.env.set(name, { kind: 'ptr', ...retyped, rows: rows.map((r) => uniformOrNull(this.eval(r))) });
  }


  /** Records the accesses and calls inside an expression statement and applies assignments. */
  override expressions(n: Node | null): void {
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
          // `img.at<float>(y, x)` (OpenCV): element (y, x) of the object's buffer
          const element = this.isKernel ? null : elementAt(c);
          if (element && this.stableObject(element.object)) {
            const index = this.eval(element.row).mul(rowPitch('row', element.object)).add(this.eval(element.column));
            this.pushAccess({ array: element.object, space: 'host', indices: [index], elemType: element.type, elemBits: elementBits(element.type, this.aliases), vector: false }, c, this.accessKind(c));
            this.expressions(element.row);
            this.expressions(element.column);
            return false;
          }
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
          // inline PTX (`asm volatile("mma.sync.aligned.m16n8k8...")`, `cp.async.wait_group %0`): calls the rules read
          const code = field(c, 'assembly_code')?.text ?? '';
          for (const a of asmCalls(code, (i) => asmOperand(c, i))) {
            this.calls.push({ kind: 'call', name: a.name, range: nodeRange(c), nameRange: nodeRange(c), args: a.args, argRoots: a.args.map(() => null), loops: [...this.loopStack], scopes: [...this.branches] });
          }
          if (this.isKernel) this.asmAccesses(c, code);
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
          if (left?.type === 'identifier') {
            this.memberAliases.delete(left.text);
            this.loadedOffsets.delete(left.text);
          }
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
          // `p++` outside a loop that steps it (there, its per-iteration symbol already says where it is)
          else if (v?.kind === 'ptr' && !this.isLoopCarried(v)) this.env.set(arg!.text, { ...v, offset: v.offset.add(Poly.const(by)) });
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
          if (body && !this.isKernel) {
            const outer = this.dispatchTypes;
            this.dispatchTypes = dispatchedTypes(c) ?? outer;
            this.statement(body);
            this.dispatchTypes = outer;
          }
          // `auto emit = [&](int k) { out[k] = v; };` in a kernel: its body runs where `emit(...)` is called
          else if (body && c.parent?.type === 'init_declarator' && field(c.parent, 'declarator')?.type === 'identifier') this.lambdas.set(field(c.parent, 'declarator')!.text, c);
          return false;
        }
      }
      return true;
    });
  }
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
  const params = paramFacts(fdecl, aliases, macros);
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
  const offload = isKernel || isDevice ? undefined : markOffloaded((tmpl ?? def).startPosition.row, lines, w.loops);
  return {
    name: nameNode.text.replace(/^.*::/, ''),
    range: nodeRange(def),
    nameRange: nodeRange(nameNode.type === 'qualified_identifier' ? field(nameNode, 'name') ?? nameNode : nameNode),
    isKernel,
    isDevice,
    ...(offload ? { offload } : {}),
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

/** The row type of a container of rows: `std::vector<std::vector<float, A>>` -> `std::vector<float, A>` (the first template argument). */
function rowType(typeText: string): string | null {
  const m = /^(?:const\s+)?(?:std::)?vector\s*</.exec(typeText.trim());
  if (!m) return null;
  const t = typeText.trim();
  let depth = 0;
  for (let i = m[0].length; i < t.length; i++) {
    const ch = t[i];
    if (ch === '<') depth++;
    else if ((ch === '>' || ch === ',') && depth === 0) return t.slice(m[0].length, i).trim();
    else if (ch === '>') depth--;
  }
  return null;
}
