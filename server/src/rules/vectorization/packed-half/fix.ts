// vectorization/packed-half's fixer: rewrites a kernel's scalar fp16 / bf16 element code
// so that each thread takes 8 consecutive elements, moves them with one 16-byte load /
// store per array and computes them as 4 `__half2` / `__nv_bfloat162` with the paired
// intrinsics that round as the scalar ones did (`__hmul` then `__hadd` stays `__hmul2`
// then `__hadd2`; a float round trip becomes `__half22float2` ... `__floats2half2_rn`).
// The original statements stay as a scalar path for the last < 8 elements and for arrays
// that are not 16-byte aligned at run time, so the results are those of the scalar code
// for every n and every alignment.
//
// Forms rewritten: one element per thread (`i = blockIdx.x * blockDim.x + threadIdx.x`
// under `if (i < n)` or after `if (i >= n) return;`; the launches in the file get 1/8 of
// the blocks), grid-stride and block-stride loops, and a loop a thread runs over a row
// (`for (k = 0; k < K; ++k)`). The element code must be declarations and stores of
// element i of 16-bit arrays computed with operations that have a paired form.
//
// This module writes the packed kernel and divides the grids of its launches in the file;
// fix-site.ts finds where the kernel hands out its elements, fix-packer.ts rewrites the
// element code for a pair of elements, fix-expr.ts holds the paired-intrinsic tables.
import type { FixContext, Fixer } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import { nodeRange } from '../../../core/syntax';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import { HALF_OF, PAIR, Refusal, asAddend, asBound, asFactor, bare, intLiteral, isWideIndexType, operatorOf, refuse } from './fix-expr';
import { compact, unparen } from '../../common/fix-syntax';
import { assignedNames, identifiersIn, inside, matchGuard, matchLoop, mentions, quote, resolve, type Site, symbolsOf, withoutComments } from './fix-site';
import { CONTINUATION, Packer, wrapped } from './fix-packer';

/** The leading whitespace of a line. */
const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];

/** A statement's text moved to another indentation (its later lines keep their offsets). */
function reindent(ctx: FixContext, n: SyntaxNode, to: string, replace: (n: SyntaxNode) => string = (m) => m.text): string {
  const from = indentOf(ctx.lines[n.startPosition.row]);
  return replace(n)
    .split('\n')
    .map((l, i) => (i === 0 ? to + l : l.startsWith(from) ? to + l.slice(from.length) : l))
    .join('\n');
}

/** The grid of a launch divided by 8 (`((n + 255) / 256 + 7) / 8`), or null for a dim3 grid. */
interface LaunchEdit {
  edit: TextEdit | null;
  proven: boolean;
  grid: string;
}

/**
 * The kernel's bound written with a launch's arguments (`n` for `n`, `rows * cols` for a
 * local `total = rows * cols`), or null when it reads more than the parameters.
 */
function boundAt(c: CallFact, fn: FunctionFacts, bound: SyntaxNode): string | null {
  const ids = identifiersIn(bound);
  let text = bound.text;
  for (const id of [...ids].sort((a, b) => b.startIndex - a.startIndex)) {
    const at = fn.params.findIndex((p) => p.name === id.text);
    const arg = c.args[at]?.trim();
    if (at < 0 || !arg) return null;
    const off = id.startIndex - bound.startIndex;
    text = text.slice(0, off) + (/^[\w.]+$/.test(arg) || ids.length === 1 ? arg : `(${arg})`) + text.slice(off + id.text.length);
  }
  return text;
}

function launchEdits(ctx: FixContext, fn: FunctionFacts, kernelBound: SyntaxNode): LaunchEdit[] {
  const out: LaunchEdit[] = [];
  for (const host of ctx.file.functions) {
    const hostDef = host.calls.some((c) => c.kind === 'launch' && c.name === fn.name && !c.via) ? ctx.node(host.range, ['function_definition']) : null;
    if (!hostDef) continue;
    const hostSymbols = symbolsOf(host, hostDef);
    const hostAssigned = assignedNames(hostDef);
    for (const c of host.calls) {
      if (c.kind !== 'launch' || c.name !== fn.name || c.via) continue;
      const call = ctx.node(c.range, ['call_expression']);
      const config = call?.namedChildren.find((x) => x.type === 'kernel_call_syntax');
      const grid = config?.namedChildren[0];
      const block = config?.namedChildren[1];
      if (!call || !grid || !block) {
        out.push({ edit: null, proven: false, grid: c.grid ?? 'grid' });
        continue;
      }
      const g = bare(grid);
      const gridSym = g.type === 'identifier' ? hostSymbols.get(g.text) : undefined;
      if (/\bdim3\b/.test(grid.text) || (gridSym && /\bdim3\b/.test(gridSym.type))) {
        out.push({ edit: null, proven: false, grid: grid.text });
        continue;
      }
      out.push({
        edit: { range: nodeRange(grid), newText: `(${asAddend(grid)} + 7) / 8` },
        proven: covers(resolve(grid, hostSymbols, hostAssigned), resolve(block, hostSymbols, hostAssigned), block, boundAt(c, fn, kernelBound)),
        grid: grid.text,
      });
    }
  }
  return out;
}

/** Does the grid have a block per `blockDim` elements of the kernel's bound (`(n + 255) / 256` with 256 threads and n passed as the bound)? */
function covers(grid: SyntaxNode, block: SyntaxNode, blockText: SyntaxNode, bound: string | null): boolean {
  const arg = bound?.replace(/\s+/g, '');
  const g = unparen(grid);
  if (!arg || g.type !== 'binary_expression' || operatorOf(g) !== '/') return false;
  const divisor = unparen(g.childForFieldName('right')!);
  const sameAsBlock = compact(divisor.text) === compact(blockText.text) || compact(divisor.text) === compact(block.text);
  if (!sameAsBlock) return false;
  const num = unparen(g.childForFieldName('left')!);
  if (num.type !== 'binary_expression') return false;
  const d = intLiteral(divisor);
  // (n + 255) / 256
  if (operatorOf(num) === '+' && compact(num.childForFieldName('left')!.text) === arg && d !== null && intLiteral(num.childForFieldName('right')!) === d - 1) return true;
  // (n + B - 1) / B
  if (operatorOf(num) === '-' && intLiteral(num.childForFieldName('right')!) === 1) {
    const sum = unparen(num.childForFieldName('left')!);
    return sum.type === 'binary_expression' && operatorOf(sum) === '+' && compact(sum.childForFieldName('left')!.text) === arg && compact(sum.childForFieldName('right')!.text) === compact(divisor.text);
  }
  return false;
}

function packedHalfFix(finding: Finding, ctx: FixContext): Fix[] {
  const fn = ctx.fn;
  if (!fn || !fn.isKernel) return refuse('the finding is not in a kernel the analysis knows');
  const def = ctx.node(fn.range, ['function_definition']);
  const fnBody = def?.childForFieldName('body');
  if (!def || !fnBody || def.hasError) return refuse(`\`${fn.name}\` does not parse cleanly`);
  if (fn.templateParams.length) {
    return refuse(`\`${fn.name}\` is a template on \`${fn.templateParams.join(', ')}\`: the packed form needs its own Half / BFloat16 kernel`);
  }
  const symbols = symbolsOf(fn, def);
  const assigned = assignedNames(def);

  // the innermost loop handing out elements around the finding, else one element per thread
  const loops = fnBody.descendantsOfType('for_statement').filter((l) => inside(l, finding.range));
  let site: Site | null = null;
  for (const l of loops.reverse()) if ((site = matchLoop(l, symbols, assigned))) break;
  site ??= matchGuard(fnBody, symbols, assigned);
  if (!site) return refuse(`\`${fn.name}\` hands out elements in a form the fix does not rewrite (one element per thread, grid-stride, block-stride or a row loop)`);
  if (assigned.has(site.e) && site.kind !== 'grid' && site.kind !== 'block' && site.kind !== 'row') refuse(`\`${site.e}\` changes after it is computed`);
  if (withoutComments(site.body).some((b) => assignedNames(b).has(site!.e))) refuse(`the element code changes \`${site.e}\``);
  if (mentions(site.bound, site.e) || site.bound.descendantsOfType(['call_expression', 'assignment_expression', 'update_expression']).length) {
    refuse(`the bound ${quote(site.bound.text)} is not a plain value`);
  }

  const p = new Packer(site, symbols, def);
  for (const s of site.body) p.statement(s);
  // the arrays read, then those only written
  const streams = [...p.streams.values()].sort((a, b) => Number(b.load) - Number(a.load));
  if (!streams.some((s) => s.store)) return refuse('the element code writes no 16-bit array element');
  for (const s of streams) {
    const read = p.uniformReads.get(s.name);
    if (s.store && read) refuse(`the kernel reads ${quote(read)} while it writes \`${s.name}\``);
  }
  // every 16-bit access of the kernel that varies per thread is one the rewrite covers
  const bodyFrom = site.body[0];
  const bodyTo = site.body[site.body.length - 1];
  const bodyRange = { start: nodeRange(bodyFrom).start, end: nodeRange(bodyTo).end };
  const within = (r: typeof bodyRange) =>
    (r.start.line > bodyRange.start.line || (r.start.line === bodyRange.start.line && r.start.column >= bodyRange.start.column)) &&
    (r.end.line < bodyRange.end.line || (r.end.line === bodyRange.end.line && r.end.column <= bodyRange.end.column));
  const outside = fn.accesses.find((a) => a.space === 'global' && a.elemType && HALF_OF[a.elemType] && !within(a.range) && a.indices.some((i) => i.unknown || i.dependsOn((s) => s.startsWith('threadIdx.') || s.startsWith('#loop'))));
  if (outside) refuse(`the kernel also accesses ${quote(outside.text)} outside the element code`);

  // layout
  const startLine = ctx.lines[site.from.startPosition.row];
  const ind = indentOf(startLine);
  const defIndent = indentOf(ctx.lines[def.startPosition.row]);
  const firstStmt = fnBody.namedChildren[0];
  const unitGuess = firstStmt ? indentOf(ctx.lines[firstStmt.startPosition.row]).slice(defIndent.length) : '';
  const unit = unitGuess.length ? unitGuess : '  ';
  const e = site.e;
  const k = p.k;
  const bound = asBound(site.bound);
  const primary = (t: string) => (/^[\w.]+$/.test(t) || wrapped(t) ? t : `(${t})`);
  // the address of the 8 elements: `x + i`, `x + (row * K + k)`
  const idx = ['identifier', 'number_literal', 'field_expression', 'parenthesized_expression'].includes(p.indexNode.type) ? p.indexText : `(${p.indexText})`;
  const halves = [...new Set(streams.map((s) => s.half))];
  const kind = halves.join(' / ');
  const pairType = halves.map((h) => PAIR[h].pair).join(' / ');
  const pairTypes = halves.map((h) => `\`${PAIR[h].pair}\``).join(' / ');

  // The 8-element chunks start at the first 16-byte boundary of the first array (`head`
  // elements in): arrays that share its alignment then take the packed path in every full
  // chunk, aligned or not; the first chunk's thread also takes the elements before it.
  // (Not where the index at element 0 would read memory ahead of the kernel: then chunks start at 0.)
  const anchor = streams[0].name;
  const shift = !p.readsAtZero(p.indexNode);
  const zero = p.atZero(p.indexNode);
  const address = zero === '0' ? `(size_t)${anchor}` : `(size_t)(${anchor} + ${primary(zero)})`;
  const headName = shift ? p.fresh('head') : '';
  const headDecl = `const int ${headName} = ${bound} >= 8 ? (int)((16 - ${address} % 16) % 16 / 2) : 0;`;
  const plus = (t: string) => (shift ? `${headName} + ${t}` : t);
  const per = site.kind === 'guard' || site.kind === 'return' ? 'thread' : 'thread per step';
  const comment = shift
    ? `// Packed ${kind}: from ${anchor}'s first 16-byte boundary on, 8 elements per ${per} as 4 ${pairType} through 16-byte loads / stores; scalar loops take the elements before it, the tail and unaligned arrays.`
    : `// Packed ${kind}: 8 elements per ${per} as 4 ${pairType} through 16-byte loads / stores; a scalar loop takes the tail and unaligned arrays.`;

  // the scalar code for element `i + offset` of the same arrays
  const indices = new Set(p.accessIndices);
  const shifted = (offset: string) => (n: SyntaxNode): string => {
    let text = n.text;
    const subs = n.descendantsOfType('subscript_expression').flatMap((s) => s.childForFieldName('indices')?.namedChildren.filter((x) => indices.has(x)) ?? []);
    for (const x of subs.sort((a, b) => b.startIndex - a.startIndex)) {
      const at0 = x.startIndex - n.startIndex;
      text = text.slice(0, at0) + `${asAddend(x)} ${offset}` + text.slice(at0 + x.endIndex - x.startIndex);
    }
    return text;
  };
  const scalarLoop = (at: string, header: string, offset: string): string[] => {
    const scalar = p.scalar;
    if (withoutComments(scalar).length === 1 && scalar.length === 1 && !scalar[0].text.includes('\n')) return [`${at}${header} ${shifted(offset)(scalar[0])}`];
    return [`${at}${header} {`, ...scalar.map((s) => reindent(ctx, s, at + unit, shifted(offset))), `${at}}`];
  };

  const chunk = (at: string): string[] => {
    const i1 = at + unit;
    const i2 = i1 + unit;
    const aligned = streams.map((s) => `(size_t)(${s.name} + ${idx})`);
    const check = aligned.length === 1 ? `${aligned[0]} % 16 == 0` : `(${aligned.join(' | ')}) % 16 == 0`;
    const out: string[] = [];
    for (const h of p.hoisted) out.push(reindent(ctx, h, at));
    if (shift) out.push(...scalarLoop(at, `if (${e} == ${headName}) for (int ${k} = 0; ${k} < ${headName}; ++${k})`, `- ${headName} + ${k}`));
    out.push(`${at}if (${e} + 8 <= ${bound} && ${check}) {`);
    for (const s of streams) {
      const pt = PAIR[s.half].pair;
      if (s.load && s.store) {
        out.push(`${i1}uint4 ${s.raw} = *reinterpret_cast<const uint4*>(${s.name} + ${idx});`);
        out.push(`${i1}${pt}* ${s.view} = reinterpret_cast<${pt}*>(&${s.raw});`);
      } else if (s.load) {
        out.push(`${i1}const uint4 ${s.raw} = *reinterpret_cast<const uint4*>(${s.name} + ${idx});`);
        out.push(`${i1}const ${pt}* ${s.view} = reinterpret_cast<const ${pt}*>(&${s.raw});`);
      } else {
        out.push(`${i1}uint4 ${s.raw};`);
        out.push(`${i1}${pt}* ${s.view} = reinterpret_cast<${pt}*>(&${s.raw});`);
      }
    }
    for (const [name, b] of p.broadcasts) out.push(`${i1}const ${PAIR[b.half].pair} ${b.name} = ${PAIR[b.half].broadcast}(${name});`);
    out.push(`${i1}#pragma unroll`);
    if (p.pairStatements.length === 1 && !p.pairStatements[0].includes(CONTINUATION)) out.push(`${i1}for (int ${k} = 0; ${k} < 4; ++${k}) ${p.pairStatements[0]}`);
    else {
      out.push(`${i1}for (int ${k} = 0; ${k} < 4; ++${k}) {`);
      for (const s of p.pairStatements) out.push(`${i2}${s.split(CONTINUATION).join(`\n${i2}${unit}${unit}`)}`);
      out.push(`${i1}}`);
    }
    for (const s of streams) if (s.store) out.push(`${i1}*reinterpret_cast<uint4*>(${s.name} + ${idx}) = ${s.raw};`);
    out.push(`${at}} else {`);
    out.push(...scalarLoop(i1, `for (int ${k} = 0; ${k} < 8 && ${e} + ${k} < ${bound}; ++${k})`, `+ ${k}`));
    out.push(`${at}}`);
    return out;
  };

  const wideType = isWideIndexType(site.typeNode.text) ? site.typeNode.text : 'long long';
  const edits: TextEdit[] = [];
  /** The index declaration with its type widened to 64 bits, its value replaced and (`dropConst`) made assignable. */
  const declText = (init: string, dropConst = false) => {
    const d = site!.decl;
    const cut = (a: SyntaxNode) => [a.startIndex - d.startIndex, a.endIndex - d.startIndex];
    const parts: [number, number, string][] = [[...cut(site!.typeNode), wideType] as [number, number, string], [...cut(site!.init), init] as [number, number, string]];
    if (dropConst) for (const q of d.namedChildren.filter((c) => c.type === 'type_qualifier' && c.text === 'const')) parts.push([q.startIndex - d.startIndex, site!.typeNode.startIndex - d.startIndex, '']);
    let text = d.text;
    for (const [a, b, t] of parts.sort((x, y) => y[0] - x[0])) text = text.slice(0, a) + t + text.slice(b);
    return text;
  };
  const times8 = (n: SyntaxNode) => `8LL * ${asFactor(n)}`;
  let title: string;
  let safe = true;

  if (site.kind === 'guard' || site.kind === 'return') {
    // `head` goes with the index when everything it reads is declared by then, else right before the guard
    const declaredBefore = (name: string) => {
      const sym = symbols.get(name);
      return !sym || !sym.node || sym.node.endIndex <= site!.decl.startIndex;
    };
    const early = !shift || [...identifiersIn(site.bound).map((i) => i.text), ...p.namesAtZero(p.indexNode), anchor].every(declaredBefore);
    const declIndent = indentOf(ctx.lines[site.decl.startPosition.row]);
    const indexDecl = !shift
      ? `${comment}\n${declIndent}${declText(times8(site.init))}`
      : early
        ? `${comment}\n${declIndent}${headDecl}\n${declIndent}${declText(plus(times8(site.init)))}`
        : `${comment}\n${declIndent}${declText(times8(site.init), true)}`;
    edits.push({ range: nodeRange(site.decl), newText: indexDecl });
    const lateHead = early ? [] : [`${ind}${headDecl}`, `${ind}${e} += ${headName};`];
    let body: string[];
    if (site.kind === 'return') {
      // the guard stays; the statements after it become the chunk
      const guard = site.from.parent!.namedChildren[site.from.parent!.namedChildren.indexOf(site.from) - 1];
      if (lateHead.length) {
        body = [...lateHead, reindent(ctx, guard, ind), ...chunk(ind)];
        edits.push({ range: { start: nodeRange(guard).start, end: nodeRange(site.to).end }, newText: body.join('\n').slice(ind.length) });
      } else edits.push({ range: { start: nodeRange(site.from).start, end: nodeRange(site.to).end }, newText: chunk(ind).join('\n').slice(ind.length) });
    } else {
      body = p.hoisted.length ? [...lateHead, `${ind}if (${e} < ${bound}) {`, ...chunk(ind + unit), `${ind}}`] : [...lateHead, ...chunk(ind)];
      edits.push({ range: { start: nodeRange(site.from).start, end: nodeRange(site.to).end }, newText: body.join('\n').slice(ind.length) });
    }
    const launches = launchEdits(ctx, fn, resolve(site.bound, symbols, assigned));
    for (const l of launches) if (l.edit) edits.push(l.edit);
    const what = `8 ${kind} elements per thread as 4 ${pairTypes} (16-byte loads, scalar tail)`;
    if (!launches.length) {
      safe = false;
      title = `Compute ${what}; the caller must launch \`${fn.name}\` with ((grid) + 7) / 8 blocks`;
    } else if (launches.some((l) => !l.edit)) {
      safe = false;
      title = `Compute ${what}; divide the grid of ${launches.filter((l) => !l.edit).map((l) => `\`${l.grid}\``).join(', ')} by 8 (rounding up)`;
    } else if (launches.some((l) => !l.proven)) {
      safe = false;
      title = `Compute ${what} with 1/8 of the blocks (assumes the grid covered all \`${site.bound.text}\` elements)`;
    } else title = `Compute ${what} with 1/8 of the blocks`;
  } else {
    const loop = site.loop!;
    const init = site.kind === 'row' ? (shift ? headName : site.init.text) : plus(times8(site.init));
    const step = site.kind === 'row' ? '8' : times8(site.stride!);
    const cond = loop.childForFieldName('condition')!.text;
    // `head` is declared before the loop: a loop that is not in a block gets one
    const braced = shift && loop.parent?.type !== 'compound_statement';
    const at = braced ? ind + unit : ind;
    const lines = [`${at}${comment}`, ...(shift ? [`${at}${headDecl}`] : []), `${at}for (${declText(init).replace(/;\s*$/, '')}; ${cond}; ${e} += ${step}) {`, ...chunk(at + unit), `${at}}`];
    edits.push({ range: nodeRange(loop), newText: (braced ? ['{', ...lines, `${ind}}`] : lines).join('\n').slice(braced ? 0 : ind.length) });
    const form = site.kind === 'grid' ? 'grid-stride loop' : site.kind === 'block' ? 'block-stride loop' : 'loop';
    title = `Compute 8 ${kind} elements per step of the ${form} as 4 ${pairTypes} (16-byte loads, scalar tail)`;
  }
  return [{ title, edits, safe }];
}

export const fix: Fixer = (finding, ctx) => {
  try {
    return packedHalfFix(finding, ctx);
  } catch (e) {
    if (e instanceof Refusal) return { reason: e.message };
    throw e;
  }
};
