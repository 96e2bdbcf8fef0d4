// The configs of a `@triton.autotune` decorator, read from the syntax: the list written in the
// decorator, or a module-level name the decorator passes (`configs=CONFIGS`) when that name is
// bound once at the top of the file and never rebound or changed anywhere in it. A list is read
// when it is made of `triton.Config(...)` calls: written out, as a comprehension over literal
// lists (`[Config({...}, num_stages=s) for s in [2, 3]]`), and such lists joined with `+` or
// spread into one (`[*BASE, Config(...)]`). Anything else (a call, a filtered copy, a name
// bound twice or appended to) leaves the whole list unread: no guess.
import type { SyntaxNode as Node } from '../../mirror';
import { field, nodeRange } from '../../syntax';
import type { AutotuneConfigs } from '../model';
import { argumentNodes, compact, namedChildren, unparen } from './common';

/** Positional parameters of `triton.Config(kwargs, num_warps, num_stages, ...)` after the kwargs dict. */
const CONFIG_POSITIONAL = ['num_warps', 'num_stages'];
/** Names followed through at most this many module-level bindings (`A = [*B]`, `B = C + D`). */
const MAX_DEPTH = 4;

/** Parents of an identifier that bind or change what the name holds when it sits in this field of them. */
const BINDING_FIELDS: Record<string, string> = {
  assignment: 'left', augmented_assignment: 'left', for_statement: 'left', for_in_clause: 'left', named_expression: 'name',
  default_parameter: 'name', typed_default_parameter: 'name',
};
const BINDING_PARENTS = new Set([
  'global_statement', 'nonlocal_statement', 'delete_statement', 'as_pattern_target', 'aliased_import', 'import_statement',
  'import_from_statement', 'parameters', 'lambda_parameters', 'typed_parameter',
]);

/** Module-level names bound once (`CONFIGS = [...]`) and otherwise only read, by name, with their value; made when first asked. */
export class ModuleBindings {
  private values: Map<string, Node> | null = null;

  constructor(private readonly root: Node) {}

  /** The value `name` is bound to at module level, when that is its only binding and nothing changes it. */
  value(name: string): Node | null {
    this.values ??= this.read();
    return this.values.get(name) ?? null;
  }

  private read(): Map<string, Node> {
    const once = new Map<string, Node | null>();
    const lefts = new Set<number>();
    for (const st of namedChildren(this.root)) {
      const e = st.type === 'expression_statement' ? namedChildren(st)[0] : null;
      if (e?.type !== 'assignment') continue;
      const left = field(e, 'left');
      const right = field(e, 'right');
      if (left?.type !== 'identifier' || !right) continue;
      once.set(left.text, once.has(left.text) ? null : right); // bound twice: unknown
      lefts.add(left.id);
    }
    const out = new Map<string, Node>();
    for (const [name, v] of once) if (v) out.set(name, v);
    if (!out.size) return out;
    // any other binding of the name, anywhere in the file, or a method call on it (`CONFIGS.append(...)`): unread
    for (const id of this.root.descendantsOfType('identifier')) {
      if (!out.has(id.text) || lefts.has(id.id)) continue;
      if (changes(id)) out.delete(id.text);
    }
    return out;
  }
}

/** Does this occurrence of a name bind it again, or may it change the object it holds? */
function changes(id: Node): boolean {
  if (id.parent?.type === 'attribute' && field(id.parent, 'attribute')?.id === id.id) return false; // `self.CONFIGS`: another name
  if (id.parent?.type === 'keyword_argument' && field(id.parent, 'name')?.id === id.id) return false; // `f(CONFIGS=...)`
  let child = id;
  for (let p = id.parent; p; child = p, p = p.parent) {
    if (p.type === 'attribute' && field(p, 'object')?.id === child.id) return true; // CONFIGS.append, CONFIGS.extend
    const f = BINDING_FIELDS[p.type];
    if (f && field(p, f)?.id === child.id) return true; // CONFIGS = ..., CONFIGS[0] = ..., for CONFIGS in ...
    if (BINDING_PARENTS.has(p.type)) return true;
    if (p.type === 'function_definition' || p.type === 'class_definition') return field(p, 'name')?.id === child.id;
    if (p.type === 'expression_statement' || p.type === 'block' || p.type === 'module') return false;
  }
  return false;
}

/** The configs of one `@triton.autotune(...)` decorator, or null when they are not written in a way read here. */
export function autotuneConfigs(decorator: Node, bindings: ModuleBindings): AutotuneConfigs | null {
  const call = unparen(namedChildren(decorator).find((c) => c.type !== 'comment') ?? null);
  if (call?.type !== 'call' || !/(^|\.)autotune$/.test(compact(field(call, 'function')?.text ?? ''))) return null;
  const { positional, keywords } = argumentNodes(call);
  const kw = keywords.find((k) => field(k, 'name')?.text === 'configs');
  const list = kw ? field(kw, 'value') : positional[0] ?? null;
  if (!list) return null;
  const sources: Node[] = [];
  const configs = readList(list, bindings, sources, new Map(), 0);
  return configs ? { configs, sources: sources.map((s) => nodeRange(s)) } : null;
}

type Options = AutotuneConfigs['configs'][number];

/** The configs a list expression holds, or null; `sources` collects the list literals read. */
function readList(n: Node | null, bindings: ModuleBindings, sources: Node[], vars: Map<string, string[]>, depth: number): Options[] | null {
  const v = unparen(n);
  if (!v || depth > MAX_DEPTH) return null;
  switch (v.type) {
    case 'identifier': {
      const bound = bindings.value(v.text);
      return bound ? readList(bound, bindings, sources, vars, depth + 1) : null;
    }
    case 'binary_operator': {
      if (field(v, 'operator')?.text !== '+') return null;
      const l = readList(field(v, 'left'), bindings, sources, vars, depth);
      const r = l && readList(field(v, 'right'), bindings, sources, vars, depth);
      return l && r ? [...l, ...r] : null;
    }
    case 'list':
    case 'tuple': {
      sources.push(v);
      const out: Options[] = [];
      for (const item of namedChildren(v)) {
        if (item.type === 'comment') continue;
        if (item.type === 'list_splat') {
          const inner = readList(namedChildren(item).find((c) => c.type !== 'comment') ?? null, bindings, sources, vars, depth + 1);
          if (!inner) return null;
          out.push(...inner);
          continue;
        }
        const c = config(item, bindings, vars);
        if (!c) return null;
        out.push(c);
      }
      return out;
    }
    case 'list_comprehension': {
      // each `for x in [...]` gives its variable the literal values; a variable of any other iterable stays a name (unknown)
      const scope = new Map(vars);
      for (const clause of namedChildren(v).filter((c) => c.type === 'for_in_clause')) {
        for (const [name, values] of comprehensionValues(clause, bindings)) scope.set(name, values);
      }
      const c = config(field(v, 'body'), bindings, scope);
      if (!c) return null;
      sources.push(v);
      return [c];
    }
    default:
      return null;
  }
}

/** One `triton.Config(...)` call's launch options, each as the texts it can have; null when it is not one or passes `**options`. */
function config(n: Node | null, bindings: ModuleBindings, vars: Map<string, string[]>): Options | null {
  const c = unparen(n);
  if (c?.type !== 'call' || !/(^|\.)Config$/.test(compact(field(c, 'function')?.text ?? ''))) return null;
  const { positional, keywords } = argumentNodes(c);
  if (positional.some((p) => p.type === 'list_splat' || p.type === 'dictionary_splat')) return null;
  const out: Options = {};
  const valuesOf = (v: Node | null): string[] => {
    const t = v ? compact(v.text) : '';
    if (vars.has(t)) return vars.get(t)!;
    const bound = /^[A-Za-z_]\w*$/.test(t) ? unparen(bindings.value(t)) : null;
    return bound?.type === 'integer' ? [bound.text] : [t]; // `NUM_STAGES = 3` at module level
  };
  positional.slice(1).forEach((p, i) => {
    if (CONFIG_POSITIONAL[i]) out[CONFIG_POSITIONAL[i]] = valuesOf(p);
  });
  for (const k of keywords) {
    const name = field(k, 'name')?.text;
    if (name) out[name] = valuesOf(field(k, 'value'));
  }
  return out;
}

/** `for s in [2, 3]` -> s: 2, 3; `for w, s in [(4, 2), (8, 3)]` -> w: 4, 8 and s: 2, 3; a module-level literal list by name too. */
function comprehensionValues(clause: Node, bindings: ModuleBindings): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const left = unparen(field(clause, 'left'));
  let right = unparen(field(clause, 'right'));
  if (right?.type === 'identifier') right = unparen(bindings.value(right.text));
  if (!left) return out;
  const targets = left.type === 'identifier' ? [left] : ['pattern_list', 'tuple_pattern', 'tuple', 'list_pattern'].includes(left.type) ? namedChildren(left) : [];
  const items = right && (right.type === 'list' || right.type === 'tuple') ? namedChildren(right).filter((c) => c.type !== 'comment') : null;
  for (const [i, t] of targets.entries()) {
    if (t.type !== 'identifier') continue;
    const values = items?.map((item) => {
      if (left.type === 'identifier') return unparen(item);
      const u = unparen(item);
      const parts = u && (u.type === 'tuple' || u.type === 'list') ? namedChildren(u).filter((c) => c.type !== 'comment') : null;
      return parts && parts.length === targets.length ? unparen(parts[i]) : null;
    });
    // only literal values: a variable over anything else is left to be read as unknown
    if (values && values.every((x) => x && (x.type === 'integer' || x.type === 'float' || x.type === 'string' || x.type === 'true' || x.type === 'false' || x.type === 'none' || x.type === 'dictionary'))) {
      out.set(t.text, values.map((x) => compact(x!.text)));
    } else out.set(t.text, [`?${t.text}`]); // shadows an outer variable of the same name; never a literal
  }
  return out;
}
