// The launches of a GEMM kernel in this file, for the GEMM fixers: each launch's grid and
// block as far as the host code says them (literals, `dim3` locals, the file's constants),
// other places that name the kernel, whether a launch covers the whole output, and the new
// configuration (`block` threads, a grid rounding M and N up to whole tiles).
import { Poly } from '../../../core/affine';
import type { FixContext } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { TextEdit } from '../../../core/types';
import { bare, ceilDiv, operand, parseExpr, polyOf, splitArgs, type Expr } from './fix-expr';
import { nodeRange } from '../../common/fix-syntax';
import { launchersElsewhere } from '../../common/fix-launches';
import { type Axis, code, constantsOf, type GemmSpec, inside, other, rangeOf } from './fix-gemm-spec';
import { polyText } from './fix-gemm-scope';

interface Dims {
  /** Each dimension's expression and its text. */
  dims: { e: Expr; text: string }[];
  /** Writes new dimensions, or null when the configuration cannot be rewritten in place. */
  rewrite: ((dims: string[]) => TextEdit) | null;
  /** The variable it was declared as (`block`), for `block.x` in the grid. */
  variable: string | null;
}

export interface Launch {
  host: FunctionFacts;
  call: CallFact;
  /** Values of the kernel's template parameters at this launch. */
  template: Map<string, Poly>;
  /** Each kernel parameter's argument, as text and value. */
  args: Map<string, { text: string; value: Poly }>;
  grid: Dims | null;
  block: Dims | null;
  /** Value of a host expression. */
  value(e: Expr): Poly;
  /** Why the configuration could not be read (then grid or block is null). */
  problem: string | null;
}

function hostDims(ctx: FixContext, hostDef: SyntaxNode, arg: SyntaxNode, launchNode: SyntaxNode, ignore: [number, number] | null = null): { dims: Dims | null; problem: string | null; span?: [number, number] } {
  const whole = (text: string): Dims['dims'] | null => {
    const parts = splitArgs(text);
    if (!parts || parts.length === 0 || parts.length > 3) return null;
    const out: Dims['dims'] = [];
    for (const p of parts) {
      const t = p.text.trim();
      const e = parseExpr(t);
      if (!e) return null;
      out.push({ e, text: t });
    }
    return out;
  };
  const inline = (dims: Dims['dims']): Dims => ({
    dims,
    variable: null,
    rewrite: (d) => ({ range: nodeRange(arg), newText: d.length === 1 ? d[0] : `dim3(${d.join(', ')})` }),
  });
  if (arg.type === 'identifier') {
    const name = arg.text;
    const decls = hostDef.descendantsOfType('declaration').filter((d) => d.childrenForFieldName('declarator').some((x) => (x.childForFieldName('declarator') ?? x).text === name));
    if (decls.length !== 1 || decls[0].startIndex > launchNode.startIndex) return { dims: null, problem: `\`${name}\` is not declared once before the launch` };
    const d = decls[0];
    const typeText = d.childForFieldName('type')?.text ?? '';
    const declarator = d.childrenForFieldName('declarator').find((x) => (x.childForFieldName('declarator') ?? x).text === name)!;
    const nameNode = declarator.childForFieldName('declarator') ?? declarator;
    // where its dimensions are written: `(a, b)`, `{a, b}`, `= dim3(a, b)`, `= {a, b}`, `= n`
    const after = ctx.text.slice(nameNode.endIndex, declarator.endIndex);
    const open = /^\s*(?:=\s*(?:dim3\s*)?)?([({])/.exec(after);
    let dims: Dims['dims'] | null = null;
    let span: [number, number] | null = null;
    if (open) {
      const s = nameNode.endIndex + open[0].length;
      const close = matching(ctx.text, s - 1);
      if (close > 0) {
        dims = whole(ctx.text.slice(s, close));
        span = [s, close];
      }
    } else {
      const eq = /^\s*=\s*/.exec(after);
      if (eq) {
        const s = nameNode.endIndex + eq[0].length;
        dims = whole(ctx.text.slice(s, declarator.endIndex));
        span = [s, declarator.endIndex];
      }
    }
    if (!dims || !span) return { dims: null, problem: `the declaration of \`${name}\` is not one the fix reads` };
    if (!/\bdim3\b/.test(typeText) && !/^(?:const\s+)?(?:unsigned\s+)?(?:int|unsigned|size_t|long)$/.test(typeText.trim())) return { dims: null, problem: `\`${name}\` is a ${code(typeText)}` };
    // other uses of the variable: writes make it unreadable; other reads make the declaration shared
    let shared = false;
    for (const id of hostDef.descendantsOfType('identifier')) {
      if (id.text !== name || id.startIndex === nameNode.startIndex) continue;
      if (id.startIndex >= arg.startIndex && id.endIndex <= arg.endIndex) continue;
      if (ignore && id.startIndex >= ignore[0] && id.endIndex <= ignore[1]) continue;
      let p: SyntaxNode | null = id.parent;
      if (p?.type === 'field_expression') p = p.parent;
      if (p && ((p.type === 'assignment_expression' && p.childForFieldName('left') && p.childForFieldName('left')!.startIndex <= id.startIndex && id.endIndex <= p.childForFieldName('left')!.endIndex) || p.type === 'update_expression'))
        return { dims: null, problem: `\`${name}\` is changed after its declaration` };
      shared = true;
    }
    const isDim3 = /\bdim3\b/.test(typeText);
    const [s, e] = span;
    return {
      span: isDim3 && !shared ? span : undefined,
      dims: {
        dims,
        variable: isDim3 ? name : null,
        rewrite:
          isDim3 && !shared
            ? (d) => ({ range: rangeOf(ctx, s, e), newText: d.join(', ') })
            : (d) => ({ range: nodeRange(arg), newText: d.length === 1 ? d[0] : `dim3(${d.join(', ')})` }),
      },
      problem: null,
    };
  }
  const text = arg.text;
  const call = /^dim3\s*[({]/.exec(text);
  if (call) {
    const s = arg.startIndex + call[0].length;
    const close = matching(ctx.text, s - 1);
    const dims = close > 0 ? whole(ctx.text.slice(s, close)) : null;
    return dims ? { dims: { dims, variable: null, rewrite: (d) => ({ range: rangeOf(ctx, s, close), newText: d.join(', ') }) }, problem: null } : { dims: null, problem: `${code(text)} is not one the fix reads` };
  }
  const e = parseExpr(text);
  return e ? { dims: inline([{ e, text }]), problem: null } : { dims: null, problem: `${code(text)} is not one the fix reads` };
}

/** Index of the bracket closing the one at `open`, or -1. */
function matching(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** The launches of `fn` in this file, read as far as they can be. */
export function launchesOf(ctx: FixContext, fn: FunctionFacts): Launch[] {
  const out: Launch[] = [];
  const fileConsts = constantsOf(ctx);
  for (const host of ctx.file.functions) {
    if (host.isKernel || host.isDevice) continue;
    for (const call of host.calls) {
      if (call.kind !== 'launch' || call.name !== fn.name) continue;
      const hostDef = ctx.node(host.range, ['function_definition']);
      const node = ctx.node(call.range, ['call_expression']);
      const consts = new Map([...fileConsts, ...constantsOf(ctx, host.range)]);
      const launch: Launch = { host, call, template: new Map(), args: new Map(), grid: null, block: null, value: () => Poly.unknown, problem: null };
      out.push(launch);
      if (!hostDef || !node) {
        launch.problem = 'its syntax could not be read';
        continue;
      }
      const config = node.children.find((c) => c.type === 'kernel_call_syntax');
      const cfg = config?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      if (cfg.length < 2) {
        launch.problem = 'its configuration could not be read';
        continue;
      }
      // the grid's declaration is rewritten with the block's: `block.x` in it does not keep the block's declaration
      const grid = hostDims(ctx, hostDef, cfg[0], node);
      const block = hostDims(ctx, hostDef, cfg[1], node, grid.span ?? null);
      launch.block = block.dims;
      launch.grid = grid.dims;
      launch.problem = block.problem ?? grid.problem;
      const blockVar = block.dims?.variable ?? null;
      const value = (e: Expr): Poly =>
        polyOf(e, (id) => {
          if (consts.has(id)) return Poly.const(consts.get(id)!);
          const dot = /^(\w+)\.([xyz])$/.exec(id);
          if (dot) {
            if (dot[1] !== blockVar || !launch.block) return undefined;
            const i = 'xyz'.indexOf(dot[2]);
            const d = launch.block.dims[i];
            return d ? polyOf(d.e, (x) => (consts.has(x) ? Poly.const(consts.get(x)!) : /\./.test(x) ? undefined : Poly.sym(x))) : Poly.const(1);
          }
          return Poly.sym(id);
        });
      launch.value = value;
      // template arguments: `sgemm_tiled<TILE><<<...>>>`
      const fnNode = node.childForFieldName('function');
      if (fnNode?.type === 'template_function') {
        const targs = fnNode.childForFieldName('arguments')?.namedChildren ?? [];
        targs.forEach((t, i) => {
          const name = fn.templateParams[i];
          const e = parseExpr(t.text);
          if (name && e) launch.template.set(name, value(e));
        });
      }
      if (call.args.length === fn.params.length) {
        fn.params.forEach((p, i) => {
          const e = parseExpr(call.args[i]);
          launch.args.set(p.name, { text: call.args[i], value: e ? value(e) : Poly.unknown });
        });
      } else launch.problem ??= 'its arguments do not match the kernel parameters';
    }
  }
  return out;
}

/** Other places that name the kernel (a function pointer, `cudaFuncSetAttribute`), beyond its definition, declarations and launches. */
export function otherReferences(ctx: FixContext, fn: FunctionFacts, launches: Launch[]): number[] {
  const out: number[] = [];
  for (const id of ctx.named(fn.name)) {
    const r = nodeRange(id);
    if (inside(r, fn.range) || launches.some((l) => inside(r, l.call.range))) continue;
    // a prototype: `__global__ void sgemm(...);`
    let p = id.parent;
    while (p && p.type !== 'declaration' && p.type !== 'translation_unit' && p.type !== 'function_definition') p = p.parent;
    if (p?.type === 'declaration' && id.parent?.type === 'function_declarator') continue;
    out.push(r.start.line + 1);
  }
  // launches from the project's other files
  out.push(...launchersElsewhere(ctx, fn.name).map(() => 0));
  return out;
}

/** Replaces the kernel parameters in a kernel-side size (`M`) by the launch's arguments (`rows`). */
function mapText(text: string, launch: Launch): string | null {
  const e = parseExpr(text);
  if (!e) return null;
  let out = '';
  let at = 0;
  const ids: { s: number; e: number; name: string }[] = [];
  const walk = (x: Expr): void => {
    if (x.k === 'id') ids.push({ s: x.s, e: x.e, name: x.name });
    else if (x.k === 'binary') (walk(x.l), walk(x.r));
    else if (x.k === 'paren' || x.k === 'cast' || x.k === 'unary') walk(x.x);
  };
  walk(e);
  for (const id of ids) {
    const arg = launch.args.get(id.name);
    if (!arg && !launch.template.has(id.name)) continue;
    const value = arg ? operand(arg.text) : polyText(launch.template.get(id.name)!);
    out += text.slice(at, id.s) + value;
    at = id.e;
  }
  return out + text.slice(at);
}

/** Substitutes the kernel's template parameters and block sizes of a launch into a kernel-side value. */
function atLaunch(p: Poly, launch: Launch, block: number[]): Poly {
  let out = p;
  for (const [name, v] of launch.template) out = out.substitute(name, v);
  out = out.substitute('blockDim.x', Poly.const(block[0])).substitute('blockDim.y', Poly.const(block[1])).substitute('blockDim.z', Poly.const(block[2]));
  return out;
}

/**
 * Does this launch run the original kernel over exactly the M x N outputs: a 2-D block whose
 * size matches what the kernel assumes, a grid that rounds M and N up? Returns why not, or null.
 */
export function launchCovers(spec: GemmSpec, launch: Launch): string | null {
  if (!launch.block || !launch.grid) return launch.problem ?? 'its configuration could not be read';
  const block = [0, 1, 2].map((i) => (launch.block!.dims[i] ? launch.value(launch.block!.dims[i].e) : Poly.const(1)));
  if (block.some((b) => !b.isConstant)) return `its block ${code(launch.block.dims.map((d) => d.text).join(', '))} is not a constant size`;
  const bs = block.map((b) => b.constant);
  if (bs[2] !== 1) return 'its block is 3-D';
  const grid = launch.grid.dims;
  if (grid.length === 3 && !launch.value(grid[2].e).equals(Poly.const(1))) return 'its grid is 3-D';
  const axisIndex = (a: Axis) => (a === 'x' ? 0 : 1);
  for (const [axis, sizeText] of [
    [spec.rowAxis, spec.m],
    [other(spec.rowAxis), spec.n],
  ] as const) {
    const extent = atLaunch(spec.extent[axis], launch, bs);
    if (!extent.isConstant || extent.constant !== bs[axisIndex(axis)]) return `the kernel assumes ${polyText(spec.extent[axis])} threads along ${axis}, the block has ${bs[axisIndex(axis)]}`;
    if (spec.tile) {
      const t = atLaunch(spec.tile, launch, bs);
      if (!t.isConstant || t.constant !== bs[0] || t.constant !== bs[1]) return `the ${polyText(spec.tile)} x ${polyText(spec.tile)} tiles need as many threads, the block has ${bs[0]} x ${bs[1]}`;
    }
    const g = grid[axisIndex(axis)];
    if (!g) return `its grid has no ${axis} dimension`;
    const cd = ceilDiv(g.e, launch.value);
    const mapped = mapText(sizeText, launch);
    const want = mapped ? launch.value(parseExpr(mapped) ?? ({ k: 'id', name: '?', s: 0, e: 0 } as Expr)) : Poly.unknown;
    if (!cd) return `its grid's ${axis} ${code(g.text)} is not a rounded-up division of ${code(mapped ?? sizeText)}`;
    const d = launch.value(cd.d);
    if (!d.isConstant || d.constant !== extent.constant) return `its grid's ${axis} ${code(g.text)} divides by ${code(g.text.slice(cd.d.s, cd.d.e))}, not the block's ${extent.constant}`;
    if (want.unknown || !launch.value(cd.x).equals(want)) return `its grid's ${axis} ${code(g.text)} does not cover ${code(mapped ?? sizeText)}`;
  }
  return null;
}

/** The new configuration of a launch: `block` threads, a grid of ceil(N / tileN) x ceil(M / tileM) blocks (columns on x). */
export function newConfig(spec: GemmSpec, launch: Launch, tileM: number, tileN: number): { grid: string[] } | null {
  const m = mapText(spec.m, launch);
  const n = mapText(spec.n, launch);
  if (!m || !n) return null;
  // the user's rounding helper (`ceil_div(N, threads.x)`) is kept when the grid used one
  const helper = (i: number) => {
    const d = launch.grid?.dims[i];
    const b = d ? bare(d.e) : null;
    const cd = d ? ceilDiv(d.e, launch.value) : null;
    return b && cd && b.k === 'call' && bare(b.fn).k === 'id' ? d!.text.slice(b.fn.s, b.fn.e) : null;
  };
  const up = (x: string, t: number, i: number) => {
    const h = helper(i);
    return h ? `${h}(${x.trim()}, ${t})` : `(${operand(x)} + ${t - 1}) / ${t}`;
  };
  return { grid: [up(n, tileN, 0), up(m, tileM, 1)] };
}
