// A file's own switches: `#define USE_PARALLEL_REDUCTION` (or `#define TILED 1`) at the top of
// a file, outside any `#if`, decides the `#if`/`#ifdef` that test it; a switch left commented
// out (`// #define CATEGORICAL_OVER_SIZE0`) and defined nowhere else in the file is off.
// A build may still pass `-D`, but the file's own choice is the build its author runs.
import { lineScan } from '../line-scans';

/** The file's decided switches: a value for each defined one, 0 for one commented out. */
export interface FileSwitches {
  readonly defined: ReadonlyMap<string, number>;
  readonly off: ReadonlySet<string>;
}

const NONE: FileSwitches = { defined: new Map(), off: new Set() };
const memo = new WeakMap<readonly string[], FileSwitches>();
/**
 * The last document's, kept while its edits touch only lines `scan` passes over: no directive, no
 * block comment's start or end, no commented-out `#define` (a `//` comment of words is passed over).
 */
const lastScan = lineScan((line) => firstChar(line) !== 35 /* # */ && (line.indexOf('/') < 0 || (!line.includes('/*') && !line.includes('*/') && !COMMENTED.test(line))), scan);

/** A debug build's switch: `PRK_DEBUG`, `DEBUG`, `DEBUG_KERNELS` (and `NDEBUG`). */
export const DEBUG_MACRO = /(?:^|_)DEBUG(?:_|$)/;

const IF = /^\s*#\s*if(?:n?def)?\b/;
const ENDIF = /^\s*#\s*endif\b/;
const DEFINE = /^\s*#\s*define\s+([A-Za-z_]\w*)(?![\w(])\s*(.*)$/;
const UNDEF = /^\s*#\s*undef\s+([A-Za-z_]\w*)/;
const GUARD = /^\s*#\s*ifndef\s+([A-Za-z_]\w*)\s*$/;
const COMMENTED = /^\s*\/\/\s*#\s*define\s+([A-Za-z_]\w*)(?![\w(])/;

/** The switches a file's lines define or comment out (the same array object is read once). */
export function fileSwitches(lines: readonly string[] | undefined): FileSwitches {
  if (!lines) return NONE;
  let out = memo.get(lines);
  if (!out) memo.set(lines, (out = lastScan(lines)));
  return out;
}

function scan(lines: readonly string[]): FileSwitches {
  // a cheap test first: most files define no switch
  if (!lines.some((l) => l.includes('define'))) return NONE;
  const defined = new Map<string, number>();
  const commented = new Set<string>();
  const unsure = new Set<string>(); // defined under an `#if`, or undefined again
  let depth = 0;
  let directives = 0; // seen so far (the include guard is the first two)
  let guard: string | null = null;
  let guardDepth = 0;
  let inComment = false; // inside a `/* ... */` spanning lines: a `#define` there is text
  for (const whole of lines) {
    // (most lines hold neither a directive nor a comment: one native search and a look at the first character)
    if (!inComment && whole.indexOf('/') < 0 && firstChar(whole) !== 35 /* # */) continue;
    let line = whole;
    if (inComment) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inComment = false;
      line = line.slice(end + 2);
    }
    // (a `/*` after `//`, `// nvcc src/*.cu`, opens nothing)
    const lineComment = line.indexOf('//');
    const open = lineComment === 0 ? -1 : line.lastIndexOf('/*', lineComment > 0 ? lineComment - 1 : Infinity);
    if (open >= 0 && line.indexOf('*/', open + 2) < 0) {
      inComment = true;
      line = line.slice(0, open);
    }
    // (only directives and comments matter: one look at the first character skips the rest)
    const first = firstChar(line);
    if (first !== 35 /* # */ && first !== 47 /* / */) continue;
    if (IF.test(line)) {
      depth++;
      // a header's include guard (`#ifndef X_H`, then `#define X_H` with no value, as its first directives) wraps the
      // whole file: not a condition on what it defines
      const g = directives === 0 ? GUARD.exec(line) : null;
      if (g) guard = g[1];
    } else if (ENDIF.test(line)) depth = Math.max(0, depth - 1);
    const d = DEFINE.exec(line);
    const guardDefine = !!d && d[1] === guard && directives === 1 && depth === 1 && d[2].replace(/\/\/.*$|\/\*.*?\*\//g, '').trim() === '';
    if (first === 35) directives++;
    if (guardDefine) {
      guardDepth = 1;
      continue;
    }
    if (d && DEBUG_MACRO.test(d[1])) continue; // a debug switch stays the release build's (dead-branches.ts)
    if (d) {
      const body = d[2].replace(/\/\/.*$|\/\*.*?\*\//g, '').trim();
      // (`true` and `false` are 1 and 0 in a C++ `#if`)
      const value = body === '' || body === 'true' ? 1 : body === 'false' ? 0 : /^\(?\s*\d+\s*\)?$/.test(body) ? Number(body.replace(/[()\s]/g, '')) : null;
      if (depth > guardDepth || value === null || defined.has(d[1])) unsure.add(d[1]);
      else defined.set(d[1], value);
      continue;
    }
    const u = UNDEF.exec(line);
    if (u) unsure.add(u[1]);
    const c = depth <= guardDepth ? COMMENTED.exec(line) : null;
    if (c) commented.add(c[1]);
  }
  for (const name of unsure) defined.delete(name);
  const off = new Set([...commented].filter((n) => !defined.has(n) && !unsure.has(n)));
  return defined.size || off.size ? { defined, off } : NONE;
}

/** The code of a line's first non-blank character, or -1. */
function firstChar(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return c;
  }
  return -1;
}
