// Accesses of one array whose offsets fill every residue of their stride (`x[3i]`, `x[3i+1]`,
// `x[3i+2]`) read whole groups together: across them the bytes are contiguous, so neither a
// GPU warp nor a CPU loop wastes any of what it fetches.
import type { AccessFact, LoopFact } from '../../core/facts/model';
import { Poly } from '../../core/affine';
import { SAMPLES, laneValues } from '../../core/lanes';

/** Whether the accesses of `a`'s array with the same index up to a constant in the last subscript cover every residue of `stride`. */
export function coversAllResidues(a: AccessFact, stride: number, all: readonly AccessFact[], loops: readonly LoopFact[] = []): boolean {
  return residuesCovered(a, stride, all, loops) === stride;
}

/** The longest loop over a record's fields that is read as unrolled (`for (j = 0; j < 3; ++j) v[3 * i + j]`). */
const RECORD_LOOP = 16;
/** The most elements a record read or written field by field has: a longer one (48 coefficients a thread) is a row. */
export const MAX_RECORD = 16;

/**
 * The values a short constant-trip loop's iteration symbol takes (0, 1, 2 for `j = 0; j < 3`), or null. The loop's
 * variable is `init + symbol * step`: an index holds the step in the symbol's coefficient and the start in its
 * base, so a start only known at run time (`l = l0; l < l0 + 4`) still runs over 4 consecutive fields.
 */
function unrolledValues(l: LoopFact): number[] | null {
  if (l.trips === undefined || l.trips < 1 || l.trips > RECORD_LOOP || !l.step?.isConstant || l.step.constant === 0) return null;
  return Array.from({ length: l.trips }, (_, k) => k);
}

/**
 * How many of the `stride` residues the accesses of `a`'s row make (`x[4*i]`, `x[4*i + 1]`, `x[4*i + 3]`: 3 of 4).
 * With `loops`, a short constant-trip loop over the record counts each of its steps (`covars[i * 2 + j]`
 * for `i, j < 2`: all 4).
 */
export function residuesCovered(a: AccessFact, stride: number, all: readonly AccessFact[], loops: readonly LoopFact[] = []): number {
  if (stride > MAX_RECORD || stride < 1 || a.indices.some((p) => p.unknown)) return 0;
  const last = a.indices.length - 1;
  const unrolled = new Map<string, number[]>();
  for (const l of loops) {
    const v = unrolledValues(l);
    if (v) unrolled.set(l.symbol, v);
  }
  // the index without the record loops' terms: the record's base, the same for every field
  const baseOf = (p: Poly) => [...unrolled.keys()].reduce((q, sym) => q.substitute(sym, Poly.const(0)), p);
  const base = baseOf(a.indices[last]);
  const residues = new Set<number>();
  for (const b of all) {
    if (b.array !== a.array || b.indices.length !== a.indices.length || b.indices.some((p) => p.unknown)) continue;
    // the same row (every subscript but the last equal), and the last the same up to a constant, whatever it is made of
    if (b.indices.slice(0, last).some((p, k) => { const d = p.sub(a.indices[k]); return d.unknown || !d.isConstant || d.constant !== 0; })) continue;
    const d = baseOf(b.indices[last]).sub(base);
    if (d.unknown || !d.isConstant) continue;
    const mod = (o: number) => ((o % stride) + stride) % stride;
    // (only residues matter: reduced after each loop, at most `stride` of them)
    let offsets: number[] | null = [mod(d.constant)];
    for (const [sym, values] of unrolled) {
      const c = b.indices[last].coefficient(sym);
      // (a loop that moves the whole record, a stencil's rows `(py + t) * cols * 3`, moves every field alike)
      if (c.terms.size === 0 || (!c.isConstant && c.equals(a.indices[last].coefficient(sym)))) continue;
      if (c.unknown || !c.isConstant) {
        offsets = null;
        break;
      }
      offsets = [...new Set(offsets.flatMap((o) => values.map((v) => mod(o + c.constant * v))))];
    }
    for (const o of offsets ?? []) residues.add(o);
    if (residues.size === stride) break;
  }
  return residues.size;
}

/**
 * `__ldg(in + idx)` ... `__ldg(in + idx + 3)` with lanes four apart within 32-element
 * column chunks (an int8 COL32 layout): however irregular the lanes' spacing, the sibling
 * accesses together fill the sectors the warp touches. Judged on the union of their byte
 * addresses, per sample of the sizes: at most twice the sectors those bytes need.
 */
export function siblingsFillSectors(a: AccessFact, bytes: number, all: readonly AccessFact[], blockX?: number, loops: readonly LoopFact[] = []): boolean {
  if (a.indices.length !== 1 || a.indices[0].unknown) return false;
  // (with `loops`, each step of a short constant-trip loop moving the index by a constant is a neighbour too:
  // `y[l]` and `y[l + 32]` over `l < 4`, a dequantizer's two runs of 4 a lane)
  const steps = [0];
  for (const l of loops) {
    const values = unrolledValues(l);
    const c = a.indices[0].coefficient(l.symbol);
    if (!values || c.terms.size === 0) continue;
    if (c.unknown || !c.isConstant) return false;
    const before = [...steps];
    steps.length = 0;
    for (const o of before) for (const k of values) steps.push(o + c.constant * k);
  }
  const deltas = new Set<number>();
  for (const b of all) {
    if (b.array !== a.array || b.indices.length !== 1 || b.indices[0].unknown) continue;
    const d = b.indices[0].sub(a.indices[0]);
    if (!d.unknown && d.isConstant) for (const o of steps) deltas.add(d.constant + o);
  }
  // (a few neighbours per lane, as `coversAllResidues` allows: a thread walking a long row of its own is still a row per lane;
  // runs apart, `y[0], y[1], y[32], y[33]`, count when the sectors say so)
  if (deltas.size < 2 || deltas.size > MAX_RECORD) return false;
  return SAMPLES.every((base) => {
    const v = laneValues(a.indices[0], blockX ? { ...base, blockX } : base);
    if (!v) return false;
    const addresses = new Set<number>();
    for (const x of v) for (const d of deltas) addresses.add((x + d) * bytes);
    const sectors = new Set([...addresses].map((b) => Math.floor(b / 32)));
    return sectors.size < 2 * Math.ceil((addresses.size * bytes) / 32);
  });
}
