// A convolution's or pooling kernel's shape by parameter name: its stride, padding and dilation are a few
// elements (1 or 2), its window 3 to 7 taps, never a row. Lane evaluation assumes unknown sizes are large (a row
// pitch); for these the usual values say where the lanes really fall (col2im's lanes one element apart, not a
// stride apart).
import type { FunctionFacts } from '../../core/facts/model';

/** An axis a convolution parameter names: `_w`, `h_`, `_width`, `height_`. */
const AXIS = '(?:[hwxy]|height|width)';
/**
 * A convolution's stride, padding and dilation by name (`stride_w`, `h_stride`, `stride_width`; `sw`, `pw`, `dw` beside
 * `kw`; ggml's `s0`, `p0`, `d0`), and its window's size (`ksize`, `kw`, `kernel_w`, `w_k`, `kernel_width`).
 */
// (ggml numbers the axes: `s0`, `p0`, `d0` for the width, `s1`, `p1`, `d1` for the height)
const CONV_STEP = new RegExp(`^(?:${AXIS}_?)?(?:stride|dilation)(?:_?${AXIS})?$|^[sd][hw012]$`, 'i');
const CONV_PAD = new RegExp(`^(?:${AXIS}_?)?pad(?:ding)?(?:_?${AXIS})?$|^p[hw012]$`, 'i');
const CONV_SIZE = new RegExp(`^(?:k(?:ernel)?_?size(?:_?${AXIS})?|ksize|k(?:ernel)?_?[hw]|[hw]_k|kernel_?(?:height|width))$`, 'i');

/** A convolution's dilation (`dilation_w`), and a filter's size named as such (`filter_size`, `filter_w`). */
const CONV_DILATION = new RegExp(`^(?:${AXIS}_?)?dilation(?:_?${AXIS})?$`, 'i');
const FILTER_SIZE = /^filter_?(?:size|width|height|[hw])$/i;

/** A parameter that gives a convolution's or pooling window's shape: its size, padding or dilation (`ksize`, `kernel_w`, `pad_h`). */
export const namesConvWindow = (name: string): boolean => CONV_SIZE.test(name) || CONV_PAD.test(name) || CONV_DILATION.test(name) || FILTER_SIZE.test(name);

/**
 * A convolution's or pooling kernel's shape parameters with their usual values, when it takes a window size or both a
 * stride and a padding (else empty).
 */
export function convShape(fn: FunctionFacts): Map<string, number> {
  const out = new Map<string, number>();
  const scalars = fn.params.filter((p) => !p.pointer);
  const window = scalars.some((p) => CONV_SIZE.test(p.name)) || (scalars.some((p) => CONV_STEP.test(p.name)) && scalars.some((p) => CONV_PAD.test(p.name)));
  if (!window) return out;
  // (`d0`, `d1` are a dilation only beside the padding of the same axis, `p0`, `p1`: alone they are often a tensor's dimensions)
  const names = new Set(scalars.map((p) => p.name));
  const dimension = (name: string) => /^d[hw012]$/i.test(name) && !names.has(`p${name.slice(1)}`) && !names.has(`P${name.slice(1)}`);
  for (const p of fn.params) {
    if (p.pointer) continue;
    if (CONV_STEP.test(p.name) && !dimension(p.name)) out.set(p.name, 1);
    else if (CONV_PAD.test(p.name)) out.set(p.name, 1);
    else if (CONV_SIZE.test(p.name)) out.set(p.name, 3);
  }
  return out;
}
