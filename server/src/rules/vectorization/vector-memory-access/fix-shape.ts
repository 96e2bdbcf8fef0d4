// The shape of an elementwise kernel as vectorization/vector-memory-access's fixer reads it:
// the element types it can carry 128 bits at a time, the index and how elements are handed
// out (one per thread under `if (i < n)` or after `if (i >= n) return;`, or a grid-stride
// loop), each pointer's reads and writes at element i, and the reasons the element
// statements could not run V times on registers (thread state, warp operations, early
// exits, state carried from one element to the next).
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { Poly } from '../../../core/affine';
import { pastBound, singleInit, unparen, upperBound } from '../../common/fix-syntax';

/** What the rewrite needs to know of an element type. */
export interface ElemType {
  bits: number;
  family: 'float' | 'int' | 'uint' | 'bits';
}

export const ELEM_TYPES: Record<string, ElemType> = {
  float: { bits: 32, family: 'float' },
  int: { bits: 32, family: 'int' },
  'signed int': { bits: 32, family: 'int' },
  int32_t: { bits: 32, family: 'int' },
  unsigned: { bits: 32, family: 'uint' },
  'unsigned int': { bits: 32, family: 'uint' },
  uint32_t: { bits: 32, family: 'uint' },
  __half: { bits: 16, family: 'bits' },
  half: { bits: 16, family: 'bits' },
  __nv_bfloat16: { bits: 16, family: 'bits' },
  nv_bfloat16: { bits: 16, family: 'bits' },
  short: { bits: 16, family: 'bits' },
  'unsigned short': { bits: 16, family: 'bits' },
  int16_t: { bits: 16, family: 'bits' },
  uint16_t: { bits: 16, family: 'bits' },
  char: { bits: 8, family: 'bits' },
  'signed char': { bits: 8, family: 'bits' },
  'unsigned char': { bits: 8, family: 'bits' },
  int8_t: { bits: 8, family: 'bits' },
  uint8_t: { bits: 8, family: 'bits' },
};

/** The type that carries `bytes` bytes of elements of `t` in one access. */
export function carrierOf(t: ElemType, bytes: number): string {
  const vec = t.family === 'float' ? 'float' : t.family === 'int' ? 'int' : 'uint';
  if (bytes === 16) return `${vec}4`;
  if (bytes === 8) return `${vec}2`;
  return 'unsigned int';
}

/** Identifiers a kernel body may not use for the rewrite to keep its meaning (per-thread and warp-level state). */
const THREAD_STATE = /^(threadIdx|blockIdx|blockDim|gridDim)$/;
const WARP_OPS = /^(__syncthreads\w*|__syncwarp|__shfl\w*|__ballot\w*|__any\w*|__all\w*|__activemask|__match\w*|__reduce\w*|atomic\w*|__threadfence\w*|this_thread_block|tiled_partition|this_grid|grid_group)$/;

export const isComment = (n: SyntaxNode) => n.type === 'comment';
export const statementsOf = (block: SyntaxNode): SyntaxNode[] =>
  block.type === 'compound_statement' ? block.namedChildren.filter((c) => !isComment(c)) : [block];
export const strip = (n: SyntaxNode | null): SyntaxNode | null => n && unparen(n);
export const ident = (n: SyntaxNode | null): string | null => {
  const s = strip(n);
  return s && s.type === 'identifier' ? s.text : null;
};
/** `blockIdx.x * blockDim.x + threadIdx.x`, in any order: the global index of a one-element-per-thread kernel. */
export const GLOBAL_INDEX = Poly.sym('blockIdx.x').mul(Poly.sym('blockDim.x')).add(Poly.sym('threadIdx.x')).key();
const GRID_SIZE = Poly.sym('blockDim.x').mul(Poly.sym('gridDim.x')).key();

/** An expression the rewrite may copy and evaluate more often: names, literals, member reads and arithmetic. */
export function pure(n: SyntaxNode): boolean {
  const ok = new Set(['identifier', 'number_literal', 'field_expression', 'field_identifier', 'binary_expression', 'parenthesized_expression', 'unary_expression', 'sizeof_expression', 'type_descriptor', 'primitive_type', 'qualified_identifier', 'namespace_identifier', 'cast_expression', 'type_identifier']);
  if (n.isNamed && !ok.has(n.type)) return false;
  if (n.type === 'unary_expression' && /^[*&]/.test(n.text)) return false;
  return n.children.every(pure);
}

/** Wraps an expression in parentheses unless it is a primary expression, so that `(B) / 4` means what it says. */
export const paren = (n: SyntaxNode): string => (['identifier', 'number_literal', 'field_expression', 'parenthesized_expression', 'call_expression', 'qualified_identifier'].includes(n.type) ? n.text : `(${n.text})`);
/** An operand of `+`: additive and multiplicative expressions need no parentheses. */
export const addend = (n: SyntaxNode): string => {
  const op = n.type === 'binary_expression' ? n.childForFieldName('operator')?.text : null;
  return op && ['+', '-', '*', '/', '%'].includes(op) ? n.text : paren(n);
};

interface Shape {
  kind: 'guard' | 'grid-stride';
  /** The index variable, its declared type (`const int`) and its initial value. */
  index: string;
  indexType: string;
  start: SyntaxNode;
  /** The bound in `i < bound`. */
  bound: SyntaxNode;
  /** The statements run for one element, and the statement they hang from. */
  body: SyntaxNode[];
  /** guard: the index declaration and the guard (`if (i < n) ...` or `if (i >= n) return;`); grid-stride: the loop. */
  decl: SyntaxNode;
  guard: SyntaxNode;
  /** grid-stride: the step expression. */
  step?: SyntaxNode;
  /** The last statement the rewrite replaces (the guard, or the last element statement after `if (i >= n) return;`). */
  last: SyntaxNode;
}

type Refusal = { reason: string };
export const refuse = (reason: string): Refusal => ({ reason });

const conditionOf = (ifStmt: SyntaxNode): SyntaxNode | null => {
  const c = ifStmt.childForFieldName('condition');
  return c?.type === 'condition_clause' ? (c.childForFieldName('value') ?? c.namedChildren[0] ?? null) : c;
};
const isBareReturn = (n: SyntaxNode | null): boolean =>
  !!n && ((n.type === 'return_statement' && n.namedChildren.length === 0) || (n.type === 'compound_statement' && statementsOf(n).length === 1 && isBareReturn(statementsOf(n)[0])));

/** The single `T name = value` of a declaration, with T as written (qualifiers included). */
function singleDeclaration(d: SyntaxNode): { name: string; type: string; value: SyntaxNode } | null {
  const one = singleInit(d);
  if (!one || one.value.type === 'initializer_list') return null;
  const type = d.text.slice(0, one.declarator.startIndex - d.startIndex).trim();
  if (!type || /[*&\[]|__shared__|static|extern/.test(type)) return null;
  return { name: one.name.text, type, value: one.value };
}

/** The one name every buffer is indexed by (`p[i]`), or why there is none (`x[i + 1]`, `x[idx[i]]`, `x + offset`). */
export function indexOf(body: SyntaxNode, pointers: Set<string>): string | Refusal {
  let index: string | null = null;
  for (const id of body.descendantsOfType('identifier')) {
    if (!pointers.has(id.text)) continue;
    const sub = id.parent;
    if (sub?.type !== 'subscript_expression' || id.fieldName !== 'argument') {
      const around = sub?.type === 'argument_list' ? sub.parent ?? sub : sub ?? id;
      return refuse(`the kernel uses \`${id.text}\` other than as \`${id.text}[i]\` (\`${around.text.length > 60 ? `${around.text.slice(0, 57)}...` : around.text}\`)`);
    }
    const idx = sub.childForFieldName('indices')?.namedChildren ?? [];
    const name = idx.length === 1 ? ident(idx[0]) : null;
    if (!name) return refuse(`the kernel reads \`${sub.text}\`, not only the thread's own element of \`${id.text}\``);
    if (index !== null && name !== index) return refuse(`the kernel indexes its buffers with both \`${index}\` and \`${name}\``);
    index = name;
  }
  return index ?? refuse('the kernel accesses no buffer through its pointer parameters');
}

/** An element loop written through a macro (`CUDA_KERNEL_LOOP(i, n) { ... }`): its name, when the body has one. */
function loopMacro(body: SyntaxNode): string | null {
  for (const s of statementsOf(body)) {
    const head = s.type === 'function_definition' ? s.childForFieldName('declarator')?.childForFieldName('declarator') : s.type === 'expression_statement' ? s.namedChildren[0]?.childForFieldName('function') : null;
    if (head?.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(head.text)) return head.text;
  }
  return null;
}

/** Finds the one-element-per-thread structure of a kernel body, or why it has none. */
export function findShape(fn: FunctionFacts, body: SyntaxNode, pointers: Set<string>, indexName: string): Shape | Refusal {
  const stmts = statementsOf(body);
  const mentions = (n: SyntaxNode, names: Set<string>) => n.descendantsOfType('identifier').some((x) => names.has(x.text)) || (n.type === 'identifier' && names.has(n.text));
  // a grid-stride loop
  const loops = stmts.filter((s) => s.type === 'for_statement' && mentions(s, pointers));
  if (loops.length === 1) {
    const loop = loops[0];
    const init = loop.childForFieldName('initializer');
    const d = init ? singleDeclaration(init) : null;
    if (d && d.name !== indexName) return refuse(`the loop runs over \`${d.name}\`, but the buffers are indexed by \`${indexName}\``);
    const fact = fn.loops.find((l) => l.range.start.line === loop.startPosition.row && l.range.start.column === loop.startPosition.column);
    if (!d || !fact || !fact.gridStride) return refuse('the loop over the elements is not a grid-stride loop `for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)`');
    if (fact.init?.key() !== GLOBAL_INDEX) return refuse(`the loop starts at \`${d.value.text}\`, not at the thread's global index \`blockIdx.x * blockDim.x + threadIdx.x\``);
    if (fact.step?.key() !== GRID_SIZE) return refuse(`the loop steps by \`${fact.step?.toString() ?? '?'}\`, not by the grid's size \`blockDim.x * gridDim.x\``);
    const bound = upperBound(loop.childForFieldName('condition'), d.name);
    if (!bound) return refuse(`the loop's condition is not \`${d.name} < n\``);
    const update = strip(loop.childForFieldName('update'));
    let step: SyntaxNode | null = null;
    if (update?.type === 'assignment_expression' && ident(update.childForFieldName('left')) === d.name) {
      const op = update.childForFieldName('operator')?.text;
      const right = update.childForFieldName('right');
      if (op === '+=') step = right;
      else if (op === '=' && right?.type === 'binary_expression' && right.childForFieldName('operator')?.text === '+' && ident(right.childForFieldName('left')) === d.name) step = right.childForFieldName('right');
    }
    if (!step || !pure(step)) return refuse('the loop\'s step is not written `i += blockDim.x * gridDim.x`');
    const loopBody = loop.childForFieldName('body');
    if (!loopBody) return refuse('the loop has no body');
    return { kind: 'grid-stride', index: d.name, indexType: d.type, start: d.value, bound, body: statementsOf(loopBody), decl: loop, guard: loop, step, last: loop };
  }
  if (loops.length > 1) return refuse('the kernel walks its elements in more than one loop');
  // `int i = ...; if (i < n) ...` or `int i = ...; if (i >= n) return; ...`
  for (let k = 0; k < stmts.length; k++) {
    const d = singleDeclaration(stmts[k]);
    if (!d || d.name !== indexName) continue;
    const index = new Set([d.name]);
    for (let g = k + 1; g < stmts.length; g++) {
      const s = stmts[g];
      if (s.type !== 'if_statement' || !mentions(s, index)) {
        if (mentions(s, index) || mentions(s, pointers)) break;
        continue;
      }
      if (s.childForFieldName('alternative')) return refuse(`the guard \`if (${conditionOf(s)?.text})\` has an else branch`);
      const cond = conditionOf(s);
      const consequence = s.childForFieldName('consequence');
      const past = pastBound(cond, d.name);
      if (past && isBareReturn(consequence)) {
        const rest = stmts.slice(g + 1);
        if (!rest.length) return refuse('the kernel does nothing after its guard');
        return { kind: 'guard', index: d.name, indexType: d.type, start: d.value, bound: past, body: rest, decl: stmts[k], guard: s, last: rest[rest.length - 1] };
      }
      const bound = upperBound(cond, d.name);
      if (!bound || !consequence) return refuse(`the guard \`if (${cond?.text})\` is not \`${d.name} < n\` alone`);
      if (stmts.slice(g + 1).some((x) => mentions(x, pointers) || mentions(x, index))) return refuse(`the kernel uses \`${d.name}\` or its buffers after the guard \`if (${cond?.text})\``);
      return { kind: 'guard', index: d.name, indexType: d.type, start: d.value, bound, body: statementsOf(consequence), decl: stmts[k], guard: s, last: s };
    }
  }
  const macro = loopMacro(body);
  if (macro) return refuse(`the element loop is the macro \`${macro}\`, whose expansion the fix cannot rewrite`);
  return refuse('the kernel is neither `if (i < n) ...` on one element per thread nor a grid-stride loop over the elements');
}

interface Use {
  pointer: string;
  node: SyntaxNode;
  read: boolean;
  write: boolean;
  /** The access runs for every element (not under a condition, a loop or a short-circuit). */
  always: boolean;
  /** A plain `p[i] = ...` that always runs. */
  alwaysAssigns: boolean;
  /** Where the access takes effect in the source (a store: the end of its assignment), and whether a loop of the element code repeats it. */
  at: number;
  looped: boolean;
}

const LOOPS = ['for_statement', 'for_range_loop', 'while_statement', 'do_statement'];
function inLoop(node: SyntaxNode, top: SyntaxNode): boolean {
  for (let p: SyntaxNode | null = node; p; p = p === top ? null : p.parent) if (LOOPS.includes(p.type)) return true;
  return false;
}

/** Does `node` run whenever the statement `top` does? */
function unconditional(node: SyntaxNode, top: SyntaxNode): boolean {
  for (let c = node, p = node.parent; p && c !== top; c = p, p = p.parent) {
    switch (p.type) {
      case 'if_statement':
        if (c.fieldName !== 'condition') return false;
        break;
      case 'conditional_expression':
        if (c.fieldName !== 'condition') return false;
        break;
      case 'binary_expression': {
        const op = p.childForFieldName('operator')?.text;
        if ((op === '&&' || op === '||') && c.fieldName !== 'left') return false;
        break;
      }
      case 'for_statement':
      case 'for_range_loop':
      case 'while_statement':
      case 'do_statement':
      case 'switch_statement':
      case 'case_statement':
      case 'lambda_expression':
        return false;
    }
  }
  return true;
}

/** Every use of the pointers in the element statements: each must be `p[i]`. */
export function usesOf(shape: Shape, pointers: Set<string>): Use[] | Refusal {
  const uses: Use[] = [];
  for (const top of shape.body) {
    const ids = top.type === 'identifier' ? [top] : top.descendantsOfType('identifier');
    for (const id of ids) {
      if (!pointers.has(id.text)) continue;
      const sub = id.parent;
      const args = sub?.type === 'subscript_expression' && id.fieldName === 'argument' ? sub.childForFieldName('indices') : null;
      const idx = args?.namedChildren ?? [];
      if (!sub || !args || idx.length !== 1) return refuse(`the kernel uses \`${id.text}\` other than as \`${id.text}[${shape.index}]\` (\`${(sub ?? id).text}\`)`);
      if (ident(idx[0]) !== shape.index) return refuse(`the kernel reads \`${sub.text}\`, not only element \`${shape.index}\` of \`${id.text}\``);
      let outer = sub;
      while (outer.parent?.type === 'parenthesized_expression') outer = outer.parent;
      // `__ldg(&x[i])`: a read of element i through the read-only cache, as a whole
      const ldg = outer.parent?.type === 'pointer_expression' && outer.parent.text.startsWith('&') ? outer.parent.parent?.parent : null;
      if (ldg?.type === 'call_expression' && ldg.childForFieldName('function')?.text === '__ldg' && ldg.childForFieldName('arguments')?.namedChildren.length === 1) {
        uses.push({ pointer: id.text, node: ldg, read: true, write: false, always: unconditional(ldg, top), alwaysAssigns: false, at: ldg.startIndex, looped: inLoop(ldg, top) });
        continue;
      }
      const parent = outer.parent;
      let read = true;
      let write = false;
      let assigns = false;
      if (parent?.type === 'assignment_expression' && outer.fieldName === 'left') {
        write = true;
        assigns = parent.childForFieldName('operator')?.text === '=';
        read = !assigns;
      } else if (parent?.type === 'update_expression') write = true;
      else if (parent?.type === 'pointer_expression' || (parent?.type === 'unary_expression' && parent.text.startsWith('&'))) return refuse(`the kernel takes the address of \`${sub.text}\``);
      const always = unconditional(sub, top);
      const at = write ? parent!.endIndex : sub.startIndex;
      uses.push({ pointer: id.text, node: sub, read, write, always, alwaysAssigns: assigns && always && parent!.parent?.type === 'expression_statement' && parent!.parent === top, at, looped: inLoop(sub, top) });
    }
  }
  return uses;
}

/** Reasons the element statements cannot run V times on registers: thread state, warp operations, early exits, state carried between elements. */
export function bodyProblem(shape: Shape, fnNode: SyntaxNode): string | null {
  const declared = new Set<string>();
  for (const top of shape.body) {
    for (const d of [top, ...top.descendantsOfType(['init_declarator', 'declaration', 'parameter_declaration'])]) {
      if (d.type === 'declaration') for (const x of d.childrenForFieldName('declarator')) {
        const name = x.type === 'init_declarator' ? x.childForFieldName('declarator') : x;
        if (name?.type === 'identifier') declared.add(name.text);
        else if (name) for (const i of name.descendantsOfType('identifier').slice(0, 1)) declared.add(i.text);
      }
    }
    for (const n of [top, ...top.descendantsOfType(['identifier', 'return_statement', 'goto_statement', 'break_statement', 'continue_statement', 'assignment_expression', 'update_expression', 'asm_statement', 'gnu_asm_expression'])]) {
      switch (n.type) {
        case 'identifier':
          if (THREAD_STATE.test(n.text)) return `the element code reads \`${n.parent?.type === 'field_expression' ? n.parent.text : n.text}\` itself`;
          if (WARP_OPS.test(n.text)) return `the element code calls \`${n.text}\`, which needs one element per thread`;
          break;
        case 'return_statement':
        case 'goto_statement':
          return `the element code leaves early (\`${n.text}\`)`;
        case 'break_statement':
        case 'continue_statement': {
          let p = n.parent;
          while (p && p !== top && !['for_statement', 'while_statement', 'do_statement', 'switch_statement', 'for_range_loop'].includes(p.type)) p = p.parent;
          if (!p || p === top && !['for_statement', 'while_statement', 'do_statement', 'switch_statement', 'for_range_loop'].includes(p.type)) return `the element code leaves early (\`${n.text}\`)`;
          break;
        }
        case 'asm_statement':
        case 'gnu_asm_expression':
          return 'the element code has inline assembly';
        case 'assignment_expression':
        case 'update_expression': {
          let target = n.type === 'assignment_expression' ? n.childForFieldName('left') : n.childForFieldName('argument');
          while (target && ['subscript_expression', 'field_expression', 'parenthesized_expression', 'pointer_expression'].includes(target.type))
            target = target.type === 'subscript_expression' ? target.childForFieldName('argument') : target.type === 'field_expression' ? target.childForFieldName('argument') : target.namedChildren[0];
          const name = target?.type === 'identifier' ? target.text : null;
          if (name === shape.index) return `the element code changes \`${shape.index}\``;
          if (name && !declared.has(name) && !fnPointer(fnNode, name)) return `the element code writes \`${name}\`, which lives across elements`;
          if (!name) return `the element code writes through \`${n.text}\``;
          break;
        }
      }
    }
  }
  return null;
}
/** A pointer parameter of the kernel (its uses are checked one by one). */
const fnPointer = (fnNode: SyntaxNode, name: string): boolean =>
  fnNode.descendantsOfType('parameter_declaration').some((p) => p.childForFieldName('declarator')?.type === 'pointer_declarator' && p.childForFieldName('declarator')!.descendantsOfType('identifier').some((i) => i.text === name));
