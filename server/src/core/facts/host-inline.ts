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
  const bodyStart = (i: number) => openingBrace(text, spans[i].startIndex, spans[i].endIndex);
  let byName: Map<string, number> | null = null;
  // host functions by name, and whether each holds a loop
  const all = new Map<string, { i: number; loops: boolean }>();
  const index = (): Map<string, number> => {
    if (byName) return byName;
    byName = new Map();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      if (s.endIndex - s.startIndex > MAX_HELPER_CHARS) continue;
      const body = bodyStart(i);
      if (body === null) continue;
      const head = text.slice(s.startIndex, body);
      if (/\b__(?:global|device)__\b/.test(head)) continue;
      const name = /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:const\s*)?$/.exec(head.trim())?.[1];
      if (name && name !== 'main' && !all.has(name)) all.set(name, { i, loops: LOOP.test(text.slice(body, s.endIndex)) });
    }
    // those with a loop, and those that call one (`AddDot1x4` calling `AddDot` four times)
    for (const [name, h] of all) {
      const body = text.slice(spans[h.i].startIndex, spans[h.i].endIndex);
      if (h.loops || [...body.matchAll(CALLED)].some((m) => m[1] !== name && all.get(m[1])?.loops)) byName.set(name, h.i);
    }
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
