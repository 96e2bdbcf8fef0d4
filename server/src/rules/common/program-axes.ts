// Which Triton program axes an access moves with: its index's program-id symbols
// (`#pid<axis>:<name>`, written by the Triton kernel facts). Tiling and tensor-core rules
// ask the same question of the operands of a product.
import type { AccessFact } from '../../core/facts/model';

/** The program axes an access's index varies with (`#pid0:m` -> '0'). */
export function programAxes(a: AccessFact): Set<string> {
  const out = new Set<string>();
  for (const p of a.indices) for (const s of p.symbols()) {
    const m = /^#pid(\d+):/.exec(s);
    if (m) out.add(m[1]);
  }
  return out;
}
