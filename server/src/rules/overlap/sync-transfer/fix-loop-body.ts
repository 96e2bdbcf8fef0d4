// The statements of a host loop as overlap/sync-transfer's fixes read them: each one
// classified (a copy in or out, a kernel launch, a device wait, anything else, through a
// status-checking macro), and the names a statement reads, assigns or declares, so that a
// fix can tell what moving or repeating it would change.
import type { FixContext } from '../../../core/fix';
import type { SyntaxNode } from '../../../core/mirror';
import type { TextEdit } from '../../../core/types';
import { CHECK_MACRO, nodeRange } from '../../common/fix-syntax';

/** One statement of the loop body, as the fix sees it. */
export interface Op {
  kind: 'h2d' | 'd2h' | 'launch' | 'sync' | 'other';
  stmt: SyntaxNode;
  /** The CUDA call (inside a status-checking macro, if any). */
  call: SyntaxNode | null;
  macro: string | null;
  args: SyntaxNode[];
}

export function classify(stmt: SyntaxNode): Op {
  const other: Op = { kind: 'other', stmt, call: null, macro: null, args: [] };
  if (stmt.type !== 'expression_statement') return other;
  let call = stmt.namedChildren[0];
  if (call?.type !== 'call_expression') return other;
  let macro: string | null = null;
  const name = call.childForFieldName('function')?.text ?? '';
  const inner = call.childForFieldName('arguments')?.namedChildren ?? [];
  if (CHECK_MACRO.test(name) && inner.length === 1 && inner[0].type === 'call_expression') {
    macro = name;
    call = inner[0];
  }
  const args = call.childForFieldName('arguments')?.namedChildren ?? [];
  if (call.children.some((c) => c.type === 'kernel_call_syntax')) return { kind: 'launch', stmt, call, macro, args };
  const callee = call.childForFieldName('function')?.text ?? '';
  if (callee === 'cudaMemcpy' && args.length === 4) {
    const dir = args[3].text;
    if (dir === 'cudaMemcpyHostToDevice') return { kind: 'h2d', stmt, call, macro, args };
    if (dir === 'cudaMemcpyDeviceToHost') return { kind: 'd2h', stmt, call, macro, args };
  }
  if (/^(cudaDeviceSynchronize|cudaThreadSynchronize|cudaStreamSynchronize)$/.test(callee)) return { kind: 'sync', stmt, call, macro, args };
  return other;
}
export const firstLine = (s: string) => {
  const l = s.split('\n')[0];
  return l.length > 60 ? `${l.slice(0, 57)}...` : l;
};

/** Deletes a statement, with its line when it stands alone there. */
export function removeStatement(stmt: SyntaxNode, ctx: FixContext): TextEdit {
  const r = nodeRange(stmt);
  const before = (ctx.lines[r.start.line] ?? '').slice(0, r.start.column);
  const rest = (ctx.lines[r.end.line] ?? '').slice(r.end.column);
  if (before.trim() === '' && rest.trim() === '') return { range: { start: { line: r.start.line, column: 0 }, end: { line: r.end.line + 1, column: 0 } }, newText: '' };
  return { range: r, newText: '' };
}

/** Identifiers in a subtree. */
export function identifiers(n: SyntaxNode, out = new Set<string>()): Set<string> {
  if (n.type === 'identifier') out.add(n.text);
  for (const c of n.children) identifiers(c, out);
  return out;
}

/** Names a subtree assigns (`x = ...`, `x += ...`, `++x`) or declares. */
export function assignedNames(n: SyntaxNode, out = new Set<string>()): Set<string> {
  if (n.type === 'assignment_expression') {
    const left = n.childForFieldName('left');
    if (left?.type === 'identifier') out.add(left.text);
  } else if (n.type === 'update_expression') {
    const arg = n.childForFieldName('argument');
    if (arg?.type === 'identifier') out.add(arg.text);
  } else if (n.type === 'init_declarator' || n.type === 'declaration') {
    const d = n.childForFieldName('declarator');
    if (d) for (const x of declaratorNames(d)) out.add(x);
  }
  for (const c of n.children) assignedNames(c, out);
  return out;
}

export function declaratorNames(d: SyntaxNode): string[] {
  while (d.type !== 'identifier') {
    const inner = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => /declarator|identifier/.test(c.type));
    if (!inner) return [];
    d = inner;
  }
  return [d.text];
}

/** Calls, assignments or increments: evaluating it twice, or earlier, would change something. */
export const sideEffects = (n: SyntaxNode): boolean =>
  /^(call_expression|assignment_expression|update_expression)$/.test(n.type) || n.children.some(sideEffects);
