// The fix of fusion/elementwise-chain for Triton: PyTorch elementwise ops that read a
// kernel's output right after its launch (`return torch.relu(out + bias)`, `y.sigmoid_()`)
// are folded into a copy of the kernel, just before its `tl.store`, and the host launches
// the copy; the expression becomes the buffer itself, or the in-place op goes. The copy is
// a new kernel named after the host function (other code may launch the original). Only
// ops with a direct `tl` equivalent fold, and only operands the kernel can read at the
// stored offsets: numbers, scalars, and tensors of the output's shape. Never marked safe:
// the ops now run in the kernel's precision before the store's cast, with Triton's math.
import type { FixContext, FixResult } from '../../../core/fix';
import type { CallFact, FileFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Finding, Range, RuleFinding, TextEdit } from '../../../core/types';
import { bindArguments, firstUse, hostShapes, laterUse, plainBuffer } from '../../common/triton-host';
import { FileSyntax, refuse, refused, render, walk, type Refusal } from './fix-kernel';
import { code, nodeRange, sameRange } from '../../common/fix-syntax';

const IDENT = /^[A-Za-z_]\w*$/;

/** One-operand PyTorch functions (and methods) with a `tl` equivalent; `$` is the operand. */
const UNARY: Record<string, { tl: string; twice?: boolean }> = {
  relu: { tl: 'tl.maximum($, 0.0)' },
  sigmoid: { tl: 'tl.sigmoid($)' },
  exp: { tl: 'tl.exp($)' },
  exp2: { tl: 'tl.exp2($)' },
  log: { tl: 'tl.log($)' },
  log2: { tl: 'tl.log2($)' },
  sqrt: { tl: 'tl.sqrt($)' },
  rsqrt: { tl: 'tl.rsqrt($)' },
  abs: { tl: 'tl.abs($)' },
  sin: { tl: 'tl.sin($)' },
  cos: { tl: 'tl.cos($)' },
  neg: { tl: '-$' },
  negative: { tl: '-$' },
  square: { tl: '$ * $', twice: true },
  silu: { tl: '$ * tl.sigmoid($)', twice: true },
  gelu: { tl: '0.5 * $ * (1.0 + tl.math.erf($ * 0.7071067811865476))', twice: true },
};
/** Methods that are an operator with one other operand (`y.mul(2)`). */
const BINARY_METHODS: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/', subtract: '-', multiply: '*', divide: '/' };
const MODULES = ['torch.nn.functional.', 'torch.special.', 'torch.'];

interface Operand {
  /** The kernel parameter added for it. */
  param: string;
  /** The launch keyword argument that passes it. */
  arg: string;
}

export function fixTritonChain(f: Finding, ctx: FixContext, findingsOf: (facts: FileFacts) => RuleFinding[]): FixResult {
  // module-level code is the host `<module>`
  const host = ctx.fn ?? (f.function === null ? ctx.functionNamed('<module>') : null);
  if (!host) return refuse('the launch is not in a function the analysis could read');
  const calls = host.calls;
  if (calls.some((c) => c.kind === 'launch' && sameRange(c.nameRange, f.range)))
    return refuse('fusing two Triton kernels into one is not automated: merge their bodies between the loads and the store by hand');
  const launch = calls.find((c) => c.kind === 'launch' && f.related[0] && sameRange(c.nameRange, f.related[0].range));
  if (!launch) {
    const helper = calls.find((c) => f.related[0] && sameRange(c.nameRange, f.related[0].range));
    return refuse(helper ? `${code(helper.name)} launches the kernel inside its own body: fold the ops into that kernel there` : 'the launch is not in this function');
  }
  const k = ctx.functionNamed(launch.name);
  if (!k || !k.isKernel) return refuse(`${code(launch.name)} is not a kernel defined in this file`);
  const binding = bindArguments(k, launch);
  if (!binding) return refuse(`the arguments of ${code(launch.name)} could not be matched to its parameters`);

  // the stored parameter whose buffer the expression reads, and the names it goes by
  const li = calls.indexOf(launch);
  let out: { param: string; buffer: string; names: Set<string>; top: number } | null = null;
  for (const p of k.params) {
    if (!k.accesses.some((a) => a.array === p.name && a.kind === 'store')) continue;
    const buffer = plainBuffer(binding.get(p.name));
    const use = buffer ? firstUse(calls, li, buffer) : null;
    if (!buffer || !use) continue;
    // the expression is the first use, or an operation that (through `parent`) takes its result
    const top = calls.findIndex((c) => sameRange(c.range, f.range));
    let at: number | undefined = use.index;
    while (at !== undefined && at !== top) at = calls[at].parent;
    if (top >= 0 && at === top) out = { param: p.name, buffer, names: use.names, top };
  }
  if (!out) return refuse('the expression could not be matched to the kernel output it reads');
  const stores = k.accesses.filter((a) => a.array === out!.param && a.kind !== 'load');
  if (stores.length !== 1 || stores[0].kind !== 'store') return refuse(`${code(k.name)} writes ${code(out.param)} in more than one place`);

  const file = FileSyntax.of(ctx);
  if (!file.root) return refuse('the file could not be read as syntax');
  const expr = file.exact(f.range);
  const found = file.find(k.range, 'decorated_definition') ?? file.find(k.range, 'function_definition');
  const kfn = found?.type === 'decorated_definition' ? found.childForFieldName('definition') : found;
  const kdef = kfn?.parent?.type === 'decorated_definition' ? kfn.parent : kfn;
  const store = file.find(stores[0].range, 'call');
  const launchCall = file.find(launch.range, 'call');
  if (!expr || !kdef || !store || !launchCall) return refuse('the code could not be read as syntax');

  // the store: tl.store(<out> + <offsets>, <value>, mask=<mask>)
  const sargs = store.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const positional = sargs.filter((a) => a.type !== 'keyword_argument');
  const kw = (name: string) => sargs.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? null;
  const pointer = positional[0] ?? kw('pointer');
  const value = positional[1] ?? kw('value');
  const mask = positional[2] ?? kw('mask');
  if (!pointer || !value) return refuse(`the \`tl.store\` of ${code(out.param)} could not be read`);
  const offsets = pointer.type === 'binary_operator' && pointer.childForFieldName('operator')?.text === '+' && pointer.childForFieldName('left')?.text === out.param ? pointer.childForFieldName('right')!.text : null;

  // the host's view of the operands
  const shapes = hostShapes(host);
  const kernelNames = new Set<string>();
  walk(kdef, (n) => n.type === 'identifier' && kernelNames.add(n.text));
  const operands = new Map<string, Operand>();
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 2; kernelNames.has(name); i++) name = `${base}${i}`;
    kernelNames.add(name);
    return name;
  };
  const valueName = value.type === 'identifier' && !usedAfter(kdef, store, value.text) ? value.text : fresh(`${out.param.replace(/_ptr$/, '') || 'out'}_val`);
  const pre: string[] = [];
  const callFact = (n: SyntaxNode): CallFact | undefined => calls.find((c) => c.range.start.line === n.startPosition.row && c.range.start.column === n.startPosition.column && sameRange(c.range, nodeRange(n)));
  const boundParam = (name: string) => k.params.find((p) => plainBuffer(binding.get(p.name)) === name && k.accesses.some((a) => a.array === p.name && a.kind === 'load'));
  const mine = shapes.get(out.buffer);

  const operand = (name: string): string | Refusal => {
    const sh = shapes.get(name);
    if (sh?.scalar) {
      let o = operands.get(name);
      if (!o) operands.set(name, (o = { param: fresh(name), arg: name }));
      return o.param;
    }
    if (offsets === null) return refuse(`the store of ${code(out!.param)} is not at \`${out!.param} + offsets\`: ${code(name)} could not be loaded alongside it`);
    const load = (ptr: string) => `tl.load(${ptr} + ${offsets}${mask ? `, mask=${mask.text}` : ''})`;
    const input = boundParam(name);
    if (input) return loadedAs(kdef, load(input.name)) ?? load(input.name);
    if (sh && sh.key !== null && mine && mine.key === sh.key && !sh.key.startsWith('#')) {
      let o = operands.get(name);
      if (!o) operands.set(name, (o = { param: fresh(`${name}_ptr`), arg: name }));
      return load(o.param);
    }
    return refuse(`${code(name)} is not known to have the shape of ${code(out!.buffer)}: the kernel could not load it at the stored offsets`);
  };

  /** A name for a value used twice (`x * tl.sigmoid(x)`). */
  const once = (t: string): string => {
    if (IDENT.test(t)) return t;
    const name = fresh('t');
    pre.push(`${name} = ${t}`);
    return name;
  };
  const applyUnary = (fn: string, arg: string): string => {
    const u = UNARY[fn];
    const a = u.twice ? once(arg) : arg;
    const wrapped = u.tl.startsWith('-') || u.twice ? (IDENT.test(a) || /^[\w.]+\(.*\)$/.test(a) ? a : `(${a})`) : a;
    return u.tl.replace(/\$/g, wrapped);
  };

  const translate = (n: SyntaxNode): string | Refusal => {
    switch (n.type) {
      case 'parenthesized_expression': {
        const inner = translate(n.namedChildren[0]);
        return refused(inner) ? inner : `(${inner})`;
      }
      case 'identifier':
        return out!.names.has(n.text) ? valueName : operand(n.text);
      case 'integer':
      case 'float':
        return n.text;
      case 'unary_operator': {
        const op = n.childForFieldName('operator')?.text ?? '';
        const a = translate(n.childForFieldName('argument')!);
        if (refused(a)) return a;
        return op === '-' || op === '+' ? `${op}${a}` : refuse(`\`${op}\` has no direct \`tl\` equivalent here`);
      }
      case 'binary_operator': {
        const op = n.childForFieldName('operator')?.text ?? '';
        if (!['+', '-', '*', '/'].includes(op)) return refuse(`\`${op}\` has no direct \`tl\` equivalent here`);
        const l = translate(n.childForFieldName('left')!);
        if (refused(l)) return l;
        const r = translate(n.childForFieldName('right')!);
        if (refused(r)) return r;
        return `${l} ${op} ${r}`;
      }
      case 'call': {
        const fn = n.childForFieldName('function')!;
        const args = n.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
        const pos = args.filter((a) => a.type !== 'keyword_argument');
        const kws = args.filter((a) => a.type === 'keyword_argument');
        const fact = callFact(n);
        // a method on the value: y.relu(), y.mul(2), y.sigmoid_()
        if (fn.type === 'attribute' && !MODULES.some((m) => (fact?.qualified ?? fn.text).startsWith(m))) {
          const method = (fn.childForFieldName('attribute')?.text ?? '').replace(/_$/, '');
          const recv = translate(fn.childForFieldName('object')!);
          if (refused(recv)) return recv;
          if (UNARY[method] && !args.length) return applyUnary(method, recv);
          if (BINARY_METHODS[method] && pos.length === 1 && !kws.length) {
            const o = translate(pos[0]);
            return refused(o) ? o : `${paren(recv)} ${BINARY_METHODS[method]} ${paren(o)}`;
          }
          if (method === 'clamp' || method === 'clip') return clamp(recv, pos, kws);
          return refuse(`\`.${fn.childForFieldName('attribute')?.text}()\` has no direct \`tl\` equivalent`);
        }
        const q = fact?.qualified ?? fn.text;
        const mod = MODULES.find((m) => q.startsWith(m));
        const name = mod ? q.slice(mod.length).replace(/_$/, '') : q;
        if (!mod) return refuse(`${code(q)} is not a PyTorch elementwise op`);
        if (name === 'clamp' || name === 'clip') {
          if (!pos.length) return refuse(`${code(q)} without its input`);
          const a = translate(pos[0]);
          return refused(a) ? a : clamp(a, pos.slice(1), kws);
        }
        if (BINARY_METHODS[name] && pos.length === 2 && !kws.length) {
          const a = translate(pos[0]);
          if (refused(a)) return a;
          const b = translate(pos[1]);
          return refused(b) ? b : `${paren(a)} ${BINARY_METHODS[name]} ${paren(b)}`;
        }
        if (!UNARY[name] || pos.length !== 1) return refuse(`${code(q)} has no direct \`tl\` equivalent`);
        // F.gelu(x, approximate="tanh") needs tanh, which tl has no direct equivalent of
        if (kws.some((a) => !(a.childForFieldName('name')?.text === 'approximate' && /^["']none["']$/.test(a.childForFieldName('value')?.text ?? '')) && a.childForFieldName('name')?.text !== 'inplace'))
          return refuse(`${code(n.text)} has no direct \`tl\` equivalent (its options differ)`);
        const a = translate(pos[0]);
        return refused(a) ? a : applyUnary(name, a);
      }
      default:
        return refuse(`${code(n.text)} has no direct \`tl\` equivalent`);
    }
  };
  const paren = (t: string) => (IDENT.test(t) || /^-?[\d.]+$/.test(t) || /^[\w.]+\([^()]*\)$/.test(t) ? t : `(${t})`);
  const clamp = (a: string, pos: SyntaxNode[], kws: SyntaxNode[]): string | Refusal => {
    const bound = (name: string, i: number): SyntaxNode | null => kws.find((k) => k.childForFieldName('name')?.text === name)?.childForFieldName('value') ?? pos[i] ?? null;
    let t = a;
    const lo = bound('min', 0);
    const hi = bound('max', 1);
    if (!lo && !hi) return refuse('a clamp without bounds');
    if (lo && lo.text !== 'None') {
      const l = translate(lo);
      if (refused(l)) return l;
      t = `tl.maximum(${t}, ${l})`;
    }
    if (hi && hi.text !== 'None') {
      const h = translate(hi);
      if (refused(h)) return h;
      t = `tl.minimum(${t}, ${h})`;
    }
    return t;
  };

  // the statement the expression is, and what becomes of it on the host
  let host_edit: TextEdit;
  let inPlace = false;
  let folded: string | Refusal;
  const statement = (n: SyntaxNode) => (n.parent?.type === 'expression_statement' ? n.parent : null);
  if (expr.type === 'augmented_assignment') {
    // y += r: the value becomes y + r
    const op = expr.childForFieldName('operator')?.text.replace(/=$/, '') ?? '';
    const left = expr.childForFieldName('left');
    if (!['+', '-', '*', '/'].includes(op) || left?.type !== 'identifier' || !out.names.has(left.text)) return refuse(`${code(expr.text)} has no direct \`tl\` equivalent`);
    const r = translate(expr.childForFieldName('right')!);
    folded = refused(r) ? r : `${valueName} ${op} ${paren(r)}`;
    inPlace = true;
  } else {
    folded = translate(expr);
    inPlace = expr.type === 'call' && /_$/.test(expr.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '') && expr.childForFieldName('function')?.childForFieldName('object')?.type === 'identifier';
    inPlace ||= expr.type === 'call' && /_$/.test(callFact(expr)?.qualified ?? '');
  }
  if (refused(folded)) return folded;
  const stmt = statement(expr);
  // `y = torch.relu(y)` rebinds the name to the result: the buffer itself now holds it
  const rebinds = expr.parent?.type === 'assignment' && expr.parent.childForFieldName('left')?.type === 'identifier' && out.names.has(expr.parent.childForFieldName('left')!.text) ? expr.parent : null;
  if (!inPlace) {
    const again = laterUse(calls, out.top, out.names);
    if (again) return refuse(`${code(out.buffer)} is read again on line ${again.range.start.line + 1}: it must keep the kernel's own values`);
    if (!createdHere(calls, li, out.buffer)) return refuse(`${code(out.buffer)} is not created in ${code(host.name)}: its caller may expect the kernel's own values in it`);
  }
  const drop = inPlace ? stmt : rebinds?.parent?.type === 'expression_statement' ? rebinds.parent : null;
  if (drop) {
    const s = drop.startPosition;
    const e = drop.endPosition;
    const alone = ctx.lines[s.row].slice(0, s.column).trim() === '' && /^\s*(#.*)?$/.test(ctx.lines[e.row].slice(e.column));
    if (!alone) return refuse(`${code(drop.text)} shares its line with other code`);
    host_edit = { range: { start: { line: s.row, column: 0 }, end: { line: e.row + 1, column: 0 } }, newText: '' };
  } else {
    if (inPlace) return refuse(`the in-place ${code(expr.text)} is part of a larger expression`);
    const alias = [...out.names].find((nm) => new RegExp(`\\b${nm}\\b`).test(expr.text)) ?? out.buffer;
    host_edit = { range: nodeRange(expr), newText: alias };
  }

  // the new kernel: a copy of the old one with the ops before the store
  const fnNode = kdef.type === 'decorated_definition' ? kdef.childForFieldName('definition')! : kdef;
  const nameNode = fnNode.childForFieldName('name')!;
  const paramsNode = fnNode.childForFieldName('parameters')!;
  const used = (n: string) => ctx.file.functions.some((g) => g.name === n) || new RegExp(`\\b${n}\\b`).test(ctx.text);
  // named after the host function; a second fold in the same function is `..._kernel2` (its fix is independent of this one)
  const base = host.name === '<module>' ? `${k.name}_fused` : `${host.name.replace(/^_+|_+$/g, '')}_kernel`;
  const inHost = findingsOf(ctx.file)
    .filter((g) => g.function === f.function && g.range.start.line >= host.range.start.line && g.range.end.line <= host.range.end.line)
    .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
  const nth = Math.max(0, inHost.findIndex((g) => sameRange(g.range, f.range)));
  let newName = nth ? `${base}${nth + 1}` : base;
  for (let i = nth + 2; used(newName); i++) newName = `${base}${i}`;
  const extra = [...operands.values()];
  const repl = new Map<SyntaxNode, string>([[nameNode, newName]]);
  if (extra.length) {
    const close = paramsNode.children[paramsNode.children.length - 1];
    const before = ctx.text.slice(paramsNode.startIndex, close.startIndex).trimEnd();
    // the text before `)` is kept as is; the new names go right before it
    repl.set(close, `${before.endsWith('(') ? '' : before.endsWith(',') ? ' ' : ', '}${extra.map((o) => o.param).join(', ')})`);
  }
  const indent = /^\s*/.exec(ctx.lines[store.startPosition.row])![0];
  const storeStmt = store.parent?.type === 'expression_statement' ? store.parent : store;
  const what = oneLine(f.range, ctx.lines);
  // a stored expression gets a name first: `out_val = x * scale + shift`, then the ops on it
  const named = value.type === 'identifier' && valueName === value.text;
  const lines = [`# ${what}, from ${host.name === '<module>' ? 'the module' : host.name}, folded in before the store`, ...(named ? [] : [`${valueName} = ${value.text}`]), ...pre, `${valueName} = ${folded}`];
  if (value.type !== 'identifier' || valueName !== value.text) repl.set(value, valueName);
  const storeText = render(storeStmt, ctx.text, repl);
  repl.set(storeStmt, `${lines.join(`\n${indent}`)}\n${indent}${storeText}`);
  const kernelText = render(kdef, ctx.text, repl);
  // the copy goes right before the host function that launches it (after the kernel for module-level code)
  const hostFn = host.name === '<module>' ? null : file.find(host.range, 'decorated_definition') ?? file.find(host.range, 'function_definition');
  const endRow = kdef.endPosition.row;
  const insert: TextEdit =
    hostFn && hostFn.startIndex > kdef.endIndex
      ? { range: { start: { line: hostFn.startPosition.row, column: 0 }, end: { line: hostFn.startPosition.row, column: 0 } }, newText: `${kernelText}\n\n\n` }
      : { range: { start: { line: endRow, column: ctx.lines[endRow].length }, end: { line: endRow, column: ctx.lines[endRow].length } }, newText: `\n\n\n${kernelText}` };
  const edits: TextEdit[] = [
    insert,
    { range: launch.nameRange, newText: newName },
    host_edit,
  ];
  if (extra.length) {
    const argList = launchCall.childForFieldName('arguments')!;
    const close = argList.children[argList.children.length - 1];
    const before = ctx.text.slice(argList.startIndex, close.startIndex).trimEnd();
    const at = file.position(argList.startIndex + before.length);
    edits.push({ range: { start: at, end: at }, newText: `${before.endsWith('(') ? '' : before.endsWith(',') ? ' ' : ', '}${extra.map((o) => `${o.param}=${o.arg}`).join(', ')}` });
  }
  return [{ title: `Fold ${code(what)} into a copy of ${code(k.name)} before its store (${code(newName)}; for review: rounding may differ)`, edits, safe: false }];
}

/** A variable the kernel already loaded with exactly this `tl.load(...)` and never reassigns: `x` for `x = tl.load(x_ptr + offs, mask=m)`. */
function loadedAs(kdef: SyntaxNode, load: string): string | null {
  const want = load.replace(/\s+/g, '');
  const assigned = new Map<string, number>();
  let hit: string | null = null;
  walk(kdef, (n) => {
    if (n.type !== 'assignment' && n.type !== 'augmented_assignment') return;
    const left = n.childForFieldName('left');
    if (left?.type !== 'identifier') return;
    assigned.set(left.text, (assigned.get(left.text) ?? 0) + 1);
    if (n.type === 'assignment' && n.childForFieldName('right')?.text.replace(/\s+/g, '') === want) hit = left.text;
  });
  return hit && assigned.get(hit) === 1 ? hit : null;
}

/** The buffer is made in this function before the launch (`out = torch.empty_like(x)`). */
function createdHere(calls: CallFact[], launchIndex: number, buffer: string): boolean {
  return calls.slice(0, launchIndex).some((c, i) => {
    if (c.form !== 'assign' || !(c.assignedTo ?? []).includes(buffer)) return false;
    const made = calls.slice(0, i).find((r) => r.parent === i && r.form === 'call');
    return !!made && /^torch\.(empty|zeros|ones|full|empty_like|zeros_like|ones_like|full_like|empty_strided)$/.test(made.qualified ?? made.name);
  });
}

/** Is `name` read after the statement of `node` in the function `fn`? */
function usedAfter(fn: SyntaxNode, node: SyntaxNode, name: string): boolean {
  let hit = false;
  walk(fn, (n) => {
    if (n.type === 'identifier' && n.text === name && n.startIndex >= node.endIndex) hit = true;
  });
  return hit;
}

function oneLine(r: Range, lines: string[]): string {
  const parts: string[] = [];
  for (let l = r.start.line; l <= r.end.line; l++) parts.push((lines[l] ?? '').slice(l === r.start.line ? r.start.column : 0, l === r.end.line ? r.end.column : undefined));
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}
