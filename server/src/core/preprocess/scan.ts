// Scans one file's text into an ordered list of preprocessor events: directives and
// the file-scope declarations the view needs (typedef/using aliases, integer constants).
// Results are cached by content (bounded), so a header is scanned once per content.
import { lexToken, type Kind } from './lex';
import { tick } from '../budget';
import type { MacroDef } from './macros';
import { scanAccessors, scanRowClasses, type ElementAccessor } from './accessors';
import { sharedStructsIn } from './shared-structs';
import { scanClassMembers } from './class-members';

export type Event =
  | { k: 'define'; def: MacroDef }
  | { k: 'undef'; name: string }
  | { k: 'include'; target: string; angled: boolean }
  | { k: 'if'; expr: string }
  | { k: 'ifdef'; name: string; neg: boolean; guard: boolean }
  | { k: 'elif'; expr: string }
  | { k: 'else' }
  | { k: 'endif' }
  | { k: 'typedef'; name: string; type: string }
  | { k: 'const'; name: string; expr: string }
  | { k: 'accessor'; name: string; accessor: ElementAccessor }
  | { k: 'sharedStruct'; name: string; array: string }
  | { k: 'member'; owner: string; name: string; type: string }
  /** The text creates a cuBLAS handle and sets a tensor-op math mode on it, or one it picks at run time (`setup_main()`). */
  | { k: 'tensorMathMode' };

/** FNV-1a, two 32-bit lanes, as 16 hex digits. */
export function digest(s: string): string {
  let a = 0x811c9dc5, b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const CACHE_MAX = 500;
/**
 * By the text itself: the header reader hands back the same string object while a header is unchanged, and V8
 * keeps a string's hash, so a hit costs no pass over the text (a digest is one per call). The texts are the
 * reader's own cached ones.
 */
const cache = new Map<string, Event[]>();

/** Events of a header's text, from the module-level cache when the same content was seen. */
export function scanCached(text: string): Event[] {
  const hit = cache.get(text);
  if (hit) { cache.delete(text); cache.set(text, hit); return hit; }
  const ev = scanText(text);
  cache.set(text, ev);
  while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  return ev;
}

/** Normalises a directive's text: splices continuations, strips comments, collapses whitespace. */
function cleanDirective(raw: string): string {
  const s = raw.replace(/\\\r?\n/g, '');
  let out = '';
  for (let p = 0; p < s.length;) {
    tick();
    const r = lexToken(s, p, s.length, true);
    if (r.end <= p) break;
    out += r.kind === 'ws' || r.kind === 'comment' ? ' ' : s.slice(p, r.end);
    p = r.end;
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

function parseDefine(rest: string): MacroDef | null {
  const m = /^([A-Za-z_$][\w$]*)/.exec(rest);
  if (!m) return null;
  const name = m[1];
  let p = name.length;
  let params: string[] | null = null;
  let variadic = false;
  if (rest[p] === '(') {
    const close = rest.indexOf(')', p);
    if (close < 0) return null;
    params = [];
    const inner = rest.slice(p + 1, close).trim();
    if (inner) {
      for (const raw of inner.split(',')) {
        const q = raw.trim();
        if (q === '...') { variadic = true; params.push('__VA_ARGS__'); }
        else if (/^[A-Za-z_$][\w$]*\s*\.\.\.$/.test(q)) { variadic = true; params.push(q.replace(/\s*\.\.\.$/, '')); }
        else if (/^[A-Za-z_$][\w$]*$/.test(q) && !variadic) params.push(q);
        else return null;
      }
    }
    p = close + 1;
  }
  return { name, params, variadic, body: rest.slice(p).trim() };
}

function directiveEvent(raw: string, out: Event[]): void {
  const line = cleanDirective(raw);
  const m = /^#\s*([A-Za-z_]+)\s*(.*)$/s.exec(line);
  if (!m) return;
  const [, dir, rest] = m;
  switch (dir) {
    case 'define': { const d = parseDefine(rest); if (d) out.push({ k: 'define', def: d }); break; }
    case 'undef': { const n = /^[A-Za-z_$][\w$]*/.exec(rest); if (n) out.push({ k: 'undef', name: n[0] }); break; }
    case 'include': {
      const q = /^"([^"]+)"/.exec(rest) ?? /^<([^>]+)>/.exec(rest);
      if (q) out.push({ k: 'include', target: q[1].trim(), angled: rest[0] === '<' });
      break;
    }
    case 'ifdef': case 'ifndef': {
      const n = /^[A-Za-z_$][\w$]*/.exec(rest);
      out.push(n ? { k: 'ifdef', name: n[0], neg: dir === 'ifndef', guard: false } : { k: 'if', expr: '' });
      break;
    }
    case 'if': {
      const g = /^!\s*defined\s*(?:\(\s*([A-Za-z_$][\w$]*)\s*\)|([A-Za-z_$][\w$]*))$/.exec(rest);
      out.push(g ? { k: 'ifdef', name: g[1] ?? g[2], neg: true, guard: false } : { k: 'if', expr: rest });
      break;
    }
    case 'elif': out.push({ k: 'elif', expr: rest }); break;
    case 'elifdef': out.push({ k: 'elif', expr: `defined(${rest})` }); break;
    case 'elifndef': out.push({ k: 'elif', expr: `!defined(${rest})` }); break;
    case 'else': out.push({ k: 'else' }); break;
    case 'endif': out.push({ k: 'endif' }); break;
    default: break;
  }
}

const INT_WORDS = new Set(['int', 'unsigned', 'signed', 'long', 'short', 'char', 'size_t', 'ssize_t', 'ptrdiff_t', 'auto',
  'int8_t', 'int16_t', 'int32_t', 'int64_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'uint', 'index_t', 'std', '::']);
const QUALS = new Set(['static', 'inline', 'extern', 'constexpr', 'const', '__device__', '__constant__', '__host__', 'volatile', 'thread_local']);

export function normaliseType(toks: string[]): string {
  return toks.filter(t => t !== 'const' && t !== 'volatile').join(' ')
    .replace(/\s*(::|<|>|\*|&|,)\s*/g, '$1').replace(/\s+/g, ' ').trim();
}

function statementEvent(toks: string[], kinds: Kind[], out: Event[]): void {
  if (!toks.length) return;
  const td = toks.lastIndexOf('typedef');
  if (td > 0) { toks = toks.slice(td); kinds = kinds.slice(td); }
  if (toks[0] === 'typedef') {
    const body = toks.slice(1);
    if (body.some(t => t === '(' || t === '[' || t === '{')) return;
    let angle = 0;
    for (const t of body) { if (t === '<') angle++; else if (t === '>') angle--; else if (t === ',' && angle <= 0) return; }
    const name = body[body.length - 1];
    if (kinds[kinds.length - 1] !== 'ident') return;
    const type = normaliseType(body.slice(0, -1));
    if (type && type !== name) out.push({ k: 'typedef', name, type });
    return;
  }
  if (toks[0] === 'using' && kinds[1] === 'ident' && toks[2] === '=') {
    const body = toks.slice(3);
    if (!body.length || body.includes('(')) return;
    out.push({ k: 'typedef', name: toks[1], type: normaliseType(body) });
    return;
  }
  if (!toks.includes('const') && !toks.includes('constexpr')) return;
  let i = 0;
  while (i < toks.length && (QUALS.has(toks[i]) || INT_WORDS.has(toks[i]))) i++;
  if (i === 0 || !toks.slice(0, i).some(t => INT_WORDS.has(t) && t !== 'std' && t !== '::')) return;
  // declarators: NAME = expr | NAME { expr }, separated by top-level commas
  let depth = 0, startDecl = i;
  const decls: string[][] = [];
  for (let j = i; j <= toks.length; j++) {
    const t = toks[j];
    if (t === '(' || t === '{' || t === '[') depth++;
    else if (t === ')' || t === '}' || t === ']') depth--;
    if (j === toks.length || (t === ',' && depth === 0)) { decls.push(toks.slice(startDecl, j)); startDecl = j + 1; }
  }
  for (const d of decls) {
    if (d.length < 3 || !/^[A-Za-z_$][\w$]*$/.test(d[0])) continue;
    if (d[1] === '=') out.push({ k: 'const', name: d[0], expr: d.slice(2).join(' ') });
    else if (d[1] === '{' && d[d.length - 1] === '}') out.push({ k: 'const', name: d[0], expr: d.slice(2, -1).join(' ') });
  }
}

/** One pass over the text: directives anywhere, declarations at file/namespace scope. */
export function scanText(text: string): Event[] {
  const out: Event[] = [];
  const stack: ('ns' | 'block' | 'init')[] = [];
  let blocks = 0;
  let toks: string[] = [];
  let kinds: Kind[] = [];
  const reset = (): void => { toks = []; kinds = []; };
  for (let p = 0; p < text.length;) {
    tick(); // the file's time budget covers the scan (see buildView)
    const r = lexToken(text, p, text.length);
    if (r.end <= p) break;
    const s = text.slice(p, r.end);
    p = r.end;
    if (r.kind === 'directive') { directiveEvent(s, out); continue; }
    if (r.kind === 'ws' || r.kind === 'comment') continue;
    if (r.kind === 'punct' && s === '{') {
      const inInit = stack.length > 0 && stack[stack.length - 1] === 'init';
      if (blocks > 0) { stack.push('block'); blocks++; continue; }
      if (inInit || toks[toks.length - 1] === '=' ||
        ((toks.includes('const') || toks.includes('constexpr')) && !toks.includes('(') && kinds[kinds.length - 1] === 'ident')) {
        stack.push('init'); toks.push(s); kinds.push(r.kind); continue;
      }
      if (toks[0] === 'namespace' || (toks[0] === 'inline' && toks[1] === 'namespace') || (toks[0] === 'extern' && kinds[1] === 'string' && toks.length === 2)) {
        stack.push('ns'); reset(); continue;
      }
      stack.push('block'); blocks++; reset();
      continue;
    }
    if (r.kind === 'punct' && s === '}') {
      const top = stack.pop();
      if (top === 'block') { blocks--; if (blocks === 0) reset(); }
      else if (top === 'init') { toks.push(s); kinds.push(r.kind); }
      else reset();
      continue;
    }
    if (blocks > 0) continue;
    if (r.kind === 'punct' && s === ';' && !(stack.length && stack[stack.length - 1] === 'init')) {
      statementEvent(toks, kinds, out);
      reset();
      continue;
    }
    if (toks.length < 400) { toks.push(s); kinds.push(r.kind); }
  }
  // include guards: `#ifndef G` / `#if !defined(G)` immediately followed by `#define G`
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i], b = out[i + 1];
    if (a.k === 'ifdef' && a.neg && b.k === 'define' && b.def.name === a.name) a.guard = true;
  }
  for (const [name, accessor] of scanAccessors(text)) out.push({ k: 'accessor', name, accessor });
  for (const [name, type] of scanRowClasses(text)) out.push({ k: 'typedef', name, type });
  if (text.includes('__shared__')) for (const [name, array] of sharedStructsIn(text.split('\n'))) out.push({ k: 'sharedStruct', name, array });
  for (const [owner, members] of scanClassMembers(text)) for (const [name, type] of members) out.push({ k: 'member', owner, name, type });
  if (setsTensorMathMode(text)) out.push({ k: 'tensorMathMode' });
  return out;
}

/**
 * `cublasCreate(&h)` and `cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH)` in one text, or a mode picked at run time
 * (`enable_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH` kept in a variable), or pedantic fp32 asked for:
 * a set-up function (llm.c's `setup_main()` in a shared header) that decides the math of every GEMM on the handle.
 */
function setsTensorMathMode(raw: string): boolean {
  if (!raw.includes('cublasSetMathMode')) return false;
  // (a call commented out, `// cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH);` left as a TODO, sets nothing)
  const text = raw.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
  const modes = [...text.matchAll(/\bcublasSetMathMode\s*\(\s*[^,()]+,\s*([^()]*?)\s*\)/g)].map((m) => m[1]);
  if (modes.some((m) => /CUBLAS_PEDANTIC_MATH/.test(m))) return true;
  return /\bcublas(?:Lt)?Create\s*\(/.test(text) && modes.some(picksTensorMode);
}

/**
 * A math mode that allows tensor cores, or one picked at run time (a variable, not an enum or flags such as
 * `CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION`).
 */
export const picksTensorMode = (mode: string): boolean =>
  /CUBLAS_(?:TF32_)?TENSOR_OP_MATH/.test(mode) || (/^\s*[A-Za-z_][\w.>-]*\s*$/.test(mode) && !/^\s*CUBLAS_/.test(mode));
