// overlap/sync-transfer's fix for a loop over chunks that copies each chunk in, launches on
// it and copies it out, all blocking: the chunks go round-robin over STREAMS streams with
// `cudaMemcpyAsync`, the host memory page-locked for the loop (`cudaHostRegister`), a device
// buffer the loop reuses given one copy per stream, and each stream waited on before its
// buffers are reused. Offered only when each kernel provably touches only its thread's
// element of the copied buffers (see fix.ts for the whole contract).
import type { FixContext, FixResult } from '../../../core/fix';
import type { FunctionFacts } from '../../../core/facts/model';
import type { SyntaxNode } from '../../../core/mirror';
import type { Poly } from '../../../core/affine';
import type { TextEdit } from '../../../core/types';
import { at, atomic, compact, indentOf, nodeRange } from '../../common/fix-syntax';
import { assignedNames, declaratorNames, firstLine, identifiers, type Op, removeStatement, sideEffects } from './fix-loop-body';

/** The streams the chunks go round-robin over. */
const STREAMS = 4;

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
  const update = compact(loop.childForFieldName('update')?.text ?? '');
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
  const m = /^&?\(?([A-Za-z_]\w*)(?:\+|\[)(.+?)\]?\)?$/.exec(compact(pointer));
  if (!m) return false;
  const offset = m[2].replace(CAST, '');
  const elements = (n: string) => {
    const e = escape(n.replace(CAST, ''));
    return new RegExp(`^(?:\\(?${e}\\)?\\*sizeof\\([\\w:]+\\)|sizeof\\([\\w:]+\\)\\*\\(?${e}\\)?)$`).test(compact(byteCount));
  };
  const v = l.variable;
  if (l.step !== null) return offset === v && elements(l.step);
  const prod = new RegExp(`^(?:\\([\\w]+\\))?${v}\\*(.+)$|^(.+)\\*(?:\\([\\w]+\\))?${v}$`).exec(offset);
  const size = prod && (prod[1] ?? prod[2]);
  return !!size && elements(size);
}

/** The chunk loop's copies made asynchronous over STREAMS streams (one fix, not safe), or why not. */
export function pipeline(fn: FunctionFacts, scope: SyntaxNode, loop: SyntaxNode, ops: Op[], ctx: FixContext): FixResult {
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
    if (hostParam?.type && unit && compact(unit) !== compact(hostParam.type)) return { reason: `\`${firstLine(o.stmt.text)}\` copies \`sizeof(${unit})\` elements of a \`${hostParam.type}\` buffer` };
    const c: Copy = { op: o, host, device, bytes: bytes.text, bytesVar: '' };
    if (!varies(device)) {
      // one device buffer reused by every chunk: each stream gets its own
      if (device.type !== 'identifier') return { reason: `the device side \`${device.text}\` is the same every iteration but not a plain buffer` };
      if (devices.has(device.text)) {
        const sized = copies.find((x) => x.device.text === device.text);
        if (sized && compact(sized.bytes) !== compact(c.bytes)) return { reason: `\`${device.text}\` is copied with two different sizes` };
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
  const sizes = [...new Set(copies.map((c) => compact(c.bytes)))];
  const hostRoot = (n: SyntaxNode) => /^&?\s*\(?\s*([A-Za-z_]\w*)/.exec(n.text)![1];
  for (const c of copies) {
    const same = copies.find((x) => x.bytesVar && compact(x.bytes) === compact(c.bytes));
    c.bytesVar = same ? same.bytesVar : fresh(sizes.length === 1 ? 'chunk_bytes' : `${hostRoot(c.host)}_bytes`);
  }
  for (const d of devices.values()) {
    d.perStream = fresh(`${d.name}_buf`);
    d.bytesVar = copies.find((c) => c.device.text === d.name)!.bytesVar;
  }
  // the host memory the loop copies: from each slice at the first chunk, chunk_count slices long
  const { variable: v, init, bound, step } = chunked;
  const first = (c: Copy) => (init.trim() === '0' ? hostRoot(c.host) : c.host.text.replace(new RegExp(`\\b${v}\\b`, 'g'), atomic(init)));
  const spans = new Map<string, { start: string; bytes: string; flag: string; root: string }>();
  for (const c of copies) {
    const start = first(c);
    const key = `${compact(start)}|${c.bytesVar}`;
    if (!spans.has(key)) spans.set(key, { start, bytes: `${count} * ${c.bytesVar}`, flag: fresh(`${hostRoot(c.host)}_locked`), root: hostRoot(c.host) });
  }
  const iterations =
    step !== null
      ? init.trim() === '0'
        ? `${bound} > 0 ? (${bound} + ${atomic(step)} - 1) / ${atomic(step)} : 0`
        : `${bound} > ${atomic(init)} ? (${bound} - ${atomic(init)} + ${atomic(step)} - 1) / ${atomic(step)} : 0`
      : init.trim() === '0'
        ? `${bound} > 0 ? ${bound} : 0`
        : `${bound} > ${atomic(init)} ? ${bound} - ${atomic(init)} : 0`;

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
    edits.push({ range: nodeRange(o.stmt), newText: text });
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
  const b = compact(bytes);
  const n = escape(compact(count));
  const t = type && !/^[A-Z]$/.test(type) ? escape(compact(type)) : '[^()]+';
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
    const related = copies.filter((c) => (reused ? c.device.text === a.text : varies(c.device) && compact(c.device.text) === compact(a.text)));
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
  const guards = (n: SyntaxNode | null) => !!n && check.test(compact(n.text));
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
