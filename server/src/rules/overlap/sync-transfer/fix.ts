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
import type { FixContext, Fixer, FixResult } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Poly } from '../../../core/affine';
import type { Finding, Position, Range, TextEdit } from '../../../core/types';

const STREAMS = 4;

const after = (a: Position, b: Position) => a.line > b.line || (a.line === b.line && a.column > b.column);
const sameRange = (a: Range, b: Range) =>
  a.start.line === b.start.line && a.start.column === b.start.column && a.end.line === b.end.line && a.end.column === b.end.column;
const at = (line: number, column: number): Range => ({ start: { line, column }, end: { line, column } });
const rangeOf = (n: SyntaxNode): Range => ({
  start: { line: n.startPosition.row, column: n.startPosition.column },
  end: { line: n.endPosition.row, column: n.endPosition.column },
});
const indentOf = (line: string) => /^\s*/.exec(line)![0];
const squash = (s: string) => s.replace(/\s+/g, '');

/** The smallest node of one of `types` under `root` covering `range` (ctx.node copies a node without its parents). */
function nodeIn(root: SyntaxNode, range: Range, types: readonly string[]): SyntaxNode | null {
  const covers = (n: SyntaxNode) =>
    !after({ line: n.startPosition.row, column: n.startPosition.column }, range.start) && !after(range.end, { line: n.endPosition.row, column: n.endPosition.column });
  let best: SyntaxNode | null = null;
  for (let n: SyntaxNode | undefined = root; n; ) {
    if (types.includes(n.type)) best = n;
    n = n.children.find(covers);
  }
  return best;
}

export const fix: Fixer = (finding, ctx) => (ctx.language === 'triton' ? fixPython(finding, ctx) : fixHost(finding, ctx));

/** The loop the finding names (its first related location), its facts and syntax. */
function findingLoop(finding: Finding, fn: FunctionFacts, scope: SyntaxNode, types: readonly string[]) {
  const header = finding.related.find((r) => r.message === 'the loop')?.range;
  const loop = header && fn.loops.find((l) => sameRange(l.headerRange, header));
  const node = loop && nodeIn(scope, loop.range, types);
  return loop && node && sameRange(rangeOf(node), loop.range) ? { loop, node } : null;
}

// ---------------------------------------------------------------- C/C++/CUDA host loops

const LOOPS = ['for_statement', 'while_statement', 'do_statement', 'for_range_loop'];
const CHECK_MACRO = /^[A-Z][A-Z0-9_]*$/;

/** One statement of the loop body, as the fix sees it. */
interface Op {
  kind: 'h2d' | 'd2h' | 'launch' | 'sync' | 'other';
  stmt: SyntaxNode;
  /** The CUDA call (inside a status-checking macro, if any). */
  call: SyntaxNode | null;
  macro: string | null;
  args: SyntaxNode[];
}

function classify(stmt: SyntaxNode): Op {
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
  return !s || /^(0|NULL|nullptr|cudaStreamLegacy)$/.test(s) ? '0' : squash(s);
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
    if (callee === 'cudaStreamSynchronize' && squash(s.args[0]?.text ?? '') !== stream && !(stream === '0' && /^(0|NULL|nullptr|cudaStreamLegacy)$/.test(s.args[0]?.text ?? '')))
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

const firstLine = (s: string) => {
  const l = s.split('\n')[0];
  return l.length > 60 ? `${l.slice(0, 57)}...` : l;
};

/** Deletes a statement, with its line when it stands alone there. */
function removeStatement(stmt: SyntaxNode, ctx: FixContext): TextEdit {
  const r = rangeOf(stmt);
  const before = (ctx.lines[r.start.line] ?? '').slice(0, r.start.column);
  const rest = (ctx.lines[r.end.line] ?? '').slice(r.end.column);
  if (before.trim() === '' && rest.trim() === '') return { range: { start: { line: r.start.line, column: 0 }, end: { line: r.end.line + 1, column: 0 } }, newText: '' };
  return { range: r, newText: '' };
}

/** Identifiers in a subtree. */
function identifiers(n: SyntaxNode, out = new Set<string>()): Set<string> {
  if (n.type === 'identifier') out.add(n.text);
  for (const c of n.children) identifiers(c, out);
  return out;
}

/** Names a subtree assigns (`x = ...`, `x += ...`, `++x`) or declares. */
function assignedNames(n: SyntaxNode, out = new Set<string>()): Set<string> {
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

function declaratorNames(d: SyntaxNode): string[] {
  while (d.type !== 'identifier') {
    const inner = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => /declarator|identifier/.test(c.type));
    if (!inner) return [];
    d = inner;
  }
  return [d.text];
}

/** Calls, assignments or increments: evaluating it twice, or earlier, would change something. */
const sideEffects = (n: SyntaxNode): boolean =>
  /^(call_expression|assignment_expression|update_expression)$/.test(n.type) || n.children.some(sideEffects);

// --------------------------------------------- pageable copies per chunk: page-locked, async, on streams

interface Copy {
  op: Op;
  /** The host side (`h_in + off`) and the device side (`d_in`) as written. */
  host: SyntaxNode;
  device: SyntaxNode;
  bytes: string;
  /** The generated constant holding `bytes`. */
  bytesVar: string;
}

interface DeviceBuffer {
  name: string;
  type: string;
  bytesVar: string;
  perStream: string;
}

/** The loop as chunks: `for (v = A; v < B; v += S)` or `for (c = A; c < B; ++c)`. */
interface ChunkLoop {
  variable: string;
  init: string;
  bound: string;
  /** The element count per chunk when the variable steps by it; null for a chunk index. */
  step: string | null;
}

function chunkLoop(loop: SyntaxNode): ChunkLoop | null {
  const init = loop.childForFieldName('initializer');
  let variable: string | null = null;
  let start: string | null = null;
  if (init?.type === 'declaration') {
    const d = init.childrenForFieldName('declarator');
    const v = d.length === 1 && d[0].type === 'init_declarator' ? d[0] : null;
    if (v?.childForFieldName('declarator')?.type === 'identifier') {
      variable = v.childForFieldName('declarator')!.text;
      start = v.childForFieldName('value')?.text ?? null;
    }
  } else if (init?.type === 'assignment_expression' && init.children[1]?.type === '=' && init.childForFieldName('left')?.type === 'identifier') {
    variable = init.childForFieldName('left')!.text;
    start = init.childForFieldName('right')?.text ?? null;
  }
  const cond = loop.childForFieldName('condition');
  if (!variable || !start || cond?.type !== 'binary_expression' || cond.children[1]?.type !== '<' || cond.childForFieldName('left')?.text !== variable) return null;
  const bound = cond.childForFieldName('right')!.text;
  const update = squash(loop.childForFieldName('update')?.text ?? '');
  const step = new RegExp(`^${variable}\\+=(.+)$`).exec(update);
  if (step) return { variable, init: start, bound, step: step[1] };
  if (update === `++${variable}` || update === `${variable}++` || update === `${variable}+=1`) return { variable, init: start, bound, step: null };
  return null;
}

const CAST = /^\((?:size_t|long|longlong|int64_t|unsignedlong|ptrdiff_t)\)/;

/**
 * A chunk's own slice: `p + v` with `v += S` and S elements copied, or `p + c * S` with
 * `++c`, with S elements copied: the slices of different chunks do not overlap.
 */
function chunkSlice(l: ChunkLoop, pointer: string, byteCount: string): boolean {
  const m = /^&?\(?([A-Za-z_]\w*)(?:\+|\[)(.+?)\]?\)?$/.exec(squash(pointer));
  if (!m) return false;
  const offset = m[2].replace(CAST, '');
  const elements = (n: string) => {
    const e = escape(n.replace(CAST, ''));
    return new RegExp(`^(?:\\(?${e}\\)?\\*sizeof\\([\\w:]+\\)|sizeof\\([\\w:]+\\)\\*\\(?${e}\\)?)$`).test(squash(byteCount));
  };
  const v = l.variable;
  if (l.step !== null) return offset === v && elements(l.step);
  const prod = new RegExp(`^(?:\\([\\w]+\\))?${v}\\*(.+)$|^(.+)\\*(?:\\([\\w]+\\))?${v}$`).exec(offset);
  const size = prod && (prod[1] ?? prod[2]);
  return !!size && elements(size);
}

const paren = (s: string) => (/^[\w.]+$/.test(s.trim()) ? s.trim() : `(${s.trim()})`);

function pipeline(fn: FunctionFacts, scope: SyntaxNode, loop: SyntaxNode, ops: Op[], ctx: FixContext): FixResult {
  if (loop.type !== 'for_statement') return { reason: 'only a `for` loop is rewritten' };
  const other = ops.find((o) => o.kind === 'other');
  if (other) return { reason: `the loop does more than copy in, launch and copy out: \`${firstLine(other.stmt.text)}\`` };
  const kinds = ops.filter((o) => o.kind !== 'sync').map((o) => o.kind);
  const firstLaunch = kinds.indexOf('launch');
  const lastLaunch = kinds.lastIndexOf('launch');
  if (firstLaunch < 0) return { reason: 'the loop launches no kernel itself' };
  if (kinds.slice(0, firstLaunch).some((k) => k !== 'h2d') || kinds.slice(firstLaunch, lastLaunch + 1).some((k) => k !== 'launch') || kinds.slice(lastLaunch + 1).some((k) => k !== 'd2h'))
    return { reason: 'the loop body is not "copy in, launch, copy out" in that order' };
  if (ops.some((o) => o.macro)) return { reason: 'the copies or launches check their status every iteration' };
  for (const o of ops) if (o.args.some(sideEffects)) return { reason: `\`${firstLine(o.stmt.text)}\` has side effects in its arguments` };
  const chunked = chunkLoop(loop);
  if (!chunked) return { reason: 'the loop header is not `for (v = a; v < b; v += chunk)` or `for (c = a; c < n; ++c)`' };

  // what changes from one iteration to the next: the loop variables
  const variant = new Set<string>();
  for (const f of ['initializer', 'update']) for (const n of loop.childrenForFieldName(f)) for (const x of assignedNames(n)) variant.add(x);
  const varies = (n: SyntaxNode) => [...identifiers(n)].some((x) => variant.has(x));
  const invariant = (text: string) => !new RegExp(`\\b(${[...variant].join('|')})\\b`).test(text);
  if (!invariant(chunked.bound) || !invariant(chunked.init) || (chunked.step !== null && !invariant(chunked.step))) return { reason: 'the loop bounds change inside the loop' };

  const copies: Copy[] = [];
  const devices = new Map<string, DeviceBuffer>();
  for (const o of ops) {
    if (o.kind !== 'h2d' && o.kind !== 'd2h') continue;
    const [dst, src, bytes] = o.args;
    const host = o.kind === 'h2d' ? src : dst;
    const device = o.kind === 'h2d' ? dst : src;
    if (varies(bytes)) return { reason: `the size of \`${firstLine(o.stmt.text)}\` changes with the iteration` };
    if (!chunkSlice(chunked, host.text, bytes.text)) return { reason: `\`${host.text}\` is not a slice of its own for each chunk (\`p + ${chunked.variable}\` with the copy's element count as the step)` };
    // `sizeof` of the pointer's own element type: a wider one would copy past the chunk's slice
    const hostParam = fn.params.find((p) => p.pointer && p.name === /^&?\s*\(?\s*([A-Za-z_]\w*)/.exec(host.text)?.[1]);
    const unit = /sizeof\s*\(\s*([\w:\s]+?)\s*\)/.exec(bytes.text)?.[1];
    if (hostParam?.type && unit && squash(unit) !== squash(hostParam.type)) return { reason: `\`${firstLine(o.stmt.text)}\` copies \`sizeof(${unit})\` elements of a \`${hostParam.type}\` buffer` };
    const c: Copy = { op: o, host, device, bytes: bytes.text, bytesVar: '' };
    if (!varies(device)) {
      // one device buffer reused by every chunk: each stream gets its own
      if (device.type !== 'identifier') return { reason: `the device side \`${device.text}\` is the same every iteration but not a plain buffer` };
      if (devices.has(device.text)) {
        const sized = copies.find((x) => x.device.text === device.text);
        if (sized && squash(sized.bytes) !== squash(c.bytes)) return { reason: `\`${device.text}\` is copied with two different sizes` };
      } else {
        const type = pointerType(device.text, fn, scope, ctx);
        if (!type) return { reason: `the type of \`${device.text}\` could not be read` };
        devices.set(device.text, { name: device.text, type, bytesVar: '', perStream: '' });
      }
    }
    // a slice of a device array per chunk: the chunks' slices must not overlap, they may now be in flight together
    else if (!chunkSlice(chunked, device.text, c.bytes)) return { reason: `the device slices (\`${device.text}\`) of different chunks could overlap` };
    copies.push(c);
  }

  // the kernels: on the default stream, each touching only its chunk of the copied buffers
  const launches = ops.filter((o) => o.kind === 'launch');
  const passed = new Set<string>();
  for (const l of launches) {
    const why = chunkKernel(l, copies, devices, varies, passed, ctx);
    if (why) return { reason: why };
  }
  const unused = [...devices.keys()].find((d) => !passed.has(d));
  if (unused) return { reason: `no kernel of the loop gets \`${unused}\` as a whole: a buffer per stream would start empty` };

  // names
  const names = identifiers(scope);
  const fresh = (base: string) => {
    let n = base;
    for (let i = 2; names.has(n); i++) n = `${base}${i}`;
    names.add(n);
    return n;
  };
  const k = fresh('kStreams');
  const count = fresh('chunk_count');
  const lock = fresh('page_lock');
  const streams = fresh('streams');
  const slot = fresh('slot');
  const ready = fresh('ready');
  const s = fresh('s');
  const sizes = [...new Set(copies.map((c) => squash(c.bytes)))];
  const hostRoot = (n: SyntaxNode) => /^&?\s*\(?\s*([A-Za-z_]\w*)/.exec(n.text)![1];
  for (const c of copies) {
    const same = copies.find((x) => x.bytesVar && squash(x.bytes) === squash(c.bytes));
    c.bytesVar = same ? same.bytesVar : fresh(sizes.length === 1 ? 'chunk_bytes' : `${hostRoot(c.host)}_bytes`);
  }
  for (const d of devices.values()) {
    d.perStream = fresh(`${d.name}_buf`);
    d.bytesVar = copies.find((c) => c.device.text === d.name)!.bytesVar;
  }
  // the host memory the loop copies: from each slice at the first chunk, chunk_count slices long
  const { variable: v, init, bound, step } = chunked;
  const first = (c: Copy) => (init.trim() === '0' ? hostRoot(c.host) : c.host.text.replace(new RegExp(`\\b${v}\\b`, 'g'), paren(init)));
  const spans = new Map<string, { start: string; bytes: string; flag: string; root: string }>();
  for (const c of copies) {
    const start = first(c);
    const key = `${squash(start)}|${c.bytesVar}`;
    if (!spans.has(key)) spans.set(key, { start, bytes: `${count} * ${c.bytesVar}`, flag: fresh(`${hostRoot(c.host)}_locked`), root: hostRoot(c.host) });
  }
  const iterations =
    step !== null
      ? init.trim() === '0'
        ? `${bound} > 0 ? (${bound} + ${paren(step)} - 1) / ${paren(step)} : 0`
        : `${bound} > ${paren(init)} ? (${bound} - ${paren(init)} + ${paren(step)} - 1) / ${paren(step)} : 0`
      : init.trim() === '0'
        ? `${bound} > 0 ? ${bound} : 0`
        : `${bound} > ${paren(init)} ? ${bound} - ${paren(init)} : 0`;

  // the code
  const indent = indentOf(ctx.lines[loop.startPosition.row] ?? '');
  const unit = detectUnit(ctx);
  const pre: string[] = [
    `// Chunks round-robin over ${STREAMS} streams: with the host memory page-locked, cudaMemcpyAsync overlaps one chunk's copies with another's kernel${devices.size ? ' (device buffers: one per stream)' : ''}`,
    `const int ${k} = ${STREAMS};`,
    ...copies.filter((c, i) => copies.findIndex((x) => x.bytesVar === c.bytesVar) === i).map((c) => `const size_t ${c.bytesVar} = ${c.bytes};`),
    `const size_t ${count} = ${iterations};  // iterations of the loop`,
    `// page-locks host memory for the async copies; false where it is pinned already or cannot be (copies from it still work, unoverlapped)`,
    `auto ${lock} = [](const void *p, size_t bytes) {`,
    `${unit}const bool clean = cudaPeekAtLastError() == cudaSuccess;`,
    `${unit}if (bytes && cudaHostRegister(const_cast<void *>(p), bytes, cudaHostRegisterDefault) == cudaSuccess) return true;`,
    `${unit}if (clean) cudaGetLastError();  // leave no error behind`,
    `${unit}return false;`,
    '};',
    ...[...spans.values()].map((x) => `const bool ${x.flag} = ${lock}(${x.start}, ${x.bytes});`),
    `cudaStream_t ${streams}[${k}];`,
    ...[...devices.values()].map((d) => `${d.type}${d.perStream}[${k}];`),
    `cudaEvent_t ${ready};  // work queued before the loop on the default stream comes first`,
    `cudaEventCreateWithFlags(&${ready}, cudaEventDisableTiming);`,
    `cudaEventRecord(${ready}, 0);`,
    `for (int ${s} = 0; ${s} < ${k}; ++${s}) {`,
    `${unit}cudaStreamCreateWithFlags(&${streams}[${s}], cudaStreamNonBlocking);`,
    `${unit}cudaStreamWaitEvent(${streams}[${s}], ${ready}, 0);`,
    ...[...devices.values()].map((d) => `${unit}cudaMalloc(&${d.perStream}[${s}], ${d.bytesVar});`),
    '}',
    `int ${slot} = 0;`,
  ];
  const edits: TextEdit[] = [{ range: at(loop.startPosition.row, 0), newText: pre.map((l) => `${indent}${l}\n`).join('') }];

  // the body, statement by statement (comments between them stay)
  const stream = `${streams}[${slot}]`;
  const slotted = (n: SyntaxNode) => (devices.has(n.text) ? `${devices.get(n.text)!.perStream}[${slot}]` : n.text);
  const work = ops.filter((o) => o.kind !== 'sync');
  const firstStmt = work[0].stmt;
  const bodyIndent = indentOf(ctx.lines[firstStmt.startPosition.row] ?? '');
  if (devices.size)
    edits.push({ range: at(firstStmt.startPosition.row, 0), newText: `${bodyIndent}cudaStreamSynchronize(${stream});  // this stream's previous chunk is done with its device buffers\n` });
  for (const o of ops) {
    if (o.kind === 'sync') {
      edits.push(removeStatement(o.stmt, ctx));
      continue;
    }
    const c = copies.find((x) => x.op === o);
    const text = !c
      ? relaunch(o, stream, slotted)
      : o.kind === 'h2d'
        ? `cudaMemcpyAsync(${slotted(c.device)}, ${c.host.text}, ${c.bytesVar}, cudaMemcpyHostToDevice, ${stream});`
        : `cudaMemcpyAsync(${c.host.text}, ${slotted(c.device)}, ${c.bytesVar}, cudaMemcpyDeviceToHost, ${stream});`;
    edits.push({ range: rangeOf(o.stmt), newText: text });
  }
  const lastStmt = work[work.length - 1].stmt;
  edits.push({ range: at(lastStmt.endPosition.row, lastStmt.endPosition.column), newText: `\n${bodyIndent}${slot} = (${slot} + 1) % ${k};` });

  // after the loop: wait for all, leave the reused device buffers as the loop did, unlock, free
  const post: string[] = [`for (int ${s} = 0; ${s} < ${k}; ++${s}) cudaStreamSynchronize(${streams}[${s}]);`];
  if (devices.size) {
    const last = fresh('last');
    post.push(
      `if (${count} > 0) {  // ${[...devices.keys()].join(', ')} end up holding the last chunk, as with the blocking copies`,
      `${unit}const int ${last} = (${slot} + ${k} - 1) % ${k};`,
      ...[...devices.values()].map((d) => `${unit}cudaMemcpy(${d.name}, ${d.perStream}[${last}], ${d.bytesVar}, cudaMemcpyDeviceToDevice);`),
      '}',
    );
  }
  post.push(...[...spans.values()].map((x) => `if (${x.flag}) cudaHostUnregister(${/^[A-Za-z_]\w*$/.test(x.start) ? `(void *)${x.start}` : `(void *)(${x.start})`});`));
  post.push(
    `for (int ${s} = 0; ${s} < ${k}; ++${s}) {`,
    ...[...devices.values()].map((d) => `${unit}cudaFree(${d.perStream}[${s}]);`),
    `${unit}cudaStreamDestroy(${streams}[${s}]);`,
    '}',
    `cudaEventDestroy(${ready});`,
  );
  const end = loop.endPosition;
  edits.push({ range: at(end.row, end.column), newText: post.map((l) => `\n${indent}${l}`).join('') });

  const what = devices.size ? `, ${devices.size} device buffer${devices.size > 1 ? 's' : ''} per stream` : '';
  return [{ title: `Pipeline the chunks over ${STREAMS} streams: cudaMemcpyAsync from page-locked host memory (cudaHostRegister)${what}`, edits, safe: false }];
}

/** `blockIdx.x * blockDim.x + threadIdx.x`, plus grid-stride loop terms: the thread's own element. */
function threadIndex(p: Poly): boolean {
  if (p.unknown || p.terms.get('threadIdx.x') !== 1 || p.terms.get('blockDim.x*blockIdx.x') !== 1) return false;
  return [...p.terms.keys()].every((k) => k === 'threadIdx.x' || k === 'blockDim.x*blockIdx.x' || k.includes('#loop'));
}

/** `count * sizeof(T)` or `sizeof(T) * count` (T the element type when it is known). */
function sized(bytes: string, count: string, type: string): boolean {
  const b = squash(bytes);
  const n = escape(squash(count));
  const t = type && !/^[A-Z]$/.test(type) ? escape(squash(type)) : '[^()]+';
  return new RegExp(`^(?:\\(?${n}\\)?\\*sizeof\\(${t}\\)|sizeof\\(${t}\\)\\*\\(?${n}\\)?)$`).test(b);
}

/**
 * Why a launch of the loop cannot move to a chunk's stream, or null: the kernel must be
 * defined in this file, reach each copied buffer only at its thread's element under the
 * guard against the element count the copies move, write a reused output buffer at every
 * element it copies out (a stream's buffer holds another chunk), and write no other memory.
 */
function chunkKernel(l: Op, copies: Copy[], devices: Map<string, DeviceBuffer>, varies: (n: SyntaxNode) => boolean, passed: Set<string>, ctx: FixContext): string | null {
  const config = l.call!.children.find((c) => c.type === 'kernel_call_syntax')!.namedChildren;
  if (config.length > 3 && !/^(0|NULL|nullptr|cudaStreamLegacy|cudaStreamPerThread)$/.test(config[3].text)) return `\`${firstLine(l.stmt.text)}\` already runs on a stream of its own`;
  const name = (l.call!.childForFieldName('function')?.text ?? '').replace(/<.*$/s, '').trim();
  const kernel = ctx.functionNamed(name);
  const kNode = kernel?.isKernel ? ctx.node(kernel.range, ['function_definition']) : null;
  if (!kernel || !kNode) return `\`${name}\` is not defined in this file: that each launch touches only its own chunk cannot be checked`;
  const bound = kernel.params.findIndex((p) => p.name === kernel.indexBound);
  if (bound < 0 || !l.args[bound]) return `\`${name}\` does not bound its thread index by a parameter`;
  const count = l.args[bound].text;
  if (l.args.length !== kernel.params.length) return `the launch of \`${name}\` does not pass one argument per parameter`;
  // the pointer itself handed to a call (`atomicAdd(sum, v)`, a device function), not a value read through it
  const passesOn = (p: string) => kernel.calls.some((c) => c.argRoots.some((r, k) => r === p && !c.args[k].includes('[')));
  const writes = (p: string) => kernel.accesses.some((a) => a.array === p && a.kind !== 'load') || passesOn(p);
  for (const [i, a] of l.args.entries()) {
    const p = kernel.params[i];
    const reused = a.type === 'identifier' && devices.has(a.text);
    const related = copies.filter((c) => (reused ? c.device.text === a.text : varies(c.device) && squash(c.device.text) === squash(a.text)));
    if (!related.length) {
      const buffer = [...identifiers(a)].find((x) => devices.has(x));
      if (buffer) return `\`${name}\` gets \`${a.text}\`: only the whole buffer \`${buffer}\` can become one per stream`;
      if (p.pointer && writes(p.name)) return `\`${name}\` writes \`${p.name}\` (\`${a.text}\`), which every chunk shares: the chunks would race on streams`;
      continue;
    }
    if (reused) passed.add(a.text);
    const acc = kernel.accesses.filter((x) => x.array === p.name);
    if (!p.pointer || !acc.length || acc.some((x) => x.indices.length !== 1 || !threadIndex(x.indices[0])) || passesOn(p.name))
      return `\`${name}\` reaches \`${p.name}\` at other elements than its thread's own: the chunks may overlap`;
    const off = related.find((c) => !sized(c.bytes, count, p.type));
    if (off) return `the copy of \`${off.device.text}\` moves \`${off.bytes}\` bytes, not the \`${count}\` elements \`${name}\` touches`;
    if (reused && related.every((c) => c.op.kind === 'd2h')) {
      if (acc.some((x) => x.kind !== 'store')) return `\`${name}\` reads \`${p.name}\`, which would hold another chunk on a stream's own buffer`;
      if (!unconditionalStores(kNode, p.name, kernel.indexBound!)) return `\`${name}\` may skip elements of \`${p.name}\`: a stream's own buffer would keep another chunk there`;
    }
  }
  return null;
}

/** Every store to `name[...]` runs for each thread under the bound check only (no other condition or early exit). */
function unconditionalStores(kernel: SyntaxNode, name: string, bound: string): boolean {
  // `i < n` / `i >= n` and the same turned around, nothing else
  const b = escape(bound);
  const check = new RegExp(`^\\(?(?:\\w+(?:<|>=)${b}|${b}(?:>|<=)\\w+)\\)?$`);
  const guards = (n: SyntaxNode | null) => !!n && check.test(squash(n.text));
  const exits = kernel.descendantsOfType(['return_statement', 'break_statement', 'continue_statement', 'goto_statement']);
  if (exits.some((e) => e.type !== 'return_statement' || !underGuard(e))) return false;
  function underGuard(e: SyntaxNode): boolean {
    for (let p = e.parent; p && p !== kernel; p = p.parent) if (p.type === 'if_statement' && guards(p.childForFieldName('condition'))) return true;
    return false;
  }
  const stores = kernel.descendantsOfType('assignment_expression').filter((a) => {
    const left = a.childForFieldName('left');
    return left?.type === 'subscript_expression' && left.childForFieldName('argument')?.text === name;
  });
  return stores.length > 0 && stores.every((st) => {
    for (let c: SyntaxNode = st, p = st.parent; p && p !== kernel; c = p, p = p.parent) {
      if (p.type === 'compound_statement' || p.type === 'expression_statement' || p.type === 'function_definition') continue;
      if (p.type === 'if_statement' && guards(p.childForFieldName('condition')) && c === p.childForFieldName('consequence')) continue;
      if (p.type === 'for_statement' && guards(p.childForFieldName('condition')) && c === p.childForFieldName('body')) continue;
      return false;
    }
    return true;
  });
}

/** The launch on the chunk's stream, its reused device buffers replaced by the stream's own. */
function relaunch(o: Op, stream: string, slotted: (n: SyntaxNode) => string): string {
  const call = o.call!;
  const fnText = call.childForFieldName('function')!.text;
  const config = call.children.find((c) => c.type === 'kernel_call_syntax')!.namedChildren;
  const shmem = config[2]?.text ?? '0';
  const args = o.args.map(slotted).join(', ');
  return `${fnText}<<<${config[0].text}, ${config[1].text}, ${shmem}, ${stream}>>>(${args});`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `float *` for a pointer parameter or local (or global) of the function. */
function pointerType(name: string, fn: FunctionFacts, scope: SyntaxNode, ctx: FixContext): string | null {
  const p = fn.params.find((x) => x.name === name);
  if (p) return p.pointer && p.type ? `${p.type} *` : null;
  const end = ctx.lines.length - 1;
  const root = ctx.node({ start: { line: 0, column: 0 }, end: { line: end, column: ctx.lines[end].length } }, ['translation_unit']);
  const decls = [...scope.descendantsOfType('declaration'), ...(root?.namedChildren.filter((d) => d.type === 'declaration') ?? [])];
  for (const d of decls) {
    for (const declarator of d.childrenForFieldName('declarator')) {
      if (!declaratorNames(declarator).includes(name)) continue;
      let ptr = declarator.type === 'init_declarator' ? declarator.childForFieldName('declarator') : declarator;
      if (ptr?.type !== 'pointer_declarator' || ptr.childForFieldName('declarator')?.type !== 'identifier') return null;
      const type = d.childForFieldName('type')?.text;
      const quals = d.namedChildren.filter((c) => c.type === 'type_qualifier').map((c) => `${c.text} `).join('');
      return type ? `${quals}${type} *` : null;
    }
  }
  return null;
}

/** The file's indentation step (2 spaces unless the file clearly uses 4 or tabs). */
function detectUnit(ctx: FixContext): string {
  let two = 0,
    four = 0,
    tabs = 0;
  for (const l of ctx.lines) {
    const m = /^(\s+)\S/.exec(l);
    if (!m) continue;
    if (m[1].startsWith('\t')) tabs++;
    else if (m[1].length === 2) two++;
    else if (m[1].length === 4) four++;
  }
  return tabs > two + four ? '\t' : four > 0 && two === 0 ? '    ' : '  ';
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
  const isLaunch = (s: SyntaxNode) => s.type === 'expression_statement' && launches.some((l) => sameRange(l.range, rangeOf(s.namedChildren[0])));
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
