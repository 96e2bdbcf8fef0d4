// The kernel a `kernel[grid](...)` launch names. Besides a name (`k`, `mod.k`), PyTorch's
// custom-op wrapper (`torch.library.wrap_triton(k)[grid](...)`, formerly `capture_triton`)
// launches `k` itself: the wrapper only lets `torch.compile` trace the launch.
import type { SyntaxNode as Node } from '../../mirror';
import { field } from '../../syntax';
import { argumentNodes, unparen } from './common';

/** Wrappers whose call on a kernel is launched as the kernel: `wrap_triton(k)[grid](...)`. */
const LAUNCH_WRAPPERS = /(?:^|\.)(?:wrap_triton|capture_triton)$/;

/** The node naming the launched kernel (an identifier, or the attribute of `mod.k`), or null when `value` names none. */
export function launchedKernel(value: Node | null): Node | null {
  const v = unparen(value);
  if (!v) return null;
  if (v.type === 'identifier') return v;
  if (v.type === 'attribute') return field(v, 'attribute');
  if (v.type !== 'call' || !LAUNCH_WRAPPERS.test(field(v, 'function')?.text.replace(/\s+/g, '') ?? '')) return null;
  const { positional, keywords } = argumentNodes(v);
  return positional.length === 1 && !keywords.length ? launchedKernel(positional[0]) : null;
}
