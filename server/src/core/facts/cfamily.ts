// Facts for CUDA C++ and C/C++ functions (ANALYSIS.md §1): walks a function body in
// order, statement by statement (its expressions become index forms in evaluate.ts), and
// records every memory access, loop and call, inlining `__device__` helpers at their calls.
import type { SyntaxNode as Node } from '../mirror';
import { liveChildren } from './dead-branches';
import { fileSwitches } from './file-switches';
import { lambdaLoop } from './lambda-loops';
import { dispatchedTypes } from './aten-dispatch';
import { templateParameters } from './templates';
import { sequenceExit, sequenceGuard } from './sequence-bound';
import { chunkTailArm, remainderArm, constexprArm, rareIterationLoops, conditionExpression, oneShotArm, lastStepArm, sizeCapsOf } from './loop-forms';
import { NO_RECORDS, type FileRecords } from './records';
import type { ElementAccessor } from '../preprocess/accessors';
import { elementBits, misparsedArrayPointer, type TypeAliases } from './ctypes';
import { rowsOf, unparen, type Value } from './evaluate';
import type { FileArray, MacroDef } from './file-scope';
import { Poly, dependsOnLane, isVarying } from '../affine';
import { children, field, namedChildren, nodeRange, walk } from '../syntax';
import { tick } from '../budget';
import type { HostHelpers } from './host-inline';
import { branchId, type FunctionFacts, type MemorySpace, type ParamFact } from './model';
import { endsInExit, endsInReturn, equalityTest, functionDeclarator, identifiersOf, joinValues, paramFacts } from './c-syntax';
import { flattenHelperLoops } from './helper-loops';
import { classify } from './classify';
import { markOffloaded } from './offload';
import { asmCalls, asmOperand } from './inline-asm';
import { firstWarpTest } from './warp-guards';
import { DeclarationWalker } from './walker-declarations';

/** A C identifier: a template parameter's name, not what a half-typed declaration leaves (`*igned`). */
const IDENTIFIER = /^[A-Za-z_]\w*$/;

const LOOP_TYPES = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
/** A value parsed from the command line: `atoi(argv[2])`, `std::stoi(argv[i])`, `strtol(argv[1], NULL, 10)`. */
const COMMAND_LINE_VALUE = /^\s*(?:std::)?(?:atoi|atol|atoll|stoi|stol|stoul|strtol|strtoul)\s*\(\s*argv\s*\[/;
/** Fused multiply-adds, whose first two arguments are a product's operands. */
const FMA_CALL = /^(?:std::)?(?:fmaf?|__fmaf_r[nzud]|__fma_r[nzud])$/;
/** What only device code reads: a thread's coordinates, a block barrier. */
const GPU_BUILTINS = /\bthreadIdx\s*\.\s*[xyz]\b|\b__syncthreads\s*\(/;

/** The arm that the statements after `if (c) { ...; return; }` in the same block form. */
const ARM_AFTER_RETURN = 1;

class FunctionWalker extends DeclarationWalker {
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
        const outerFirstWarp = this.firstWarpDepth;
        const outerSequence = this.perSequenceAt;
        this.dispatch = null;
        let pushed = 0; // `if (done) { ...; return; }`: the statements after it are the other arm
        for (let i = 0; i < items.length; i++) {
          const c = items[i];
          if (c.type !== 'if_statement' && c.type !== 'comment') this.dispatch = null;
          // `for (...)\n#pragma unroll\n for (...)` without braces: the grammar ends the outer
          // loop at the pragma (an empty body) and makes the inner loop its sibling; re-attach it.
          // (three deep, `for k / #pragma / for m / #pragma / for n`: each loop's body is the next, chained)
          const detached = LOOP_TYPES.has(c.type) ? nestedDetachedBody(c, items, i + 1) : null;
          if (detached) {
            this.loop(c, detached);
            i = detached.end;
            continue;
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
        this.firstWarpDepth = outerFirstWarp;
        this.perSequenceAt = outerSequence;
        return;
      }
      case 'declaration':
        if (!n.hasError) this.declaration(n);
        return;
      case 'type_definition':
        this.localTypedef(n);
        return;
      case 'do_statement': {
        // `do { ... } while (0)`, a statement macro's body: it runs once, no loop
        const test = field(n, 'condition');
        const once = test && /^\(\s*(?:0|false)\s*\)$/.test(test.text);
        const body = once ? field(n, 'body') : null;
        if (body) this.statement(body);
        else this.loop(n);
        return;
      }
      case 'for_statement':
      case 'while_statement':
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
        const firstWarp = cond ? firstWarpTest(cond, (x) => this.eval(x)) : null;
        if (firstWarp === '==') this.firstWarpDepth++;
        const outer = this.activeLanes;
        const outerFirst = this.firstThreads;
        const few = cond ? this.firstThreadsCondition(cond) : null;
        if (few !== null) this.activeLanes = Math.min(few, outer ?? few);
        else if (cond) this.firstThreads = this.firstThreadsName(cond) ?? outerFirst;
        const outerLimit = this.laneLimit;
        if (cond) this.laneLimit = this.laneLimitCondition(cond) ?? outerLimit;
        const enclosing = this.loopStack.map((id) => this.loops.find((l) => l.id === id)!).filter((l) => l);
        // (or a flag declared in the loop's body that holds such a test, `const bool calculate_norm = (iter % nccheck) == 0;
        // if (calculate_norm)`, as well as what its name says, `last_step`)
        const flag = cond ? this.flagConditions.get(conditionText(cond)) : undefined;
        const flagged = flag && flag.loop === this.loopStack.at(-1) ? rareIterationLoops(flag.test, enclosing, this.loopCounters) : [];
        const rare = cond ? [...new Set([...rareIterationLoops(cond, enclosing, this.loopCounters), ...flagged])] : [];
        // `if (remaining >= 4) { vector step } else { scalar tail }` in a chunked loop: the tail arm's accesses
        const tail = cond ? chunkTailArm(cond, (x) => this.eval(x), enclosing) : null;
        this.rareLoops.push(...rare);
        // (`if (init_state) { init_state = false; ... }`: its arm runs once)
        // (or, in a function with no loop around it, the last of its caller's steps: `if (last_step)`, `if (i == n - 1)`)
        const once = !!cond && (oneShotArm(cond, field(n, 'consequence'), this.lines) || (!enclosing.length && !this.isKernel && lastStepArm(flag?.test ?? cond)));
        if (once) this.onceDepth++;
        if (tail === 'consequence') this.chunkTailDepth++;
        const remainder = cond ? remainderArm(cond, (x) => this.eval(x)) : null;
        if (remainder === 'consequence') this.remainderDepth++;
        const caps = cond ? sizeCapsOf(cond, (x) => this.eval(x)) : [];
        this.sizeCaps.push(...caps);
        // `if (n > 0) m = min(m, src[n - 1]);` in the loop over `n`: a border test on the innermost loop's variable
        const border = !!cond && !!enclosing.length && loopVariableTest(cond, enclosing[enclosing.length - 1].variable);
        if (border) this.borderTestDepth++;
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
        this.sizeCaps.length -= caps.length;
        this.rareLoops.length -= rare.length;
        if (once) this.onceDepth--;
        this.activeLanes = outer;
        this.firstThreads = outerFirst;
        this.laneLimit = outerLimit;
        if (single === '==') this.singleLaneDepth--;
        if (firstWarp === '==') this.firstWarpDepth--;
        if (tail === 'alternative') this.chunkTailDepth++;
        if (remainder === 'alternative') this.remainderDepth++;
        // each arm starts from the values before the `if`; after it, a variable the arms leave different is either
        // (`start = 0; if (diagonal) start = tid + 1;`): unknown. An arm that returns leaves nothing behind
        this.env = field(n, 'alternative') ? new Map(entry) : entry;
        // (the other arm of `if (tid < 16)`: the later lanes)
        const outerFrom = this.laneFrom;
        // (only where the test is that alone: the other arm of `tid < 16 && ok` holds lanes below 16 too)
        if (few !== null && outer === null && !/&&|\|\|/.test(cond?.text ?? '')) this.laneFrom = Math.max(few, outerFrom ?? 0);
        this.inBranch(field(n, 'alternative'), stmt, 1);
        this.laneFrom = outerFrom;
        if (guard) this.guards.pop();
        if (border) this.borderTestDepth--;
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
        if (firstWarp === '!=' && /^\{?\s*return\b/.test(field(n, 'consequence')?.text ?? '')) this.firstWarpDepth++;
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
          // (`if (sum <= tol) break;`: the test, which says whether the loop runs to convergence)
          const test = breakTest(n);
          if (l && test) (l.exitTests ??= []).push(test);
          // (and where the test's locals got their values in the loop: `int next = shared->tokens[pos + 1];`)
          if (l && test) for (const source of exitSources(n, test)) if (!(l.exitSources ??= []).some((x) => x.text === source.text && x.at.line === source.at.line)) l.exitSources.push(source);
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
        if (n.type === 'return_statement' && !this.isKernel) this.returned.push(unparen(namedChildren(n)[0] ?? null)?.text ?? '');
        this.expressions(n);
        return;
      default:
        if (n.type.startsWith('preproc_')) {
          const live = liveChildren(n, fileSwitches(this.lines)).filter((c) => c.isNamed && c.type !== 'identifier' && c.type !== 'preproc_arg');
          // `#ifdef USE_WARP ... #else ... #endif` left open: one build compiles one arm, so they are arms of one conditional
          const alternative = field(n, 'alternative');
          if (alternative && live.some((c) => c.id === alternative.id) && live.length > 1) {
            // (each arm starts from the values before it, as an `if`'s do; after both, a value they leave different is unknown)
            const stmt = this.nextBranch++;
            const entry = new Map(this.env);
            this.branches.push(branchId(stmt, 0));
            for (const c of live) if (c.id !== alternative.id) this.statement(c);
            this.branches.pop();
            const afterFirst = this.env;
            this.env = new Map(entry);
            this.inBranch(alternative, stmt, 1);
            this.env = joinValues(afterFirst, this.env, entry, () => new Set<string>(), false);
            return;
          }
          for (const c of live) this.statement(c);
          return;
        }
        if (n.hasError) return; // `out[i] = in[i] +;`: what it reads or writes is not known
        this.expressions(n);
    }
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
            const element = this.addressedElement(c);
            if (element) {
              this.expressions(element.row);
              this.expressions(element.column);
              return false;
            }
            return true;
          }
          this.recordAccess(c);
          // nested subscripts belong to this access; their index expressions may hold loads
          for (const idx of this.indexNodes(c)) this.expressions(idx);
          return false;
        case 'call_expression': {
          if (this.isKernel && FMA_CALL.test(field(c, 'function')?.text ?? '')) {
            const [x, y] = namedChildren(field(c, 'arguments') ?? c);
            this.noteFactors(x ?? null, y ?? null);
          }
          // `img.at<float>(y, x)` (OpenCV), `m.at(i, j)` of a matrix class: element (y, x) of the object's buffer
          const element = this.elementCall(c);
          if (element) {
            const index = this.elementIndex(element);
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
          // (an operand that is a name with a known value, the `N` of a `cp_async_wait<N>` helper's "n"(N): that value)
          const operand = (i: number) => {
            const t = asmOperand(c, i);
            const v = t && /^[A-Za-z_]\w*$/.test(t) ? this.env.get(t) : undefined;
            return v?.kind === 'int' && v.poly.isConstant ? String(v.poly.constant) : t;
          };
          for (const a of asmCalls(code, operand)) {
            this.calls.push({ kind: 'call', name: a.name, range: nodeRange(c), nameRange: nodeRange(c), args: a.args, argRoots: a.args.map(() => null), loops: [...this.loopStack], scopes: [...this.branches] });
          }
          if (this.isKernel) this.asmAccesses(c, code);
          return true;
        }
        case 'assignment_expression': {
          const left = field(c, 'left');
          const right = field(c, 'right');
          const op = field(c, 'operator')?.text ?? '=';
          // (a flag assigned after its declaration no longer holds its declared test alone)
          if (left?.type === 'identifier') this.flagConditions.delete(left.text);
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
          if (left?.type === 'identifier' && op === '=') this.noteReset(left.text, right);
          // `kernel = &transposeNaive;` of a function pointer declared without one: a kernel it may hold at its launch
          const choices = left?.type === 'identifier' && op === '=' ? this.kernelChoices.get(left.text) : undefined;
          const chosen = right?.type === 'pointer_expression' && field(right, 'operator')?.text === '&' ? field(right, 'argument') : right;
          if (choices && (chosen?.type === 'identifier' || chosen?.type === 'template_function') && !choices.some((k) => k.text === chosen.text)) choices.push(chosen);
          if (left?.type === 'identifier' && this.loopStack.length) this.noteReduction(left.text, op, right, c);
          // (a pointer pointed at another's buffer in a loop, `A = B;` of `tmp = A; A = B; B = tmp;`: buffers trading places)
          if (left?.type === 'identifier' && right?.type === 'identifier' && op === '=' && this.loopStack.length && this.env.get(left.text)?.kind === 'ptr' && this.env.get(right.text)?.kind === 'ptr') {
            const l = this.loops.find((x) => x.id === this.loopStack[this.loopStack.length - 1]);
            if (l) (l.repoints ??= []).push([left.text, right.text]);
          }
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
              const cur = v.poly;
              // (the right side's own assignments first, `i2 = ((idx /= 6) % 24)`: its value reads what they leave)
              if (right) this.expressions(right);
              const r = this.eval(right);
              // `id /= c`, `t %= T`, `x >>= 1`: as `id = id / c`, per lane when it depends on the thread
              const next = op === '=' ? r : op.length >= 2 && op.endsWith('=') ? this.combine(op.slice(0, -1), cur, r, c) : Poly.unknown;
              this.env.set(left.text, { kind: 'int', poly: next });
              this.assigned.set(c.id, next);
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
            } else if (!v && op === '=' && right) this.pointedLater(left.text, right);
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
          if (op === '+' || op === '-' || op === '*' || op === '/') {
            this.arithmetic += this.opsWeight;
            if (this.isKernel) this.noteHalfOperator(c, op);
            if ((op === '-' || op === '+') && this.isKernel) this.noteAddends(c);
            else if (op === '*' && this.isKernel) this.noteFactors(field(c, 'left'), field(c, 'right'));
          }
          else if (op === '<<') this.noteStreamOutput(c);
          return true;
        }
        case 'compound_statement': {
          // a block handed to a statement macro, `DISPATCH_HALF_AND_FLOAT(is_half, "name", { ... if (...) k<<<...>>>(...);
          // else ... })`: the body runs here, its branches as written
          if (this.isKernel || c.parent?.type !== 'argument_list') return true;
          this.statement(c);
          return false;
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
            // (a worker's body, `workers.emplace_back([=] { for (i ...) })` in a loop that only starts threads: it runs
            // in its own thread, beside the others, so its loops nest in none of the spawning loop's)
            const loops = this.loopStack;
            if (spawnsThread(c)) this.loopStack = [];
            this.statement(body);
            this.loopStack = loops;
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

/** The condition of the `if` whose arm a `break` is (`if (sum <= tol) break;`), one line at most; else null. */
function breakTest(brk: Node): string | null {
  let arm: Node = brk;
  // (also the last statement of an arm that does its final work first: `if (sum <= tol) { finalError<<<...>>>(...); break; }`)
  const statements = arm.parent?.type === 'compound_statement' ? namedChildren(arm.parent).filter((c) => c.type !== 'comment') : [];
  if (statements.length && statements[statements.length - 1] === brk) arm = arm.parent!;
  const branch = arm.parent;
  if (branch?.type !== 'if_statement' || field(branch, 'consequence') !== arm) return null;
  const text = field(branch, 'condition')?.text.replace(/\s+/g, ' ') ?? '';
  return text && text.length <= 200 ? text : null;
}

/**
 * The values the locals of a break's test were set to before it in the loop's body (`int next = shared->tokens[pos + 1];`,
 * `next = sample(...);`), as written: what the loop decides on when the test names only a local.
 */
function exitSources(brk: Node, test: string): { text: string; at: { line: number; column: number } }[] {
  const words = new Set(test.match(/[A-Za-z_]\w*/g) ?? []);
  const out: { text: string; at: { line: number; column: number } }[] = [];
  let at: Node = brk;
  for (let up = at.parent; up && !LOOP_STATEMENT.has(up.type); at = up, up = up.parent) {
    if (up.type !== 'compound_statement') continue;
    for (const s of namedChildren(up)) {
      if (s === at) break;
      const set = s.type === 'declaration'
        ? namedChildren(s).filter((d) => d.type === 'init_declarator').map((d) => [field(d, 'declarator'), field(d, 'value')] as const)
        : s.type === 'expression_statement' && namedChildren(s)[0]?.type === 'assignment_expression'
          ? [[field(namedChildren(s)[0], 'left'), field(namedChildren(s)[0], 'right')] as const]
          : [];
      for (const [name, value] of set) {
        if (name?.type === 'identifier' && words.has(name.text) && value && value.text.length <= 200) out.push({ text: value.text.replace(/\s+/g, ' '), at: nodeRange(s).start });
      }
    }
  }
  return out;
}
const LOOP_STATEMENT = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop', 'function_definition']);

/** `operator float *()`, also as `SharedMemory<float>::operator float *()`: the operator_cast node; else null. */
function conversionOperator(declarator: Node | null): Node | null {
  if (declarator?.type === 'operator_cast') return declarator;
  return declarator?.type === 'qualified_identifier' ? namedChildren(declarator).find((c) => c.type === 'operator_cast') ?? null : null;
}

/** The function declarator inside a conversion operator (its parameter list, empty). */
function castFunction(cast: Node): Node | null {
  let cur: Node | null = field(cast, 'declarator');
  while (cur && cur.type !== 'abstract_function_declarator') cur = field(cur, 'declarator') ?? namedChildren(cur).at(-1) ?? null;
  return cur;
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
  records: FileRecords = NO_RECORDS,
  /** Matrix classes' element accessors by method name (see preprocess/accessors.ts). */
  accessors: ReadonlyMap<string, ElementAccessor> = new Map(),
  /** An alias's type in the build without -D flags (preprocess view's defaultTypes). */
  defaultTypes: ReadonlyMap<string, string> = new Map(),
  /** The struct or class the definition is in (`struct Residual { void forward(...) {...} }`), from the file's tree. */
  enclosingClass?: string,
): FunctionFacts | null {
  const declarator = field(def, 'declarator');
  // a conversion operator (`operator T *()` of the samples' `SharedMemory<T>`): named by its text, no parameters
  const cast = conversionOperator(declarator);
  const fdecl = cast ? castFunction(cast) : functionDeclarator(declarator);
  const body = field(def, 'body');
  if (!fdecl || !body) return null;
  const nameNode = cast ?? field(fdecl, 'declarator');
  if (!nameNode) return null;
  const heads = splitOff + ' ' + children(def).filter((c) => c !== body).map((c) => c.text).join(' ');
  const isKernel = /\b__global__\b/.test(heads);
  const params = paramFacts(fdecl, aliases, macros, constants);
  // a SYCL kernel body (`operator()(sycl::nd_item<1> item)`, `SYCL_EXTERNAL`) runs per work-item on a GPU: device code too
  // (so is a body that reads the thread's coordinates: device code behind a qualifier macro from a header not found, `CK_TILE_DEVICE`)
  const isDevice = /\b__device__\b|\bSYCL_EXTERNAL\b/.test(heads) || params.some((p) => /\b(?:sycl::)?nd_item\s*</.test(p.type)) ||
    (!isKernel && GPU_BUILTINS.test(body.text));
  const tmpl = def.parent?.type === 'template_declaration' ? def.parent : null;
  const templateParams = tmpl ? templateParameters(tmpl).flatMap((p) => (p.name && IDENTIFIER.test(p.name) ? [p.name] : [])) : [];
  const w = new FunctionWalker(isKernel || isDevice, params, lines, fileArrays, constants, macros, isKernel ? 'global' : isDevice ? 'unknown' : 'host', helpers, 0, aliases, records);
  // (tests of them alone are decided at each launch of a kernel)
  if (templateParams.length) w.templateParams = new Set(templateParams);
  w.elementAccessors = accessors;
  const owner = isKernel || isDevice ? null : enclosingClass ?? qualifierClass(nameNode);
  w.ownerClass = owner;
  if (owner) w.useClassConstants(owner);
  if (!isKernel && !isDevice) w.hostHelpers = hostHelpers;
  w.statement(body);
  // (the default build's type of an alias an `#if` leaves open: what a count leads with)
  if (defaultTypes.size) for (const a of w.accesses) if (a.elemAlternatives && a.elemType && defaultTypes.has(a.elemType)) a.elemDefault = defaultTypes.get(a.elemType);
  const launchBounds = children(def).find((c) => c.type === 'launch_bounds')?.text ?? null;
  const offload = isKernel || isDevice ? undefined : markOffloaded((tmpl ?? def).startPosition.row, lines, w.loops);
  return {
    name: cast ? cast.text.replace(/\s*\([^()]*\)[\s\w]*$/, '').replace(/\s+/g, ' ') : nameNode.text.replace(/^.*::/, ''),
    range: nodeRange(def),
    nameRange: nodeRange(nameNode.type === 'qualified_identifier' ? field(nameNode, 'name') ?? nameNode : nameNode),
    isKernel,
    isDevice,
    ...(offload ? { offload } : {}),
    // (read from a copy of its own, a top-level definition has no parent, and neither has a class's static method, which
    // only loses a tie of names; a `static inline` one is a header's, made for the files that include it)
    ...(/\bstatic\b/.test(heads) && !/\b(?:inline|__inline__|__forceinline__)\b/.test(heads) && [undefined, 'translation_unit'].includes((tmpl ?? def).parent?.type) ? { isStatic: true } : {}),
    params,
    templateParams,
    loops: w.loops,
    accesses: w.accesses,
    shared: w.shared,
    calls: w.calls,
    syncthreads: w.syncthreads,
    usesVectorTypes: w.usesVectorTypes,
    ...(w.opaqueBufferCalls.size ? { opaqueBufferCalls: [...w.opaqueBufferCalls] } : {}),
    ...(w.halfOperators.length ? { halfOperators: w.halfOperators } : {}),
    ...(w.addends.length ? { addends: w.addends } : {}),
    ...(w.factors.length ? { factors: w.factors } : {}),
    arithmetic: w.arithmetic + [...w.selectedArithmetic.values()].reduce((a, b) => a + b, 0),
    // (a kernel's work in a `__device__` helper's loop, a dot product's k loop, classes it as written inline would; a
    // helper's walk over layout metadata every lane reads alike, `dims[k]` of `is_contiguous(...)`, is no such work)
    kernelClass: classify(isKernel ? { calls: w.calls, shared: w.shared, paramNames: w.paramNames, ...flattenHelperLoops(w.loops, w.accesses, (a) => a.indices.some(dependsOnLane)) } : w, isKernel),
    indexBound: w.indexBound,
    ...(w.indexBounds.size > 1 ? { indexBounds: [...w.indexBounds] } : {}),
    ...(w.indexBoundValue && !w.indexBoundValue.unknown ? { indexBoundValue: w.indexBoundValue } : {}),
    launchBounds,
    ...(w.inlined.length ? { inlined: w.inlined } : {}),
    ...(w.calleeVersions.size ? { calleeVersions: [...w.calleeVersions] } : {}),
    ...(returnsParam(w.returned, params) ? { returnsParam: w.returned[0] } : {}),
    ...(owner ? { className: owner } : {}),
    ...(w.resultAliases.size ? { resultAliases: Object.fromEntries(w.resultAliases) } : {}),
    ...(w.expectedAliases.size ? { expectedAliases: [...w.expectedAliases] } : {}),
  };
}

/** The class of a method defined out of line, `Residual` of `void Residual::forward(...)` (one defined in its class: see enclosingClass). */
function qualifierClass(nameNode: Node): string | null {
  return nameNode.type === 'qualified_identifier' ? field(nameNode, 'scope')?.text.replace(/<[\s\S]*$/, '').replace(/^.*::/, '') || null : null;
}

/** Every `return` hands back the same pointer parameter, unmoved (`return out;` of a launch wrapper). */
function returnsParam(returned: readonly string[], params: readonly ParamFact[]): boolean {
  return returned.length > 0 && returned.every((r) => r === returned[0]) && !!params.find((p) => p.name === returned[0])?.pointer;
}

/** `n > 0`, `n < cols - 1`, `0 != n`: a comparison of the variable `name` with what does not mention it. */
function loopVariableTest(cond: Node, name: string | null): boolean {
  if (!name) return false;
  let c: Node | null = cond;
  while (c && (c.type === 'parenthesized_expression' || c.type === 'condition_clause') && namedChildren(c).length === 1) c = namedChildren(c)[0];
  if (c?.type !== 'binary_expression' || !['<', '>', '<=', '>=', '!=', '=='].includes(field(c, 'operator')?.text ?? '')) return false;
  const [l, r] = [unparen(field(c, 'left')), unparen(field(c, 'right'))];
  const mentions = (x: Node | null) => !!x && identifiersOf(x).includes(name);
  return (l?.type === 'identifier' && l.text === name && !mentions(r)) || (r?.type === 'identifier' && r.text === name && !mentions(l));
}

/**
 * A lambda handed to what starts a thread with it: `std::thread(f)`, `std::thread worker(f)`, `std::async(f)` (not
 * `launch::deferred`, run on the caller's thread), `workers.emplace_back(f)`, `pool.submit(f)`.
 */
function spawnsThread(lambda: Node): boolean {
  const list = lambda.parent?.type === 'argument_list' ? lambda.parent : null;
  const owner = list?.parent;
  if (!list || !owner) return false;
  if (list.text.includes('launch::deferred')) return false;
  // `std::thread worker([=] { ... });`: a declaration of a thread object with the lambda as its argument
  if (owner.type === 'init_declarator') return /(?:^|::)j?thread\b/.test(field(owner.parent ?? owner, 'type')?.text ?? '');
  const callee = owner.type === 'call_expression' ? field(owner, 'function')?.text ?? '' : '';
  return /(?:^|::)(?:thread|jthread|async)$|\.(?:emplace_back|enqueue|submit)$|->(?:enqueue|submit)$/.test(callee.replace(/\s+/g, ''));
}

/** An `if`'s condition when it is one name (`calculate_norm` of `if (calculate_norm)`). */
function conditionText(cond: Node): string {
  const e = conditionExpression(cond);
  return e?.type === 'identifier' ? e.text : '';
}

/** A loop body the grammar split off at a `#pragma` (items from `j`: the pragmas, then the body), with the next one chained. */
export interface DetachedBody {
  body: Node;
  pragmas: string[];
  /** The body is itself a loop split off so: its own detached body. */
  inner?: DetachedBody;
  /** The index of the last item it takes. */
  end: number;
}

/**
 * The detached body of loop `c`, or of the innermost of the unbraced loops nested in it (`for i / for j / #pragma omp
 * simd / for k`: the grammar ends `for j` at the pragma), carried down through the loops between as their bodies.
 */
function nestedDetachedBody(c: Node, items: readonly Node[], j: number): DetachedBody | null {
  const body = field(c, 'body');
  if (body?.text.trim() === '') return detachedBody(items, j);
  if (!body || !LOOP_TYPES.has(body.type)) return null;
  const inner = nestedDetachedBody(body, items, j);
  return inner ? { body, pragmas: [], inner, end: inner.end } : null;
}

function detachedBody(items: readonly Node[], j: number): DetachedBody | null {
  const pragmas: string[] = [];
  // (comments between the pragma and the loop are no statements)
  for (; j < items.length && (items[j].type === 'comment' || (items[j].type === 'preproc_call' && /^#\s*pragma\b/.test(items[j].text.trim()))); j++) {
    if (items[j].type !== 'comment') pragmas.push(items[j].text.trim().replace(/^#\s*pragma\s*/, ''));
  }
  if (!pragmas.length || j >= items.length) return null;
  const body = items[j];
  const inner = LOOP_TYPES.has(body.type) && field(body, 'body')?.text.trim() === '' ? detachedBody(items, j + 1) : null;
  return { body, pragmas, ...(inner ? { inner } : {}), end: inner ? inner.end : j };
}
