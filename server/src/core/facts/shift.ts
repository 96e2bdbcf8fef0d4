// Facts and findings moved down or up by whole lines. A new line typed above a function
// (Enter, a pasted block, a deleted line) moves it without changing it: its facts are the
// ones it had, each position `delta` lines further. Copying them that way costs a few
// microseconds where deriving them again costs a fraction of a millisecond per function;
// in a 5,000-line file an Enter half-way down moved some 240 functions (DESIGN.md,
// performance budgets: re-analyse only the functions that changed).
import type { Position, Range } from '../types';
import type { FunctionFacts } from './model';

/** Where a moved facts object came from: rules' caches reuse (moved) what they found for the original. */
const origins = new WeakMap<object, { from: object; delta: number }>();

/** The object `value` was moved from, and by how many lines; undefined for one that was derived. */
export function movedFrom<T extends object>(value: T): { from: T; delta: number } | undefined {
  return origins.get(value) as { from: T; delta: number } | undefined;
}

function isPosition(v: Record<string, unknown>): v is Position & Record<string, unknown> {
  if (typeof v.line !== 'number' || typeof v.column !== 'number') return false;
  let keys = 0;
  for (const _ in v) keys++;
  return keys === 2;
}

/** Lines (first and last) of a text that moved as a whole. */
export type Lines = { first: number; last: number };

/** The lines a function spans, as far as a move may carry positions in them. */
export const linesOf = (f: { range: Range }): Lines => ({ first: f.range.start.line, last: f.range.end.line });

/**
 * A copy of plain data (objects and arrays; class instances such as polynomials are shared, they
 * hold no positions) with every position's line moved by `delta`; what holds no position is
 * shared, not copied. Null when a position lies outside all of `lines` (before the move):
 * something read from elsewhere in the file, which does not move with the function.
 */
export function movedBy<T>(value: T, delta: number, lines: readonly Lines[], done = new Map<object, unknown>()): T | null {
  // the copies made, by original (an object reached twice is copied once); what holds no position is itself
  let outside = false;
  const inLines = (line: number) => {
    for (const l of lines) if (line >= l.first && line <= l.last) return true;
    return false;
  };
  const move = (v: object): unknown => {
    const hit = done.get(v);
    if (hit !== undefined || outside) return hit ?? v;
    let out: unknown = v;
    if (Array.isArray(v)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const m = x !== null && typeof x === 'object' ? move(x) : x;
        if (copy) copy.push(m);
        else if (m !== x) (copy = v.slice(0, i)).push(m);
      }
      if (copy) out = copy;
    } else if (Object.getPrototypeOf(v) === Object.prototype) {
      const o = v as Record<string, unknown>;
      if (isPosition(o)) {
        if (!inLines(o.line)) outside = true;
        out = { line: o.line + delta, column: o.column };
      } else {
        let copy: Record<string, unknown> | null = null;
        for (const k in o) {
          const x = o[k];
          if (x === null || typeof x !== 'object') continue;
          const m = move(x);
          if (m !== x) (copy ??= { ...o })[k] = m;
        }
        if (copy) out = copy;
      }
    }
    if (out !== v) done.set(v, out);
    return out;
  };
  const out = value !== null && typeof value === 'object' ? (move(value) as T) : value;
  return outside ? null : out;
}

/** The facts a moved facts object was first derived as, and how many lines it has moved from there since. */
const roots = new WeakMap<FunctionFacts, { root: FunctionFacts; delta: number }>();

/**
 * A function's facts `delta` lines down (up when negative), or null when they hold positions outside the function's
 * lines. Moved back to where they were derived (a line typed above, then deleted), they are the facts derived there:
 * the same object, whose findings every cache still holds.
 */
export function movedFacts(facts: FunctionFacts, delta: number, lines: Lines, done?: Map<object, unknown>): FunctionFacts | null {
  const r = roots.get(facts);
  if (r && r.delta + delta === 0) return r.root;
  const out = movedBy(facts, delta, [lines], done);
  if (out && out !== facts) {
    origins.set(out, { from: facts, delta });
    // (one step back is all the caches ask for: a function moved by every line typed above it must not keep them all)
    origins.delete(facts);
    roots.set(out, r ? { root: r.root, delta: r.delta + delta } : { root: facts, delta });
  }
  return out;
}

/**
 * What `memo` keeps for `f`, an answer that holds no position: a copy of `f` moved by whole lines has its
 * original's (the two differ in positions only), kept for it too; undefined when neither has one.
 */
export function keptAcrossMoves<V>(memo: WeakMap<FunctionFacts, V>, f: FunctionFacts): V | undefined {
  let v = memo.get(f);
  const m = v === undefined ? movedFrom(f) : undefined;
  if (m && (v = memo.get(m.from)) !== undefined) memo.set(f, v);
  return v;
}

/** Whether some text of a finding quotes a line number (`softmax (line 96)`), which a move would leave stale. */
const QUOTES_A_LINE = /\blines? \d/;

/**
 * Findings of a moved function, from those of its original: each position `delta` lines further,
 * or null when one of them lies outside the original's lines (and the `also` lines that moved with
 * it) or some text quotes a line number.
 */
export function movedFindings<T extends object>(findings: readonly T[], delta: number, original: { range: Range }, also: readonly Lines[] = []): T[] | null {
  if (!findings.length) return findings as T[];
  let quotes = quoting.get(findings);
  if (quotes === undefined) quoting.set(findings, (quotes = findings.some((f) => QUOTES_A_LINE.test(JSON.stringify(f)))));
  if (quotes) return null;
  const out = movedBy(findings as T[], delta, [linesOf(original), ...also]);
  if (out) quoting.set(out, false);
  return out;
}
/** Whether a list of findings quotes a line number, per list (a moved list is moved again on the next line typed). */
const quoting = new WeakMap<readonly object[], boolean>();

/**
 * For a derivation kept per facts object with its key (`withLaunchShapes`, call-site trip counts):
 * the result for a moved `f`, when its original had one for the same key, moved with it; else undefined.
 */
export function movedDerivation(kept: WeakMap<FunctionFacts, { key: string; facts: FunctionFacts }>, f: FunctionFacts, key: string): FunctionFacts | undefined {
  const m = movedFrom(f);
  const old = m && kept.get(m.from);
  if (!m || !old || old.key !== key) return undefined;
  // (a derivation shares most of its parts with the original: those are moved already, as `f`'s)
  const done = new Map<object, unknown>();
  for (const k in m.from) {
    const v = (m.from as unknown as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && (old.facts as unknown as Record<string, unknown>)[k] === v) done.set(v, (f as unknown as Record<string, unknown>)[k]);
  }
  const facts = old.facts === m.from ? f : movedFacts(old.facts, m.delta, linesOf(m.from), done);
  if (facts) kept.set(f, { key, facts });
  return facts ?? undefined;
}
