// Bounds that name a convolution filter's or a stencil window's size (`kernel_h`, `KW`, `ksize`,
// `radius`): a loop over them runs a few taps (3 to 7, as a rule) though the bound is a run-time
// parameter, so its own accesses' strides are not what makes the code slow: the loop around it is.
import type { AccessFact, LoopFact } from '../../core/facts/model';
const FILTER_BOUND = /^(?:KH|KW|kh|kw|kH|kW|Kh|Kw|ksize|kSize|KSIZE|ks|KS|kernel_size|kernelSize|KERNEL_SIZE|kernel_h|kernel_w|kernelH|kernelW|filter_size|filterSize|FILTER_SIZE|filter_h|filter_w|FH|FW|fh|fw|radius|RADIUS|window|win)_?$/;

/** Whether the bound is a filter or window size, alone (`kernel_w`, `(ksize)`, `p->kernel_h`; not `w - radius`). */
export function filterBound(bound: string | null | undefined): boolean {
  const name = /^\(*\s*(?:[A-Za-z_]\w*\s*(?:\.|->)\s*)*([A-Za-z_]\w*)\s*\)*$/.exec((bound ?? '').trim())?.[1];
  return !!name && FILTER_BOUND.test(name);
}

/**
 * A loop over a convolution filter (`r < R`, `kx < KW`, `dy <= radius`): small in practice though its bound is a
 * parameter. `R`, `S` and `K` also name rows, sizes and a GEMM's depth, so for them the loop must also be a window, its
 * variable added to another loop's in an index (`in[(y + r) * W + x + s]`, `in[(oy + ky) * W + ox + kx]` for `ky < K`).
 */
export function filterLoop(l: LoopFact, loops: readonly LoopFact[], accesses: readonly AccessFact[]): boolean {
  // (the bound is the size alone: `i + window <= n`, a row walk up to `n - window`, is no window)
  if (!l.variable || !l.bound) return false;
  if (filterBound(l.bound)) return true;
  // (or a struct's member of those names, `cp->S`)
  if (!/^\(?\s*(?:[A-Za-z_]\w*\s*(?:\.|->)\s*)?(R|S|K)\s*\)?$/.test(l.bound.trim())) return false;
  return accesses.some((a) =>
    a.indices.some((p) => {
      const c = p.coefficient(l.symbol);
      if (c.unknown || c.terms.size === 0) return false;
      return loops.some((o) => o !== l && p.coefficient(o.symbol).equals(c));
    }),
  );
}
