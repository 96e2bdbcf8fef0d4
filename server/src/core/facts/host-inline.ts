// Host helpers seen inside their callers' loops (ANALYSIS.md §0, "Interprocedural"): CPU
// code often splits one loop nest over two functions (`for j, for i: AddDot(k, &A(i,0), ...)`
// with the `p` loop in `AddDot`). The walker inlines such a helper at each call made inside a
// loop and keeps what it saw apart (`FunctionFacts.inlined`); a rule about whole nests reads
// the combined view below, the others never see it (a helper's own loops get their own
// findings where it is defined).
import type { SyntaxNode as Node } from '../mirror';
import type { AccessFact, FunctionFacts, LoopFact } from './model';

/** Inlined loops are numbered from here up; a function's own loop ids are positions in its `loops`. */
export const HOST_LOOP_IDS = 100000;
/** Helpers longer than this are programs of their own, not a piece of a loop nest. */
const MAX_HELPER_CHARS = 20000;
const DEVICE_CODE = /\b__(?:global|device)__\b/;

export interface HostHelper {
  def: Node;
}

/** The file's host functions that hold a loop, by name, each read (macros expanded) only when a caller asks for it. */
export interface HostHelpers {
  get(name: string): HostHelper | undefined;
  /** A key naming the current text and first line of the file's host function of that name, helper or not (its length and a hash): to check a cached caller. */
  version(name: string): string | undefined;
}

/**
 * The candidates among a file's top-level functions: host code (neither `__global__` nor
 * `__device__`), not `main`, holding a loop or calling one that does. Found on the first question (most files
 * never ask); `read` makes the tree of one of them.
 */
export function hostHelpers(text: string, spans: readonly { startIndex: number; endIndex: number }[], read: (i: number) => Node | null, rowOf?: (i: number) => number): HostHelpers {
  let byName: Map<string, number> | null = null;
  // host functions by name, and whether each holds a loop
  const all = new Map<string, { i: number; shape: Shape; key: string }>();
  const index = (): Map<string, number> => {
    if (byName) return byName;
    byName = new Map();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      if (s.endIndex - s.startIndex > MAX_HELPER_CHARS) continue;
      // kernels and `__device__` code are never host helpers: told from their heads, their bodies are not looked up
      // (`__global__` comes before the parameters, so the first `{` at all bounds the search)
      const brace = text.indexOf('{', s.startIndex);
      if (brace >= 0 && brace < s.endIndex && DEVICE_CODE.test(text.slice(s.startIndex, brace))) continue;
      const known = shapeOf(text.slice(s.startIndex, s.endIndex));
      if (known && !all.has(known.shape.name)) all.set(known.shape.name, { i, shape: known.shape, key: known.key });
    }
    // those with a loop, and those that call one (`AddDot1x4` calling `AddDot` four times)
    for (const [name, h] of all) if (h.shape.loops || h.shape.callees.some((c) => c !== name && all.get(c)?.shape.loops)) byName.set(name, h.i);
    return byName;
  };
  const made = new Map<string, HostHelper | null>();
  return {
    get(name) {
      const i = index().get(name);
      if (i === undefined) return undefined;
      let h = made.get(name);
      if (h === undefined) {
        const def = read(i);
        h = def ? { def } : null;
        made.set(name, h);
      }
      return h ?? undefined;
    },
    version(name) {
      index();
      const h = all.get(name);
      // (and its first line: a caller's facts hold the positions of what it inlines, which a line typed between them moves)
      return h && (rowOf ? `${h.key}@${rowOf(h.i)}` : h.key);
    },
  };
}

/** What the index needs of one host function: its name, whether it holds a loop, the names it calls. */
interface Shape {
  name: string;
  loops: boolean;
  callees: string[];
}

/** A function's text named by its length and an FNV-1a hash: kept instead of the text (a slice would keep the whole file alive). */
function textKey(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `${text.length}:${(h >>> 0).toString(36)}`;
}

/**
 * A host function's shape and key by its text, kept across edits (an edit changes one
 * function's text; the others are found again by theirs, through the map's native string
 * hash, so only a new text is hashed here), or null for a kernel, `__device__` code or `main`.
 */
function shapeOf(fn: string): { shape: Shape; key: string } | null {
  const known = shapes.get(fn);
  if (known !== undefined) return known;
  let found: { shape: Shape; key: string } | null = null;
  const body = openingBrace(fn, 0, fn.length);
  if (body !== null) {
    const head = fn.slice(0, body);
    const name = DEVICE_CODE.test(head) ? undefined : /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:const\s*)?$/.exec(head.trim())?.[1];
    if (name && name !== 'main') {
      const inside = fn.slice(body);
      found = { shape: { name, loops: LOOP.test(inside), callees: [...new Set([...inside.matchAll(CALLED)].map((m) => m[1]))] }, key: textKey(fn) };
    }
  }
  if (shapes.size > MAX_SHAPES) shapes.clear();
  shapes.set((' ' + fn).slice(1), found); // a flat copy: a slice of the document would keep all of it alive
  return found;
}
/** Function shapes by text (a few large workspaces' worth). */
const shapes = new Map<string, { shape: Shape; key: string } | null>();
const MAX_SHAPES = 20000;

/** Where a function's body begins: its first `{` outside parentheses (read from the text: each question to the tree crosses into WASM). */
function openingBrace(text: string, from: number, to: number): number | null {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '{' && depth === 0) return i;
  }
  return null;
}

const CALLED = /\b([A-Za-z_]\w*)\s*\(/g;
const LOOP = /\b(?:for|while)\s*\(|\bdo\s*\{/;

/** A cached function is stale when a helper it inlined has changed since. */
export const inlinedStale = (fn: FunctionFacts, helpers: HostHelpers | undefined): boolean =>
  !!fn.calleeVersions?.some(([name, version]) => (helpers?.version(name) ?? '') !== version);

/** The function's loops and accesses with those of the helpers it calls inside its loops: whole loop nests. */
export function withInlined(fn: FunctionFacts): { loops: LoopFact[]; accesses: AccessFact[] } {
  if (!fn.inlined?.length) return { loops: fn.loops, accesses: fn.accesses };
  return {
    loops: [...fn.loops, ...fn.inlined.flatMap((c) => c.loops)],
    accesses: [...fn.accesses, ...fn.inlined.flatMap((c) => c.accesses)],
  };
}
