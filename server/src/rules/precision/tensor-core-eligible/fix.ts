// Fixes of precision/tensor-core-eligible: switch fp32 GEMMs to TF32 tensor cores.
//  - cuBLAS host code: `cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH)` right after
//    the handle is created (in the function, or in the function of the file that creates a
//    global handle), else before the first GEMM on it (before the outermost loop around it
//    when the handle is the same in every iteration). For `cublasGemmEx`-style calls with
//    fp32 compute, a second fix passes CUBLAS_COMPUTE_32F_FAST_TF32 to the calls instead.
//  - Triton: `tl.dot(..., input_precision="ieee")` -> "tf32", `allow_tf32=False` -> True.
//  - Hand-written CUDA-core k-loops and Triton GEMMs without `tl.dot`: no automatic fix.
// TF32 rounds the multiplied inputs: never `safe`, and every title says so.
import { isTlDot as isDot } from '../../common/program-axes';
import type { FixContext, Fixer, FixResult } from '../../../core/fix';
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Finding, Fix, TextEdit } from '../../../core/types';
import { after, at, CHECK_MACRO, compact, indentOf, keywordArgs, linesAbove, nodeIn, nodeRange, samePos } from '../../common/fix-syntax';
import { GEMM_EX, TENSOR_MODE, fp32Gemm } from './cublas';

export const TF32_TRADE_OFF = '(TF32: 10-bit mantissa inputs, ~1e-3 relative error)';

const CREATE = /^cublasCreate(_v2)?$/;

export const fix: Fixer = (finding, ctx) => (ctx.language === 'triton' ? fixTriton(finding, ctx) : fixHost(finding, ctx));

// ---------------------------------------------------------------- cuBLAS host code

/** A handle expression the fix may repeat: a name, a member or a constant subscript of one, or `*p`. */
const HANDLE = /^\*?\s*[A-Za-z_]\w*(\s*(\.|->)\s*[A-Za-z_]\w*|\[\s*\w+\s*\])*$/;

function fixHost(finding: Finding, ctx: FixContext): FixResult {
  const fn = ctx.fn;
  if (!fn) return { reason: 'the function could not be read' };
  if (fn.isKernel || fn.isDevice)
    return { reason: 'this is a hand-written fp32 GEMM loop: rewriting it for tensor cores (WMMA/`mma.sync` on TF32 fragments) is not automatic; calling cuBLAS with CUBLAS_TF32_TENSOR_OP_MATH is the short way' };
  const gemms = fn.calls.filter((c) => c.kind !== 'sync' && c.kind !== 'copy' && fp32Gemm(c));
  const modes = fn.calls.filter((c) => c.name === 'cublasSetMathMode' && TENSOR_MODE.test(c.args[1] ?? ''));
  const plain = gemms.filter((g) => !modes.some((m) => after(g.range.start, m.range.start)));
  if (!plain.length) return { reason: 'no fp32 GEMM call without a tensor-op math mode was found here' };

  // one cublasSetMathMode per handle, before the first plain GEMM on it
  const handles = new Map<string, CallFact>();
  for (const g of plain) {
    const h = (g.args[0] ?? '').trim();
    if (!HANDLE.test(h)) return { reason: `the handle is \`${h}\`, an expression the fix would have to evaluate again` };
    if (![...handles.keys()].some((k) => compact(k) === compact(h))) handles.set(h, g);
  }
  const edits: TextEdit[] = [];
  for (const [h, g] of handles) {
    const edit = setModeEdit(h, g, fn, ctx);
    if ('reason' in edit) return edit;
    if (!edits.some((e) => e.newText === edit.newText && samePos(e.range.start, edit.range.start))) edits.push(edit);
  }
  const names = [...handles.keys()].map((h) => `\`${h}\``).join(', ');
  const fixes: Fix[] = [{ title: `Set CUBLAS_TF32_TENSOR_OP_MATH on ${names} ${TF32_TRADE_OFF}`, edits, safe: false }];

  // cublasGemmEx-style calls only: the compute type says TF32 for these calls alone
  const fnNode = ctx.node(fn.range, ['function_definition']);
  if (fnNode && plain.every((c) => GEMM_EX.test(c.name))) {
    const compute: TextEdit[] = [];
    for (const c of plain) {
      const call = nodeIn(fnNode, c.range, ['call_expression']);
      const args = call?.childForFieldName('arguments')?.namedChildren ?? [];
      const arg = args[args.length - 2];
      if (!arg || !/^(CUBLAS_COMPUTE_32F|CUDA_R_32F)$/.test(arg.text)) {
        compute.length = 0;
        break;
      }
      compute.push({ range: nodeRange(arg), newText: 'CUBLAS_COMPUTE_32F_FAST_TF32' });
    }
    if (compute.length) {
      const which = plain.length > 1 ? `the ${plain.length} \`${plain[0].name}\` calls` : `\`${plain[0].name}\``;
      fixes.push({ title: `Pass CUBLAS_COMPUTE_32F_FAST_TF32 to ${which} ${TF32_TRADE_OFF}`, edits: compute, safe: false });
    }
  }
  return fixes;
}

/** Where `cublasSetMathMode(h, ...)` goes for the GEMM `g`, as an insertion. */
function setModeEdit(h: string, g: CallFact, fn: FunctionFacts, ctx: FixContext): TextEdit | { reason: string } {
  const creates = (c: CallFact) => CREATE.test(c.name) && compact(c.args[0] ?? '') === `&${compact(h)}`;
  const fnNode = ctx.node(fn.range, ['function_definition']);
  if (!fnNode) return { reason: 'the function could not be read' };
  // created in this function before the GEMM
  const here = fn.calls.find((c) => creates(c) && after(g.range.start, c.range.start));
  if (here) return afterStatement(here, h, fnNode, ctx);
  // a global handle created by another function of the file (`init_blas()`)
  const plainName = /^[A-Za-z_]\w*$/.test(h);
  if (plainName && !declares(fnNode, h)) {
    for (const other of ctx.file.functions) {
      if (other === fn || other.isKernel) continue;
      const c = other.calls.find(creates);
      const otherNode = c && ctx.node(other.range, ['function_definition']);
      if (c && otherNode && !declares(otherNode, h) && isGlobal(ctx, h)) return afterStatement(c, h, otherNode, ctx);
    }
  }
  // the handle comes from elsewhere: before the GEMM, or before the loops around it
  const call = nodeIn(fnNode, g.range, ['call_expression']);
  let stmt = call && statementOf(call);
  if (!stmt) return { reason: 'the statement of the GEMM call could not be read' };
  const base = /[A-Za-z_]\w*/.exec(h)?.[0] ?? h;
  for (let p: SyntaxNode | null = stmt.parent; p && p !== fnNode; p = p.parent) {
    if (!/^(for|while|do)_statement$/.test(p.type) && p.type !== 'for_range_loop') continue;
    // the same handle in every iteration: set the mode once before the loop
    if (declares(p, base) || new RegExp(`(^|[^\\w.>])${base}\\s*(=[^=]|\\+\\+|--)`).test(p.text)) break;
    const outer = statementOf(p);
    if (outer) stmt = outer;
  }
  return insertBefore(stmt, modeCall(h, macroOf(call!)), ctx);
}

const COMMENT = '// TF32 tensor cores for the fp32 GEMMs on this handle (inputs rounded to a 10-bit mantissa, fp32 accumulation)';

const modeCall = (h: string, macro: string | null) => {
  const call = `cublasSetMathMode(${h}, CUBLAS_TF32_TENSOR_OP_MATH)`;
  return macro ? `${macro}(${call});` : `${call};`;
};

/** The status-checking macro a call is wrapped in (`CUBLAS_CHECK(cublasSgemm(...))`), if any. */
function macroOf(call: SyntaxNode): string | null {
  const args = call.parent;
  const outer = args?.parent;
  if (args?.type !== 'argument_list' || outer?.type !== 'call_expression' || args.namedChildren.length !== 1) return null;
  const name = outer.childForFieldName('function')?.text ?? '';
  return CHECK_MACRO.test(name) ? name : null;
}

/** The statement of a block that holds this node. */
function statementOf(n: SyntaxNode): SyntaxNode | null {
  let s: SyntaxNode | null = n;
  while (s && s.parent && s.parent.type !== 'compound_statement') {
    if (s.type === 'function_definition') return null;
    s = s.parent;
  }
  return s?.parent ? s : null;
}

/** The call on lines of its own above the statement, with the comment; in front of it where the statement shares its line. */
function insertBefore(stmt: SyntaxNode, code: string, ctx: FixContext): TextEdit {
  const { row, column } = stmt.startPosition;
  return linesAbove(ctx, stmt, [COMMENT, code]) ?? { range: at(row, column), newText: `${code} ` };
}

/** After the statement of the `cublasCreate` call. */
function afterStatement(create: CallFact, h: string, fnNode: SyntaxNode, ctx: FixContext): TextEdit | { reason: string } {
  const call = nodeIn(fnNode, create.range, ['call_expression']);
  const stmt = call && statementOf(call);
  if (!stmt) return { reason: 'the statement that creates the handle could not be read' };
  const { row, column } = stmt.endPosition;
  const rest = (ctx.lines[row] ?? '').slice(column);
  const code = modeCall(h, macroOf(call));
  if (rest.trim() === '' || rest.trim().startsWith('//')) {
    const indent = indentOf(ctx.lines[stmt.startPosition.row] ?? '');
    const end = { line: row, column: (ctx.lines[row] ?? '').length };
    return { range: { start: end, end }, newText: `\n${indent}${COMMENT}\n${indent}${code}` };
  }
  return { range: { start: { line: row, column }, end: { line: row, column } }, newText: ` ${code}` };
}

/** The names a declaration (or parameter) declares. */
function declaredNames(decl: SyntaxNode): string[] {
  const out: string[] = [];
  for (let d of decl.childrenForFieldName('declarator')) {
    while (d.type !== 'identifier') {
      const inner = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => /declarator|identifier/.test(c.type));
      if (!inner) break;
      d = inner;
    }
    if (d.type === 'identifier') out.push(d.text);
  }
  return out;
}

/** Does this function or block declare `name` (a parameter or a local)? */
function declares(scope: SyntaxNode, name: string): boolean {
  return scope.descendantsOfType(['declaration', 'parameter_declaration', 'for_range_loop']).some((d) => declaredNames(d).includes(name));
}

/** Is `name` declared at file scope (a global handle)? */
function isGlobal(ctx: FixContext, name: string): boolean {
  const end = ctx.lines.length - 1;
  const root = ctx.node({ start: { line: 0, column: 0 }, end: { line: end, column: ctx.lines[end].length } }, ['translation_unit']);
  return !!root?.namedChildren.some((d) => d.type === 'declaration' && declaredNames(d).includes(name));
}

// ---------------------------------------------------------------- Triton

const exactDot = (c: CallFact) =>
  (c.keywords ?? []).some((k) => (k.name === 'input_precision' && /^['"]ieee['"]$/.test(k.value.trim())) || (k.name === 'allow_tf32' && k.value.trim() === 'False'));

function fixTriton(finding: Finding, ctx: FixContext): FixResult {
  const fn = ctx.fn;
  if (!fn) return { reason: 'the kernel could not be read' };
  const exact = fn.calls.filter((c) => isDot(c) && exactDot(c));
  if (!exact.length)
    return { reason: 'the kernel multiplies and reduces blocks without `tl.dot`: rewriting it into `tl.dot` tiles changes its blocking and grid, which is not automatic' };
  const edits: TextEdit[] = [];
  const commented = new Set<number>(); // blocks (by their start) that got the comment
  const fnNode = ctx.node(fn.range, ['function_definition', 'decorated_definition']);
  if (!fnNode) return { reason: 'the kernel could not be read' };
  for (const c of exact) {
    const call = nodeIn(fnNode, c.range, ['call']);
    // one comment line above the first statement changed in each block
    let stmt: SyntaxNode | null | undefined = call;
    while (stmt && stmt.parent && stmt.parent.type !== 'block' && stmt.parent.type !== 'module') stmt = stmt.parent;
    const block = stmt?.parent?.startIndex ?? -1;
    const comment = stmt && !commented.has(block) ? linesAbove(ctx, stmt, ['# TF32 tensor cores: inputs rounded to a 10-bit mantissa, fp32 accumulation']) : null;
    if (comment) {
      commented.add(block);
      edits.push(comment);
    }
    for (const { name, value } of call ? keywordArgs(call) : []) {
      if (name === 'input_precision' && /^['"]ieee['"]$/.test(value.text)) edits.push({ range: nodeRange(value), newText: `${value.text[0]}tf32${value.text[0]}` });
      else if (name === 'allow_tf32' && value.text === 'False') edits.push({ range: nodeRange(value), newText: 'True' });
    }
  }
  const values = edits.filter((e) => !e.newText.endsWith('\n'));
  if (!values.length) return { reason: 'the precision argument of `tl.dot` could not be read' };
  const allow = values.every((e) => e.newText === 'True');
  const what = allow ? '`allow_tf32=True`' : values.some((e) => e.newText === 'True') ? '`input_precision="tf32"` / `allow_tf32=True`' : '`input_precision="tf32"`';
  const n = exact.length > 1 ? `${exact.length} \`tl.dot\` calls` : '`tl.dot`';
  return [{ title: `Run ${n} on tensor cores with ${what} ${TF32_TRADE_OFF}`, edits, safe: false }];
}
