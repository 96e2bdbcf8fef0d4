// Loops in a C/C++ walk (cfamily.ts): each loop's variable, start, step, bound and trip count,
// grid- and block-stride loops, and the loop-carried values its body leaves unknown.
import type { SyntaxNode as Node } from '../mirror';
import type { LambdaLoop } from './lambda-loops';
import { markLoopCarried } from './loop-carried';
import { sequenceGuard } from './sequence-bound';
import type { DetachedBody } from './cfamily';
import { commaParts, firstLanesLoop, remainderTrips, stepCounters, steppedName, whileAsFor } from './loop-forms';
import { declaratorName } from './ctypes';
import { unparen, type PtrValue, type Value } from './evaluate';
import { Poly, atom, loneSymbol } from '../affine';
import { field, namedChildren, nodeRange, walk } from '../syntax';
import type { LoopFact } from './model';
import { cappedTrips, emptyBraces, initializerValue, tripCount } from './c-syntax';
import { CallWalker } from './walker-calls';
import { MAX_OPS_WEIGHT } from './walker-state';

/** A symbol of a launch dimension (`gridDim.x`), or a step kept as text that names one inside it (`(blockDim.x * gridDim.x) / 32`). */
const names = (dim: string) => (sym: string): boolean => sym.startsWith(dim) || (/[^\w.]/.test(sym) && sym.includes(dim));

export abstract class LoopWalker extends CallWalker {
  protected loop(n: Node, detached?: DetachedBody): void {
    const id = this.nextLoopId++;
    const kind = n.type === 'for_statement' ? 'for' : n.type === 'while_statement' ? 'while' : n.type === 'do_statement' ? 'do' : 'range';
    const parent = this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null;
    const line = this.lines[n.startPosition.row] ?? '';
    const bodyNode = detached?.body ?? field(n, 'body');
    const headerEnd = bodyNode ? bodyNode.startPosition : n.endPosition;
    let headerEndCol = headerEnd.row === n.startPosition.row && !detached ? headerEnd.column : line.replace(/\s+$/, '').length;
    while (headerEndCol > n.startPosition.column && /\s|\{/.test(line[headerEndCol - 1] ?? '')) headerEndCol--;
    // (a body the grammar split off at a pragma is the loop's too: its range ends where that body ends)
    let last = detached;
    while (last?.inner) last = last.inner;
    const fact: LoopFact = {
      id, kind, variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: last ? { start: nodeRange(n).start, end: nodeRange(last.body).end } : nodeRange(n),
      headerRange: { start: { line: n.startPosition.row, column: n.startPosition.column }, end: { line: n.startPosition.row, column: headerEndCol } },
      parent, depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: this.pendingPragmas,
    };
    this.pendingPragmas = [];
    if (this.branches.length) fact.scopes = [...this.branches];
    this.loops.push(fact);
    const counters = this.isKernel ? [] : stepCounters(bodyNode);
    if (counters.length) this.loopCounters.set(id, counters);

    let restoreVar: [string, Value | undefined] | null = null;
    const companions: string[] = [];
    const stepped = kind === 'while' ? whileAsFor(n) : null;
    // (a `for` loop's too: `for (int it = 0; h_flag; ++it)` tests a flag as a `while` would)
    const whileCond = kind === 'while' || kind === 'for' ? field(n, 'condition') : null;
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
      // `for (const float* p = x; p != x + C; ++p)`, `for (; p < inp + n; p += stride)`: a pointer stepped through a buffer
      const walked = update ? this.walkedPointer(init, update) : null;
      if (walked) {
        variable = walked.name;
        this.pointerLoop(fact, walked, cond, update!);
        restoreVar = [variable, walked.before];
      }
      // `for (e = rowptr[row]; e < rowptr[row + 1]; ++e)`: the thread walks its own row of a CSR structure
      const startNode = init?.type === 'declaration' ? initializerValue(namedChildren(init).find((c) => c.type === 'init_declarator') ?? init) : init?.type === 'assignment_expression' ? field(init, 'right') : null;
      if (variable && this.isKernel && (initPoly === null || initPoly.unknown) && startNode && cond?.type === 'binary_expression' && field(cond, 'left')?.text === variable) {
        initPoly = this.segmentStart(startNode, field(cond, 'right')) ?? initPoly;
      }
      if (variable && !walked) {
        const step = update ? this.stepOf(update, variable) : null;
        fact.variable = variable;
        fact.symbol = `#loop${id}:${variable}`;
        fact.init = initPoly;
        fact.step = step;
        const factor = step === null && update ? factorOf(update, variable) : null;
        if (factor !== null) fact.factor = factor;
        if (cond?.type === 'binary_expression' && field(cond, 'left')?.text === variable) {
          fact.bound = unparen(field(cond, 'right'))?.text ?? null; // `(n)` from a macro
          const cmp = field(cond, 'operator')?.text;
          if (cmp === '<=' || cmp === '>=') fact.inclusive = true;
          const bound = this.eval(unparen(field(cond, 'right')));
          if (!bound.unknown) fact.limit = bound;
          if (cmp === '<' || cmp === '<=') fact.trips = tripCount(initPoly, step, bound, cmp === '<=') ?? remainderTrips(initPoly, step, bound, cmp === '<=');
          const capped = fact.trips === undefined && (cmp === '<' || cmp === '<=') ? cappedTrips(initPoly, step, bound, cmp === '<=') : null;
          if (capped !== null) fact.maxTrips = capped;
          // a countdown (`i = NDim - 1; i >= 0; i--`) runs as many times
          else if ((cmp === '>' || cmp === '>=') && step?.isConstant && step.constant < 0) fact.trips = tripCount(bound, step.scale(-1), initPoly ?? Poly.unknown, cmp === '>=') ?? undefined;
        } else if (cond?.type === 'binary_expression' && ['<', '<='].includes(field(cond, 'operator')?.text ?? '')) {
          // `offset + rowStride <= BM`: the variable against the bound less a run, `offset <= BM - rowStride`
          const left = unparen(field(cond, 'left'));
          const run = left?.type === 'binary_expression' && field(left, 'operator')?.text === '+' && field(left, 'left')?.text === variable ? field(left, 'right') : null;
          const right = unparen(field(cond, 'right'));
          // `i * ILP < n` of a thread moving ILP elements a step: the variable against the bound over the scale, `i < n / ILP`
          const scale = left?.type === 'binary_expression' && field(left, 'operator')?.text === '*' ? this.scaleOf(left, variable) : null;
          // (`tid * ILP < features * batch_size`: a product of names is divided as written)
          if (scale !== null && right && /^[\w.]+(?:\s*\*\s*[\w.]+)*$/.test(right.text)) {
            fact.bound = `${right.text}/${scale}`;
            const bound = this.eval(right).scale(1 / scale);
            if (!bound.unknown) fact.limit = bound;
            if (field(cond, 'operator')?.text === '<=') fact.inclusive = true;
            fact.trips = tripCount(initPoly, step, bound, fact.inclusive === true) ?? undefined;
          } else if (run && right) {
            fact.bound = `${right.text} - ${/^[\w.]+$/.test(run.text) ? run.text : `(${run.text})`}`;
            if (field(cond, 'operator')?.text === '<=') fact.inclusive = true;
            const bound = this.eval(right).sub(this.eval(run));
            if (!bound.unknown) fact.limit = bound;
            fact.trips = tripCount(initPoly, step, bound, fact.inclusive === true) ?? undefined;
          }
        }
        fact.gridStride = !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && step.dependsOn(names('gridDim.'));
        // (or by a template parameter the launches set to the block's size, `k += NUM_THREADS` of `template <int NUM_THREADS>`)
        const byTemplate = !!step && loneSymbol(step) !== null && this.templateParams.has(loneSymbol(step)!);
        fact.blockStride = !fact.gridStride && !!initPoly && initPoly.dependsOn((s) => s.startsWith('threadIdx.')) && !!step && (step.dependsOn(names('blockDim.')) || byTemplate);
        // the thread's own contiguous share of the range, `idx = N * pos / size; idx < N * (pos + 1) / size; ++idx`:
        // each element is one thread's, as in a grid-stride loop, handed out in chunks
        const chunk = this.isKernel && !fact.gridStride && !fact.blockStride && step?.isConstant && step.constant === 1 && startNode && fact.bound !== null &&
          initPoly?.dependsOn((s) => s.startsWith('threadIdx.') || s.startsWith('#op')) ? chunkOfRange(startNode.text, fact.bound) : null;
        if (chunk) {
          fact.chunked = true;
          if (this.indexBound === null) this.indexBound = chunk;
        }
        // (a parameter, or a product of them and constants: `n`, `33 * 1024` of a `#define N`)
        if (fact.gridStride && fact.bound && /^[\w\s*/()]+$/.test(fact.bound) && this.indexBound === null) {
          this.indexBound = fact.bound.replace(/\s+/g, '');
          // (in the bound's own units: `n/4` of `i * 4 < n` is a quarter of `n`)
          this.indexBoundValue = fact.limit ?? this.eval(unparen(field(cond!, 'right')));
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
      if (cond) this.inLoop(id, () => this.expressions(cond));
    } else if (kind === 'range') {
      const right = field(n, 'right');
      if (right) this.expressions(right);
    } else {
      const cond = field(n, 'condition');
      if (cond) this.inLoop(id, () => this.expressions(cond));
      if (cond && cond.endIndex - cond.startIndex <= 120) fact.condition ??= cond.text;
      // (`do { delta = kmeansCuda(...); ... } while (delta > threshold)`, `while (error > tol) { ...; error = sqrtf(l2); }`:
      // where the condition's locals get their values)
      if ((kind === 'do' || kind === 'while') && cond && fact.condition && bodyNode) fact.exitSources = conditionSources(bodyNode, fact.condition);
    }
    // (host code: the names its body hands from one step to the next, `token = next;` of a decode loop, and the
    // function's parameters it assigns, `t = x[i] * x[i] + 1` of a scalar `t`: no longer the caller's value)
    if (!this.isKernel && bodyNode) {
      const { handsOn, assignsParams } = hostBodyWrites(bodyNode, this.params);
      if (handsOn.length) fact.handsOn = handsOn;
      if (assignsParams.length) fact.assignsParams = assignsParams;
    }
    const carried = markLoopCarried(bodyNode, id, fact.variable, this.env, (x) => this.eval(x), (g) => (fact.geometric ??= []).push(g), kind === 'for' ? field(n, 'update') : null);
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
    if (detached?.inner) this.loop(detached.body, detached.inner);
    else if (bodyNode) this.statement(bodyNode);
    if (bodyNode && fact.reductions) markScans(fact, bodyNode);
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
      const before = restoreVar[1];
      this.env.set(restoreVar[0], before?.kind === 'ptr' ? { ...before, offset: Poly.unknown } : { kind: 'int', poly: Poly.unknown });
    }
    this.forgetCarried([...carried, ...companions]);
  }

  /** After a loop: what its body changed is wherever the last iteration left it (a stepped pointer keeps its buffer). */
  private forgetCarried(names: readonly string[]): void {
    for (const name of names) {
      const v = this.env.get(name);
      this.env.set(name, v?.kind === 'ptr' ? { ...v, offset: Poly.unknown } : { kind: 'int', poly: Poly.unknown });
    }
  }

  /** Walks a loop's condition as part of the loop: it runs on every iteration (`while (sqrtf(t) < lim)`). */
  private inLoop(id: number, walk: () => void): void {
    this.loopStack.push(id);
    walk();
    this.loopStack.pop();
  }

  /** `i * ILP` or `4 * i`: the constant the loop variable is scaled by (an integer above 1), or null. */
  private scaleOf(product: Node, variable: string): number | null {
    const [l, r] = [unparen(field(product, 'left')), unparen(field(product, 'right'))];
    const other = l?.text === variable ? r : r?.text === variable ? l : null;
    const v = other ? this.eval(other) : null;
    return v?.isConstant && Number.isInteger(v.constant) && v.constant > 1 ? v.constant : null;
  }

  /** A CSR row's start (`rowptr[row]`) when the loop's bound is the next row's (`rowptr[row + 1]`): a 'segment' atom over the row. */
  private segmentStart(start: Node, bound: Node | null): Poly | null {
    const first = this.offsetLoad(start);
    const last = first ? this.offsetLoad(bound) : null;
    if (!first || !last || first.array !== last.array) return null;
    const next = last.index.sub(first.index);
    return next.isConstant && next.constant === 1 ? atom('segment', [first.index], first.text) : null;
  }

  /** A loop written as a call with a lambda body (facts/lambda-loops.ts): from `start` (else 0) to `count` by 1. */
  protected callLoop(lambda: Node, l: LambdaLoop): void {
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
    this.forgetCarried(carried);
  }

  /**
   * The pointer a `for` loop steps (`const float* p = x`, `p = row`, or one already set: `for (; p < end; p += s)`),
   * where it starts, and what the name held before the loop; null when the stepped name is no pointer the walk knows.
   */
  private walkedPointer(init: Node | null, update: Node): { name: string; start: PtrValue; before: Value | undefined } | null {
    const name = steppedName(update);
    if (!name) return null;
    let start: PtrValue | null = null;
    if (!init) {
      const now = this.env.get(name);
      start = now?.kind === 'ptr' && !now.offset.unknown ? now : null;
    } else if (init.type === 'declaration') {
      const d = namedChildren(init).find((c) => c.type === 'init_declarator');
      const info = d ? declaratorName(d) : null;
      if (info?.name === name && info.pointer) start = this.evalPtr(initializerValue(d!));
    } else if (init.type === 'assignment_expression' && field(init, 'left')?.text === name && field(init, 'operator')?.text === '=') {
      start = this.evalPtr(field(init, 'right'));
    }
    return start && !start.offset.unknown ? { name, start, before: this.env.get(name) } : null;
  }

  /**
   * A pointer-walk loop as the counted loop it is: its variable counts the elements walked from where the pointer
   * starts (0, `step` a pass) to where the test (`p < x + C`, `p != end`) stops it; the pointer itself moves with it.
   * Whether it is a grid- or block-stride loop is read from where the pointer starts.
   */
  private pointerLoop(fact: LoopFact, walked: { name: string; start: PtrValue }, cond: Node | null, update: Node): void {
    const step = this.stepOf(update, walked.name);
    fact.variable = walked.name;
    fact.symbol = `#loop${fact.id}:${walked.name}`;
    fact.init = Poly.const(0);
    fact.step = step;
    const op = cond?.type === 'binary_expression' ? field(cond, 'operator')?.text : undefined;
    const end = op && ['<', '<=', '!='].includes(op) && field(cond!, 'left')?.text === walked.name ? this.evalPtr(field(cond!, 'right')) : null;
    const span = end && end.base === walked.start.base ? end.offset.sub(walked.start.offset) : null;
    if (span && !span.unknown) {
      // (the row's length where it is one name or number, `C` of `p != x + C`; else the end as written)
      const simple = span.isConstant || loneSymbol(span) !== null;
      fact.bound = simple ? span.toString() : unparen(field(cond!, 'right'))?.text ?? null;
      fact.limit = span;
      if (op === '<=') fact.inclusive = true;
      fact.trips = tripCount(Poly.const(0), step, span, op === '<=') ?? undefined;
    }
    const fromThread = walked.start.offset.dependsOn((s) => s.startsWith('threadIdx.'));
    fact.gridStride = fromThread && !!step && step.dependsOn(names('gridDim.'));
    fact.blockStride = !fact.gridStride && fromThread && !!step && step.dependsOn(names('blockDim.'));
    const moved = step ? Poly.sym(fact.symbol).mul(step) : Poly.unknown;
    this.env.set(walked.name, { kind: 'ptr', ...walked.start, offset: walked.start.offset.add(moved) });
  }

  /** `i++`, `i += s`, `i = i + s`: the per-iteration step of the loop variable. */
  protected stepOf(update: Node, variable: string): Poly | null {
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
}

/** `s *= 2`, `s <<= 1` (2), `s /= 2`, `s >>= 1` (0.5): a loop variable multiplied each pass by a constant power of two. */
function factorOf(update: Node, variable: string): number | null {
  const u = update.type === 'comma_expression' ? namedChildren(update)[0] : update;
  if (u?.type !== 'assignment_expression' || field(u, 'left')?.text !== variable) return null;
  const by = Number(field(u, 'right')?.text.trim());
  if (!Number.isInteger(by) || by < 1 || by > 16) return null;
  switch (field(u, 'operator')?.text) {
    case '*=':
      return by >= 2 && (by & (by - 1)) === 0 ? by : null;
    case '/=':
      return by >= 2 && (by & (by - 1)) === 0 ? 1 / by : null;
    case '<<=':
      return by <= 4 ? 2 ** by : null;
    case '>>=':
      return by <= 4 ? 2 ** -by : null;
    default:
      return null;
  }
}

/**
 * `N * pos / size` to `N * (pos + 1) / size` (the start of the next thread's share): the range `N` it splits, else null.
 * (`pos` is the thread's index in the grid, `size` their count.)
 */
function chunkOfRange(start: string, bound: string): string | null {
  const s = start.replace(/\s+/g, '');
  const m = /^(\w+)\*(\w+)\/(\w+)$/.exec(s);
  if (!m || bound.replace(/\s+/g, '') !== `${m[1]}*(${m[2]}+1)/${m[3]}`) return null;
  return m[1];
}

/** Reductions of `loop` whose running value the body reads outside their own updates (a prefix sum stored each step). */
function markScans(loop: LoopFact, body: Node): void {
  // (sums and products: a running max's test, `if (x[i] > m) m = x[i];`, reads it outside its assignment by its nature)
  const reductions = loop.reductions!.filter((r) => r.op !== 'max' && r.op !== 'min');
  if (!reductions.length) return;
  const inUpdate = (n: Node, name: string) => reductions.some((r) => r.variable === name && within(nodeRange(n), r.range));
  const read = new Set<string>();
  const names = new Set(reductions.map((r) => r.variable));
  const visit = (n: Node) => {
    if (n.type === 'identifier' && names.has(n.text) && !inUpdate(n, n.text)) read.add(n.text);
    for (const c of namedChildren(n)) visit(c);
  };
  visit(body);
  for (const r of reductions) if (read.has(r.variable)) r.readInLoop = true;
}

const within = (a: LoopFact['range'], b: LoopFact['range']) =>
  (a.start.line > b.start.line || (a.start.line === b.start.line && a.start.column >= b.start.column)) &&
  (a.end.line < b.end.line || (a.end.line === b.end.line && a.end.column <= b.end.column));

/**
 * What a host loop's body writes, in one walk: the locals its own statements set from another local that the body sets
 * from a call (`token = next;` after `next = sample(...)`: what one step hands to the next; a pointer swap, `d_u = d_unew`,
 * hands on no value of a call), and the function's parameters it assigns anywhere.
 */
function hostBodyWrites(body: Node, params: ReadonlyMap<string, unknown>): { handsOn: string[]; assignsParams: string[] } {
  const fromCall = new Set<string>();
  const assigned = new Set<string>();
  walk(body, (c) => {
    const [name, value] = c.type === 'assignment_expression' ? [field(c, 'left'), field(c, 'right')] : c.type === 'init_declarator' ? [field(c, 'declarator'), field(c, 'value')] : [null, null];
    if (name?.type === 'identifier' && value?.type === 'call_expression') fromCall.add(name.text);
    const target = c.type === 'assignment_expression' ? name : c.type === 'update_expression' ? field(c, 'argument') : null;
    if (target?.type === 'identifier' && params.has(target.text)) assigned.add(target.text);
  });
  const handsOn: string[] = [];
  for (const st of body.type === 'compound_statement' ? namedChildren(body) : []) {
    const e = st.type === 'expression_statement' ? namedChildren(st)[0] : null;
    if (e?.type !== 'assignment_expression' || field(e, 'operator')?.text !== '=') continue;
    const [name, value] = [field(e, 'left'), field(e, 'right')];
    if (name?.type === 'identifier' && value?.type === 'identifier' && fromCall.has(value.text) && !handsOn.includes(name.text)) handsOn.push(name.text);
  }
  return { handsOn, assignsParams: [...assigned] };
}

/** The values a `do` or `while` loop's body sets the locals of its condition to, at its top level (`delta = kmeansCuda(...)`), as written. */
function conditionSources(body: Node, condition: string): { text: string; at: { line: number; column: number } }[] {
  const words = new Set(condition.match(/[A-Za-z_]\w*/g) ?? []);
  const out: { text: string; at: { line: number; column: number } }[] = [];
  for (const s of body.type === 'compound_statement' ? namedChildren(body) : []) {
    const e = s.type === 'expression_statement' ? namedChildren(s)[0] : null;
    if (e?.type !== 'assignment_expression') continue;
    const [name, value] = [field(e, 'left'), field(e, 'right')];
    if (name?.type === 'identifier' && words.has(name.text) && value && value.text.length <= 200) out.push({ text: value.text.replace(/\s+/g, ' '), at: nodeRange(s).start });
  }
  return out;
}
