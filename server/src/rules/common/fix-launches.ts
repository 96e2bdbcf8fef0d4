// The launches of a kernel in this file, as the fixers that change a kernel's threads read
// them: each launch with its `<<<grid, block, shared, stream>>>` configuration and
// arguments, the `dim3` shapes the host declares for them (and whether a declaration may
// be rewritten for this kernel alone), the integer constants sizes are written in, and
// the `(n + b - 1) / b` forms that round a count up to whole blocks.
import type { FixContext } from '../../core/fix';
import type { CallFact, FunctionFacts } from '../../core/facts/model';
import type { SyntaxNode } from '../../core/mirror';
import { baseName } from '../../core/project';
import { fileConstants } from './file-constants';
import { compact, functionNode, identifiers, localDecls, unparen, within } from './fix-syntax';

/** An integer the file names: a literal, `#define N 32`, `constexpr int N = 32`. */
export function constantOf(ctx: FixContext, text: string): number | null {
  const t = compact(text).replace(/^\((.*)\)$/, '$1');
  if (/^\d+[uUlL]*$/.test(t)) return parseInt(t, 10);
  return fileConstants(ctx.lines).constants.get(t) ?? null;
}

/** `32`, `BLOCK`, `BLOCK * BLOCK`: a product of the file's constants, or null. */
export function productOf(ctx: FixContext, text: string): number | null {
  let v = 1;
  for (const part of text.split('*')) {
    const c = constantOf(ctx, part);
    if (c === null) return null;
    v *= c;
  }
  return v;
}

/** The most threads per block a kernel's `__launch_bounds__(N, ...)` allows, when it says and N is constant. */
export function maxThreads(ctx: FixContext, fn: FunctionFacts): number | null {
  const m = fn.launchBounds ? /\(\s*([^,)]+)/.exec(fn.launchBounds) : null;
  return m ? productOf(ctx, m[1]) : null;
}

/** The launch calls in this file of the kernel named `name` (template arguments aside), with their host. */
export function launchCalls(ctx: FixContext, name: string): readonly { call: CallFact; host: FunctionFacts }[] {
  const index = ctx.perFile('launches by kernel', () => {
    const byKernel = new Map<string, { call: CallFact; host: FunctionFacts }[]>();
    for (const host of ctx.file.functions) {
      for (const call of host.calls) {
        if (call.kind !== 'launch') continue;
        const k = baseName(call.name);
        const list = byKernel.get(k);
        if (list) list.push({ call, host });
        else byKernel.set(k, [{ call, host }]);
      }
    }
    return byKernel;
  });
  return index.get(baseName(name)) ?? [];
}

/** The project's host functions in other files that launch the kernel named `name`. */
export function launchersElsewhere(ctx: FixContext, name: string): readonly FunctionFacts[] {
  // (the project's index, made once for all files, not a scan of every wrapper of the project per file)
  const kernel = baseName(name);
  return ctx.perFile(`launchers in other files of ${kernel}`, () => {
    const mine = ctx.perFile('own function names', () => new Set(ctx.file.functions.map((f) => f.name)));
    return (ctx.file.project?.launchersOf(kernel) ?? []).filter(({ key, host }) => !mine.has(key) && !mine.has(host.name)).map(({ host }) => host);
  });
}

/** A kernel launch in this file's host code, with its configuration. */
export interface Launch {
  host: FunctionFacts;
  hostBody: SyntaxNode;
  call: CallFact;
  node: SyntaxNode;
  /** The `<<<grid, block, shared, stream>>>` expressions. */
  config: SyntaxNode[];
  /** The launch's arguments, one per kernel parameter. */
  args: SyntaxNode[];
}

/** The launches of `kernel` in this file, or why they cannot all be seen. */
export function launchesOf(ctx: FixContext, kernel: FunctionFacts): Launch[] | { reason: string } {
  const name = baseName(kernel.name);
  const out: Launch[] = [];
  for (const { call, host } of launchCalls(ctx, name)) {
    if (call.via) continue;
    const node = ctx.node(call.range, ['call_expression']);
    const syntax = node?.namedChildren.find((c) => c.type === 'kernel_call_syntax');
    const hostNode = functionNode(ctx, host);
    const hostBody = hostNode?.childForFieldName('body');
    const args = node?.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment');
    if (!node || !syntax || !hostBody || !args) return { reason: `the launch of \`${name}\` in \`${host.name}\` could not be read` };
    out.push({ host, hostBody, call, node, config: syntax.namedChildren.filter((c) => c.type !== 'comment'), args });
  }
  if (!out.length) return { reason: `\`${name}\` is launched outside this file, where its launch configuration would need the same change` };
  // another file of the project launches it too: that launch would not change with this one
  const other = launchersElsewhere(ctx, name)[0];
  if (other) return { reason: `\`${other.name}\` in another file launches \`${name}\` too, and its launch would not change` };
  return out;
}

/** The host's text for a kernel parameter at a launch (`d` for the kernel's `d`), or null. */
export function argumentFor(kernel: FunctionFacts, launch: Launch, param: string): string | null {
  const i = kernel.params.findIndex((p) => p.name === param);
  if (i < 0 || launch.args.length !== kernel.params.length) return null;
  return launch.args[i].text;
}

/** A `dim3` shape at a launch: its components as written, and where they can be rewritten. */
export interface Dim3 {
  /** x, y, z as written (missing ones are `1`). */
  parts: string[];
  /** The `(...)` or `{...}` holding the components, or null when it is not written out (a `dim3` parameter). */
  list: SyntaxNode | null;
  /** The variable, when the launch names one. */
  variable: string | null;
  /** The variable's declaration, when the launch names a local one. */
  decl: SyntaxNode | null;
  /** `int`-like: a one-dimensional shape (`<<<blocks, 256>>>`). */
  scalar: boolean;
}

const DIM3 = /^(?:const\s+)?(?:::)?dim3$/;

/** The components of a `dim3(...)`, `dim3{...}`, `{...}` or a constructor's `(...)`. */
function dim3List(n: SyntaxNode): SyntaxNode | null {
  n = unparen(n);
  if (n.type === 'argument_list' || n.type === 'initializer_list') return n;
  if (n.type === 'parameter_list' && n.namedChildren.every((p) => p.type === 'comment' || (p.type === 'parameter_declaration' && p.namedChildCount === 1))) return n;
  if (n.type === 'call_expression' && DIM3.test(compact(n.childForFieldName('function')?.text ?? ''))) return n.childForFieldName('arguments');
  if (n.type === 'compound_literal_expression' && DIM3.test(compact(n.childForFieldName('type')?.text ?? ''))) return n.childForFieldName('value');
  return null;
}
const partsOf = (list: SyntaxNode): string[] => {
  const p = list.namedChildren.filter((c) => c.type !== 'comment').map((c) => c.text);
  while (p.length < 3) p.push('1');
  return p;
};

/** The shape a launch's grid or block expression gives. */
export function dim3Of(n: SyntaxNode, launch: Launch): Dim3 | null {
  const list = dim3List(n);
  if (list) return { parts: partsOf(list), list, variable: null, decl: null, scalar: false };
  const e = unparen(n);
  if (e.type === 'number_literal') return { parts: [e.text, '1', '1'], list: null, variable: null, decl: null, scalar: true };
  if (e.type !== 'identifier') return null;
  const decls = localDecls(launch.hostBody, e.text);
  if (decls.length === 1) {
    const d = decls[0];
    if (!DIM3.test(compact(d.type)) && !/^(?:const\s+)?auto$/.test(d.type.trim())) return { parts: [e.text, '1', '1'], list: null, variable: e.text, decl: d.decl, scalar: /^(?:const\s+)?(?:unsigned\s+)?(?:int|long|size_t|int64_t|uint32_t|unsigned)$/.test(d.type.trim()) };
    const l = d.value ? dim3List(d.value) : null;
    if (!l) return { parts: [`${e.text}.x`, `${e.text}.y`, `${e.text}.z`], list: null, variable: e.text, decl: d.decl, scalar: false };
    return { parts: partsOf(l), list: l, variable: e.text, decl: d.decl, scalar: false };
  }
  const p = launch.host.params.find((x) => x.name === e.text);
  if (p && DIM3.test(compact(p.type)) && !p.pointer) return { parts: [`${e.text}.x`, `${e.text}.y`, `${e.text}.z`], list: null, variable: e.text, decl: null, scalar: false };
  if (p && !p.pointer && /\b(?:int|long|size_t|unsigned)\b/.test(p.type)) return { parts: [e.text, '1', '1'], list: null, variable: e.text, decl: null, scalar: true };
  return null;
}

/**
 * May the declaration of a launch's `dim3` variable be rewritten for this kernel's sake:
 * is the variable read only by launches of this kernel (and, with `alsoIn`, inside that node)?
 */
export function ownedByLaunches(d: Dim3, launches: Launch[], alsoIn: SyntaxNode[] = []): boolean {
  if (!d.variable || !d.decl || !d.list) return false;
  const host = launches.find((l) => within(d.decl!, l.hostBody));
  if (!host) return false;
  const configs = launches.filter((l) => l.hostBody === host.hostBody).flatMap((l) => l.config);
  for (const id of identifiers(host.hostBody, d.variable)) {
    if (within(id, d.decl)) continue;
    if (configs.some((c) => unparen(c).startIndex === id.startIndex)) continue;
    if (alsoIn.some((n) => within(id, n))) continue;
    return false;
  }
  return true;
}

/** The `(a, b, c)` text of a shape's list with new components, keeping its brackets and leaving out trailing 1s it left out. */
export function listText(d: Dim3, parts: string[]): string {
  const open = d.list!.text.startsWith('{') ? '{' : '(';
  const close = open === '{' ? '}' : ')';
  const written = d.list!.namedChildren.filter((c) => c.type !== 'comment').length;
  let n = 3;
  while (n > 1 && n > written && parts[n - 1] === '1') n--;
  return `${open}${parts.slice(0, n).join(', ')}${close}`;
}

/**
 * `(E + D - 1) / D`, `(E + 31) / 32`, `(E - 1) / D + 1`, `cdiv(E, D)`: the divisor D when
 * `text` rounds E up to a multiple of something, else null.
 */
export function ceilDivisor(text: string, extent: string): string | null {
  const t = compact(text);
  const e = compact(extent);
  const esc = e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ext = `(?:${esc}|\\(${esc}\\))`;
  let m = new RegExp(`^\\(${ext}\\+(.+)-1\\)/(.+)$`).exec(t);
  if (m && strip(m[1]) === strip(m[2])) return strip(m[2]);
  m = new RegExp(`^\\(${ext}\\+(\\d+)\\)/(\\d+)$`).exec(t);
  if (m && Number(m[1]) === Number(m[2]) - 1) return m[2];
  m = new RegExp(`^\\(${ext}-1\\)/(.+)\\+1$`).exec(t);
  if (m) return strip(m[1]);
  m = new RegExp(`^(?:\\w+::)?(?:cdiv|ceil_?div|div_?up|ceildiv|DIV_UP|CEIL_DIV|DIVUP|CEILDIV|div_round_up|DIV_ROUND_UP)\\(${ext},(.+)\\)$`).exec(t);
  if (m) return strip(m[1]);
  return null;
}
const strip = (t: string) => t.replace(/^\((.*)\)$/, '$1');
