// The integer constants a file names (`#define N 1024`, `const int K = 3;`, `constexpr
// size_t T = 64;`), for the trip counts of CPU loop nests; read once per source text, with
// a key that says whether two texts name the same constants (a per-function cache keeps
// findings while it is the same).
import type { LoopFact } from '../../core/facts/model';
import { constantText } from '../../core/affine';
import { lineScan } from '../../core/line-scans';
import { boundedMemo } from '../../core/bounded-memo';
const byLines = new WeakMap<readonly string[], { constants: ReadonlyMap<string, number>; key: string }>();

/** What each line names, by its text (a file the editor switches back to). */
const namedIn = boundedMemo((line: string) => lineConstants(line), 20_000);
const NOTHING: readonly [string, number][] = [];

/**
 * The last version scanned and what each of its lines names: the next version (one edit
 * later) shares all lines but a few at its start and end, so only the lines between are read.
 * (lastConstants below skips the scan when the changed lines name nothing; when one does, this
 * keeps the scan to those lines.)
 */
let last: { lines: readonly string[]; named: (readonly [string, number][])[] } | null = null;

/** Integer constants named at file scope or in the function: `#define N 1024`, `const int K = 3;`, `constexpr size_t T = 64;`. */
function scan(lines: readonly string[]): Map<string, number> {
  const named: (readonly [string, number][])[] = new Array(lines.length);
  let head = 0;
  let tail = 0;
  if (last) {
    const before = last;
    const most = Math.min(before.lines.length, lines.length);
    while (head < most && before.lines[head] === lines[head]) named[head] = before.named[head++];
    while (tail < most - head && before.lines[before.lines.length - 1 - tail] === lines[lines.length - 1 - tail]) {
      named[lines.length - 1 - tail] = before.named[before.lines.length - 1 - tail];
      tail++;
    }
  }
  for (let i = head; i < lines.length - tail; i++) named[i] = namedBy(lines[i]);
  last = { lines, named };
  const out = new Map<string, number>();
  for (const n of named) for (const [k, v] of n) out.set(k, v);
  return out;
}

function namedBy(line: string): readonly [string, number][] {
  if (!line.includes('define') && !line.includes('const')) return NOTHING; // most lines: no regex at all
  if (line.length > 400) return lineConstants(line); // not kept: a generated or minified line could be megabytes
  return namedIn(line);
}

function lineConstants(line: string): readonly [string, number][] {
  let m = /^\s*#\s*define\s+([A-Za-z_]\w*)\s+\(?\s*(\d+)\s*[uUlL]*\s*\)?\s*(?:\/\/.*|\/\*.*)?$/.exec(line);
  if (m) return [[m[1], Number(m[2])]];
  const out: [string, number][] = [];
  const re = /\b(?:const|constexpr)\s+(?:static\s+)?(?:unsigned\s+|signed\s+)?(?:int|long|short|size_t|std::size_t|int32_t|int64_t|uint32_t|uint64_t|unsigned)\s+([A-Za-z_]\w*)\s*=\s*(\d+)\s*[uUlL]*\s*[;,]/g;
  while ((m = re.exec(line))) out.push([m[1], Number(m[2])]);
  return out.length ? out : NOTHING;
}

/** The value of a bound text such as `3`, `N`, `N - 1`, or null when it is not a known constant. */
export function constantValue(text: string | null, constants: ReadonlyMap<string, number>): number | null {
  // integers and names joined by operators and parentheses (`N - 1`, `BLOCK + SKEW`, `16u`)
  return text ? constantText(text.replace(/(\d)[uUlL]+\b/g, '$1'), constants) : null;
}

/** A `for` loop's trip count when its start, bound and step are constants (`i < WARMUP`, `dx = -1; dx <= 1`), else null. */
export function constantTrip(l: LoopFact, constants: ReadonlyMap<string, number>): number | null {
  // the facts' own count (`tile_size` a local set to 16) when they have one
  if (l.trips !== undefined) return l.trips;
  if (l.kind !== 'for' || !l.init || !l.init.isConstant) return null;
  const bound = constantValue(l.bound, constants);
  if (bound === null) return null;
  const step = l.step?.isConstant ? l.step.constant : 1;
  if (step === 0) return null;
  const span = (step > 0 ? bound - l.init.constant : l.init.constant - bound) + (l.inclusive ? 1 : 0);
  return Math.max(0, Math.ceil(span / Math.abs(step)));
}

/**
 * At most how many iterations a `for` loop runs: its constant count, or, in a triangle under an enclosing loop of
 * constant count, the most its bound or its start allows (`k < i` under `i < 16`, `j = i; j < 16`: 16 at most).
 */
export function mostTrips(l: LoopFact, loops: readonly LoopFact[], constants: ReadonlyMap<string, number> = NO_CONSTANTS): number | null {
  const exact = constantTrip(l, constants);
  if (exact !== null) return exact;
  if (l.maxTrips !== undefined) return l.maxTrips;
  if (l.kind !== 'for' || !l.init || l.init.unknown || !l.step?.isConstant || l.step.constant !== 1) return null;
  const enclosing: LoopFact[] = [];
  for (let p = l.parent; p !== null; p = loops[p]?.parent ?? null) if (loops[p]) enclosing.push(loops[p]);
  // an enclosing loop counting up from 0 or more: its variable reaches at most its start plus (count - 1) steps
  const upward = (o: LoopFact) => !!o.init?.isConstant && o.init.constant >= 0 && !!o.step?.isConstant && o.step.constant > 0;
  const startsAtLeast0 = l.init.constant >= 0 && [...l.init.symbols()].every((s) => enclosing.some((o) => o.symbol === s && upward(o)) && l.init!.coefficient(s).isConstant && l.init!.coefficient(s).constant >= 0);
  if (!startsAtLeast0) return null;
  const outer = enclosing.find((o) => o.variable !== null && o.variable === l.bound?.trim() && upward(o));
  const outerTrips = outer ? constantTrip(outer, constants) : null;
  if (outer && outerTrips !== null) return Math.max(0, outer.init!.constant + (outerTrips - 1) * outer.step!.constant - l.init.constant) + (l.inclusive ? 1 : 0);
  const bound = constantValue(l.bound, constants);
  return bound === null ? null : bound + (l.inclusive ? 1 : 0);
}
const NO_CONSTANTS: ReadonlyMap<string, number> = new Map();

export function fileConstants(lines: readonly string[]): { constants: ReadonlyMap<string, number>; key: string } {
  let hit = byLines.get(lines);
  if (!hit) byLines.set(lines, (hit = lastConstants(lines)));
  return hit;
}
/** (kept across edits of lines that name no constant, before and after: the same object, and key) */
const lastConstants = lineScan((line) => namedBy(line) === NOTHING, (lines) => {
  const constants = scan(lines);
  return { constants, key: [...constants].map(([k, v]) => `${k}=${v}`).join(',') };
});

/**
 * A stencil's window loop (`jj = -RADIUS; jj <= RADIUS`, and its halves `ii = -R; ii < 0`,
 * `ii = 1; ii <= R`) with a compile-time radius (a macro, or a `-D` flag): a few taps around a point.
 * Compilers unroll it; whether the code is fast is decided by the loop around it.
 */
export function windowLoop(l: LoopFact, loops: readonly LoopFact[]): boolean {
  if (l.kind !== 'for' || !l.init || l.bound === null) return false;
  const radii = radiiOf(loops);
  if (!radii.size) return false;
  const bound = l.bound.trim();
  const [first] = [...l.init.terms];
  const fromMinusRadius = l.init.terms.size === 1 && l.init.constant === 0 && first[1] === -1 && radii.has(first[0]);
  if (fromMinusRadius) return radii.has(bound) || /^-?[01]$/.test(bound); // the window, or its negative half
  return l.init.isConstant && (l.init.constant === 0 || l.init.constant === 1) && radii.has(bound); // its positive half
}

/** Radii: symbols some loop of the function starts at the negative of; once per function's loops (rules ask per loop and per access). */
const radiiByLoops = new WeakMap<readonly LoopFact[], ReadonlySet<string>>();
function radiiOf(loops: readonly LoopFact[]): ReadonlySet<string> {
  let radii = radiiByLoops.get(loops);
  if (radii) return radii;
  const found = new Set<string>();
  for (const x of loops) {
    const init = x.init;
    if (!init || init.terms.size !== 1 || init.constant !== 0) continue;
    const [[key, c]] = [...init.terms];
    // a compile-time radius (`RADIUS`, set by a `-D` flag): the taps unroll; a run-time `radius` is a loop of its own
    if (c === -1 && /^[A-Z][A-Z0-9_]*$/.test(key)) found.add(key);
  }
  radiiByLoops.set(loops, (radii = found));
  return radii;
}
