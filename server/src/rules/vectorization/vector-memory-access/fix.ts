// The fix of vectorization/vector-memory-access (CUDA): rewrites an elementwise kernel,
// one element `i` per thread (`if (i < n) ...`, `if (i >= n) return; ...`) or per step of
// a grid-stride loop, so that each thread moves V consecutive elements per pointer as one
// 128-bit access (float4 / int4 / uint4; 8 halves or bf16s in a uint4). The scalar body is
// kept and run once per element on registers: every `p[i]` becomes `p_v[k]`, an element of
// an aligned local array loaded and stored as one vector. A scalar path runs the original
// code for the last partial group and whenever a pointer is not aligned for its vector
// type, so the results are the same for every n and every pointer. A guarded kernel's
// launches in this file take ceil(grid / V) blocks; a grid-stride kernel's stay as they are.
//
// This module writes the vector code and rewrites the launches; fix-shape.ts recognises
// the kernel's shape and checks that its element code may run V times on registers.
import type { FixContext, Fixer, FixResult } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Fix, Range, TextEdit } from '../../../core/types';
import { baseName } from '../../../core/project';
import { launchCalls, launchersElsewhere } from '../../common/fix-launches';
import { addend, bodyProblem, carrierOf, ELEM_TYPES, type ElemType, findShape, GLOBAL_INDEX, ident, indexOf, isComment, paren, pure, refuse, statementsOf, strip, usesOf } from './fix-shape';

/** A name not used in the function. */
function freshName(taken: Set<string>, ...candidates: string[]): string {
  for (const c of candidates) if (!taken.has(c)) return (taken.add(c), c);
  let c = candidates[0];
  while (taken.has(c)) c += '_';
  taken.add(c);
  return c;
}

/**
 * The element statements' source, with the comments right before the first and after the
 * last on its line, and with `p[i]` uses replaced.
 */
function substituted(nodes: SyntaxNode[], text: string, replace: Map<SyntaxNode, string>): { text: string; first: SyntaxNode } {
  const siblings = nodes[0].parent?.namedChildren ?? nodes;
  let k = siblings.indexOf(nodes[0]);
  // comments on their own lines (not one trailing the statement before)
  while (k > 0 && isComment(siblings[k - 1]) && (k < 2 || siblings[k - 1].startPosition.row > siblings[k - 2].endPosition.row)) k--;
  const first = k >= 0 ? siblings[k] : nodes[0];
  const lastNode = nodes[nodes.length - 1];
  const after = siblings[siblings.indexOf(lastNode) + 1];
  const start = first.startIndex;
  const end = after && isComment(after) && after.startPosition.row === lastNode.endPosition.row ? after.endIndex : lastNode.endIndex;
  const reps = [...replace].filter(([n]) => n.startIndex >= start && n.endIndex <= end).sort((a, b) => b[0].startIndex - a[0].startIndex);
  let out = text.slice(start, end);
  for (const [n, r] of reps) out = out.slice(0, n.startIndex - start) + r + out.slice(n.endIndex - start);
  return { text: out, first };
}

/** Moves a block of source lines from indentation `from` to `to` (the first line is placed by the caller). */
function reindent(block: string, from: string, to: string): string {
  return block
    .split('\n')
    .map((line, k) => (k === 0 ? line : line.startsWith(from) ? to + line.slice(from.length) : line.trim() ? to + line.trimStart() : ''))
    .join('\n');
}

const lineIndent = (lines: string[], row: number): string => /^\s*/.exec(lines[row] ?? '')![0];

/** The indentation of the first line a node starts, or one step deeper than the line it continues. */
function indentOf(n: SyntaxNode, lines: string[], unit: string): string {
  const ind = lineIndent(lines, n.startPosition.row);
  return n.startPosition.column === ind.length ? ind : ind + unit;
}

/** Is the grid of a launch an integer expression we can divide (not a dim3)? */
function plainGrid(grid: SyntaxNode, host: SyntaxNode | null, hostFacts: FunctionFacts | null): boolean {
  const g = strip(grid)!;
  if (g.type === 'number_literal') return true;
  if (g.type === 'binary_expression') return true; // arithmetic on a dim3 does not compile
  if (g.type === 'call_expression') {
    // a rounding-up division (`div_up(n, 256)`, `ceil_div`, `cdiv`), or an integer function of this file
    const callee = g.childForFieldName('function');
    if (callee?.type !== 'identifier') return false;
    if (/div/i.test(callee.text) && callee.text !== 'dim3') return true;
    let root: SyntaxNode | null = host;
    while (root?.parent) root = root.parent;
    return (root?.descendantsOfType('function_definition') ?? []).some(
      (f) => f.childForFieldName('declarator')?.childForFieldName('declarator')?.text === callee.text && /^(int|unsigned|unsigned int|long|long long|size_t|int64_t|uint32_t|uint64_t|int32_t)$/.test(f.childForFieldName('type')?.text ?? ''),
    );
  }
  if (g.type !== 'identifier') return false;
  const param = hostFacts?.params.find((p) => p.name === g.text);
  if (param) return !param.pointer && /^(const\s+)?(int|unsigned|unsigned int|long|long long|size_t|int64_t|uint32_t|uint64_t|int32_t)$/.test(param.type);
  for (const d of host?.descendantsOfType('declaration') ?? []) {
    for (const x of d.childrenForFieldName('declarator')) {
      const name = x.type === 'init_declarator' ? x.childForFieldName('declarator') : x;
      if (name?.type === 'identifier' && name.text === g.text) {
        const type = d.childForFieldName('type')?.text ?? '';
        const value = x.type === 'init_declarator' ? strip(x.childForFieldName('value')) : null;
        if (type === 'auto') return !!value && ['binary_expression', 'number_literal'].includes(value.type);
        return /^(int|unsigned|unsigned int|long|long long|size_t|int64_t|uint32_t|uint64_t|int32_t)$/.test(type);
      }
    }
  }
  return false;
}

function fixCuda(ctx: FixContext): FixResult {
  const fn = ctx.fn;
  if (!fn || !fn.isKernel) return refuse('the finding is not on a kernel the analysis modelled');
  if (fn.usesVectorTypes) return refuse('the kernel already uses vector types');
  if (fn.shared.length) return refuse(`the kernel uses shared memory (\`${fn.shared[0].name}\`)`);
  if (fn.syncthreads.length) return refuse('the kernel synchronizes its threads (`__syncthreads`)');
  if (fn.accesses.some((a) => a.kind === 'atomic')) return refuse('the kernel uses atomics');
  if (fn.kernelClass !== 'elementwise') return refuse(`\`${fn.name}\` is not one element per thread (it walks rows or chunks): restructure its loop by hand`);
  const fnNode = ctx.node(fn.range, ['function_definition']);
  const body = fnNode?.childForFieldName('body');
  if (!fnNode || !body || body.type !== 'compound_statement' || body.hasError) return refuse('the kernel\'s body does not parse cleanly');
  if (body.descendantsOfType('preproc_if').length || body.descendantsOfType('preproc_ifdef').length || body.descendantsOfType('preproc_call').length)
    return refuse('the kernel\'s body has preprocessor directives');
  const pointerParams = fn.params.filter((p) => p.pointer);
  const volatileParam = fnNode.descendantsOfType('parameter_declaration').find((p) => /\bvolatile\b/.test(p.text));
  if (volatileParam) return refuse(`\`${volatileParam.text}\` is volatile: each element must stay its own access`);
  const pointers = new Set(pointerParams.map((p) => p.name));
  const indexName = indexOf(body, pointers);
  if (typeof indexName !== 'string') return indexName;
  const shape = findShape(fn, body, pointers, indexName);
  if ('reason' in shape) return shape;
  if (shape.kind === 'guard') {
    // every access is element `i` = blockIdx.x * blockDim.x + threadIdx.x of its buffer
    const off = fn.accesses.find((a) => pointers.has(a.array) && a.space === 'global' && (a.indices.length !== 1 || a.indices[0].key() !== GLOBAL_INDEX));
    if (off) return refuse(`\`${shape.index}\` in \`${off.text}\` is \`${off.indices[0]?.toString() ?? '?'}\`, not the thread's global index \`blockIdx.x * blockDim.x + threadIdx.x\``);
  }
  const { index } = shape;
  // the buffers are used only in the element statements, as `p[i]`
  const elementNodes = new Set(shape.body);
  for (const id of body.descendantsOfType('identifier')) {
    if (!pointers.has(id.text)) continue;
    let p: SyntaxNode | null = id;
    while (p && !elementNodes.has(p)) p = p.parent;
    if (!p) return refuse(`the kernel uses \`${id.text}\` outside the element's code (\`${(id.parent ?? id).text}\`)`);
  }
  if (!pure(shape.bound) || shape.bound.descendantsOfType('identifier').some((x) => x.text === index) || ident(shape.bound) === index)
    return refuse(`the bound \`${shape.bound.text}\` is not a plain expression`);
  const problem = bodyProblem(shape, fnNode);
  if (problem) return refuse(problem);
  const uses = usesOf(shape, pointers);
  if ('reason' in uses) return uses;
  // the vector code reads every buffer before it stores any: a buffer read after another was written must not be that one
  const restrict = (p: string) => pointerParams.find((x) => x.name === p)!.restrict;
  for (const w of uses.filter((u) => u.write)) {
    const r = uses.find((u) => u.read && u.pointer !== w.pointer && (u.at > w.at || u.looped || w.looped) && !(restrict(u.pointer) && restrict(w.pointer)));
    if (r) return refuse(`\`${r.node.text}\` is read after \`${w.node.text}\` is written, and \`${r.pointer}\` may be \`${w.pointer}\` (declare both \`__restrict__\`)`);
  }
  // element types
  const types = new Map<string, ElemType>();
  for (const p of pointerParams.filter((x) => uses.some((u) => u.pointer === x.name))) {
    if (fn.templateParams.includes(p.type)) return refuse(`\`${p.name}\` holds the template type \`${p.type}\`, whose width is known only at the launch`);
    const t = ELEM_TYPES[p.type.replace(/\s+/g, ' ')];
    if (!t) return refuse(`the element type \`${p.type}\` of \`${p.name}\` is not a known 8-, 16- or 32-bit type`);
    types.set(p.name, t);
  }
  // a buffer moves as vectors when some access of it runs for every element; the others keep their scalar accesses
  const names = [...new Set(uses.map((u) => u.pointer))];
  const vectored = pointerParams.map((p) => p.name).filter((p) => uses.some((u) => u.pointer === p && u.always));
  if (!vectored.length) return refuse('every access is under a condition, so no buffer is read or written for every element');
  const v = 128 / Math.max(...vectored.map((p) => types.get(p)!.bits));
  const scalarKept = names.filter((p) => !vectored.includes(p));

  // names
  const taken = new Set(fnNode.descendantsOfType(['identifier', 'field_identifier', 'type_identifier']).map((x) => x.text));
  const vi = freshName(taken, `${index}${v}`, `${index}_vec`);
  const k = freshName(taken, 'k', 'j', 'e', 'lane');
  const aligned = freshName(taken, 'aligned', 'vec_ok');
  const arr = new Map(vectored.map((p) => [p, freshName(taken, `${p}_v`, `${p}_vals`)]));
  const vecEnd = shape.kind === 'grid-stride' ? freshName(taken, 'vec_end', `${index}_end`) : '';

  const lines = ctx.lines;
  const bodyIndent = lineIndent(lines, statementsOf(body)[0]?.startPosition.row ?? fnNode.startPosition.row + 1);
  const unit = bodyIndent.slice(lineIndent(lines, fnNode.startPosition.row).length) || '  ';
  const base = indentOf(shape.decl, lines, unit);
  const bytesOf = (p: string) => (v * types.get(p)!.bits) / 8;
  const carrier = (p: string) => carrierOf(types.get(p)!, bytesOf(p));
  const elemType = (p: string) => pointerParams.find((x) => x.name === p)!.type;
  const groups = `${paren(shape.bound)} / ${v}`;

  // the alignment check, one mask per vector size
  const bySize = new Map<number, string[]>();
  for (const p of vectored) bySize.set(bytesOf(p), [...(bySize.get(bytesOf(p)) ?? []), p]);
  // uintptr_t where the file has <cstdint>, else size_t (as wide as a pointer, and always declared)
  const uintptr = ctx.perFile('includes <cstdint>', () => /^\s*#\s*include\s*[<"](cstdint|stdint\.h|inttypes\.h|cinttypes)[>"]/m.test(ctx.text)) ? 'uintptr_t' : 'size_t';
  const alignedExpr = [...bySize]
    .sort((a, b) => b[0] - a[0])
    .map(([bytes, ps]) => `(${ps.length > 1 ? `(${ps.map((p) => `reinterpret_cast<${uintptr}>(${p})`).join(' | ')})` : `reinterpret_cast<${uintptr}>(${ps[0]})`} & ${bytes - 1}) == 0`)
    .join(' && ');
  const alignedDecl = `const bool ${aligned} = ${alignedExpr};`;

  // the element statements on registers
  const replace = new Map<SyntaxNode, string>();
  for (const u of uses) if (arr.has(u.pointer)) replace.set(u.node, `${arr.get(u.pointer)}[${k}]`);
  const { text: elemText, first: elemFirst } = substituted(shape.body, ctx.text, replace);
  // `i` itself is still needed when the element code uses it other than as the index of a replaced `p[i]`
  const replaced = [...replace.keys()];
  const needIndex = shape.body.some((s) =>
    [s, ...s.descendantsOfType('identifier')].some((x) => x.type === 'identifier' && x.text === index && !replaced.some((r) => r.startIndex <= x.startIndex && x.endIndex <= r.endIndex)),
  );
  const elemFrom = indentOf(elemFirst, lines, unit);
  const written = (p: string) => uses.some((u) => u.pointer === p && u.write);
  // loaded first unless a plain store that always runs comes before every read of it
  const preload = (p: string) => !uses.some((w) => w.pointer === p && w.alwaysAssigns && uses.every((r) => r.pointer !== p || !r.read || r.node.startIndex > w.at));
  const indexDecl = () => `${shape.indexType.replace(/^(const\s+)?/, 'const ')} ${index} = ${v} * ${vi} + ${k};`;
  const declType = shape.indexType.replace(/^const\s+/, '');

  const vectorPath = (ind: string): string[] => {
    const out: string[] = [];
    for (const p of vectored) out.push(`${ind}alignas(${bytesOf(p)}) ${elemType(p)} ${arr.get(p)}[${v}];`);
    for (const p of vectored.filter(preload)) out.push(`${ind}*reinterpret_cast<${carrier(p)}*>(${arr.get(p)}) = reinterpret_cast<const ${carrier(p)}*>(${p})[${vi}];`);
    out.push(`${ind}#pragma unroll`);
    const inner = ind + unit;
    if (!needIndex && shape.body.length === 1 && !elemText.includes('\n') && !/^(if|for|while|do|switch)\b/.test(elemText)) {
      out.push(`${ind}for (int ${k} = 0; ${k} < ${v}; ++${k}) ${elemText}`);
    } else {
      out.push(`${ind}for (int ${k} = 0; ${k} < ${v}; ++${k}) {`);
      if (needIndex) out.push(`${inner}${indexDecl()}`);
      out.push(inner + reindent(elemText, elemFrom, inner));
      out.push(`${ind}}`);
    }
    for (const p of vectored.filter(written)) out.push(`${ind}reinterpret_cast<${carrier(p)}*>(${p})[${vi}] = *reinterpret_cast<const ${carrier(p)}*>(${arr.get(p)});`);
    return out;
  };

  // `128-bit float4`, or per buffer when some move less than 16 bytes (`uint2 for in, float4 for out`)
  const full = vectored.every((p) => bytesOf(p) === 16);
  const carriers = full ? `128-bit ${[...new Set(vectored.map(carrier))].join(' / ')}` : `vector (${vectored.map((p) => `${carrier(p)} for ${p}`).join(', ')})`;
  const sameType = new Set(vectored.map(elemType)).size === 1;
  const what = sameType ? `${v} \`${elemType(vectored[0])}\` per thread` : `${v} elements per thread`;
  const comment = `// ${v} consecutive ${sameType ? `${elemType(vectored[0])} ` : ''}elements per thread${shape.kind === 'grid-stride' ? ' per step' : ''}, one ${carriers} access per buffer`;
  let newText: string;
  const range: Range = { start: { line: shape.decl.startPosition.row, column: shape.decl.startPosition.column }, end: { line: shape.last.endPosition.row, column: shape.last.endPosition.column } };
  if (shape.kind === 'grid-stride') {
    const loop = shape.guard;
    const start = shape.start;
    const step = shape.step!;
    const header = `for (${declType} ${vi} = ${start.text}; ${vi} < ${vecEnd} / ${v}; ${vi} += ${step.text}) {`;
    // the original loop, starting after the vector loop's elements
    const tail = ctx.text.slice(loop.startIndex, start.startIndex) + `${vecEnd} + ${addend(start)}` + ctx.text.slice(start.endIndex, loop.endIndex);
    newText = [
      `${comment}; the scalar loop takes the tail (or all, for unaligned pointers)`,
      `${base}${alignedDecl}`,
      `${base}const ${declType} ${vecEnd} = ${aligned} ? ${groups} * ${v} : 0;`,
      `${base}${header}`,
      ...vectorPath(base + unit),
      `${base}}`,
      base + reindent(tail, indentOf(loop, lines, unit), base),
    ].join('\n');
  } else {
    const scalar: string[] = [];
    const inner = base + unit + unit;
    scalar.push(`${base}${unit}for (int ${k} = 0; ${k} < ${v}; ++${k}) {`);
    scalar.push(`${inner}${shape.indexType} ${index} = ${v} * ${vi} + ${k};`);
    const original = ctx.text.slice(shape.guard.startIndex, shape.last.endIndex);
    scalar.push(inner + reindent(original, indentOf(shape.guard, lines, unit), inner));
    scalar.push(`${base}${unit}}`);
    const between = ctx.text.slice(shape.decl.endIndex, shape.guard.startIndex);
    newText = [
      `${comment}; scalar code for the tail and unaligned pointers`,
      `${base}${shape.indexType} ${vi} = ${shape.start.text};  // this thread's elements: ${v} * ${vi} to ${v} * ${vi} + ${v - 1}`,
      `${base}${alignedDecl}`,
    ].join('\n') + between + [
      `if (${vi} < ${groups} && ${aligned}) {`,
      ...vectorPath(base + unit),
      `${base}} else if (${vi} <= ${groups}) {`,
      ...scalar,
      `${base}}`,
    ].join('\n');
  }
  const edits: TextEdit[] = [{ range, newText }];

  // the launches: a guarded kernel needs ceil(grid / V) blocks of the same size
  let safe = true;
  const notes: string[] = [];
  if (shape.kind === 'guard') {
    const launches = launchCalls(ctx, fn.name);
    const unchanged: string[] = [];
    for (const { call, host } of launches) {
      const callNode = ctx.node(call.range, ['call_expression']);
      const config = callNode?.children.find((c) => c.type === 'kernel_call_syntax');
      const grid = config?.namedChildren.filter((c) => !isComment(c))[0];
      const hostNode = ctx.node(host.range, ['function_definition']);
      // (a launch inside the kernel itself lies in the text the rewrite replaces)
      if (!grid || !plainGrid(grid, hostNode, host) || host === fn) {
        unchanged.push(`\`${grid?.text ?? call.grid ?? '?'}\` in \`${host.name}\``);
        continue;
      }
      const g = strip(grid)!;
      const text = g.type === 'identifier' || g.type === 'number_literal' ? g.text : addend(grid);
      edits.push({ range: { start: { line: grid.startPosition.row, column: grid.startPosition.column }, end: { line: grid.endPosition.row, column: grid.endPosition.column } }, newText: `(${text} + ${v - 1}) / ${v}` });
    }
    // the kernel used other than by these launches (a function pointer, cudaLaunchKernel) or launched from another file
    const launchNames = new Set(launches.map(({ call }) => `${call.nameRange.start.line}:${call.nameRange.start.column}`));
    const others = ctx.named(baseName(fn.name)).filter((x) => {
      if (launchNames.has(`${x.startPosition.row}:${x.startPosition.column}`)) return false;
      let p = x.parent;
      while (p && ['qualified_identifier', 'template_function', 'template_declaration'].includes(p.type)) p = p.parent;
      return p?.type !== 'function_declarator';
    });
    const elsewhere = launchersElsewhere(ctx, fn.name);
    const need = `ceil(grid / ${v}) blocks`;
    if (unchanged.length) notes.push(`change ${unchanged.map((u) => `the grid ${u}`).join(', ')} to ${need} by hand`);
    if (elsewhere.length) notes.push(`change the launch${elsewhere.length > 1 ? 'es' : ''} in ${elsewhere.map((h) => `\`${h.name}\``).join(', ')} (another file) to ${need}`);
    if (others.length) notes.push(`\`${fn.name}\` is also used on line ${others[0].startPosition.row + 1}, not as a launch: launches through it need ${need}`);
    if (!launches.length && !elsewhere.length && !others.length) notes.push(`callers must launch \`${fn.name}\` with ${need} (no launch in this file)`);
    if (notes.length) safe = false;
  }
  const parts = [
    `Move ${what} with one ${carriers} access per buffer, a scalar tail and an alignment check`,
    ...(shape.kind === 'guard' && safe ? [`launch ceil(grid / ${v}) blocks`] : []),
    ...notes,
    ...(scalarKept.length ? [`${scalarKept.map((p) => `\`${p}\``).join(', ')} stay${scalarKept.length === 1 ? 's' : ''} scalar (accessed under a condition)`] : []),
  ];
  const title = parts.join('; ');
  const fix: Fix = { title, edits, safe };
  return [fix];
}

export const fixVectorAccess: Fixer = (_finding, ctx) => {
  if (ctx.language === 'triton')
    return refuse('Triton kernels are rewritten by hand: give each program a contiguous block (`offs = pid * BLOCK + tl.arange(0, BLOCK)`) and Triton emits the 16-byte accesses');
  // the fix rewrites the whole kernel, the same for each of its findings: written once per kernel
  const at = ctx.fn ? `${ctx.fn.range.start.line}:${ctx.fn.range.start.column}` : '-';
  return ctx.perFile(`vector-memory-access fix of the kernel at ${at}`, () => fixCuda(ctx));
};
