// The file's `__device__` helpers, read where they are defined so that the accesses of a call
// are seen at its call site: which words say `__device__` (the keyword and the macros that
// stand for it), and the helpers' syntax copies by name.
import type { Tree } from 'web-tree-sitter';
import type { PreprocessorView } from '../preprocess';
import { mirror, type SourceText, type SyntaxNode } from '../mirror';
import { spansOf, type Span } from '../facts-cache';
import { MAX_NESTING, nestingDepth } from '../budget';

/**
 * `__global__ void LAUNCH_BOUNDS(T, B)` then `name(...) { ... }`: a macro between the qualifiers and
 * the name (empty in the build) splits the definition into a declaration missing its `;` and a
 * definition without a type. The declaration's qualifiers are the definition's.
 */
export function splitHead(def: Tree['rootNode']): string {
  if (def.childForFieldName('type')) return '';
  const prev = def.previousNamedSibling;
  const decl = prev?.type === 'template_declaration' ? prev.lastNamedChild : prev;
  if (!decl || decl.type !== 'declaration' || decl.text.trimEnd().endsWith(';') || decl.endPosition.row < def.startPosition.row - 2) return '';
  return /\b__(?:global|device)__\b/.test(decl.text) ? decl.text : '';
}

/**
 * The words that say `__device__` in a function's head: the keyword, and object-like macros that
 * stand for it (`#define HOST_DEVICE_INLINE HOST_DEVICE __forceinline__`, `HOST_DEVICE` being
 * `__host__ __device__` in a CUDA build, empty in the other branch of its `#if`).
 */
export function deviceWords(view: PreprocessorView): string[] {
  let known = wordsOfView.get(view);
  if (!known) wordsOfView.set(view, (known = readDeviceWords(view)));
  return known;
}
const wordsOfView = new WeakMap<PreprocessorView, string[]>();

function readDeviceWords(view: PreprocessorView): string[] {
  const says = new Map<string, boolean>();
  const bodies = (name: string) => view.alternatives.get(name) ?? (view.macros.has(name) ? [view.macros.get(name)!] : []);
  const sayDevice = (name: string, depth: number): boolean => {
    const known = says.get(name);
    if (known !== undefined) return known;
    says.set(name, false); // (a cycle says nothing)
    const yes = depth < 4 && bodies(name).some((d) => d.params === null && !/\b__global__\b/.test(d.body) &&
      (/\b__device__\b/.test(d.body) || (d.body.match(/\b[A-Z_][A-Z0-9_]*\b/g) ?? []).some((w) => sayDevice(w, depth + 1))));
    says.set(name, yes);
    return yes;
  };
  const out = ['__device__'];
  for (const name of new Set([...view.macros.keys(), ...view.alternatives.keys()])) if (/^[A-Z_][A-Z0-9_]*$/.test(name) && sayDevice(name, 0)) out.push(name);
  return out;
}

/** The file's `__device__` (not `__global__`) functions that parse, by name: their accesses are seen where they are called. */
export function deviceHelpers(
  defs: readonly Tree['rootNode'][], source: SourceText, spans: readonly Span[] = spansOf(defs), words: readonly string[] = ['__device__'],
  expand?: (def: Tree['rootNode']) => SyntaxNode | null,
): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  // names a full specialization was read under, and names with two bodies of which one is one
  const specialized = new Set<string>();
  const ambiguous = new Set<string>();
  // most functions never say __device__: the text says which may, before the tree is asked (each question crosses into WASM)
  const said: number[] = [];
  for (const w of words) for (let at = source.text.indexOf(w); at >= 0; at = source.text.indexOf(w, at + 1)) said.push(at);
  if (!said.length) return out;
  if (words.length > 1) said.sort((a, b) => a - b);
  const saysDevice = words.length > 1 ? new RegExp(`\\b(?:${words.join('|')})\\b`) : /\b__device__\b/;
  for (let i = 0; i < defs.length; i++) {
    const { startIndex, endIndex } = spans[i];
    let lo = 0; // the first mention at or after the function's start
    for (let hi = said.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (said[mid] < startIndex) lo = mid + 1;
      else hi = mid;
    }
    if (lo === said.length || said[lo] >= endIndex) continue;
    const def = defs[i];
    const head = source.text.slice(startIndex, def.childForFieldName('body')?.startIndex ?? endIndex);
    if (!saysDevice.test(head) || /\b__global__\b/.test(head) || head.length > 2000) continue;
    // (an explicit specialization, `copy_vector<__half, 1>(...)`, under its arguments: a call picks it by them, specializationOf)
    const m = /(\w+)\s*(<[^()]*>)?\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*(const\s*)?$/.exec(head.trim());
    const name = m ? (m[2] ? `${m[1]}<${templateArgTexts(m[2].slice(1, -1)).join(',')}>` : m[1]) : undefined;
    if (!name || ambiguous.has(name)) continue;
    // a template helper keeps its parameters (`template <int N, bool TRANSPOSED>`): a call's arguments bind them
    const outer = def.parent?.type === 'template_declaration' ? def.parent : def;
    // (a template and its full specialization for one type under one name, `template <> void cuWelfordMuSigma2(const
    // at::Half* vals, ...)`: which body a call runs hangs on the kernel's type, which the call does not say. Neither is
    // inlined: what the call moves is unknown, not the generic body's. Plain overloads keep the first, as before)
    const specialization = outer !== def && /^template\s*<\s*>/.test(source.text.slice(outer.startIndex, outer.startIndex + 24));
    if (out.has(name) && (specialization || specialized.has(name))) {
      out.delete(name);
      ambiguous.add(name);
      continue;
    }
    if (out.has(name)) continue;
    if (specialization) specialized.add(name);
    let copy = mirror(outer, source);
    // (`HOST_DEVICE_INLINE T name(...)`: the grammar reads the qualifier macro as a type; its expansion parses)
    if (copy.hasError && expand) {
      const expanded = expand(outer);
      const def = expanded?.type === 'translation_unit' ? expanded.namedChildren.find((c) => c.type === 'function_definition' || c.type === 'template_declaration') : expanded;
      if (def) copy = def;
    }
    if (!copy.hasError && (copy.type === 'function_definition' || copy.type === 'template_declaration') && nestingDepth(copy) <= MAX_NESTING) out.set(name, copy);
  }
  return out;
}


/** A template argument list's arguments, whitespace removed: `__half, 1` -> ['__half', '1']. */
export function templateArgTexts(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of list) {
    if (ch === '<' || ch === '(') depth++;
    else if (ch === '>' || ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur.replace(/\s+/g, '')); cur = ''; } else cur += ch;
  }
  if (cur.trim()) out.push(cur.replace(/\s+/g, ''));
  return out;
}

/**
 * The explicit specialization of helper `name` a call with these template arguments runs (`copy_vector<input_t, 1>`
 * -> `copy_vector<__half,1>`): each argument the call decides (a number, a type the file knows) must agree; a type it
 * does not (the kernel's own `input_t`) agrees with any, a number it does not with none. The first that fits, or undefined.
 */
export function specializationOf(helpers: ReadonlyMap<string, SyntaxNode>, name: string, given: readonly (string | number | null)[]): SyntaxNode | undefined {
  for (const [key, node] of helpers) {
    if (!key.startsWith(name + '<')) continue;
    const args = templateArgTexts(key.slice(name.length + 1, -1));
    // (`half` and `__half` name one type; a number the call does not decide fits none: `copy_vector<T, ELEMS>` may be the vector one)
    if (args.length === given.length && args.every((a, i) => (given[i] === null ? !/^\d+$/.test(a) : String(given[i]) === a.replace(/^__/, '')))) return node;
  }
  return undefined;
}

/**
 * Whether helper `name` has a full specialization for a type written with its arguments (`row_moments<at::Half, float>`):
 * a call that names no such type may run it or the generic body.
 */
export function typeSpecialized(helpers: ReadonlyMap<string, SyntaxNode>, name: string): boolean {
  let names = specializedNames.get(helpers);
  if (!names) {
    names = new Set<string>();
    for (const key of helpers.keys()) {
      const at = key.indexOf('<');
      if (at > 0 && templateArgTexts(key.slice(at + 1, -1)).some((a) => !/^-?\d+$/.test(a))) names.add(key.slice(0, at));
    }
    specializedNames.set(helpers, names);
  }
  return names.has(name);
}
const specializedNames = new WeakMap<ReadonlyMap<string, SyntaxNode>, Set<string>>();

/**
 * The file's host index functions (`static inline int idx(int r, int c, int ld) { return r * ld + c; }`): a host function
 * of integer parameters that returns one integer expression. Host code's subscripts read through them as a kernel's
 * read through a device helper (`B[idx(k, j, nj)]` is `B[k * nj + j]`). Marked so the host walk asks only these.
 */
export const hostIndexFunctions = new WeakSet<SyntaxNode>();
const INTEGER = /^(?:(?:static|inline|const|constexpr|unsigned|signed|long|short|int|size_t|std::size_t|ptrdiff_t|u?int(?:32|64)_t)\s*)+$/;

export function indexFunctions(defs: readonly Tree['rootNode'][], source: SourceText, spans: readonly Span[] = spansOf(defs)): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (let i = 0; i < defs.length; i++) {
    const { startIndex, endIndex } = spans[i];
    // (short ones only: an index function is a line or two)
    if (endIndex - startIndex > 400) continue;
    const text = source.text.slice(startIndex, endIndex);
    // (a body without `return` cannot match, and most do not: the regex and the node's type, a call into WASM, are skipped)
    if (!text.includes('return') || defs[i].type !== 'function_definition') continue;
    const m = /^([\w\s:]+?)\b(\w+)\s*\(([^()]*)\)\s*\{\s*return\b[^;{}]*;\s*\}$/.exec(text.trim());
    if (!m || /__(?:device|global)__/.test(m[1]) || !INTEGER.test(m[1].trim())) continue;
    const params = m[3].split(',').map((p) => p.trim()).filter((p) => p && p !== 'void');
    if (!params.length || !params.every((p) => INTEGER.test(p.replace(/\s*\w+$/, '').trim()))) continue;
    const copy = mirror(defs[i], source);
    if (copy.hasError) continue;
    hostIndexFunctions.add(copy);
    out.set(m[2], copy);
  }
  return out;
}
