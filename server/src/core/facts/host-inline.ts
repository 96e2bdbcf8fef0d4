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

export interface HostHelper {
  def: Node;
}

/** The file's host functions that hold a loop, by name, each read (macros expanded) only when a caller asks for it. */
export interface HostHelpers {
  get(name: string): HostHelper | undefined;
  /** The current text of the file's host function of that name, helper or not, without reading it: to check a cached caller. */
  text(name: string): string | undefined;
}

/**
 * The candidates among a file's top-level functions: host code (neither `__global__` nor
 * `__device__`), not `main`, holding a loop or calling one that does. Found on the first question (most files
 * never ask); `read` makes the tree of one of them.
 */
export function hostHelpers(text: string, spans: readonly { startIndex: number; endIndex: number }[], read: (i: number) => Node | null): HostHelpers {
  let byName: Map<string, number> | null = null;
  // host functions by name, and whether each holds a loop
  const all = new Map<string, { i: number; shape: Shape }>();
  const index = (): Map<string, number> => {
    if (byName) return byName;
    byName = new Map();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      if (s.endIndex - s.startIndex > MAX_HELPER_CHARS) continue;
      const shape = shapeOf(text.slice(s.startIndex, s.endIndex));
      if (shape && !all.has(shape.name)) all.set(shape.name, { i, shape });
    }
    // those with a loop, and those that call one (`AddDot1x4` calling `AddDot` four times)
    for (const [name, h] of all) if (h.shape.loops || h.shape.callees.some((c) => c !== name && all.get(c)?.shape.loops)) byName.set(name, h.i);
    return byName;
  };
  const made = new Map<string, HostHelper | null>();
  const textOf = (i: number) => text.slice(spans[i].startIndex, spans[i].endIndex);
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
    text(name) {
      index();
      const h = all.get(name);
      return h === undefined ? undefined : textOf(h.i);
    },
  };
}

/** What the index needs of one host function: its name, whether it holds a loop, the names it calls. */
interface Shape {
  name: string;
  loops: boolean;
  callees: string[];
}

/**
 * A function's shape by its text, kept across edits (an edit changes one function's text; the
 * others are found again by theirs), or null for a kernel, `__device__` code or `main`.
 */
function shapeOf(fn: string): Shape | null {
  const known = shapes.get(fn);
  if (known !== undefined) return known;
  let shape: Shape | null = null;
  const body = openingBrace(fn, 0, fn.length);
  if (body !== null) {
    const head = fn.slice(0, body);
    const name = /\b__(?:global|device)__\b/.test(head) ? undefined : /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:const\s*)?$/.exec(head.trim())?.[1];
    if (name && name !== 'main') {
      const inside = fn.slice(body);
      shape = { name, loops: LOOP.test(inside), callees: [...new Set([...inside.matchAll(CALLED)].map((m) => m[1]))] };
    }
  }
  if (shapes.size > MAX_SHAPES) shapes.clear();
  // a copy of its own: a slice would keep the whole text of that version of the file alive
  shapes.set(Buffer.from(fn, 'utf8').toString('utf8'), shape);
  return shape;
}
const shapes = new Map<string, Shape | null>();
/** Function texts whose shapes are kept (a few large files' worth). */
const MAX_SHAPES = 5000;

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
  !!fn.calleeTexts?.some(([name, text]) => (helpers?.text(name) ?? '') !== text);

/** The function's loops and accesses with those of the helpers it calls inside its loops: whole loop nests. */
export function withInlined(fn: FunctionFacts): { loops: LoopFact[]; accesses: AccessFact[] } {
  if (!fn.inlined?.length) return { loops: fn.loops, accesses: fn.accesses };
  return {
    loops: [...fn.loops, ...fn.inlined.flatMap((c) => c.loops)],
    accesses: [...fn.accesses, ...fn.inlined.flatMap((c) => c.accesses)],
  };
}
