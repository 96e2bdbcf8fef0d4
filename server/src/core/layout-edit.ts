// Edits that change only a text's layout: blank lines added or removed, lines re-indented,
// trailing spaces. Such an edit changes no token, so a file's facts and findings are the
// ones it had, each position moved to where its token now is. Enter, Backspace over an empty
// line and Tab are among the most frequent keystrokes; after them the server publishes the
// last findings moved (DESIGN.md, performance budgets) instead of moving every function's
// facts below the edit and checking them again.
import type { Node, Tree } from 'web-tree-sitter';
import { changedLines } from './line-scans';
import { mayBeSuppressed } from './suppress';
import { declaresAnything } from './facts/declared-only';
import type { Position } from './types';

/** Lines changed beyond which an edit is analysed the usual way (a paste, a reformat). */
const MAX_CHANGED_LINES = 256;

/** Where each line of the old text went: its new line and how far its text moved right. */
export interface LayoutMap {
  /** Lines before the change: unchanged. */
  head: number;
  /** Old line → [new line, column delta], for the non-blank lines of the changed region. */
  moved: Map<number, [number, number]>;
  /** First old line after the changed region, and how many lines the lines from there on moved. */
  tailFrom: number;
  tailDelta: number;
  /** New lines of the changed region (for the checks against the new tree). */
  newRows: { from: number; to: number };
}

const indentOf = (line: string) => line.length - line.trimStart().length;
const isBlank = (line: string) => line.trim() === '';

/**
 * How `before` became `after` when the change between them is layout only (see above; in
 * Python, where indentation is syntax, blank lines only); else null. Lines are compared
 * from both ends: the region between is the change.
 */
export function layoutMap(before: readonly string[], after: readonly string[], python: boolean): LayoutMap | null {
  const { head, beforeEnd: oldEnd, afterEnd: newEnd } = changedLines(before, after);
  if (oldEnd - head > MAX_CHANGED_LINES || newEnd - head > MAX_CHANGED_LINES) return null;
  // a line continued with `\` (a macro, a Python line) ends at a blank line put after it
  const continued = (lines: readonly string[], i: number) => i >= 0 && i < lines.length && lines[i].trimEnd().endsWith('\\');
  if (continued(before, head - 1)) return null;
  const moved = new Map<number, [number, number]>();
  let j = head;
  for (let i = head; i < oldEnd; i++) {
    if (continued(before, i)) return null;
    if (isBlank(before[i])) continue;
    while (j < newEnd && isBlank(after[j])) j++;
    if (j >= newEnd) return null;
    const same = python ? before[i] === after[j] : before[i].trim() === after[j].trim();
    if (!same || continued(after, j)) return null;
    // (a declaration re-indented: its indentation tells a prototype at file level from an object a body builds)
    if (indentOf(after[j]) !== indentOf(before[i]) && declaresAnything(before[i])) return null;
    moved.set(i, [j, indentOf(after[j]) - indentOf(before[i])]);
    j++;
  }
  for (; j < newEnd; j++) if (!isBlank(after[j])) return null;
  return { head, moved, tailFrom: oldEnd, tailDelta: newEnd - oldEnd, newRows: { from: head, to: newEnd } };
}

/** Nodes inside which a line's layout is text: comments and string literals (a docstring, a raw string). */
const TEXT_NODE = /comment|string|char_literal|escape_sequence/;

/**
 * Whether the changed lines lie between tokens in the new tree: not inside a comment, a
 * string or a region the parser could not read (whose recovery weighs skipped lines).
 */
export function changedBetweenTokens(tree: Tree, map: LayoutMap): boolean {
  const last = tree.rootNode.endPosition.row;
  for (let row = map.newRows.from; row <= Math.min(map.newRows.to, last); row++) {
    let body = false;
    for (let n: Node | null = tree.rootNode.descendantForPosition({ row, column: 0 }); n; n = n.parent) {
      if (n.type === 'ERROR' || n.isMissing) return false;
      // (not in a function's head, between its return type and its body: how far apart a qualifier macro and the name
      // sit decides how the head is read, `__global__ void LAUNCH_BOUNDS(128)` lines above `k(...)`)
      if (n.type === 'compound_statement' || n.type === 'block') body = true;
      if (n.type === 'function_definition' && !body) return false;
      // (a comment that starts on the line moved as a whole)
      if (TEXT_NODE.test(n.type) && n.startPosition.row < row) return false;
    }
  }
  return true;
}

/** A position of the old text in the new one; null for one on a removed blank line. */
export function movedPosition(map: LayoutMap, p: Position): Position | null {
  if (p.line < map.head) return p;
  if (p.line >= map.tailFrom) return map.tailDelta ? { line: p.line + map.tailDelta, column: p.column } : p;
  const to = map.moved.get(p.line);
  if (!to) return null;
  return { line: to[0], column: Math.max(0, p.column + to[1]) };
}

/** Whether some text quotes a line number (`softmax (line 96)`), which a layout edit may leave stale. */
const QUOTES_A_LINE = /\blines? \d/;

function isPosition(v: Record<string, unknown>): v is Position & Record<string, unknown> {
  if (typeof v.line !== 'number' || typeof v.column !== 'number') return false;
  let keys = 0;
  for (const _ in v) keys++;
  return keys === 2;
}

/**
 * Plain data (findings: ranges, related locations, fixes' edits) with every position moved
 * by `map`; what holds no position is shared. Null when a position lay on a removed line or
 * some text quotes a line number.
 */
export function movedByLayout<T>(value: T, map: LayoutMap): T | null {
  if (quotesALine(value)) return null;
  let failed = false;
  const isStill = (x: unknown) => x === null || typeof x !== 'object' || still.has(x);
  const move = (v: unknown): unknown => {
    if (failed || isStill(v)) return v;
    const o = v as Record<string, unknown>;
    if (!Array.isArray(o) && Object.getPrototypeOf(o) !== Object.prototype) {
      still.add(o); // (a class instance: shared, it holds no position)
      return o;
    }
    if (isPosition(o)) {
      const p = movedPosition(map, o);
      if (!p) failed = true;
      return p ?? o;
    }
    let copy: Record<string, unknown> | unknown[] | null = null;
    let holds = false;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const m = move(o[i]);
        if (copy) (copy as unknown[]).push(m);
        else if (m !== o[i]) (copy = o.slice(0, i)).push(m);
        holds ||= !isStill(o[i]);
      }
    } else {
      for (const k in o) {
        const m = move(o[k]);
        if (m !== o[k]) ((copy ??= { ...o }) as Record<string, unknown>)[k] = m;
        holds ||= !isStill(o[k]);
      }
    }
    // (a finding's citations, shared by every finding of its rule, are walked once)
    if (!holds && !failed) still.add(o);
    return copy ?? o;
  };
  const out = move(value) as T;
  return failed ? null : out;
}
/** Objects that hold no position: what a move leaves as it is. */
const still = new WeakSet<object>();

/** The first and last line of the positions in plain data (as movedByLayout finds them), kept per object; null: none. */
function linesHeld(v: object): { min: number; max: number } | null {
  let hit = held.get(v);
  if (hit !== undefined) return hit;
  hit = null;
  const add = (x: unknown) => {
    if (x === null || typeof x !== 'object') return;
    const h = linesHeld(x);
    if (h) hit = hit ? { min: Math.min(hit.min, h.min), max: Math.max(hit.max, h.max) } : h;
  };
  if (Array.isArray(v)) for (const x of v) add(x);
  else if (Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    if (isPosition(o)) hit = { min: o.line, max: o.line };
    else for (const k in o) add(o[k]);
  }
  held.set(v, hit);
  return hit;
}
const held = new WeakMap<object, { min: number; max: number } | null>();

/** A finding moved whole by lines (movedFindingsByLayout): the finding it was moved from, and by how many lines in all. */
const shiftedFrom = new WeakMap<object, { root: object; delta: number }>();
/** The last copy made of a finding moved whole, by how many lines. */
const shiftedTo = new WeakMap<object, { delta: number; copy: object }>();

/**
 * movedByLayout of a list of findings, where a finding that lies wholly below the edit is the
 * same object each time it is moved to the same lines: an Enter, the character typed after it
 * (findingsBeforeLayoutEdits) and the Backspace that undoes it hand back the copies of the last
 * move, or the finding itself, whose diagnostics and encoded bytes the server keeps per object.
 */
export function movedFindingsByLayout<T extends object>(findings: readonly T[], map: LayoutMap): T[] | null {
  if (quotesALine(findings)) return null;
  const out: T[] = [];
  for (const f of findings) {
    const lines = linesHeld(f);
    if (!lines || lines.max < map.head) {
      out.push(f); // (above the edit: movedByLayout leaves it as it is)
      continue;
    }
    if (lines.min < map.tailFrom) {
      const m = movedByLayout(f, map);
      if (!m) return null;
      out.push(m);
      continue;
    }
    if (!map.tailDelta) {
      out.push(f);
      continue;
    }
    // every position `tailDelta` lines further: the finding it was first moved from, by the lines in all
    const from = shiftedFrom.get(f) ?? { root: f, delta: 0 };
    const delta = from.delta + map.tailDelta;
    if (delta === 0) {
      out.push(from.root as T);
      continue;
    }
    const last = shiftedTo.get(from.root);
    if (last?.delta === delta) {
      out.push(last.copy as T);
      continue;
    }
    const copy = movedByLayout(f, map)!; // (no position of it lies on a removed line)
    shiftedFrom.set(copy, { root: from.root, delta });
    shiftedTo.set(from.root, { delta, copy });
    // (the same text as the finding's, whose lines were found unquoted above)
    quoting.set(copy, false);
    held.set(copy, { min: lines.min + map.tailDelta, max: lines.max + map.tailDelta });
    out.push(copy);
  }
  return out;
}

/** Whether some text in plain data quotes a line number, kept per object (findings are kept across analyses and moved again). */
function quotesALine(v: unknown): boolean {
  if (typeof v === 'string') return QUOTES_A_LINE.test(v);
  if (v === null || typeof v !== 'object' || (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)) return false;
  let q = quoting.get(v);
  if (q === undefined) {
    q = false;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if ((q = quotesALine(x))) break;
    quoting.set(v, q);
  }
  return q;
}
const quoting = new WeakMap<object, boolean>();

/**
 * How `before` became `lines` (the text `text`, parsed as `tree`) when the edit between them is
 * layout only and findings can be moved across it; else null. A file with suppression comments
 * is analysed again (a blank line typed under `disable-next-line` moves what it suppresses).
 */
export function layoutEdit(before: readonly string[], lines: readonly string[], text: string, tree: Tree, python: boolean): LayoutMap | null {
  if (mayBeSuppressed(text)) return null;
  const map = layoutMap(before, lines, python);
  return map && changedBetweenTokens(tree, map) ? map : null;
}

/** The findings of `before` moved to `text` (its `lines`, parsed as `tree`), when the edit between them is layout only (layoutEdit); else null. */
export function findingsAfterLayoutEdit<F>(
  before: { lines: readonly string[]; findings: F[] }, lines: readonly string[], text: string, tree: Tree, python: boolean,
): F[] | null {
  const map = layoutEdit(before.lines, lines, text, tree, python);
  return map && movedByLayout(before.findings, map);
}

/**
 * The lines as they would read without the layout edits that made `moved` of `base`: `lines` (a
 * later version of `moved`) with the rows those edits changed (`rows`, here) as `base` has them
 * (`restored`). Null when an edit since `moved` touched those rows. Analysed, that text has the
 * findings of `lines` before the layout edits: an edit typed right after an Enter is read where
 * the functions below the Enter were, as a facts cache holds them.
 */
export function withoutLayoutEdits(base: readonly string[], moved: readonly string[], lines: readonly string[], python: boolean): { lines: string[]; rows: { from: number; to: number }; restored: string[] } | null {
  const map = layoutMap(base, moved, python);
  if (!map) return null;
  const edit = changedLines(moved, lines);
  if (edit.head === edit.beforeEnd && edit.head === edit.afterEnd) return null;
  // the layout edits' rows, below an edit above them moved by the lines it added
  const { from, to } = map.newRows;
  const shift = edit.beforeEnd <= from ? edit.afterEnd - edit.beforeEnd : edit.head >= to ? 0 : null;
  if (shift === null) return null;
  const restored = base.slice(map.head, map.tailFrom);
  const rows = { from: from + shift, to: to + shift };
  return { lines: lines.slice(0, rows.from).concat(restored, lines.slice(rows.to)), rows, restored };
}
