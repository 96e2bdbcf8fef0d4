// The fixer of memory/shared-bank-conflict: pad the rows of the conflicting array by one
// 4-byte word so that consecutive rows start in different banks.
//  - a 2-D array `tile[R][C]`: the inner dimension becomes `C + 1` (`C + 2` for halves).
//  - a 1-D or `extern __shared__` array (and pointers into it) indexed `row * W + col`:
//    every index becomes `row * (W + 1) + col`, pointers into it start `k * (W + 1)` in
//    instead of `k * W`, and the declared size (or, for an extern array, the dynamic
//    shared-memory size of the launches in this file) grows from `K * W` to `K * (W + 1)`.
//    Offered only when every use of the array has that form and every column is seen to
//    stay below W (a loop `col < W`, a constant, a thread index of a block no wider than
//    W): then element (row, col) keeps its own place and no two places merge.
import type { FixContext, FixResult } from '../../../core/fix';
import type { AccessFact, FunctionFacts, SharedArrayFact } from '../../../core/facts/model';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import type { SyntaxNode } from '../../../core/mirror';
import { elementBits } from '../../../core/facts/ctypes';
import { NO_BINDINGS, templateBindings } from '../../common/template-bindings';
import { warpRows } from './tile-width';
import { conflictWays } from './ways';
import { argumentFor, constantOf, dim3Of, launchesOf, maxThreads, productOf, type Launch } from '../../common/fix-launches';
import { compact, factors, functionNode, identifiers, localDecls, nodeRange, reassigned, replace, sameRange, unparen, within } from '../../common/fix-syntax';

/** One 4-byte word of padding, in elements; one 8-byte element (a half-warp's pass then starts two banks on). */
const padOf = (bits: number | null): number => (bits === 64 || bits === 32 ? 1 : bits === 16 ? 2 : bits === 8 ? 4 : 0);

/** The pad of an array whose element type may be a project typedef, or one of several an `#if` picks (all must agree). */
export function padFor(s: SharedArrayFact, access: AccessFact): number {
  const pads = (access.elemAlternatives ?? [s.elemType]).map((t) => padOf(elementBits(t) ?? access.elemBits));
  return pads.every((p) => p === pads[0]) ? pads[0] : 0;
}

/** The declaration with its inner dimension one word wider. */
export function padFix(s: SharedArrayFact, columns: number, pad: number): Fix | undefined {
  const r = s.dimRanges[s.dimRanges.length - 1];
  const written = s.dimTexts[s.dimTexts.length - 1];
  if (!r || r.start.line !== r.end.line || written === null) return undefined;
  const padded = /^\d+$/.test(written) ? String(columns + pad) : `${written} + ${pad}`;
  return { title: `Pad the inner dimension of \`${s.name}\` to \`${padded}\``, edits: [{ range: r, newText: padded }], safe: true };
}

export function fixBankConflict(finding: Finding, ctx: FixContext): FixResult {
  const fn = ctx.fn;
  const access = fn?.accesses.find((a) => a.space === 'shared' && sameRange(a.range, finding.range));
  const s = access && fn!.shared.find((x) => x.name === access.array);
  if (!fn || !access || !s) return { reason: 'the shared array of this access could not be found' };
  const pad = padFor(s, access);
  if (!pad) {
    return access.elemAlternatives
      ? { reason: `\`${s.elemType}\` is ${access.elemAlternatives.map((t) => `\`${t}\``).join(' or ')} by the build, and one pad does not suit them all` }
      : { reason: `\`${s.elemType}\` elements are not 1, 2, 4 or 8 bytes wide` };
  }
  const bindings = templateBindings(ctx.file).get(fn.name) ?? NO_BINDINGS;
  const loops = { loops: fn.loops, bindings, params: new Set(fn.params.map((p) => p.name)) };
  const blockX = warpRows(fn, bindings).width;
  const ways = conflictWays(access, s, fn.templateParams, blockX, loops);
  if (ways?.merged) {
    return { reason: `\`${access.text}\` is read or written ${ways.merged * 4} bytes at a time once the compiler merges the unrolled loop: a pad of one word would misalign it (re-map the lanes to consecutive chunks instead)` };
  }
  // a row padded by one word no longer starts 8 or 16 bytes aligned: the wide accesses, written so or merged by the
  // compiler from an unrolled loop (a GEMM's fragment reads), would break, and their conflicts move into the hot loop
  const wide = (a: (typeof fn.accesses)[number]) => a.vector || !!conflictWays(a, s, fn.templateParams, blockX, loops)?.merged;
  if (fn.accesses.some((a) => a.space === 'shared' && a.array === s.name && wide(a))) {
    return { reason: `\`${s.name}\` is also accessed 8 or 16 bytes at a time, which a one-word pad would misalign: pad its rows by 16 bytes or swizzle the column index instead` };
  }
  if (s.dims.length >= 2) {
    if (ways?.withinRow) {
      return { reason: `the lanes of \`${access.text}\` meet within one row of \`${s.name}\`: padding the rows does not change their banks (re-map the lanes to consecutive columns instead)` };
    }
    const columns = s.dims[s.dims.length - 1];
    if (columns === null) return { reason: `the inner dimension \`${s.dimTexts[s.dims.length - 1] ?? ''}\` of \`${s.name}\` is not a constant` };
    const fix = padFix(s, columns, ways?.rowPad ?? pad);
    return fix ? [fix] : { reason: `the inner dimension of \`${s.name}\` is not written on one line` };
  }
  return padRows(ctx, fn, s, access, pad);
}

// ---------------------------------------------------------------- rows of a 1-D array

interface Use {
  a: AccessFact;
  sub: SyntaxNode;
  base: SyntaxNode;
  index: SyntaxNode;
}

/** The additive terms of an index (`a * W + b + c` -> a * W, b, c), or null when one is subtracted. */
function terms(n: SyntaxNode): SyntaxNode[] | null {
  n = unparen(n);
  if (n.type === 'binary_expression') {
    const op = n.childForFieldName('operator')?.type;
    if (op === '-') return null;
    if (op === '+') {
      const l = terms(n.childForFieldName('left')!);
      const r = terms(n.childForFieldName('right')!);
      return l && r ? [...l, ...r] : null;
    }
  }
  return [n];
}

/** `W` as padded text: `33` for 32, `(d + 1)` for d. */
const paddedText = (w: string, pad: number): string => (/^\d+$/.test(w.trim()) ? String(Number(w) + pad) : `(${w.trim()} + ${pad})`);

/** An expression's text with one of its nodes replaced. */
const spliced = (outer: SyntaxNode, inner: SyntaxNode, text: string): string =>
  outer.text.slice(0, inner.startIndex - outer.startIndex) + text + outer.text.slice(inner.endIndex - outer.startIndex);

function padRows(ctx: FixContext, fn: FunctionFacts, s: SharedArrayFact, access: AccessFact, pad: number): FixResult {
  const node = functionNode(ctx, fn);
  const body = node?.childForFieldName('body');
  if (!node || !body || node.hasError) return { reason: `\`${fn.name}\` could not be read` };
  const bits = elementBits(s.elemType);
  const uses: Use[] = [];
  for (const a of fn.accesses) {
    if (a.space !== 'shared' || a.array !== s.name) continue;
    if (a.vector) return { reason: `\`${a.text}\` moves several elements at once` };
    if (a.elemType && elementBits(a.elemType) !== bits) return { reason: `\`${a.text}\` reads \`${s.name}\` as \`${a.elemType}\`` };
    const sub = ctx.node(a.range, ['subscript_expression']);
    if (!sub || !sameRange(nodeRange(sub), a.range) || !within(sub, node)) return { reason: `\`${s.name}\` is also used in \`${a.text}\`, not only indexed \`row * W + col\`` };
    const base = unparen(sub.childForFieldName('argument')!);
    const ix = sub.childForFieldName('indices')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
    if (base.type !== 'identifier' || ix.length !== 1) return { reason: `\`${a.text}\` is not a subscript \`${s.name}[row * W + col]\`` };
    uses.push({ a, sub, base, index: ix[0] });
  }
  const first = uses.find((u) => u.a === access);
  if (!first) return { reason: `\`${access.text}\` is not a subscript \`${s.name}[row * W + col]\`` };

  // W: a constant or a parameter multiplying a term of the flagged index
  const params = new Set(fn.params.filter((p) => !p.pointer && !p.rank).map((p) => p.name));
  const sizeLike = (f: SyntaxNode) => {
    const u = unparen(f);
    return u.type === 'number_literal' ? /^\d+$/.test(u.text) : u.type === 'identifier' && (params.has(u.text) || constantOf(ctx, u.text) !== null);
  };
  const candidates: string[] = [];
  for (const t of terms(first.index) ?? []) {
    const fs = factors(t);
    if (fs.length < 2) continue;
    for (const f of fs) if (sizeLike(f) && !candidates.includes(compact(unparen(f).text))) candidates.push(compact(unparen(f).text));
  }
  if (!candidates.length) return { reason: `\`${access.text}\` is not indexed \`row * W + col\` with W a parameter or a constant` };
  let refusal: { reason: string } | null = null;
  for (const w of candidates) {
    const r = planRows(ctx, fn, body, s, uses, w, pad);
    if (!('reason' in r)) return r;
    refusal ??= r;
  }
  return refusal!;
}

function planRows(ctx: FixContext, fn: FunctionFacts, body: SyntaxNode, s: SharedArrayFact, uses: Use[], w: string, pad: number): FixResult {
  const wNum = constantOf(ctx, w);
  const padded = paddedText(w, pad);
  const isW = (f: SyntaxNode) => compact(unparen(f).text) === w;
  const edits: TextEdit[] = [];
  for (const u of uses) {
    const ts = terms(u.index);
    const rows = ts?.filter((t) => factors(t).length >= 2 && factors(t).some(isW)) ?? [];
    if (!ts || rows.length !== 1) return { reason: `\`${u.a.text}\` is not indexed \`row * ${w} + col\`` };
    const wf = factors(rows[0]).filter(isW);
    edits.push(replace(wf[wf.length - 1], padded));
    const cols = ts.filter((t) => t !== rows[0]);
    if (cols.length > 1) return { reason: `the column \`${cols.map((c) => c.text).join(' + ')}\` of \`${u.a.text}\` is more than one term` };
    if (cols.length === 1 && !columnBelow(ctx, fn, body, cols[0], w, wNum, u.a, 0))
      return { reason: `\`${cols[0].text}\` in \`${u.a.text}\` is not seen to stay below \`${w}\` (a loop \`< ${w}\`, a constant or a thread index of a narrower block)` };
    const parent = u.sub.parent;
    if (parent?.type === 'pointer_expression' && parent.childForFieldName('operator')?.type === '&') return { reason: `\`${parent.text}\` takes an address inside \`${s.name}\`` };
  }

  // pointers into the array (`float* Kj = &sram[tile]`): their offsets are whole rows, which grow too
  const aliases = new Map<string, SyntaxNode>();
  for (const u of uses) {
    const name = u.base.text;
    if (name === s.name || aliases.has(name)) continue;
    const decls = localDecls(body, name);
    if (decls.length !== 1 || !decls[0].value || reassigned(body, name)) return { reason: `\`${name}\` is not one pointer into \`${s.name}\` set once` };
    const v = unparen(decls[0].value);
    let offset: SyntaxNode | null = null;
    if (v.type === 'identifier' && v.text === s.name) offset = null;
    else if (v.type === 'pointer_expression' && v.childForFieldName('operator')?.type === '&' && unparen(v.childForFieldName('argument')!).type === 'subscript_expression') {
      const sub = unparen(v.childForFieldName('argument')!);
      const ix = sub.childForFieldName('indices')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      if (unparen(sub.childForFieldName('argument')!).text !== s.name || ix.length !== 1) return { reason: `\`${name}\` points into \`${s.name}\` as \`${v.text}\`, which the fix cannot follow` };
      offset = ix[0];
    } else if (v.type === 'binary_expression' && v.childForFieldName('operator')?.type === '+' && unparen(v.childForFieldName('left')!).text === s.name) offset = v.childForFieldName('right');
    else return { reason: `\`${name}\` points into \`${s.name}\` as \`${v.text}\`, which the fix cannot follow` };
    aliases.set(name, decls[0].decl);
    if (!offset || /^0+$/.test(unparen(offset).text)) continue;
    // the offset as whole rows: `k * W`, directly or through one local (`const int tile = Bc * d`)
    let rowsExpr = unparen(offset);
    if (rowsExpr.type === 'identifier' && !fn.params.some((p) => p.name === rowsExpr.text)) {
      const d = localDecls(body, rowsExpr.text);
      if (d.length !== 1 || !d[0].value || reassigned(body, rowsExpr.text)) return { reason: `the offset \`${offset.text}\` of \`${name}\` is not seen to be whole rows of \`${w}\`` };
      rowsExpr = unparen(d[0].value);
    }
    const wf = factors(rowsExpr).filter(isW);
    if (!wf.length) return { reason: `the offset \`${offset.text}\` of \`${name}\` is not seen to be whole rows of \`${w}\`` };
    const text = spliced(rowsExpr, wf[wf.length - 1], padded);
    edits.push(rowsExpr === unparen(offset) ? replace(wf[wf.length - 1], padded) : replace(offset, text));
  }

  // every other use of the array or its pointers would see the old layout
  const decl = ctx.node(s.range, ['declaration']);
  if (!decl) return { reason: `the declaration of \`${s.name}\` could not be read` };
  const bases = new Set(uses.map((u) => u.base.startIndex));
  for (const name of [s.name, ...aliases.keys()]) {
    for (const id of identifiers(body, name)) {
      if (bases.has(id.startIndex) || within(id, decl) || [...aliases.values()].some((d) => within(id, d))) continue;
      const where = id.parent && id.parent.type !== 'compound_statement' ? id.parent.text : id.text;
      return { reason: `\`${name}\` is also used as \`${where.length > 60 ? where.slice(0, 57) + '...' : where}\`, not only indexed \`row * ${w} + col\`` };
    }
  }

  // the size: the declaration's, or the launches' dynamic shared memory
  const size = s.dimRanges[0] ? sizeEdit(ctx, s, w, wNum, padded) : launchSizeEdits(ctx, fn, w, wNum, pad);
  if ('reason' in size) return size;
  edits.push(...size.edits);
  const line = decl.startPosition.row;
  const indent = ctx.lines[line].slice(0, decl.startPosition.column);
  if (/^\s*$/.test(indent))
    edits.push({ range: { start: { line, column: 0 }, end: { line, column: 0 } }, newText: `${indent}// ${s.name}: rows padded from ${w} to ${padded.replace(/^\((.*)\)$/, '$1')} elements, so a warp's column accesses fall in different banks\n` });
  return [
    {
      title: `Pad the rows of \`${s.name}\` from \`${w}\` to \`${padded.replace(/^\((.*)\)$/, '$1')}\` elements${size.dynamic ? ' (and the launch\'s dynamic shared memory: check that it still fits)' : ''}`,
      edits,
      // a larger dynamic allocation can exceed the kernel's limit at run time: review it
      safe: !size.dynamic,
    },
  ];
}

/** Is this column term in [0, W) for every thread and iteration? */
function columnBelow(ctx: FixContext, fn: FunctionFacts, body: SyntaxNode, n: SyntaxNode, w: string, wNum: number | null, a: AccessFact, depth: number): boolean {
  n = unparen(n);
  if (n.type === 'number_literal') {
    if (!/^\d+$/.test(n.text)) return false;
    const v = Number(n.text);
    return wNum !== null ? v < wNum : v === 0;
  }
  if (n.type === 'field_expression') {
    const m = /^threadIdx\.([xyz])$/.exec(compact(n.text));
    if (!m || wNum === null) return false;
    const widest = blockExtent(ctx, fn, m[1] as 'x' | 'y' | 'z');
    return widest !== null && widest <= wNum;
  }
  if (n.type !== 'identifier' || depth > 3) return false;
  // a loop `for (col = c0 >= 0; col < W; col += step > 0)` around the access, not assigned in its body
  const loops = a.loops.map((id) => fn.loops[id]).filter((l) => l && l.variable === n.text);
  const loop = loops[loops.length - 1];
  if (loop) {
    if (!loop.init?.isConstant || loop.init.constant < 0 || !loop.step?.isConstant || loop.step.constant <= 0) return false;
    const f = ctx.node(loop.range, ['for_statement']);
    const cond = f?.childForFieldName('condition');
    const inner = f?.childForFieldName('body');
    if (!cond || !inner || cond.type !== 'binary_expression' || cond.childForFieldName('operator')?.type !== '<') return false;
    if (unparen(cond.childForFieldName('left')!).text !== n.text || reassigned(inner, n.text)) return false;
    const bound = compact(unparen(cond.childForFieldName('right')!).text);
    const bv = constantOf(ctx, bound);
    return bound === w || (wNum !== null && bv !== null && bv <= wNum);
  }
  // a local set once (`const int tx = threadIdx.x`)
  const d = localDecls(body, n.text);
  if (d.length !== 1 || !d[0].value || reassigned(body, n.text)) return false;
  return columnBelow(ctx, fn, body, d[0].value, w, wNum, a, depth + 1);
}

/** The largest blockDim along an axis that the kernel's launches in this file (or its `__launch_bounds__`) allow, when constant. */
function blockExtent(ctx: FixContext, fn: FunctionFacts, axis: 'x' | 'y' | 'z'): number | null {
  const most = maxThreads(ctx, fn);
  if (most !== null) return most;
  const launches = launchesOf(ctx, fn);
  if ('reason' in launches) return null;
  let widest = 0;
  for (const l of launches) {
    const b = l.config[1] ? dim3Of(l.config[1], l) : null;
    const v = b ? productOf(ctx, b.parts['xyz'.indexOf(axis)]) : null;
    if (v === null) return null;
    widest = Math.max(widest, v);
  }
  return widest;
}

/** The declared size `K * W` -> `K * (W + 1)`. */
function sizeEdit(ctx: FixContext, s: SharedArrayFact, w: string, wNum: number | null, padded: string): { edits: TextEdit[]; dynamic: boolean } | { reason: string } {
  const r = s.dimRanges[0]!;
  const n = ctx.node(r);
  if (!n || !sameRange(nodeRange(n), r)) return { reason: `the size of \`${s.name}\` could not be read` };
  const wf = factors(n).filter((f) => compact(unparen(f).text) === w);
  if (wf.length) return { edits: [replace(wf[wf.length - 1], padded)], dynamic: false };
  const total = unparen(n);
  if (wNum !== null && total.type === 'number_literal' && /^\d+$/.test(total.text) && Number(total.text) % wNum === 0)
    return { edits: [replace(total, `${Number(total.text) / wNum} * ${padded}`)], dynamic: false };
  return { reason: `the size \`${n.text}\` of \`${s.name}\` is not written as rows times \`${w}\`` };
}

/** The dynamic shared-memory size of every launch in the file: `K * W * sizeof(T)` -> `K * (W + 1) * sizeof(T)`. */
function launchSizeEdits(ctx: FixContext, fn: FunctionFacts, w: string, wNum: number | null, pad: number): { edits: TextEdit[]; dynamic: boolean } | { reason: string } {
  const launches = launchesOf(ctx, fn);
  if ('reason' in launches) return { reason: `the dynamic shared-memory size of \`${fn.name}\` is set where it is launched, outside this file` };
  const edits: TextEdit[] = [];
  for (const l of launches) {
    const e = sizeAtLaunch(ctx, fn, l, w, wNum, pad);
    if ('reason' in e) return e;
    if (!edits.some((x) => sameRange(x.range, e.range))) edits.push(e);
  }
  return { edits, dynamic: true };
}

function sizeAtLaunch(ctx: FixContext, fn: FunctionFacts, l: Launch, w: string, wNum: number | null, pad: number): TextEdit | { reason: string } {
  const smem = l.config[2];
  if (!smem) return { reason: `the launch in \`${l.host.name}\` passes no dynamic shared-memory size for \`extern\` array` };
  // W as the host writes it: the launch's argument for a parameter, or the same constant
  const param = fn.params.some((p) => p.name === w);
  const host = param ? argumentFor(fn, l, w) : w;
  if (!host) return { reason: `the launch in \`${l.host.name}\` could not be matched to \`${fn.name}\`'s parameters` };
  const hostW = compact(host).replace(/^\((.*)\)$/, '$1');
  const isW = (f: SyntaxNode) => {
    const t = compact(unparen(f).text);
    return t === hostW || (!param && wNum !== null && constantOf(ctx, t) === wNum);
  };
  let expr = unparen(smem);
  let variable: string | null = null;
  if (expr.type === 'identifier') {
    const d = localDecls(l.hostBody, expr.text);
    if (d.length !== 1 || !d[0].value || reassigned(l.hostBody, expr.text)) return { reason: `the dynamic shared-memory size \`${expr.text}\` is not set once in \`${l.host.name}\`` };
    variable = expr.text;
    expr = unparen(d[0].value);
  }
  const wf = factors(expr).filter(isW);
  if (!wf.length) return { reason: `the dynamic shared-memory size \`${expr.text}\` is not written as a product with \`${host.trim()}\`` };
  // a kernel that opted into more than 48 KB must be told the new size too: only through the same variable
  if (/cudaFuncAttributeMaxDynamicSharedMemorySize/.test(ctx.text)) {
    const sets = l.hostBody.descendantsOfType('call_expression').filter((c) => /cudaFuncAttributeMaxDynamicSharedMemorySize/.test(c.text));
    if (!variable || sets.some((c) => !identifiers(c, variable!).length)) return { reason: "the kernel's shared-memory limit (cudaFuncAttributeMaxDynamicSharedMemorySize) is set apart from the launch's size" };
  }
  const f = wf[wf.length - 1];
  return replace(f, paddedText(unparen(f).text, pad));
}
