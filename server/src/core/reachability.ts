// Which functions nothing in the project reaches (ANALYSIS.md §0, "launch and buffer flow"):
// a kernel no code launches, a wrapper no code calls (`mean_gpu` beside the `fast_mean_gpu`
// the project uses), a Triton kernel whose launch was commented out. Advice on them is noise:
// nobody runs that code. Only the CLI's project pass can tell (the editor sees one file), and
// only in a file the project uses (some other function of it is called from elsewhere, or it
// has `main`): a file nothing calls yet is new code, still being written.
//
// A scan of tokens, not of facts: every file of the project is read once, comments and
// `#if 0` blocks dropped, and each identifier counted where it is used (a call, a launch, a
// pointer, a string) rather than declared (`void mean_gpu(...);` in a header, `def k(...)`).
import { atLineStart, lexToken, isIdentChar, isIdentStart } from './preprocess/lex';
import type { FileFacts, FunctionFacts } from './facts/model';
import type { Position } from './types';
import { positionBefore } from './positions';

/** The `skipped` reason of such a function: modelled, and left unreported on purpose. */
export const UNREACHED = 'not reached: nothing in the project launches or calls it';

export interface NameUses {
  /**
   * Uses of each name a C/C++/CUDA function may have: in those files, and in Python strings (`load_inline(functions=["f"])`);
   * not a file's uses of a name it defines itself (those are of its own function), here and in `pyUses`.
   */
  readonly cUses: Map<string, number>;
  /** Uses of each name a Python function may have: in Python files, and in C/C++ strings. */
  readonly pyUses: Map<string, number>;
  /** How many files define a function of each name (several: a use elsewhere may be of another one). */
  readonly defined: Map<string, number>;
  /** Pieces glued by `##` in macros (`elementwise_add_##T##_kernel`): names built from them are used where no scan sees them. */
  readonly pasted: { prefixes: Set<string>; suffixes: Set<string> };
  /** Functions a header of the project declares (`void invokeSiluGate(...);`): a library's API. */
  readonly declaredInHeaders: Set<string>;
  /** Files that define `main`, tests and benchmarks aside: a program, whose code runs only as far as main reaches; none, a library called from outside. */
  mains: number;
}

export function emptyNameUses(): NameUses {
  return { cUses: new Map(), pyUses: new Map(), defined: new Map(), pasted: { prefixes: new Set(), suffixes: new Set() }, declaredInHeaders: new Set(), mains: 0 };
}

/** A name where it is used; `called` when a call or a template's arguments follow it (`f(`, `k<<<`, `f<T>(`). */
interface Use { name: string; offset: number; inString?: boolean; called?: boolean }
/** `vars`: names the text declares as variables (`float accum = 0.0f;`), whose other uses there are the variable's. */
interface Scan { uses: Use[]; defs: Set<string>; prototypes?: Set<string>; vars?: Set<string> }

/** A use of the file's own function or variable of that name, not of another file's function (`accum += y[i]` after `float accum`). */
const ownName = (scan: Scan, u: Use): boolean => !u.inString && (scan.defs.has(u.name) || (!u.called && !!scan.vars?.has(u.name)));

/** A name followed by `(` after one of these is called, not declared (`return f(x)`, `else g()`). */
const CALLING_WORDS = new Set([
  'return', 'else', 'do', 'case', 'throw', 'new', 'delete', 'co_return', 'co_yield', 'co_await', 'goto', 'sizeof', 'decltype',
  'await', 'yield', 'and', 'or', 'not', 'in', 'is', 'if', 'elif', 'while', 'lambda', 'assert', 'print', 'from', 'import', 'as', 'with', 'for',
]);
/** A statement that starts with a template type, up to the name after it: `std::vector<double> ` of `std::vector<double> sum(n);`. */
const TEMPLATE_TYPE_BEFORE = /(?:^|[;{}])\s*(?:(?:const|static|constexpr|thread_local)\s+)*[A-Za-z_][\w:]*\s*<[^;{}()<>]*(?:<[^;{}()<>]*>[^;{}()<>]*)*>\s*[*&]*\s*$/;
/** The only words after which `(...)` and then a name start a definition: `__global__ void __launch_bounds__(256) k(...)`, `LAUNCH_BOUNDS(T, B) k(...)`. */
const DECLARING_CALL = /^(?:__launch_bounds__|__attribute__|[A-Z][A-Z0-9_]*)$/;

/**
 * Adds a file's uses to the project's counts (a header's prototypes to its API). A test's or benchmark's `main`
 * (`harness`) exercises the library beside it: only another `main` makes the project a program.
 */
export function addNameUses(into: NameUses, text: string, python: boolean, header = false, harness = false): void {
  const scan = scanUses(text, python, into.pasted);
  if (header) for (const name of scan.prototypes ?? []) into.declaredInHeaders.add(name);
  if (scan.defs.has('main') && !harness) into.mains++;
  for (const u of scan.uses) {
    // a use in a file that defines the name is of that file's own function: a tutorial's lessons each define and
    // launch their own `transposeNaive`, and one lesson's launch does not run another's
    // (and a use of a variable the file declares, `float accum` in one file beside a host function `accum()` in another)
    if (ownName(scan, u)) continue;
    // a name in code counts for functions of the file's own language, a name in a string for those of the other
    const counts = python === !u.inString ? into.pyUses : into.cUses;
    counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
  }
  for (const d of scan.defs) into.defined.set(d, (into.defined.get(d) ?? 0) + 1);
}

/** The identifiers a text uses, in order, with the `##` pieces of its macros added to `pasted`. */
function scanUses(text: string, python: boolean, pasted?: NameUses['pasted']): Scan {
  return python ? scanPython(text) : scanC(blankIfZero(text), pasted);
}

/** Namespaces of the standard and GPU libraries: what they qualify is theirs. */
const LIBRARY_NAMESPACES = new Set(['std', 'at', 'torch', 'c10', 'wmma', 'nvcuda', 'cub', 'thrust', 'cuda', 'cooperative_groups', 'cg', 'cute', 'cutlass', 'Eigen']);

/** Every identifier of a C/C++ text that is a use (a short look-back per name), and the pieces its macros glue. */
function scanC(text: string, pasted?: NameUses['pasted']): Scan {
  const out: Use[] = [];
  const defs = new Set<string>();
  const prototypes = new Set<string>();
  const vars = new Set<string>();
  // a declared name waits for its parameter list to close: a body after it makes it a definition
  const pending: { name: string; depth: number }[] = [];
  const end = text.length;
  let prev: { kind: string; text: string } | null = null;
  let prev2: { kind: string; text: string } | null = null;
  let inDirective = false;
  // the identifier before each open parenthesis still open, to tell `__launch_bounds__(256) k(` from `(void) k(`
  const parenOwner: (string | null)[] = [];
  let lastClosedOwner: string | null = null;
  for (let p = 0; p < end;) {
    const t = lexToken(text, p, end, true);
    if (t.end <= p) break;
    const start = p;
    p = t.end;
    if (t.kind === 'ws' || t.kind === 'comment') {
      // a directive's last word (`#endif`) is not a type before the next line's name
      if (inDirective && /(?:^|[^\\])\n/.test(text.slice(start, t.end))) {
        inDirective = false;
        prev = prev2 = null;
      }
      continue;
    }
    const s = text.slice(start, t.end);
    if (s === '#' && atLineStart(text, start)) inDirective = true;
    if (t.kind === 'string' || t.kind === 'char') {
      if (t.kind === 'string') stringUses(s, start, out);
      prev2 = prev;
      prev = { kind: t.kind, text: '' };
      continue;
    }
    if (s === '##' && pasted) {
      if (prev?.kind === 'ident' && prev.text.length >= 3) pasted.prefixes.add(prev.text);
      const after = lexAfter(text, p);
      if (after && after.length >= 3) pasted.suffixes.add(after);
    }
    if (t.kind === 'ident') {
      const next = nextSignificant(text, p);
      const typeBefore = (x: typeof prev) => x?.kind === 'ident' && !CALLING_WORDS.has(x.text);
      // after a type (`void k(`, `float *mean_gpu;` in a struct) the name is declared, not used
      const declared = typeBefore(prev) || ((prev?.text === '*' || prev?.text === '&') && typeBefore(prev2)) ||
        (next === '(' && prev?.text === ')' && lastClosedOwner !== null && DECLARING_CALL.test(lastClosedOwner)) ||
        // (after a template type that starts the statement, `std::vector<double> sum(n);`: a variable built, no call)
        ((prev?.text === '>' || prev?.text === '>>') && TEMPLATE_TYPE_BEFORE.test(text.slice(Math.max(0, start - 200), start)));
      // a field (`l.mean_gpu`) or an array (`pack_b[8]`) is no function of that name; a member call (`deriv->CompObjfAndDeriv(`) may be a method's
      const member = ((prev?.text === '.' || prev?.text === '->') && next !== '(') || next === '[' || next === '.' || next === '->' ||
        // a qualifier (`at::`), or a library's own name (`wmma::row_major`, `std::max`): no function of the project
        next === '::' || (prev?.text === '::' && prev2?.kind === 'ident' && LIBRARY_NAMESPACES.has(prev2.text));
      if (declared) {
        if (next === '(') pending.push({ name: s, depth: parenOwner.length });
        else if (next === '=' || next === ';' || next === ',') vars.add(s);
      } else if (!member) out.push({ name: s, offset: start, ...(next === '(' || next.startsWith('<') ? { called: true } : {}) });
    }
    if (s === '(') parenOwner.push(prev?.kind === 'ident' ? prev.text : null);
    if (s === ')') {
      lastClosedOwner = parenOwner.pop() ?? null;
      const last = pending[pending.length - 1];
      if (last && last.depth === parenOwner.length) {
        pending.pop();
        if (bodyFollows(text, p)) defs.add(last.name);
        else if (nextSignificant(text, p) === ';') prototypes.add(last.name);
      }
    }
    prev2 = prev;
    prev = { kind: t.kind, text: s };
  }
  return { uses: out, defs, prototypes, vars };
}

/** After a declaration's parameters: `{` (past `const`, `noexcept`, `override`), or a constructor's `:`. */
function bodyFollows(text: string, p: number): boolean {
  const end = text.length;
  for (let words = 0; p < end && words < 6;) {
    const t = lexToken(text, p, end, true);
    if (t.end <= p) return false;
    const s = text.slice(p, t.end);
    p = t.end;
    if (t.kind === 'ws' || t.kind === 'comment') continue;
    if (s === '{' || s === ':') return true;
    if (t.kind !== 'ident') return false;
    words++;
  }
  return false;
}

function nextSignificant(text: string, p: number): string {
  const end = text.length;
  while (p < end) {
    const t = lexToken(text, p, end, true);
    if (t.end <= p) return '';
    if (t.kind !== 'ws' && t.kind !== 'comment') return text.slice(p, t.end);
    p = t.end;
  }
  return '';
}

function lexAfter(text: string, p: number): string | null {
  const s = nextSignificant(text, p);
  return s && isIdentStart(s.charCodeAt(0)) ? s : null;
}

/** Names inside a string literal are uses: `m.def("gelu", &gelu)`, NVRTC sources, `load_inline(functions=["f"])`. */
function stringUses(s: string, offset: number, out: Use[]): void {
  for (const m of s.matchAll(/[A-Za-z_]\w*/g)) out.push({ name: m[0], offset: offset + m.index!, inString: true });
}

/**
 * A switch named for debugging or checking (`CPU_DEBUG`, `VERIFY`, `CHECK_RESULTS`), by a whole word of its name (not
 * `USE_FASTEST_PATH` or `ACTIVATION_CHECKPOINTING`): off by default, its code a check.
 */
const DEBUG_SWITCH = /(?:^|_)(?:DEBUG|VERIFY|VALIDATE|VALIDATION|CHECK|CHECKS|TEST|TESTS|TESTING)(?:_|$)/i;

/**
 * The text with `#if 0` ... `#endif` (or `#else`) blanked, lines kept; also `#if CPU_DEBUG` where the file's only
 * definition of a debug switch is `#define CPU_DEBUG 0` (cuda-samples' CPU check, compiled out by default). A knob of
 * another name, `#define USE_CPU_BACKEND 0`, is a build option the build may turn on: its code counts.
 */
function blankIfZero(text: string): string {
  if (!/^[ \t]*#[ \t]*if[ \t]+\w/m.test(text)) return text;
  const definitions = [...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]*(.*)$/gm)];
  const value = (m: RegExpMatchArray) => m[2].replace(/\/\/.*$|\/\*.*?\*\//g, '').trim();
  const zero = new Set(definitions.filter((m) => value(m) === '0' && DEBUG_SWITCH.test(m[1])).map((m) => m[1]));
  for (const m of definitions) if (value(m) !== '0') zero.delete(m[1]);
  const off = (l: string) => { const m = /^[ \t]*#[ \t]*if[ \t]+(\w+)[ \t]*(?:\/[/*].*)?$/.exec(l); return !!m && (m[1] === '0' || zero.has(m[1])); };
  const lines = text.split('\n');
  if (!lines.some(off)) return text;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (depth === 0) {
      if (off(l)) { depth = 1; lines[i] = ''; }
      continue;
    }
    if (/^[ \t]*#[ \t]*if/.test(l)) depth++;
    else if (/^[ \t]*#[ \t]*endif/.test(l)) depth--;
    else if (depth === 1 && /^[ \t]*#[ \t]*(?:else|elif)/.test(l)) { depth = 0; lines[i] = ''; continue; }
    if (depth >= 0) lines[i] = '';
    if (depth < 0) depth = 0;
  }
  return lines.join('\n');
}

/** Python: names outside comments; `def`/`class` names are declarations; string contents are uses. */
function scanPython(text: string): Scan {
  const out: Use[] = [];
  const defs = new Set<string>();
  const end = text.length;
  let prevWord = '';
  for (let p = 0; p < end;) {
    const c = text.charCodeAt(p);
    if (c === 35) { // '#': to the end of the line
      const nl = text.indexOf('\n', p);
      p = nl < 0 ? end : nl;
      continue;
    }
    if (c === 34 || c === 39) {
      const triple = text.startsWith(text[p].repeat(3), p);
      const close = triple ? text.indexOf(text[p].repeat(3), p + 3) : stringEnd(text, p);
      const stop = close < 0 ? end : close + (triple ? 3 : 1);
      stringUses(text.slice(p, stop), p, out);
      p = stop;
      prevWord = '';
      continue;
    }
    if (isIdentStart(c)) {
      let q = p + 1;
      while (q < end && isIdentChar(text.charCodeAt(q))) q++;
      const name = text.slice(p, q);
      if (prevWord !== 'def' && prevWord !== 'class') out.push({ name, offset: p });
      else defs.add(name);
      prevWord = name;
      p = q;
      continue;
    }
    if (c !== 32 && c !== 9) prevWord = '';
    p++;
  }
  return { uses: out, defs };
}

function stringEnd(text: string, p: number): number {
  const q = text.charCodeAt(p);
  for (let i = p + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) { i++; continue; }
    if (c === q || c === 10) return i;
  }
  return -1;
}

/**
 * Entry points the scan cannot see being called: `main`, macro-made functions (`PYBIND11_MODULE`), methods,
 * operators, tests, and a Python module's public functions (its API: callers may live outside the project).
 */
function isEntryPoint(f: FunctionFacts, python: boolean, lines: readonly string[]): boolean {
  const name = f.name;
  if (name === 'main' || name.startsWith('(') || /[:.~]|operator/.test(name) || /^[A-Z][A-Z0-9_]*$/.test(name) || /^test/i.test(name)) return true;
  // a method defined out of its class (`void CuMatrix<Real>::CompObjfAndDeriv(`): virtual calls, constructors
  if (!python && (lines[f.nameRange.start.line] ?? '').slice(0, f.nameRange.start.column).trimEnd().endsWith('::')) return true;
  // a Python method (`forward` of an autograd Function, run by `.apply`) or nested function; a public host function
  return python && (f.range.start.column > 0 || (!f.isKernel && !name.startsWith('_')));
}

const EXTERN_C = /\bextern\s+"C"\s+[^{]*$/;
/** `extern "C" int setup(int argc, char **argv);`: a C function declared here, its name. */
const EXTERN_C_DECLARATION = /^[ \t]*extern[ \t]+"C"[ \t]+[^;{}()\n]*?\b([A-Za-z_]\w*)[ \t]*\([^;{}]*\)[ \t]*;/gm;
/** The lines `extern "C" {` opens and its `}` closes (braces counted line by line, comments and strings aside). */
function externCBlocks(lines: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*extern\s+"C"\s*\{/.test(lines[i])) continue;
    let depth = 0;
    for (let j = i; j < lines.length; j++) {
      const code = lines[j].replace(/\/\/.*$/, '').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');
      for (const ch of code) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      if (depth <= 0 && j > i) {
        out.push([i, j]);
        i = j;
        break;
      }
    }
  }
  return out;
}

/** Defined with C linkage: `extern "C"` before its name on its line, or alone on the line before. */
const externC = (f: FunctionFacts, lines: readonly string[]): boolean =>
  EXTERN_C.test((lines[f.nameRange.start.line] ?? '').slice(0, f.nameRange.start.column)) || /^\s*extern\s+"C"\s*$/.test(lines[f.range.start.line - 1] ?? '');

/** `template void run<float>(...)` or `template void run(float*, int);`: `template` not followed by `<`, then the name before its `(`. */
const EXPLICIT_INSTANTIATION = /^[ \t]*(?:extern[ \t]+)?template(?![ \t]*<)[ \t]+[^;{}()]*?\b([A-Za-z_]\w*)[ \t]*(?:<[^;{}()]*>)?[ \t]*\(/gm;
const NO_NAMES: ReadonlySet<string> = new Set();

const within = (p: Position, f: FunctionFacts) => !positionBefore(p, f.range.start) && positionBefore(p, f.range.end);

/**
 * The functions of a file nothing in the project reaches: no use in another file, none in a
 * function of this file that is reached, and none at file scope; only when the file is used
 * (some function of it is used elsewhere, or it has `main`).
 */
export function unreachedFunctions(facts: FileFacts, text: string, project: NameUses): Set<FunctionFacts> {
  const python = facts.language === 'triton';
  const dead = new Set<FunctionFacts>();
  const fns = facts.functions.filter((f) => !f.name.startsWith('('));
  if (!fns.length) return dead;
  const { uses, defs, vars } = scanUses(text, python);
  const here = new Map<string, number>();
  // as the project counted them (a name this file defines: its uses here were not)
  const scan = { uses, defs, vars };
  for (const u of uses) if (!u.inString && !ownName(scan, u)) here.set(u.name, (here.get(u.name) ?? 0) + 1);
  const short = (f: FunctionFacts) => f.name.replace(/<.*$/s, '');
  const counts = python ? project.pyUses : project.cUses;
  const elsewhere = (f: FunctionFacts) => (counts.get(short(f)) ?? 0) - (here.get(short(f)) ?? 0) > 0;
  const pasted = (f: FunctionFacts) => [...project.pasted.prefixes].some((p) => short(f).startsWith(p)) || [...project.pasted.suffixes].some((s) => short(f).endsWith(s));
  // an explicit instantiation (`template void run(float*, int);`) exports the function to other translation units
  const instantiated = python ? NO_NAMES : new Set([...text.matchAll(EXPLICIT_INSTANTIATION)].map((m) => m[1]));
  // a library (no `main` in the project) is called from outside through what its headers declare
  const api = (f: FunctionFacts) => !python && project.mains === 0 && !f.isKernel && project.declaredInHeaders.has(short(f));
  // C linkage (`extern "C" int kmeansCuda(...)`) in a file that calls functions nothing checked defines (`extern "C" int
  // setup(...)` of a `cluster.c` left out): exported to C code outside what was checked, which may call it
  // (`main` hands control to it, as a program whose driver lives elsewhere does: a library routine it calls, `sscal_`, is no sign)
  const declaredC = python ? [] : [...text.matchAll(EXTERN_C_DECLARATION)].map((m) => m[1]);
  const main = fns.find((f) => f.name === 'main');
  const outside = !!main && [...(facts.declaredOnly ?? []), ...declaredC].some((name) => !project.defined.get(name) && main.calls.some((c) => c.name === name));
  const blocks = outside ? externCBlocks(facts.lines) : [];
  const exported = (f: FunctionFacts) => outside && (externC(f, facts.lines) || blocks.some(([a, b]) => f.range.start.line > a && f.range.start.line < b));
  const live = new Set<FunctionFacts>(fns.filter((f) => isEntryPoint(f, python, facts.lines) || elsewhere(f) || pasted(f) || instantiated.has(short(f)) || api(f) || exported(f)));
  // a file nothing uses yet is new code; a name other files define too may be used there of theirs
  if (!fns.some((f) => f.name === 'main' || (elsewhere(f) && (project.defined.get(short(f)) ?? 0) <= 1))) return dead;
  // the innermost function around each use of a name of this file
  const byName = new Map<string, FunctionFacts[]>();
  for (const f of fns) byName.set(short(f), [...(byName.get(short(f)) ?? []), f]);
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const users = new Map<FunctionFacts, (FunctionFacts | null)[]>();
  for (const u of uses) {
    const targets = byName.get(u.name);
    if (!targets) continue;
    const pos = positionOf(lineStarts, u.offset);
    let owner: FunctionFacts | null = null;
    for (const f of facts.functions) if (!f.name.startsWith('(') && within(pos, f) && (!owner || within(f.range.start, owner))) owner = f;
    for (const t of targets) if (owner !== t) users.set(t, [...(users.get(t) ?? []), owner]);
  }
  // reached: used at file scope or by a reached function, from the entry points and names used elsewhere
  const propagate = () => {
    for (let changed = true; changed;) {
      changed = false;
      for (const f of fns) {
        if (live.has(f)) continue;
        if ((users.get(f) ?? []).some((u) => u === null || live.has(u))) {
          live.add(f);
          changed = true;
        }
      }
    }
  };
  propagate();
  // the file is used, but none of its GPU code (a timing helper another file calls, beside launchers nothing calls
  // yet, whose callers may be outside what was checked): the launchers are new code, still being written, and so is
  // what they launch and call
  const gpu = (f: FunctionFacts) => f.isKernel || f.calls.some((c) => c.kind === 'launch');
  if (!python && !fns.some((f) => f.name === 'main') && fns.some(gpu) && ![...live].some(gpu)) {
    for (const f of fns) if (!f.isKernel && gpu(f)) live.add(f);
    propagate();
  }
  for (const f of fns) if (!live.has(f)) dead.add(f);
  return dead;
}

function positionOf(lineStarts: number[], offset: number): Position {
  let lo = 0, hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
  }
  return { line: lo, column: offset - lineStarts[lo] };
}
