// The fix of fusion/elementwise-chain, part one: reading one kernel of the chain as a plain
// elementwise kernel (an index, a bounds check against a count, a body that touches
// element i of its buffers only), or saying why it is not one. Part two (fix.ts) merges
// the bodies of the chain into one kernel.
import type { FixContext } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Range } from '../../../core/types';
import { compact, pastBound, singleInit, statementsOf, unparen, upperBound } from '../../common/fix-syntax';

export type Refusal = { reason: string };
export const refuse = (reason: string): Refusal => ({ reason });
export const refused = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'reason' in x && !Array.isArray(x);

/** A kernel the fix can merge: `int i = <thread index>; if (i < n) BODY`, or the grid-stride loop over the same. */
export interface PlainKernel {
  facts: FunctionFacts;
  /** The `function_definition` (with its parents: the file's syntax). */
  node: SyntaxNode;
  /** `guard`: one element per thread under `if (i < n)` (or `if (i >= n) return;`); `stride`: a grid-stride loop. */
  form: 'guard' | 'stride';
  /** The index variable. */
  index: string;
  /** Its declared type, without `const` (`int`). */
  indexType: string;
  /** Its first value and the grid-stride step, written one way (`blockDim.x*blockIdx.x+threadIdx.x`), for comparing. */
  initKey: string;
  strideKey: string;
  /** Its first value as written (`blockIdx.x * blockDim.x + threadIdx.x`). */
  initText: string;
  /** The index declaration (`const int i = ...;`) of the guard form, the `for` loop of the stride form. */
  header: SyntaxNode | null;
  /** A grid-stride loop written with a library macro: `CUDA_KERNEL_LOOP(i, n)`. */
  macro: string | null;
  /** The line the index is declared on, for the indentation. */
  headerRow: number;
  /** The count the index is checked against (`n`, `BT * C`). */
  bound: SyntaxNode;
  /** The statements run for element i, comments included. */
  statements: SyntaxNode[];
  /** Names declared inside those statements. */
  locals: Set<string>;
  /** `template <typename T>` before the kernel, as written. */
  template: string | null;
  launchBounds: string | null;
  /** Each parameter's declaration and the identifier it declares. */
  params: { decl: SyntaxNode; name: SyntaxNode }[];
}

const BUILTINS = /^(threadIdx|blockIdx|blockDim|gridDim)$/;

/** The operator token of a binary, assignment, update or unary expression. */
export function operatorOf(n: SyntaxNode): string | null {
  return n.childForFieldName('operator')?.text ?? null;
}

/** The text of `n` with some of its descendants replaced (a node's replacement wins over its children's). */
export function render(n: SyntaxNode, text: string, repl: ReadonlyMap<SyntaxNode, string>): string {
  const own = repl.get(n);
  if (own !== undefined) return own;
  if (!n.children.length) return text.slice(n.startIndex, n.endIndex);
  let out = '';
  let at = n.startIndex;
  for (const c of n.children) {
    out += text.slice(at, c.startIndex) + render(c, text, repl);
    at = c.endIndex;
  }
  return out + text.slice(at, n.endIndex);
}

/** The whole file's syntax, with node lookup by facts range. */
export class FileSyntax {
  readonly root: SyntaxNode | null;
  private readonly starts: number[] = [];
  /** The file's syntax, made once for all the fixes of the file. */
  static of(ctx: FixContext): FileSyntax {
    return ctx.perFile('elementwise-chain syntax', () => new FileSyntax(ctx));
  }
  private constructor(ctx: FixContext) {
    let at = 0;
    for (const l of ctx.lines) {
      this.starts.push(at);
      at += l.length + 1;
    }
    const last = ctx.lines.length - 1;
    this.root = ctx.node({ start: { line: 0, column: 0 }, end: { line: last, column: ctx.lines[last].length } }, ['translation_unit', 'module']);
  }
  offset(p: { line: number; column: number }): number {
    return (this.starts[p.line] ?? 0) + p.column;
  }
  /** A position of the text. */
  position(index: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: index - this.starts[lo] };
  }
  /** The innermost named node that spans exactly `range`. */
  exact(range: Range): SyntaxNode | null {
    const s = this.offset(range.start);
    const e = this.offset(range.end);
    let best: SyntaxNode | null = null;
    let n: SyntaxNode | undefined = this.root ?? undefined;
    while (n) {
      if (n.startIndex === s && n.endIndex === e && n.isNamed) best = n;
      n = n.children.find((c) => c.startIndex <= s && c.endIndex >= e && c.endIndex > c.startIndex);
    }
    return best;
  }
  /** The smallest node of `type` that covers `range`. */
  find(range: Range, type: string): SyntaxNode | null {
    const s = this.offset(range.start);
    const e = this.offset(range.end);
    let best: SyntaxNode | null = null;
    let n: SyntaxNode | undefined = this.root ?? undefined;
    while (n) {
      if (n.type === type) best = n;
      n = n.children.find((c) => c.startIndex <= s && c.endIndex >= e && c.endIndex > c.startIndex);
    }
    return best;
  }
}

/** Every node under `n` (itself included), in source order. */
export function walk(n: SyntaxNode, visit: (n: SyntaxNode) => void): void {
  visit(n);
  for (const c of n.children) walk(c, visit);
}

/** The names a declaration (or parameter) declares: `float a = 1, *p;` -> a, p. */
export function declaredNames(decl: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const inner = (d: SyntaxNode | null): void => {
    if (!d) return;
    if (d.type === 'identifier') out.push(d);
    else if (d.type === 'init_declarator' || d.type === 'pointer_declarator' || d.type === 'array_declarator' || d.type === 'reference_declarator' || d.type === 'parenthesized_declarator')
      inner(d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null);
  };
  for (const d of decl.childrenForFieldName('declarator')) inner(d);
  return out;
}

/** `int i = <expr>;` with one name and a value that reads only the built-in thread/block variables. */
function indexDeclaration(d: SyntaxNode): { name: string; type: string; init: SyntaxNode } | null {
  const one = singleInit(d);
  if (!one || !threadIndexOnly(one.value)) return null;
  const type = d.childForFieldName('type')?.text;
  if (!type) return null;
  return { name: one.name.text, type: squashType(d.text.slice(0, d.text.indexOf(one.name.text))), init: one.value };
}

/** The declared type of `const int i`: `int` (qualifiers and spacing dropped). */
const squashType = (t: string): string => t.replace(/\b(const|volatile|register)\b/g, ' ').replace(/\s+/g, ' ').trim();

/** An expression of the thread/block built-ins, literals and casts only, that uses threadIdx. */
function threadIndexOnly(e: SyntaxNode): boolean {
  let ok = true;
  walk(e, (n) => {
    if (n.type === 'identifier' && !BUILTINS.test(n.text)) ok = false;
    if (n.type === 'call_expression' || n.type === 'assignment_expression' || n.type === 'update_expression') ok = false;
  });
  return ok && /\bthreadIdx\b/.test(e.text);
}

const isComment = (n: SyntaxNode) => n.type === 'comment';

/** Reads a kernel as a plain elementwise kernel, or says why it is not one. */
export function readKernel(k: FunctionFacts, def: SyntaxNode, text: string): PlainKernel | Refusal {
  const name = `\`${k.name}\``;
  if (k.shared.length) return refuse(`${name} uses shared memory`);
  if (k.syncthreads.length) return refuse(`${name} synchronizes its block (\`__syncthreads\`)`);
  if (k.accesses.some((a) => a.kind === 'atomic')) return refuse(`${name} uses atomics`);
  const body = def.childForFieldName('body');
  if (!body) return refuse(`${name} has no body here`);
  if (body.hasError) return refuse(`${name} does not parse cleanly`);
  const stmts = body.namedChildren.filter((c) => !isComment(c));
  const notPlain = refuse(`${name} is not a plain \`if (i < n)\` elementwise kernel`);
  let form: PlainKernel['form'];
  let idx: { name: string; type: string; init: SyntaxNode } | null = null;
  let bound: SyntaxNode | null = null;
  let stride: SyntaxNode | null = null;
  let statements: SyntaxNode[];
  let header: SyntaxNode | null = null;
  const loopMacro = stmts.length === 1 ? gridStrideMacro(stmts[0], k) : null;
  if (loopMacro) {
    // CUDA_KERNEL_LOOP(i, n) { BODY } (read by the grammar as a nested function definition)
    statements = statementsOf(loopMacro.body);
    const bound = loopMacro.bound;
    return finish(k, def, text, name, {
      form: 'stride',
      index: loopMacro.index,
      indexType: 'int',
      initKey: indexKeyOf('blockIdx.x * blockDim.x + threadIdx.x'),
      strideKey: indexKeyOf('blockDim.x * gridDim.x'),
      initText: 'blockIdx.x * blockDim.x + threadIdx.x',
      header: null,
      macro: loopMacro.name,
      headerRow: stmts[0].startPosition.row,
      bound,
      statements,
    });
  }
  if (stmts.length === 1 && stmts[0].type === 'for_statement') {
    // for (int i = <thread index>; i < n; i += blockDim.x * gridDim.x) BODY
    const f = stmts[0];
    const init = f.childForFieldName('initializer');
    idx = init ? indexDeclaration(init) : null;
    const cond = f.childForFieldName('condition');
    const update = f.childForFieldName('update');
    const loopBody = f.childForFieldName('body');
    if (!idx || !cond || !update || !loopBody) return notPlain;
    bound = upperBound(cond, idx.name);
    const step = update.type === 'assignment_expression' && operatorOf(update) === '+=' && update.childForFieldName('left')?.text === idx.name ? update.childForFieldName('right') : null;
    if (!bound || !step || !/gridDim/.test(step.text) || !threadIndexOnly2(step)) return refuse(`${name} loops in a way the fix cannot merge (not \`i += blockDim.x * gridDim.x\` up to a count)`);
    form = 'stride';
    stride = step;
    header = f;
    statements = statementsOf(loopBody);
  } else {
    idx = stmts.length >= 2 ? indexDeclaration(stmts[0]) : null;
    const guard = stmts[1];
    if (!idx || guard?.type !== 'if_statement') return idx ? refuse(`${name} has statements outside its bounds check`) : notPlain;
    header = stmts[0];
    const cond = guard.childForFieldName('condition')?.childForFieldName('value') ?? guard.childForFieldName('condition');
    const then = guard.childForFieldName('consequence');
    if (!cond || !then || guard.childForFieldName('alternative')) return notPlain;
    form = 'guard';
    if ((bound = upperBound(cond, idx.name))) {
      if (stmts.length !== 2) return refuse(`${name} has statements after its bounds check`);
      // comments after the check (`if (i < n) y[i] = ...;  // the step`) go with the body
      statements = [...statementsOf(then), ...body.namedChildren.slice(body.namedChildren.indexOf(guard) + 1)];
    } else if ((bound = pastBound(cond, idx.name))) {
      // if (i >= n) return; BODY
      const ret = statementsOf(then).filter((c) => !isComment(c));
      if (ret.length !== 1 || ret[0].type !== 'return_statement' || ret[0].namedChildren.some((c) => !isComment(c))) return notPlain;
      statements = body.namedChildren.slice(body.namedChildren.indexOf(guard) + 1);
    } else return refuse(`${name} does not check its index against a count (\`if (${idx.name} < n)\`)`);
  }
  return finish(k, def, text, name, {
    form,
    index: idx.name,
    indexType: idx.type,
    initKey: indexKeyOf(idx.init.text),
    strideKey: stride ? indexKeyOf(stride.text) : '',
    initText: idx.init.text,
    header,
    macro: null,
    headerRow: idx.init.startPosition.row,
    bound,
    statements,
  });
}

type Shape = Pick<PlainKernel, 'form' | 'index' | 'indexType' | 'initKey' | 'strideKey' | 'initText' | 'header' | 'macro' | 'headerRow' | 'bound' | 'statements'>;

/** The thread index and grid stride written either way round (`blockIdx.x * blockDim.x + threadIdx.x`, `threadIdx.x + blockDim.x * blockIdx.x`). */
export function indexKeyOf(text: string): string {
  const t = compact(text).replace(/^\((.*)\)$/, '$1');
  return t
    .split('+')
    .map((term) => term.split('*').sort().join('*'))
    .sort()
    .join('+');
}

/** `CUDA_KERNEL_LOOP(i, n) { ... }`: the library's grid-stride loop over a count parameter. */
function gridStrideMacro(s: SyntaxNode, k: FunctionFacts): { name: string; index: string; bound: SyntaxNode; body: SyntaxNode } | null {
  if (s.type !== 'function_definition') return null;
  const d = s.childForFieldName('declarator');
  const name = d?.childForFieldName('declarator')?.text ?? '';
  if (d?.type !== 'function_declarator' || !/^(CUDA_KERNEL_LOOP|CUDA_1D_KERNEL_LOOP)$/.test(name)) return null;
  const ps = d.childForFieldName('parameters')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const body = s.childForFieldName('body');
  if (ps.length !== 2 || !body || ps.some((p) => p.namedChildren.length !== 1)) return null;
  const [i, n] = ps.map((p) => p.namedChildren[0]);
  if (!/^[A-Za-z_]\w*$/.test(i.text) || !k.params.some((p) => p.name === n.text && !p.pointer)) return null;
  return { name, index: i.text, bound: n, body };
}

function finish(k: FunctionFacts, def: SyntaxNode, text: string, name: string, shape: Shape): PlainKernel | Refusal {
  const { bound, statements } = shape;
  const idx = { name: shape.index };
  if (!shape.macro && !threadIndexOnlyBound(bound, k)) return refuse(`the bounds check of ${name} is not against its parameters (\`${bound.text}\`)`);

  const params: PlainKernel['params'] = [];
  const list = def.childForFieldName('declarator')?.childForFieldName('parameters');
  for (const p of list?.namedChildren ?? []) {
    if (p.type === 'comment') continue;
    if (p.type !== 'parameter_declaration') return refuse(`${name} has a parameter the fix cannot copy (\`${p.text}\`)`);
    const names = declaredNames(p);
    if (names.length !== 1) return refuse(`${name} has an unnamed parameter`);
    params.push({ decl: p, name: names[0] });
  }
  if (params.length !== k.params.length) return refuse(`${name} has parameters the facts do not know`);
  for (let j = 0; j < params.length; j++) {
    if (!k.params[j].pointer) continue;
    const d = params[j].decl.childForFieldName('declarator');
    if (d?.type !== 'pointer_declarator' || d.childForFieldName('declarator')?.type !== 'identifier') return refuse(`${name} takes \`${k.params[j].name}\` as something other than a plain pointer`);
    if (/\bvolatile\b/.test(params[j].decl.text)) return refuse(`${name} takes \`${k.params[j].name}\` as a volatile pointer`);
  }

  // what the body may do: touch element i of its buffers, compute, keep locals
  const paramIndex = new Map(k.params.map((p, j) => [p.name, j]));
  const locals = new Set<string>();
  for (const s of statements) walk(s, (n) => {
    if (n.type === 'declaration' || n.type === 'for_range_loop') for (const d of declaredNames(n)) locals.add(d.text);
  });
  for (const l of locals) if (paramIndex.has(l) || l === idx.name) return refuse(`${name} declares \`${l}\` again inside its body`);
  let why: string | null = null;
  const inLoopOrSwitch = (n: SyntaxNode, top: SyntaxNode): boolean => {
    for (let p = n.parent; p && p !== top.parent; p = p.parent) if (/^(for_statement|while_statement|do_statement|switch_statement|for_range_loop)$/.test(p.type)) return true;
    return false;
  };
  for (const s of statements) {
    walk(s, (n) => {
      if (why) return;
      if (n.isBroken) why = `${name} does not parse cleanly`;
      else if (n.type.startsWith('preproc_')) why = `${name} has preprocessor lines in its body`;
      else if (n.type === 'return_statement' || n.type === 'goto_statement') why = `${name} returns from inside its body`;
      else if ((n.type === 'break_statement' || n.type === 'continue_statement') && !inLoopOrSwitch(n, s)) why = `${name} leaves its loop early`;
      else if (n.type === 'identifier' && BUILTINS.test(n.text)) why = `${name} uses \`${n.text}\` beyond its index`;
      else if (n.type === 'identifier' && n.text === idx!.name && assigned(n)) why = `${name} changes its index \`${idx!.name}\``;
      else if (n.type === 'identifier' && paramIndex.has(n.text)) {
        const p = k.params[paramIndex.get(n.text)!];
        if (!p.pointer) {
          if (assigned(n)) why = `${name} assigns its parameter \`${p.name}\``;
          return;
        }
        const sub = n.parent;
        if (sub?.type !== 'subscript_expression' || sub.childForFieldName('argument') !== n) {
          why = `${name} uses the pointer \`${p.name}\` other than as \`${p.name}[${idx!.name}]\``;
          return;
        }
        const args = sub.childForFieldName('indices')?.namedChildren ?? sub.namedChildren.slice(1);
        if (args.length !== 1 || unparen(args[0]).text !== idx!.name) {
          const kind = sub.parent?.type === 'assignment_expression' && sub.parent.childForFieldName('left') === sub ? 'writes' : 'reads';
          why = `${name} ${kind} \`${sub.text}\`, not only element ${idx!.name}`;
        } else if (sub.parent?.type === 'pointer_expression' && !ldgOf(sub)) why = `${name} takes the address of \`${sub.text}\``;
      }
    });
    if (why) return refuse(why);
  }
  const tmpl = def.parent?.type === 'template_declaration' ? def.parent : null;
  const lb = def.children.find((c) => c.type === 'launch_bounds');
  return {
    ...shape,
    facts: k,
    node: def,
    locals,
    template: tmpl ? text.slice(tmpl.startIndex, def.startIndex).trim() : null,
    launchBounds: lb ? lb.text : null,
    params,
  };
}

/** A grid-stride step reads only the built-ins (and literals). */
function threadIndexOnly2(e: SyntaxNode): boolean {
  let ok = true;
  walk(e, (n) => {
    if (n.type === 'identifier' && !BUILTINS.test(n.text)) ok = false;
    if (n.type === 'call_expression' || n.type === 'assignment_expression' || n.type === 'update_expression') ok = false;
  });
  return ok;
}

/** A bound of parameters, literals and arithmetic (`n`, `BT * C`, `n / 4`). */
function threadIndexOnlyBound(e: SyntaxNode, k: FunctionFacts): boolean {
  let ok = true;
  walk(e, (n) => {
    if (n.type === 'identifier' && !k.params.some((p) => p.name === n.text && !p.pointer)) ok = false;
    if (n.type === 'call_expression' || n.type === 'assignment_expression' || n.type === 'update_expression' || n.type === 'subscript_expression') ok = false;
  });
  return ok;
}

/** `__ldg(&x[i])`: the call that reads `x[i]` through the read-only cache, for the subscript `x[i]`. */
export function ldgOf(sub: SyntaxNode): SyntaxNode | null {
  const addr = sub.parent;
  const list = addr?.parent;
  const call = list?.parent;
  if (addr?.type !== 'pointer_expression' || operatorOf(addr) !== '&' || list?.type !== 'argument_list' || call?.type !== 'call_expression') return null;
  return call.childForFieldName('function')?.text === '__ldg' && list.namedChildren.length === 1 ? call : null;
}

/** Is this identifier written: the left of an assignment, `++`/`--`d, or its address taken? */
export function assigned(n: SyntaxNode): boolean {
  let c = n;
  while (c.parent?.type === 'parenthesized_expression') c = c.parent;
  const p = c.parent;
  if (!p) return false;
  if (p.type === 'assignment_expression' && p.childForFieldName('left') === c) return true;
  if (p.type === 'update_expression') return true;
  if (p.type === 'pointer_expression' && operatorOf(p) === '&') return true;
  return false;
}

// --- rounding: keeping a value in a register must not let the compiler fuse a multiply of one
// stage with an add of the next into one FMA (the two-kernel version rounds in between).

/** Results that are never a bare product (a max of two values is one of them, exactly). */
const EXACT_CALLS = /^(fmaxf|fminf|fmax|fmin|max|min|std::max|std::min|fabsf|fabs|abs|std::abs|copysignf|copysign)$/;
const MAKE_VECTOR = /^make_(float|double)[1-4]$/;

/** May this expression's value be the bare result of a multiply (or a call that ends in one)? */
export function mayEndInProduct(e: SyntaxNode, isScalarParam: (name: string) => boolean): boolean {
  const n = unparen(e);
  switch (n.type) {
    case 'binary_expression': {
      const op = operatorOf(n);
      return op === '*' || op === '/';
    }
    case 'unary_expression':
      return /^[-+]$/.test(operatorOf(n) ?? '') ? mayEndInProduct(n.childForFieldName('argument')!, isScalarParam) : false;
    case 'conditional_expression':
      return mayEndInProduct(n.childForFieldName('consequence')!, isScalarParam) || mayEndInProduct(n.childForFieldName('alternative')!, isScalarParam);
    case 'cast_expression':
      return mayEndInProduct(n.childForFieldName('value')!, isScalarParam);
    case 'call_expression': {
      const fn = n.childForFieldName('function')?.text ?? '';
      if (EXACT_CALLS.test(fn) || fn === '__ldg') return false; // __ldg: a value from memory
      if (MAKE_VECTOR.test(fn)) return (n.childForFieldName('arguments')?.namedChildren ?? []).some((a) => mayEndInProduct(a, isScalarParam));
      return true;
    }
    case 'number_literal':
    case 'true':
    case 'false':
    case 'subscript_expression':
      return false;
    case 'identifier':
      return !isScalarParam(n.text);
    case 'field_expression':
      return n.childForFieldName('argument')?.type !== 'subscript_expression';
    default:
      return true;
  }
}

/** May a read of a value (`t[i]`, at `use`) feed an add, so that a product before it could be fused with that add? */
export function mayFeedAdd(use: SyntaxNode): boolean {
  let n = use;
  for (;;) {
    const p = n.parent;
    if (!p) return true;
    const climb =
      p.type === 'parenthesized_expression' ||
      p.type === 'cast_expression' ||
      (p.type === 'field_expression' && p.childForFieldName('argument') === n) ||
      (p.type === 'unary_expression' && /^[-+]$/.test(operatorOf(p) ?? '')) ||
      (p.type === 'conditional_expression' && p.childForFieldName('condition') !== n);
    if (!climb) break;
    n = p;
  }
  const p = n.parent!;
  switch (p.type) {
    case 'binary_expression':
      return /^[-+]$/.test(operatorOf(p) ?? '');
    case 'update_expression':
      return true;
    case 'assignment_expression': {
      const op = operatorOf(p) ?? '=';
      if (p.childForFieldName('left') === n) return op === '+=' || op === '-=';
      if (op === '+=' || op === '-=') return true;
      if (op !== '=') return false;
      // stored as it is to memory: exact
      return unparen(p.childForFieldName('left')!).type !== 'subscript_expression';
    }
    case 'argument_list': {
      const fn = p.parent?.childForFieldName('function')?.text ?? '';
      return !EXACT_CALLS.test(fn);
    }
    case 'condition_clause':
    case 'subscript_argument_list':
      return false;
    default:
      return true;
  }
}
