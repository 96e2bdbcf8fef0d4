// Fixes of overlap/sync-transfer.
//  - A `for` loop over chunks (`v += chunk`, or `++c` with slices `c * chunk`) whose body
//    only copies each chunk's own host slice in (`cudaMemcpy` host to device), launches
//    kernels of this file on the default stream and copies its slice out: the chunks go
//    round-robin over 4 streams with `cudaMemcpyAsync`, the host memory the loop copies
//    page-locked for the loop's duration (`cudaHostRegister`; memory pinned already, or not
//    lockable, is still copied right, only unoverlapped). A device buffer the loop reuses
//    gets one copy per stream (the originals end up holding the last chunk, as before), and
//    a stream is waited on before its buffers are reused; all of them after the loop.
//    Offered only when each kernel provably touches only its thread's element of the copied
//    buffers, under the guard against the element count the copies move, writes a reused
//    output buffer at every such element, and writes no memory the chunks share. Not safe:
//    page-locking costs time on every call (measured on an H200, 1 GB in 1-64 MB chunks of
//    pageable memory: 1.5-1.7x faster per call; 8.4x where the caller's buffers are pinned).
//  - A loop whose only device wait is `cudaDeviceSynchronize()` / `cudaStreamSynchronize(s)`
//    after launches on one stream, with host code that only moves values around (no calls,
//    no memory reads or writes through pointers): one wait after the loop (safe).
//  - Python: `torch.cuda.synchronize()` in a loop of launches only: once after the loop
//    (not safe: such a loop may time launches one by one). `.item()` / `.cpu()` reads are
//    left to the user (the values would change place).
//  - Waits in a function called in a loop elsewhere: no automatic fix.
//
// This module: the dispatch, the wait taken out of the loop, and Python. fix-streams.ts
// writes the chunks over streams; fix-loop-body.ts reads the loop body's statements.
import type { FixContext, Fixer, FixResult } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Finding, TextEdit } from '../../../core/types';
import { at, compact, indentOf, nodeIn, nodeRange, sameRange } from '../../common/fix-syntax';
import { assignedNames, classify, firstLine, identifiers, type Op, removeStatement } from './fix-loop-body';
import { pipeline } from './fix-streams';

export const fix: Fixer = (finding, ctx) => (ctx.language === 'triton' ? fixPython(finding, ctx) : fixHost(finding, ctx));

/** The loop the finding names (its first related location), its facts and syntax. */
function findingLoop(finding: Finding, fn: FunctionFacts, scope: SyntaxNode, types: readonly string[]) {
  const header = finding.related.find((r) => r.message === 'the loop')?.range;
  const loop = header && fn.loops.find((l) => sameRange(l.headerRange, header));
  const node = loop && nodeIn(scope, loop.range, types);
  return loop && node && sameRange(nodeRange(node), loop.range) ? { loop, node } : null;
}

// ---------------------------------------------------------------- C/C++/CUDA host loops

const LOOPS = ['for_statement', 'while_statement', 'do_statement', 'for_range_loop'];

function fixHost(finding: Finding, ctx: FixContext): FixResult {
  const fn = ctx.fn;
  const scope = fn && ctx.node(fn.range, ['function_definition']);
  if (!fn || !scope) return { reason: 'the function could not be read' };
  const blocking = fn.calls.find((c) => sameRange(c.nameRange, finding.range));
  if (blocking && !blocking.loops.length)
    return { reason: `the wait is in \`${fn.name}\`, which is called in a loop elsewhere: taking it out changes \`${fn.name}\` for every caller` };
  const found = findingLoop(finding, fn, scope, LOOPS);
  if (!found) return { reason: 'the loop could not be read' };
  const body = found.node.childForFieldName('body');
  if (body?.type !== 'compound_statement') return { reason: 'the loop body is not a block' };
  const ops = body.namedChildren.filter((n) => n.type !== 'comment').map(classify);
  if (ops.some((o) => o.kind === 'h2d' || o.kind === 'd2h')) return pipeline(fn, scope, found.node, ops, ctx);
  return hoistSync(found.node, ops, ctx);
}

// --------------------------------------------- a device wait every iteration: once after the loop

/** Host code that neither calls anything nor reads or writes memory through a pointer. */
function pureHost(n: SyntaxNode): boolean {
  if (n.type === 'call_expression' || n.type === 'subscript_expression' || n.type === 'field_expression' && n.text.includes('->')) return false;
  if (n.type === 'pointer_expression' && n.children[0]?.type === '*') return false;
  if (/^(return|goto|co_return|throw)_statement$/.test(n.type) || n.type === 'asm_statement') return false;
  return n.children.every(pureHost);
}

const launchStream = (launch: SyntaxNode): string => {
  const config = launch.children.find((c) => c.type === 'kernel_call_syntax')?.namedChildren ?? [];
  const s = config[3]?.text;
  return !s || /^(0|NULL|nullptr|cudaStreamLegacy)$/.test(s) ? '0' : compact(s);
};

function hoistSync(loop: SyntaxNode, ops: Op[], ctx: FixContext): FixResult {
  const syncs = ops.filter((o) => o.kind === 'sync');
  const launches = ops.filter((o) => o.kind === 'launch');
  if (!syncs.length || !launches.length) return { reason: 'the loop body waits for the device in a nested statement' };
  // launch arguments are read when the launch is queued: they must not read memory either (managed memory a kernel wrote, say)
  const impure = ops.find(
    (o) => (o.kind === 'other' && !pureHost(o.stmt)) || (o.kind === 'launch' && !o.call!.children.every((c) => c.type === 'identifier' || c.type === 'template_function' || pureHost(c))),
  );
  if (impure) return { reason: `the loop also runs \`${firstLine(impure.stmt.text)}\`, which may need the device's results of the iteration` };
  const streams = new Set(launches.map((l) => launchStream(l.call!)));
  if (streams.size > 1) return { reason: 'the launches use different streams: the wait also orders them between iterations' };
  const stream = [...streams][0];
  for (const s of syncs) {
    const callee = s.call!.childForFieldName('function')!.text;
    if (callee === 'cudaStreamSynchronize' && compact(s.args[0]?.text ?? '') !== stream && !(stream === '0' && /^(0|NULL|nullptr|cudaStreamLegacy)$/.test(s.args[0]?.text ?? '')))
      return { reason: `\`${firstLine(s.stmt.text)}\` waits for another stream than the launches use` };
    if (s.macro) return { reason: `\`${firstLine(s.stmt.text)}\` checks the status of each iteration's work: moving it changes what the check reports` };
  }
  // the stream must be the same one in every iteration
  const assigned = assignedNames(loop);
  if ([...identifiers(syncs[0].call!)].some((x) => assigned.has(x))) return { reason: 'the stream waited on changes in the loop' };

  const edits: TextEdit[] = syncs.map((s) => removeStatement(s.stmt, ctx));
  const keep = syncs.find((s) => /cudaDeviceSynchronize|cudaThreadSynchronize/.test(s.stmt.text)) ?? syncs[0];
  const indent = indentOf(ctx.lines[loop.startPosition.row] ?? '');
  const end = loop.endPosition;
  edits.push({
    range: at(end.row, end.column),
    newText: `\n${indent}// one wait after the loop (was one per iteration): launches on one stream already run in order\n${indent}${keep.stmt.text}`,
  });
  return [{ title: `Wait for the device once after the loop, not every iteration (\`${firstLine(keep.stmt.text)}\`)`, edits, safe: true }];
}

// ---------------------------------------------------------------- Python

function fixPython(finding: Finding, ctx: FixContext): FixResult {
  const fn = ctx.fn;
  const first = fn?.calls.find((c) => sameRange(c.range, finding.range));
  if (!fn || !first) return { reason: 'the host code could not be read' };
  if (first.kind !== 'sync')
    return { reason: `\`${firstLine(`${first.args[0] ?? ''}${first.name}()`)}\` brings a value to the host every iteration: keeping it on the device (\`torch.stack\` after the loop) changes what the loop stores, so it is left to you` };
  const scope = ctx.node(fn.range, ['decorated_definition', 'function_definition', 'module']);
  const found = scope && findingLoop(finding, fn, scope, ['for_statement', 'while_statement']);
  if (!found) return { reason: 'the loop could not be read' };
  const body = found.node.childForFieldName('body');
  const stmts = body?.namedChildren.filter((n) => n.type !== 'comment') ?? [];
  const launches = fn.calls.filter((c) => c.kind === 'launch' && c.loops.includes(found.loop.id));
  const isSync = (s: SyntaxNode) => s.type === 'expression_statement' && /^torch\.cuda\.synchronize\(\s*\)$/.test(s.text);
  const isLaunch = (s: SyntaxNode) => s.type === 'expression_statement' && launches.some((l) => sameRange(l.range, nodeRange(s.namedChildren[0])));
  const other = stmts.find((s) => !isSync(s) && !isLaunch(s));
  if (other) return { reason: `the loop also runs \`${firstLine(other.text)}\`, which may need the GPU's results of the iteration` };
  const syncs = stmts.filter(isSync);
  if (!syncs.length || !launches.length) return { reason: 'the wait is not a statement of the loop body' };
  const edits: TextEdit[] = syncs.map((s) => removeStatement(s, ctx));
  // on the line after the loop (the removed wait may be the loop's last line)
  const end = found.node.endPosition;
  const indent = indentOf(ctx.lines[found.node.startPosition.row] ?? '');
  const code = [`${indent}# one wait after the loop (was one per iteration): launches run in order on the stream`, `${indent}torch.cuda.synchronize()`];
  if (end.row + 1 < ctx.lines.length) edits.push({ range: at(end.row + 1, 0), newText: code.map((l) => `${l}\n`).join('') });
  else edits.push({ range: at(end.row, ctx.lines[end.row].length), newText: code.map((l) => `\n${l}`).join('') });
  // not applied unasked: a loop like this often times one launch at a time on purpose
  return [{ title: 'Call `torch.cuda.synchronize()` once after the loop, not every iteration', edits, safe: false }];
}
