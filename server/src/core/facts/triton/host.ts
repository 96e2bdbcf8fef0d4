// Facts of Triton host code: launches, torch ops and what reads each buffer, in order.
import type { SyntaxNode as Node } from '../../mirror';
import { field, nodeRange } from '../../syntax';
import { tick } from '../../budget';
import type { Range } from '../../types';
import { branchId, type CallFact, type CallKind, type FunctionFacts, type LoopFact, type ParamFact } from '../model';
import { launchedKernel } from './wrapped-launch';
import { DEBUG_FLAG } from '../loop-forms';
import { isApplyEntry, renamedTo, compact, children, namedChildren, resolveName, isModulePath, unparen, argRoot, argumentNodes, keywordFacts, headerRange, paramFacts } from './common';

export const COPY_METHODS = new Set(['cpu', 'item', 'tolist', 'numpy']);
export const SKIP_STATEMENTS = new Set([
  'function_definition', 'class_definition', 'decorated_definition', 'import_statement', 'import_from_statement',
  'future_import_statement', 'comment', 'pass_statement', 'break_statement', 'continue_statement', 'global_statement',
  'nonlocal_statement', 'type_alias_statement',
]);

export class HostWalker {
  readonly calls: CallFact[] = [];
  readonly loops: LoopFact[] = [];
  private loopStack: number[] = [];
  private scopeStack: number[] = [];
  /** Loops whose iterations the enclosing `if` picks every so many (`if step % log_every == 0:`). */
  private rareStack: number[] = [];
  /** The names a `for` loop's target binds, by loop id (`step`, `x`, `y` of `for step, (x, y) in ...`). */
  private readonly loopTargets = new Map<number, string[]>();
  /** Step counters a loop's body advances by hand (`step += 1`), and where a test of them starts to count (stepCounters). */
  private readonly loopCounters = new Map<number, { name: string; from: number }[]>();
  private nextScope = 0;
  /** Local names last bound to a list or tuple literal, with its number of items. */
  private literalSequences = new Map<string, number>();
  /** Names bound to a kernel picked by a flag, `fx = _gemma_fwd if gemma else _rms_fwd`: launched as the default arm. */
  private readonly pickedKernels = new Map<string, string>();

  constructor(
    private readonly aliases: Map<string, string>,
    private readonly lines: string[],
  ) {}

  private push(
    n: Node, kind: CallKind, name: string, form: NonNullable<CallFact['form']>, args: Node[], childOps: (number | null)[],
    extra: Partial<CallFact> = {},
  ): number {
    const idx = this.calls.length;
    this.calls.push({
      kind, name, range: nodeRange(n), nameRange: extra.nameRange ?? nodeRange(n),
      args: args.map((a) => a.text), argRoots: args.map((a) => argRoot(a)),
      loops: [...this.loopStack], scopes: [...this.scopeStack], form, ...(this.exitTest > 0 ? { exitTest: true } : {}),
      ...(this.rareStack.length ? { rareIn: [...this.rareStack] } : {}), ...extra,
    });
    for (const c of childOps) if (c !== null && this.calls[c].parent === undefined) this.calls[c].parent = idx;
    return idx;
  }

  /** Depth of loop-exit tests being read (`if err.item() < tol: break`): their calls decide whether the loop goes on. */
  private exitTest = 0;
  private exitTestIf(exits: boolean, read: () => void): void {
    if (exits && this.loopStack.length) this.exitTest++;
    try {
      read();
    } finally {
      if (exits && this.loopStack.length) this.exitTest--;
    }
  }

  /**
   * The enclosing loops a condition picks one iteration in so many of: `step % log_every == 0`, `(i + 1) % 100 == 0`,
   * `not step % 10` (not `% 2`: alternate steps, each half the time).
   */
  private everyFewIterations(cond: Node | null): number[] {
    const text = compact(cond?.text ?? '');
    // (or under a debugging or logging switch, `if log_every_chunk:`, `if self.verbose:`: in every loop around it)
    if (/^[A-Za-z_][\w.]*$/.test(text) && DEBUG_FLAG.test(text.replace(/^.*\./, ''))) return [...this.loopStack];
    const m = /^(?:not\(?|\()?\(?([A-Za-z_]\w*)(?:\+1)?\)?%\(?([A-Za-z_][\w.]*|\d+)\)?\)?(?:==0)?$/.exec(text);
    if (!m || (!text.startsWith('not') && !text.endsWith('==0'))) return [];
    if (/^\d+$/.test(m[2]) && Number(m[2]) <= 4) return [];
    // (also one name of a tuple target, `for step, (x, y) in enumerate(loader)`)
    const counted = (id: number) => this.loopCounters.get(id)?.some((c) => c.name === m[1] && cond!.startIndex > c.from);
    return this.loopStack.filter((id) => this.loops[id]?.variable === m[1] || !!this.loopTargets.get(id)?.includes(m[1]) || counted(id));
  }

  /** A block as arm `arm` of conditional `statement` (`branchId`: arms of one `if`/`elif`/`else` exclude each other). */
  private scoped(n: Node | null, statement = this.nextScope++, arm = 0): void {
    if (!n) return;
    this.scopeStack.push(branchId(statement, arm));
    this.block(n);
    this.scopeStack.pop();
  }

  block(n: Node | null): void {
    if (!n) return;
    if (n.type !== 'block' && n.type !== 'module') {
      this.statement(n);
      return;
    }
    for (const c of namedChildren(n)) this.statement(c);
  }

  statement(n: Node): void {
    if (SKIP_STATEMENTS.has(n.type)) return;
    tick();
    switch (n.type) {
      case 'expression_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'assignment') this.assign(c);
          else if (c.type === 'augmented_assignment') this.augAssign(c);
          else this.expr(c);
        }
        return;
      case 'return_statement': {
        const v = sameFirstReturned(namedChildren(n).find((c) => c.type !== 'comment') ?? null);
        const elems = v ? (v.type === 'expression_list' || v.type === 'tuple' ? namedChildren(v) : [v]) : [];
        const ops = elems.map((e) => this.expr(e));
        this.push(n, 'call', 'return', 'return', elems, ops);
        return;
      }
      case 'if_statement':
        this.exitTestIf(leavesLoop(field(n, 'consequence')), () => this.expr(field(n, 'condition')));
        {
          const statement = this.nextScope++;
          let arm = 0;
          const rare = this.everyFewIterations(field(n, 'condition'));
          this.rareStack.push(...rare);
          this.scoped(field(n, 'consequence'), statement, arm++);
          this.rareStack.length -= rare.length;
          for (const alt of children(n).filter((c) => c.type === 'elif_clause' || c.type === 'else_clause')) {
            if (alt.type === 'elif_clause') {
              this.exitTestIf(leavesLoop(field(alt, 'consequence')), () => this.expr(field(alt, 'condition')));
              this.scoped(field(alt, 'consequence'), statement, arm++);
            } else this.scoped(field(alt, 'body'), statement, arm++);
          }
        }
        return;
      case 'for_statement':
      case 'while_statement':
        this.loop(n);
        return;
      case 'with_statement':
        for (const c of namedChildren(n)) if (c.type === 'with_clause') for (const item of namedChildren(c)) this.expr(field(item, 'value') ?? item);
        this.block(field(n, 'body'));
        return;
      case 'try_statement':
        for (const c of namedChildren(n)) {
          if (c.type === 'block') this.block(c);
          else if (c.type === 'except_clause' || c.type === 'except_group_clause') {
            this.scopeStack.push(branchId(this.nextScope++, 0));
            for (const cc of namedChildren(c)) if (cc.type === 'block') this.block(cc);
            this.scopeStack.pop();
          } else if (c.type === 'else_clause') this.block(field(c, 'body'));
          else if (c.type === 'finally_clause') for (const cc of namedChildren(c)) if (cc.type === 'block') this.block(cc);
        }
        return;
      case 'block':
        this.block(n);
        return;
      default: {
        // assert, raise, del, match and the like: whatever names they read are used here
        const ops = namedChildren(n).map((c) => this.expr(c));
        const names = this.identifiersIn(n);
        if (names.length) this.push(n, 'call', n.type.replace(/_statement$/, ''), 'other', names, ops);
      }
    }
  }

  private loop(n: Node): void {
    const id = this.loops.length;
    const isFor = n.type === 'for_statement';
    const fact: LoopFact = {
      id, kind: isFor ? 'for' : 'while', variable: null, symbol: `#loop${id}:`, init: null, step: null, bound: null,
      range: nodeRange(n), headerRange: headerRange(n, this.lines),
      parent: this.loopStack.length ? this.loopStack[this.loopStack.length - 1] : null,
      depth: this.loopStack.length, gridStride: false, blockStride: false, pragmas: [],
    };
    this.loops.push(fact);
    if (isFor) {
      const left = field(n, 'left');
      const right = field(n, 'right');
      const rOp = this.expr(right);
      if (left?.type === 'identifier') {
        fact.variable = left.text;
        fact.symbol = `#loop${id}:${left.text}`;
      }
      const items = right ? literalItems(right) ?? (right.type === 'identifier' ? this.literalSequences.get(right.text) : undefined) : undefined;
      if (items !== undefined && items !== null) fact.literalItems = items;
      if (right?.type === 'call' && compact(field(right, 'function')?.text ?? '') === 'range') {
        const pos = argumentNodes(right).positional;
        fact.bound = (pos.length === 1 ? pos[0] : pos[1])?.text ?? null;
        // (`range(8)`, `range(2, 10, 2)` of literals: its trip count)
        const [start, stop, step] = (pos.length === 1 ? ['0', pos[0].text] : pos.map((x) => x.text)).map((t) => (/^\d+$/.test(t ?? '') ? Number(t) : NaN));
        const by = step ?? 1;
        if (Number.isFinite(start) && Number.isFinite(stop) && Number.isFinite(by) && by > 0) fact.trips = Math.max(0, Math.ceil((stop - start) / by));
      }
      this.loopStack.push(id);
      if (left) this.loopTargets.set(id, this.targetNames(left));
      if (left && right) this.push(left, 'call', 'for', 'assign', [right], [rOp], { assignedTo: this.targetNames(left) });
    } else {
      // (`while err > tol:` decides whether the loop goes on, each iteration)
      this.exitTest++;
      try {
        this.expr(field(n, 'condition'));
      } finally {
        this.exitTest--;
      }
      this.loopStack.push(id);
    }
    // (a step counter the body advances by hand, `step += 1`, gates as the loop's own variable: `if step % log_every == 0:`)
    const body = field(n, 'body');
    const counters = stepCounters(body);
    if (counters.length) this.loopCounters.set(id, counters);
    this.block(body);
    this.loopStack.pop();
    for (const c of children(n)) if (c.type === 'else_clause') this.scoped(field(c, 'body'));
  }

  private targetNames(t: Node): string[] {
    const out: string[] = [];
    if (t.type === 'identifier') return [t.text];
    if (['pattern_list', 'tuple_pattern', 'list_pattern', 'expression_list', 'tuple', 'list'].includes(t.type)) {
      for (const c of namedChildren(t)) out.push(...this.targetNames(c));
    }
    return out;
  }

  private assign(n: Node): void {
    const targets: Node[] = [];
    let cur: Node | null = n;
    while (cur && cur.type === 'assignment') {
      const l = field(cur, 'left');
      if (l) targets.push(l);
      cur = field(cur, 'right');
    }
    if (!cur) return; // `x: int` declares, assigns nothing
    const rOp = this.expr(cur);
    const assignedTo: string[] = [];
    const stores: Node[] = [];
    const collect = (t: Node) => {
      if (t.type === 'identifier') assignedTo.push(t.text);
      else if (['pattern_list', 'tuple_pattern', 'list_pattern'].includes(t.type)) namedChildren(t).forEach(collect);
      else if (t.type === 'subscript' || t.type === 'attribute') stores.push(t);
      else if (t.type === 'list_splat_pattern') namedChildren(t).forEach(collect);
    };
    targets.forEach(collect);
    const items = literalItems(cur);
    for (const name of assignedTo) {
      if (items !== null && targets.length === 1 && targets[0].type === 'identifier') this.literalSequences.set(name, items);
      else this.literalSequences.delete(name);
      const picked = targets.length === 1 && targets[0].type === 'identifier' ? pickedName(cur, this.aliases) : null;
      if (picked) this.pickedKernels.set(name, picked);
      else this.pickedKernels.delete(name);
    }
    this.push(n, 'call', '=', 'assign', [cur], [rOp], { assignedTo });
    for (const s of stores) {
      const value = field(s, 'value') ?? field(s, 'object');
      const ops: (number | null)[] = [];
      if (value && value.type !== 'identifier') ops.push(this.expr(value));
      if (s.type === 'subscript') for (const c of children(s)) if (c.isNamed && c.id !== value?.id) ops.push(this.expr(c));
      this.push(s, 'call', s.type === 'subscript' ? '[]=' : `.${field(s, 'attribute')?.text ?? ''}=`, 'store', value ? [value, cur] : [cur], ops);
    }
  }

  private augAssign(n: Node): void {
    const left = field(n, 'left');
    const right = field(n, 'right');
    if (!left || !right) return;
    const ops: (number | null)[] = [];
    if (left.type !== 'identifier') ops.push(this.expr(left));
    ops.push(this.expr(right));
    const op = field(n, 'operator')?.text ?? '';
    this.push(n, 'call', op, 'operator', [left, right], ops, { assignedTo: left.type === 'identifier' ? [left.text] : [] });
  }

  /** Identifiers read inside a node (not attribute names, keyword names or lambda bodies). */
  private identifiersIn(n: Node): Node[] {
    const out: Node[] = [];
    const seen = new Set<string>();
    const ids = n.type === 'identifier' ? [n] : n.descendantsOfType('identifier');
    for (const c of ids) {
      if (seen.has(c.text)) continue;
      const p = c.parent;
      if (p?.type === 'attribute' && field(p, 'attribute')?.id === c.id) continue;
      if (p?.type === 'keyword_argument' && field(p, 'name')?.id === c.id) continue;
      seen.add(c.text);
      out.push(c);
    }
    return out;
  }

  /** Records the operations inside an expression (children first); returns the index of the op for `n`. */
  expr(n: Node | null): number | null {
    if (!n) return null;
    tick();
    switch (n.type) {
      case 'identifier':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
      case 'ellipsis':
      case 'comment':
      case 'keyword_separator':
      case 'positional_separator':
        return null;
      case 'string':
      case 'concatenated_string':
        if (!namedChildren(n).some((c) => c.type === 'interpolation' || c.type === 'string')) return null;
        if (this.identifiersIn(n).length === 0) return null;
        {
          // the expressions of its replacement fields run too (`f"{x.norm().item():.3f}"` waits for the GPU)
          const parts = n.type === 'concatenated_string' ? namedChildren(n).filter((c) => c.type === 'string') : [n];
          const fields = parts.flatMap((p) => namedChildren(p).filter((c) => c.type === 'interpolation')).map((i) => field(i, 'expression') ?? namedChildren(i)[0] ?? null);
          const ops = fields.map((e) => this.expr(e));
          return this.push(n, 'call', 'f-string', 'other', this.identifiersIn(n), ops);
        }
      case 'parenthesized_expression':
        return this.expr(unparen(n));
      case 'call':
        return this.call(n);
      case 'binary_operator': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        const ops = [this.expr(l), this.expr(r)];
        return this.push(n, 'call', field(n, 'operator')?.text ?? '?', 'operator', [l!, r!].filter(Boolean), ops);
      }
      case 'unary_operator': {
        const a = field(n, 'argument');
        return this.push(n, 'call', field(n, 'operator')?.text ?? '?', 'operator', a ? [a] : [], [this.expr(a)]);
      }
      case 'not_operator':
      case 'boolean_operator':
      case 'comparison_operator': {
        const operands = namedChildren(n).filter((c) => c.type !== 'comment');
        const ops = operands.map((c) => this.expr(c));
        const name = children(n).filter((c) => !c.isNamed).map((c) => c.text).join(' ');
        return this.push(n, 'call', name, 'operator', operands, ops);
      }
      case 'subscript': {
        const value = field(n, 'value');
        const items = children(n).filter((c) => c.isNamed && c.id !== value?.id && c.type !== 'comment');
        const ops = [this.expr(value), ...items.map((c) => this.expr(c))];
        return this.push(n, 'call', '[]', 'subscript', [value!, ...items].filter(Boolean), ops);
      }
      case 'attribute': {
        if (isModulePath(n, this.aliases)) return null; // torch.float32, triton.language
        const o = field(n, 'object');
        return this.push(n, 'call', `.${field(n, 'attribute')?.text ?? ''}`, 'attribute', o ? [o] : [], [this.expr(o)], {
          nameRange: nodeRange(field(n, 'attribute') ?? n),
        });
      }
      case 'slice':
      case 'tuple':
      case 'list':
      case 'set':
      case 'expression_list': {
        const elems = namedChildren(n).filter((c) => c.type !== 'comment');
        const ops = elems.map((c) => this.expr(c));
        return this.push(n, 'call', n.type, 'other', elems, ops);
      }
      case 'dictionary': {
        const elems: Node[] = [];
        for (const p of namedChildren(n)) {
          if (p.type === 'pair') {
            const k = field(p, 'key');
            const v = field(p, 'value');
            if (k) elems.push(k);
            if (v) elems.push(v);
          } else if (p.type !== 'comment') elems.push(p);
        }
        const ops = elems.map((c) => this.expr(c));
        return this.push(n, 'call', 'dict', 'other', elems, ops);
      }
      case 'conditional_expression': {
        const parts = namedChildren(n);
        const ops = parts.map((c) => this.expr(c));
        return this.push(n, 'call', 'if-else', 'other', parts, ops);
      }
      case 'lambda': {
        // not run here, but whatever it captures may be read whenever it is called
        const params = new Set(field(n, 'parameters') ? this.identifiersIn(field(n, 'parameters')!).map((p) => p.text) : []);
        const names = this.identifiersIn(n).filter((c) => !params.has(c.text));
        return names.length ? this.push(n, 'call', 'lambda', 'other', names, []) : null;
      }
      default: {
        // comprehensions, await, walrus, splats, ...: record the names they read
        const names = this.identifiersIn(n);
        return names.length ? this.push(n, 'call', n.type, 'other', names, []) : null;
      }
    }
  }

  private call(n: Node): number | null {
    const fn = field(n, 'function');
    if (!fn) return null;
    const list = field(n, 'arguments');
    if (list && list.type !== 'argument_list') {
      // f(x for x in xs)
      const names = this.identifiersIn(n);
      return this.push(n, 'call', compact(fn.text), 'other', names, []);
    }
    const { positional, keywords } = argumentNodes(n);
    const keywordValues = keywords.map((k) => field(k, 'value')).filter((v): v is Node => !!v);
    const argOps = () => [...positional.map((a) => this.expr(a)), ...keywordValues.map((v) => this.expr(v))];

    // kernel[grid](...) launches (and wrap_triton(kernel)[grid](...))
    const launchee = fn.type === 'subscript' ? field(fn, 'value') : null;
    const nameNode = launchedKernel(launchee);
    if (launchee && nameNode) {
      const gridItems = children(fn).filter((c) => c.isNamed && c.id !== launchee.id && c.type !== 'comment');
      const ops = [...gridItems.map((g) => this.expr(g)), ...argOps()];
      return this.push(n, 'launch', this.pickedKernels.get(nameNode.text) ?? renamedTo(nameNode.text, this.aliases), 'call', positional, ops, {
        nameRange: nodeRange(nameNode), grid: gridItems.map((g) => compact(g.text)).join(','),
        keywords: keywordFacts(keywords),
      });
    }

    // y.relu(), x.cpu(), torch.cuda.current_stream().synchronize(); not `RMSNormFunction.apply(x, w)`, an
    // autograd.Function's forward called by its class (a call of `RMSNormFunction.apply`, as a function's)
    if (fn.type === 'attribute' && !isModulePath(field(fn, 'object'), this.aliases) && !classApply(fn, this.aliases)) {
      const recv = field(fn, 'object')!;
      const attr = field(fn, 'attribute');
      const method = attr?.text ?? '';
      const ops = [this.expr(recv), ...argOps()];
      let kind: CallKind = 'call';
      if (method === 'synchronize') kind = 'sync';
      else if (COPY_METHODS.has(method)) kind = 'copy';
      else if ((method === 'to' || method === 'copy_') && /['"]cpu['"]|device\s*=\s*['"]cpu/.test(list?.text ?? '')) kind = 'copy';
      return this.push(n, kind, `.${method}`, 'method', [recv, ...positional], ops, {
        nameRange: nodeRange(attr ?? fn), keywords: keywordFacts(keywords),
      });
    }

    // torch.relu(y), print(y), F.gelu(y), my_helper(y)
    const ops: (number | null)[] = [];
    if (fn.type !== 'identifier' && fn.type !== 'attribute') ops.push(this.expr(fn));
    ops.push(...argOps());
    // (a name the module bound to an autograd.Function's entry, `liger_rms_norm(x, w)`: a call of `Cls.apply`)
    const written = compact(fn.text);
    const bound = fn.type === 'identifier' ? this.aliases.get(written) : undefined;
    const name = bound && isApplyEntry(bound, this.aliases) ? bound : written;
    const qualified = resolveName(name, this.aliases);
    const kind: CallKind = /(^|\.)synchronize$/.test(qualified) ? 'sync' : 'call';
    return this.push(n, kind, name, 'call', positional, ops, {
      nameRange: nodeRange(fn), qualified, keywords: keywordFacts(keywords),
    });
  }
}

export function hostFacts(def: Node, outer: Node, decorators: string[], aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  const nameNode = field(def, 'name');
  const body = field(def, 'body');
  if (!nameNode || !body) return null;
  const w = new HostWalker(aliases, lines);
  w.block(body);
  return {
    ...hostShape(nameNode.text, nodeRange(outer), nodeRange(nameNode), paramFacts(def), w),
    decorators,
  };
}

/** The fact fields every host function shares: no accesses of its own, only calls in order. */
function hostShape(name: string, range: Range, nameRange: Range, params: ParamFact[], w: HostWalker): FunctionFacts {
  return {
    name, range, nameRange, params, isKernel: false, isDevice: false, templateParams: [],
    loops: w.loops, accesses: [], shared: [], calls: w.calls, syncthreads: [], usesVectorTypes: false,
    arithmetic: 0, kernelClass: 'other', indexBound: null, launchBounds: null,
  };
}

/**
 * The module's own statements (scripts, `if __name__ == '__main__':`), when they launch kernels, compare
 * results (`torch.allclose(ref_out, tri_out)`: what they compare against is the file's oracle), or compile functions.
 */
export function moduleFacts(root: Node, aliases: Map<string, string>, lines: string[]): FunctionFacts | null {
  for (const c of namedChildren(root)) if (c.hasError && !SKIP_STATEMENTS.has(c.type)) return null;
  const w = new HostWalker(aliases, lines);
  w.block(root);
  // (or compile the file's functions, `linear_bias = torch.compile(linear_bias)`: which of them run compiled)
  if (!w.calls.some((c) => c.kind === 'launch' || RESULT_CHECK.test(c.name) || (c.qualified ?? c.name) === 'torch.compile')) return null;
  const start = { line: 0, column: 0 };
  return {
    ...hostShape('<module>', nodeRange(root), { start, end: start }, [], w),
  };
}

/** `Cls.apply`: a class (CamelCase by convention, or the module's own Function) called through its autograd.Function entry. */
const classApply = (fn: Node, aliases: ReadonlyMap<string, string>): boolean => field(fn, 'object')?.type === 'identifier' && isApplyEntry(compact(fn.text), aliases);

/** A call that compares a result with the expected one (`torch.allclose`, `torch.testing.assert_close`). */
export const RESULT_CHECK = /(?:^|\.)(?:allclose|isclose|assert_close|assert_allclose|assert_array_almost_equal)$/;

/** The number of items of a list or tuple literal (`[1024, 4096]`, `(a, b)`), or null. */
function literalItems(n: Node): number | null {
  const v = unparen(n);
  if (!v || (v.type !== 'list' && v.type !== 'tuple')) return null;
  const items = namedChildren(v).filter((c) => c.type !== 'comment');
  return items.some((c) => c.type === 'list_splat' || c.type === 'dictionary_splat') ? null : items.length;
}

/** A block that leaves the loop around it: a `break` or `return` among its own statements (not under a further condition). */
function leavesLoop(n: Node | null): boolean {
  if (!n) return false;
  return (n.type === 'block' ? namedChildren(n) : [n]).some((c) => c.type === 'break_statement' || c.type === 'return_statement');
}

/**
 * `return (y, pre) if store_pre else y`: both arms hand back `y` first (the other arm adds what a flag asks for), read
 * as `return y`; any other returned value as it is.
 */
function sameFirstReturned(v: Node | null): Node | null {
  if (v?.type !== 'conditional_expression') return v;
  const first = (x: Node | undefined): Node | undefined =>
    x?.type === 'parenthesized_expression' ? first(namedChildren(x)[0]) : x?.type === 'tuple' || x?.type === 'expression_list' ? namedChildren(x)[0] : x;
  const [a, , b] = namedChildren(v);
  const fa = first(a);
  const fb = first(b);
  return fa?.type === 'identifier' && fb?.type === 'identifier' && fa.text === fb.text ? fa : v;
}

/**
 * `A if cond else B` where both names stand for one kernel (`_gemma_rms_fwd if gemma else _rms_fwd`, the first a second
 * name of the other): that kernel. Two different kernels (`_mm_bias if fused else _mm`) are no one launch: null.
 */
function pickedName(v: Node, aliases: ReadonlyMap<string, string>): string | null {
  // (a compiled handle, `kernel = softmax_kernel.warmup(...)` of the fused-softmax tutorial: `kernel[grid](...)` launches it)
  const fn = v.type === 'call' ? field(v, 'function') : null;
  const object = fn?.type === 'attribute' && field(fn, 'attribute')?.text === 'warmup' ? field(fn, 'object') : null;
  if (object?.type === 'identifier') return renamedTo(object.text, aliases);
  if (v.type !== 'conditional_expression') return null;
  const [a, , b] = namedChildren(v);
  if (a?.type !== 'identifier' || b?.type !== 'identifier') return null;
  const k = renamedTo(b.text, aliases);
  return renamedTo(a.text, aliases) === k ? k : null;
}

/**
 * Names a loop body advances by one on every iteration (`step += 1` as a statement of the body itself, not of an `if`
 * in it, in a body with no `continue` and no other assignment to the name): counters of the loop's iterations.
 */
function stepCounters(body: Node | null): { name: string; from: number }[] {
  if (!body) return [];
  const increments: { name: string; from: number }[] = [];
  for (const st of namedChildren(body)) {
    const e = st.type === 'expression_statement' ? namedChildren(st)[0] : null;
    const left = e?.type === 'augmented_assignment' && field(e, 'operator')?.text === '+=' && field(e, 'right')?.text === '1' ? field(e, 'left') : null;
    if (left?.type === 'identifier') increments.push({ name: left.text, from: st.endIndex });
  }
  if (!increments.length) return [];
  let skips = false;
  const assigned = new Map<string, number>();
  const visit = (x: Node) => {
    if (/^(?:for_statement|while_statement|function_definition|class_definition|lambda)$/.test(x.type)) return;
    if (x.type === 'continue_statement') skips = true;
    const left = x.type === 'assignment' || x.type === 'augmented_assignment' ? field(x, 'left') : null;
    if (left?.type === 'identifier') assigned.set(left.text, (assigned.get(left.text) ?? 0) + 1);
    for (const c of namedChildren(x)) visit(c);
  };
  for (const c of namedChildren(body)) visit(c);
  // (a `continue` may skip the increment: a test before it could then see one count on several iterations, a test after
  // it runs only on the iterations that counted, `if (micro + 1) % accum: continue` / `step += 1` / `if step % 10 == 0:`)
  return increments.filter((c) => assigned.get(c.name) === 1).map((c) => ({ name: c.name, from: skips ? c.from : -1 }));
}
