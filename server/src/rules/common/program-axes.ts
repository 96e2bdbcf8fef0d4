// Which Triton program axes an access moves with (and which call is a `tl.dot`): its index's program-id symbols
// (`#pid<axis>:<name>`, written by the Triton kernel facts). Tiling and tensor-core rules
// ask the same question of the operands of a product.
import type { AccessFact, CallFact } from '../../core/facts/model';

/** The program axes an access's index varies with (`#pid0:m` -> '0'). */
export function programAxes(a: AccessFact): Set<string> {
  const out = new Set<string>();
  for (const p of a.indices) for (const s of p.symbols()) {
    const m = /^#pid(\d+):/.exec(s);
    if (m) out.add(m[1]);
  }
  return out;
}

/** A Triton kernel's `tl.dot` (the tensor-core product its tiles feed). */
export const isTlDot = (c: CallFact): boolean => c.name === 'tl.dot' || c.qualified === 'triton.language.dot';
