// Accesses of one array whose offsets fill every residue of their stride (`x[3i]`, `x[3i+1]`,
// `x[3i+2]`) read whole groups together: across them the bytes are contiguous, so neither a
// GPU warp nor a CPU loop wastes any of what it fetches.
import type { AccessFact } from '../../core/facts/model';

/** Whether the accesses of `a`'s array with the same index up to a constant in the last subscript cover every residue of `stride`. */
export function coversAllResidues(a: AccessFact, stride: number, all: readonly AccessFact[]): boolean {
  if (stride > 16 || stride < 1 || a.indices.some((p) => p.unknown)) return false;
  const last = a.indices.length - 1;
  const residues = new Set<number>();
  for (const b of all) {
    if (b.array !== a.array || b.indices.length !== a.indices.length || b.indices.some((p) => p.unknown)) continue;
    // the same row (every subscript but the last equal), and the last the same up to a constant, whatever it is made of
    if (b.indices.slice(0, last).some((p, k) => { const d = p.sub(a.indices[k]); return d.unknown || !d.isConstant || d.constant !== 0; })) continue;
    const d = b.indices[last].sub(a.indices[last]);
    if (d.unknown || !d.isConstant) continue;
    residues.add(((d.constant % stride) + stride) % stride);
  }
  return residues.size === stride;
}
