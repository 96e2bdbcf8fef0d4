// The macro-expanded view of a function (ANALYSIS.md §0, "Macro-made parse errors"):
// tree-sitter reads unexpanded text, so `FLOAT4(a[idx])`, `DEVICE_FUNCTION`,
// `CUDA_KERNEL_LOOP(i, n)` or `DATA_TYPE POLYBENCH_2D(A, ...)` hide what the compiler
// sees. A function that uses such macros is expanded into a shadow text and parsed
// again; positions map back to the user's text, so findings land where they wrote it.
import type { Tree } from 'web-tree-sitter';
import { SourceText, mirror, type Point, type SyntaxNode } from '../mirror';
import { lineScan } from '../line-scans';
import { buildView, builtinMacro, expandMacros, toOriginal, type MacroDef, type PreprocessorView, type Segment, type ViewOptions } from '../preprocess';

/** A shadow text whose positions and source texts are those of the original. */
export class MappedSource extends SourceText {
  constructor(
    text: string,
    private readonly from: SourceText,
    private readonly segments: Segment[],
  ) {
    super(text);
  }
  override original(start: number, end: number): string {
    return this.from.text.slice(toOriginal(this.segments, start), toOriginal(this.segments, end, true));
  }
  override position(index: number, atEnd = false): Point {
    return this.from.position(toOriginal(this.segments, index, atEnd));
  }
}

/** What one file's functions need from the preprocessor. */
export interface FilePreprocessing {
  view: PreprocessorView;
  /** Macros to expand: the view's, plus well-known library macros the file uses without a visible definition. */
  table: Map<string, MacroDef>;
  /** Matches a function text that uses a macro worth expanding (not a plain integer constant), or null when none is. */
  trigger: RegExp | null;
  /** Changes when anything above changes (the facts cache keys on it). */
  key: string;
}

/** Statement macros whose well-known definition wins over the view's alternatives. */
const INSTRUMENTS = ['polybench_start_instruments', 'polybench_stop_instruments'];

const INTEGER_BODY = /^\(?\s*-?\d+[uUlL]*\s*\)?$/;
/** Nothing, or only qualifiers: what `RESTRICT`, `INLINE` or `HOST_DEVICE` stand for. */
const QUALIFIER_BODY = /^(?:(?:__restrict__|__restrict|restrict|inline|__inline__|__forceinline__|__noinline__|static|__host__|__device__)\s*)*$/;
const MAY_USE_BUILTINS = /KERNEL_LOOP|POLYBENCH_|polybench_|SCALAR_VAL|_PB_|RESTRICT|__align__|UNROLL|CUTLASS_|CUTE_/;
const BUILTIN_CANDIDATES = /\b(?:CUDA_KERNEL_LOOP|CUDA_1D_KERNEL_LOOP|POLYBENCH_[123]D|SCALAR_VAL|_PB_[A-Z0-9_]+|_{0,2}RESTRICT_{0,2}|__align__|[A-Z0-9_]*PRAGMA_(?:NO_)?UNROLL|(?:CUDA|HIP|CUTE|GPU)_(?:NO_)?UNROLL|CUTLASS_(?:GLOBAL|DEVICE|HOST_DEVICE)|CUTE_(?:HOST_)?DEVICE|polybench_(?:start|stop)_instruments)\b/g;

/** The well-known macros a text names, sorted, as one string ('' for none). None spans lines: the lines' are the text's. */
const builtinsOf = (text: string): string => (MAY_USE_BUILTINS.test(text) ? [...new Set(text.match(BUILTIN_CANDIDATES) ?? [])].sort().join(',') : '');
/** (kept across edits of lines that name none of them, before and after) */
const builtinsIn = lineScan((line) => !MAY_USE_BUILTINS.test(line), (lines) => builtinsOf(lines.filter((line) => MAY_USE_BUILTINS.test(line)).join('\n')));

/** Views by file and the text of the lines they depend on: an edit elsewhere (a function body) rebuilds nothing. */
const views = new Map<string, FilePreprocessing>();

/** A directive line (with its continuation lines), or a typedef / using / const one, at a line start. */
const VIEW_LINE_AT = /[ \t]*(?:#|typedef\b|using\b|(?:static\s+)?(?:constexpr|const)\b)[^\n]*(?:\\\r?\n[^\n]*)*/y;
const BLANK = /^[ \t]*$/;

/**
 * The lines a view depends on: directives anywhere, and typedef / using / const lines outside
 * the file's function definitions (the view reads declarations at file and namespace scope
 * only, so the `const int i = ...` of a kernel, edited often, is not one of them). Between
 * functions every line is looked at; inside one, only lines that start with `#` (found by
 * indexOf: function bodies are most of a file, and this runs on every edit).
 */
function viewLines(text: string, functions: readonly { startIndex: number; endIndex: number }[]): string {
  const out: string[] = [];
  let consumed = 0; // a match takes its continuation lines with it
  const take = (lineStart: number, directiveOnly: boolean): void => {
    if (lineStart < consumed) return;
    VIEW_LINE_AT.lastIndex = lineStart;
    const m = VIEW_LINE_AT.exec(text);
    if (!m || (directiveOnly && m[0].trimStart()[0] !== '#')) return;
    out.push(m[0]);
    consumed = lineStart + m[0].length;
  };
  const nextLineStart = (at: number): number => {
    const nl = text.indexOf('\n', at);
    return nl === -1 ? text.length + 1 : nl + 1;
  };
  let at = 0;
  for (let i = 0; i <= functions.length; i++) {
    const f = functions[i] ?? { startIndex: text.length + 1, endIndex: text.length + 1 };
    for (let line = at === 0 || text[at - 1] === '\n' ? at : nextLineStart(at); line < f.startIndex && line <= text.length; line = nextLineStart(line)) take(line, false);
    const end = Math.min(f.endIndex, text.length);
    for (let h = text.indexOf('#', Math.max(at, f.startIndex)); h !== -1 && h < end; h = text.indexOf('#', h + 1)) {
      const line = text.lastIndexOf('\n', h - 1) + 1;
      if (BLANK.test(text.slice(line, h))) take(line, true);
    }
    at = Math.max(at, f.endIndex);
  }
  return out.join('\n');
}

/** The preprocessing view of a file; `functions`, its function definitions in document order, narrow what an edit must change to read it again. */
export function preprocessFile(
  path: string, text: string, options: ViewOptions, functions: readonly { startIndex: number; endIndex: number }[] = [], lines?: readonly string[],
): FilePreprocessing {
  const directives = viewLines(text, functions);
  // one pass over the text (runs on every edit): most files name none of them
  const builtinsUsed = lines ? builtinsIn(lines) : builtinsOf(text);
  const cacheKey = `${path}\u0000${builtinsUsed}\u0000${directives}`;
  const hit = views.get(cacheKey);
  if (hit) return hit;
  const view = buildView(path, text, options);
  const table = new Map(view.macros);
  for (const name of builtinsUsed ? builtinsUsed.split(',') : []) {
    if (table.has(name)) continue;
    const def = builtinMacro(name);
    if (def) table.set(name, def);
  }
  // statement macros (`CUDA_CHECK(x)` as `do { ... } while (0)`, logging with __FILE__) stay calls: their
  // bodies are error handling, and as calls the fusion rule knows them as harmless
  // (not one that launches, `LAUNCH_STAGE(k) { dim3 block(...); kernel<...><<<grid, block>>>(...); }`: the launch is the code)
  for (const [name, m] of table) if (!m.body.includes('<<<') && (/^\s*(?:do\b|\{|if\b)/.test(m.body) || /__FILE__|__LINE__/.test(m.body))) table.delete(name);
  // a project's dtype dispatcher (`VLLM_DISPATCH_FLOATING_TYPES(t, "name", [&] { ... })` over ATen's AT_DISPATCH_SWITCH
  // and a list of AT_DISPATCH_CASEs) stays a call too: its lambda is the launcher's body, read once, as under
  // AT_DISPATCH_FLOATING_TYPES; expanded, the cases paste it once per type into macros the file cannot see
  // (only ATen's, which the file cannot see: a value dispatcher whose `_DISPATCH_CASE` the file defines, binding a
  // constexpr per case, expands to code the walk reads with its constants)
  const aten = ['AT_DISPATCH_SWITCH', 'AT_DISPATCH_CASE'].filter((n) => !table.has(n));
  const atenCall = aten.length ? new RegExp(`\\b(?:${aten.join('|')})\\b`) : null;
  for (const [name, m] of table) if (atenCall && /DISPATCH/.test(name) && atenCall.test(m.body)) table.delete(name);
  // a macro with several possible definitions (`NI` 128/512/2048 by dataset, `floatX` bf16 or float) stays a
  // name: a size stays symbolic, a type alias says "one of", so a finding holds for every definition
  // — unless every definition only qualifies a declaration (`RESTRICT` as `__restrict__`, `__restrict` or
  // nothing): any of them parses the same, and left as a name it breaks the parameter list
  // (`HOST_DEVICE_INLINE` as `HOST_DEVICE __forceinline__`, `HOST_DEVICE` itself one of them, qualifies too)
  const qualifies = (name: string, depth = 0): boolean => {
    const defs = view.alternatives.get(name) ?? (view.macros.has(name) ? [view.macros.get(name)!] : []);
    return depth < 4 && defs.length > 0 && defs.every((d) => d.params === null &&
      (QUALIFIER_BODY.test(d.body.trim()) || d.body.trim().split(/\s+/).every((w) => QUALIFIER_BODY.test(w) || (w !== name && /^[A-Z_][A-Z0-9_]*$/.test(w) && qualifies(w, depth + 1)))));
  };
  // (nor a selector of one of its arguments, `POLYBENCH_C99_SELECT(NP, np)`: read as the build without -D flags takes it,
  // the fixed extent, so that the array's declared size is there to read; that size may still be one of several)
  for (const [name, defs] of view.alternatives) {
    if (qualifies(name) || loadsItsArgument(defs)) table.set(name, defs[0]);
    else if (view.defaultSelectors.has(name)) table.set(name, view.defaultSelectors.get(name)!);
    else table.delete(name);
  }
  // PolyBench's timer statements are nothing, or the timer's calls under -DPOLYBENCH_TIME: read as the timed build
  // a benchmark is run as, so that the set-up before them and the checks after them are seen as such
  for (const name of INSTRUMENTS) if (builtinsUsed.includes(name)) table.set(name, builtinMacro(name)!);
  const names = [...table.values()].filter((m) => m.params !== null || !INTEGER_BODY.test(m.body.trim())).map((m) => m.name);
  const trigger = names.length ? new RegExp(`\\b(?:${names.map((n) => n.replace(/[^\w]/g, '\\$&')).join('|')})\\b`) : null;
  const out = { view, table, trigger, key: `${view.key}:${builtinsUsed}` };
  if (views.size > 200) views.clear();
  if (!view.cut) views.set(cacheKey, out); // a view cut short by the budget is read again next time
  return out;
}

/** A load through a read-only or cache-hinted path (`__ldg(p)`), or a plain dereference (`*(p)`, `(p)[0]`). */
const LOAD_BODY = /^(?:__ld(?:g|ca|cg|cs|lu|cv)\s*\(\s*(\(?)\s*(\w+)\s*\)?\s*\)|\*\s*(\(?)\s*(\w+)\s*\)?|\(\s*(\w+)\s*\)\s*\[\s*0\s*\])$/;

/**
 * A load wrapper defined once per platform (`VLLM_LDG(arg)`: `__ldg(arg)` for CUDA, `*(arg)` under
 * `#ifdef USE_ROCM`): every definition reads the one pointer it is given, so any of them shows the access.
 */
function loadsItsArgument(defs: readonly MacroDef[]): boolean {
  return defs.every((d) => {
    if (d.params?.length !== 1) return false;
    const m = LOAD_BODY.exec(d.body.trim());
    return !!m && (m[2] ?? m[4] ?? m[5]) === d.params[0];
  });
}

/**
 * The function (or template declaration) `node` covers, re-read through its macros:
 * the shadow's copy, or null when it uses no macro worth expanding or does not parse.
 */
export function expandedFunction(
  node: { startIndex: number; endIndex: number },
  source: SourceText,
  pre: FilePreprocessing,
  parse: (text: string) => Tree,
): SyntaxNode | null {
  const fnText = source.text.slice(node.startIndex, node.endIndex);
  if (!pre.trigger || !pre.trigger.test(fnText)) return null;
  const expansion = expandMacros(source.text, node.startIndex, node.endIndex, pre.table);
  if (!expansion.expandedAny || expansion.truncated) return null;
  const tree = parse(expansion.text);
  try {
    const root = mirror(tree.rootNode, new MappedSource(expansion.text, source, expansion.segments));
    const top = root.namedChildren.find((c) => c.type === 'function_definition' || c.type === 'template_declaration');
    if (!top) return null;
    return top;
  } finally {
    tree.delete();
  }
}

/** A macro that writes kernels or launch wrappers (`DEFINE_AND_INSTANTIATE_GPU_UNARY_FUNC(name, op)`). */
const DEFINES_GPU_CODE = /__global__|<<</;

/**
 * Invocations at file scope of function-like macros that define kernels or launch
 * wrappers, outside the functions the grammar found (`inside`): [start, end) of each.
 */
export function definingMacroCalls(text: string, pre: FilePreprocessing, inside: readonly { startIndex: number; endIndex: number }[]): { start: number; end: number }[] {
  const names = [...pre.table.values()].filter((m) => m.params !== null && DEFINES_GPU_CODE.test(m.body)).map((m) => m.name);
  if (!names.length) return [];
  const out: { start: number; end: number }[] = [];
  const call = new RegExp(`^[ \\t]*(${names.map((n) => n.replace(/[^\w]/g, '\\$&')).join('|')})[ \\t]*\\(`, 'gm');
  for (let m = call.exec(text); m; m = call.exec(text)) {
    const start = m.index + m[0].length - m[0].trimStart().length;
    if (inside.some((f) => f.startIndex <= start && start < f.endIndex)) continue;
    let depth = 0;
    let end = -1;
    for (let i = m.index + m[0].length - 1; i < text.length && i < start + 20000; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end > 0) out.push({ start, end: text[end] === ';' ? end + 1 : end });
  }
  return out;
}

/** The functions one such invocation defines, read from its expansion (positions are the invocation's). */
export function macroDefinedFunctions(span: { start: number; end: number }, source: SourceText, pre: FilePreprocessing, parse: (text: string) => Tree): SyntaxNode[] {
  const expansion = expandMacros(source.text, span.start, span.end, pre.table);
  if (!expansion.expandedAny || expansion.truncated) return [];
  const tree = parse(expansion.text);
  try {
    const root = mirror(tree.rootNode, new MappedSource(expansion.text, source, expansion.segments));
    return root.descendantsOfType('function_definition').filter((f) => !f.parent || f.parent.type !== 'function_definition');
  } finally {
    tree.delete();
  }
}
