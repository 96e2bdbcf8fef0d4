// Helpers shared by the Triton kernel and host walkers.
import type { SyntaxNode as Node } from '../../mirror';
import { field } from '../../syntax';
import type { Range } from '../../types';
import type { CallFact, ParamFact } from '../model';

export const compact = (t: string) => t.replace(/\s+/g, '');
// The node's own child arrays (one WASM call each): indexing children one by one costs
// O(i) per child, which is quadratic on the wide nodes of a broken file.
export const children = (n: Node): Node[] => n.children.filter((c): c is Node => !!c);
export const namedChildren = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => !!c);

/** Nodes that hold statements: the only places definitions and imports can sit. */
export const STATEMENT_CONTAINERS = new Set([
  'module', 'block', 'decorated_definition', 'function_definition', 'class_definition', 'if_statement', 'elif_clause',
  'else_clause', 'for_statement', 'while_statement', 'with_statement', 'try_statement', 'except_clause',
  'except_group_clause', 'finally_clause', 'match_statement', 'case_clause', 'ERROR',
]);

/** Visits statement-level nodes only (never expressions), iteratively. */
export function scanStatements(root: Node, visit: (n: Node) => void): void {
  const stack: Node[] = [root];
  while (stack.length) {
    const cur = stack.pop()!;
    visit(cur);
    if (!STATEMENT_CONTAINERS.has(cur.type)) continue;
    const kids = namedChildren(cur);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}

/**
 * Import-bound names -> the module path or object they stand for (`F` -> `torch.nn.functional`); and names the
 * module binds to an autograd.Function's entry (`liger_rms_norm = LigerRMSNormFunction.apply` -> `LigerRMSNormFunction.apply`).
 */
export function importAliases(root: Node): Map<string, string> {
  const out = new Map<string, string>();
  // (the module's own autograd.Function classes, whatever their case: `class _matmul(torch.autograd.Function)`)
  for (const st of root.namedChildren) {
    const cls = st.type === 'class_definition' ? st : st.type === 'decorated_definition' ? field(st, 'definition') : null;
    const name = cls?.type === 'class_definition' ? field(cls, 'name')?.text : undefined;
    if (name && /(?:^|\.)Function$/.test(compact(field(cls!, 'superclasses')?.namedChildren[0]?.text ?? ''))) out.set(`${name}.apply`, `${name}.apply`);
  }
  for (const st of root.namedChildren) {
    const e = st.type === 'expression_statement' ? st.namedChildren[0] : null;
    const left = e?.type === 'assignment' ? field(e, 'left') : null;
    const right = e?.type === 'assignment' ? field(e, 'right') : null;
    if (left?.type === 'identifier' && right?.type === 'attribute' && isApplyEntry(compact(right.text), out)) out.set(left.text, compact(right.text));
    // (a second name of a function, `_gemma_rms_fwd = _rms_fwd`: kept under `=name`, renamedTo)
    if (left?.type === 'identifier' && right?.type === 'identifier') out.set(`=${left.text}`, right.text);
  }
  scanStatements(root, (n) => {
    if (n.type === 'import_statement') {
      for (const c of namedChildren(n)) {
        if (c.type === 'dotted_name') out.set(c.text.split('.')[0], c.text.split('.')[0]);
        else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) out.set(alias.text, compact(name.text));
        }
      }
    } else if (n.type === 'import_from_statement') {
      const mod = field(n, 'module_name');
      const prefix = mod ? compact(mod.text) : '';
      for (const c of namedChildren(n)) {
        if (mod && c.id === mod.id) continue;
        if (c.type === 'dotted_name') out.set(c.text, `${prefix}.${c.text}`);
        else if (c.type === 'aliased_import') {
          const name = field(c, 'name');
          const alias = field(c, 'alias');
          if (name && alias) out.set(alias.text, `${prefix}.${compact(name.text)}`);
        }
      }
    }
  });
  // a snippet saved without its imports (a notebook cell, a tutorial's solution) still means the usual modules
  for (const [name, module] of CONVENTIONAL_IMPORTS) if (!out.has(name)) out.set(name, module);
  // (and a module's own short names for library functions, `torch_matmul = torch.matmul`: the function they name)
  for (const st of root.namedChildren) {
    const e = st.type === 'expression_statement' ? st.namedChildren[0] : null;
    const left = e?.type === 'assignment' ? field(e, 'left') : null;
    const right = e?.type === 'assignment' ? field(e, 'right') : null;
    if (left?.type !== 'identifier' || right?.type !== 'attribute' || out.has(left.text) || !isModulePath(field(right, 'object'), out)) continue;
    const target = resolveName(compact(right.text), out);
    if (LIBRARY_FUNCTION.test(target)) out.set(left.text, target);
  }
  return out;
}
/** A torch function a module may bind a short name to (`torch.matmul`, `torch.nn.functional.softmax`). */
const LIBRARY_FUNCTION = /^torch\.(?:[a-z_]+\.)*[a-z_][a-z_0-9]*$/;
/** `Cls.apply` of a class (CamelCase by convention): an autograd.Function's entry. */
const APPLY_ENTRY = /^_*[A-Z]\w*\.apply$/;
/** An autograd.Function's entry: `Cls.apply` of a CamelCase class, or of one the module defines as a Function (importAliases). */
export const isApplyEntry = (text: string, aliases: ReadonlyMap<string, string>): boolean => APPLY_ENTRY.test(text) || (aliases.get(text) === text && text.endsWith('.apply'));
const CONVENTIONAL_IMPORTS: readonly [string, string][] = [['triton', 'triton'], ['tl', 'triton.language'], ['torch', 'torch']];

/** The function a module-level second name stands for (`_gemma_rms_fwd = _rms_fwd`), else the name itself. */
export function renamedTo(name: string, aliases: ReadonlyMap<string, string>): string {
  let n = name;
  for (let i = 0; i < 4 && aliases.has(`=${n}`); i++) n = aliases.get(`=${n}`)!;
  return n;
}

/** `F.gelu` -> `torch.nn.functional.gelu` through the file's imports. */
export function resolveName(text: string, aliases: Map<string, string>): string {
  const dot = text.indexOf('.');
  const head = dot < 0 ? text : text.slice(0, dot);
  const full = aliases.get(head);
  return full ? full + (dot < 0 ? '' : text.slice(dot)) : text;
}

/** The `triton.language` function a resolved name calls (`load`, `math.exp`), or null. */
export function tlFunction(qualified: string): string | null {
  for (const p of ['triton.language.', 'tl.']) if (qualified.startsWith(p)) return qualified.slice(p.length);
  return null;
}

/** A dotted chain of identifiers whose root is bound by an import (`torch.float32`, `tl`). */
export function isModulePath(n: Node | null, aliases: Map<string, string>): boolean {
  if (!n) return false;
  if (n.type === 'identifier') return aliases.has(n.text);
  if (n.type === 'attribute') return isModulePath(field(n, 'object'), aliases);
  return false;
}

export function isJitDecorator(text: string): boolean {
  const t = compact(text).replace(/^@/, '').replace(/\(.*$/s, '');
  return t === 'triton.jit' || t === 'jit';
}

/** Strips parentheses: `((x))` -> `x`. */
export function unparen(n: Node | null): Node | null {
  let cur = n;
  while (cur && cur.type === 'parenthesized_expression') cur = namedChildren(cur).find((c) => c.type !== 'comment') ?? null;
  return cur;
}

/** The identifier an expression plainly names (`y`, `(y)`), else null. */
export function plainName(n: Node | null): string | null {
  const u = unparen(n);
  return u?.type === 'identifier' ? u.text : null;
}

/** The buffer an argument names: `y`, `(y)`, or the base of a slice `y[1:]`. */
export function argRoot(n: Node | null): string | null {
  let cur = unparen(n);
  while (cur && cur.type === 'subscript') cur = unparen(field(cur, 'value'));
  return cur?.type === 'identifier' ? cur.text : null;
}

export function argumentNodes(call: Node): { positional: Node[]; keywords: Node[] } {
  const list = field(call, 'arguments');
  if (!list || list.type !== 'argument_list') return { positional: list ? [list] : [], keywords: [] };
  const all = namedChildren(list).filter((c) => c.type !== 'comment');
  return { positional: all.filter((c) => c.type !== 'keyword_argument'), keywords: all.filter((c) => c.type === 'keyword_argument') };
}

export function keywordFacts(kws: Node[]): NonNullable<CallFact['keywords']> {
  return kws.map((k) => {
    const v = field(k, 'value');
    return { name: field(k, 'name')?.text ?? '', value: v?.text ?? '', root: argRoot(v) };
  });
}

/** The header of a `for`/`while` statement on its first line, without the colon. */
export function headerRange(n: Node, lines: string[]): Range {
  const colon = children(n).find((c) => c.type === ':');
  const start = { line: n.startPosition.row, column: n.startPosition.column };
  if (colon && colon.startPosition.row === n.startPosition.row) return { start, end: { line: start.line, column: colon.startPosition.column } };
  const line = lines[n.startPosition.row] ?? '';
  return { start, end: { line: start.line, column: line.replace(/\s+$/, '').length } };
}

export function paramFacts(def: Node): ParamFact[] {
  const out: ParamFact[] = [];
  const list = field(def, 'parameters');
  if (!list) return out;
  for (const p of namedChildren(list)) {
    let name: string | null = null;
    let type = '';
    let defaultValue: string | undefined;
    switch (p.type) {
      case 'identifier':
        name = p.text;
        break;
      case 'typed_parameter':
        name = namedChildren(p).find((c) => c.type === 'identifier')?.text ?? null;
        type = field(p, 'type')?.text ?? '';
        break;
      case 'default_parameter':
        name = field(p, 'name')?.text ?? null;
        defaultValue = field(p, 'value')?.text;
        break;
      case 'typed_default_parameter':
        name = field(p, 'name')?.text ?? null;
        type = field(p, 'type')?.text ?? '';
        defaultValue = field(p, 'value')?.text;
        break;
    }
    if (!name) continue;
    const constexpr = /\bconstexpr\b/.test(type);
    out.push({ name, type: compact(type), pointer: false, isConst: false, restrict: false, constexpr, ...(defaultValue !== undefined && defaultValue.length <= 40 ? { optional: true, defaultValue } : {}) });
  }
  return out;
}

