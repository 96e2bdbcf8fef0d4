// Bounds that name a convolution filter's or a stencil window's size (`kernel_h`, `KW`, `ksize`,
// `radius`): a loop over them runs a few taps (3 to 7, as a rule) though the bound is a run-time
// parameter, so its own accesses' strides are not what makes the code slow: the loop around it is.
const FILTER_BOUND = /^(?:KH|KW|kh|kw|kH|kW|Kh|Kw|ksize|kSize|KSIZE|ks|KS|kernel_size|kernelSize|KERNEL_SIZE|kernel_h|kernel_w|kernelH|kernelW|filter_size|filterSize|FILTER_SIZE|filter_h|filter_w|FH|FW|fh|fw|radius|RADIUS|window|win)_?$/;

/** Whether the bound is a filter or window size, alone (`kernel_w`, `(ksize)`, `p->kernel_h`; not `w - radius`). */
export function filterBound(bound: string | null | undefined): boolean {
  const name = /^\(*\s*(?:[A-Za-z_]\w*\s*(?:\.|->)\s*)*([A-Za-z_]\w*)\s*\)*$/.exec((bound ?? '').trim())?.[1];
  return !!name && FILTER_BOUND.test(name);
}
