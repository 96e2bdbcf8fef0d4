// Host loops over what the function just copied back from the GPU (`cudaMemcpy(partial_sum, d_partial, ...,
// cudaMemcpyDeviceToHost)`, then the sum of the partials): bookkeeping beside the device work it launched, one pass
// over results the copy has just brought into the cache. The CPU rules leave such passes alone.
import { copiesToHost, type AccessFact, type FunctionFacts, type LoopFact } from '../../core/facts/model';
import { positionBefore } from '../../core/positions';

/** The buffer a copy's destination names (`h_rank.data()`, `&h_rank[0]`: `h_rank`). */
export const copiedBuffer = (text: string): string => text.replace(/\s+/g, '').replace(/^&(.*)\[0\]$/, '$1').replace(/\.data\(\)$/, '');

/**
 * A read of a buffer a device-to-host copy filled before the loops around it, each of whose loops (those the copy is
 * not in) moves along the buffer: every element once (Rodinia backprop's `sum += partial_sum[k * hid + j - 1]` over
 * the partial sums just copied back). An O(n³) nest over copied results is work of its own.
 */
export function passOverReadBack(fn: FunctionFacts, a: AccessFact): boolean {
  const copies = fn.calls.filter((c) => copiesToHost(c) && copiedBuffer(c.args[0] ?? '') === a.array);
  return copies.some((c) => {
    const nest = a.loops.filter((id) => !c.loops.includes(id)).map((id) => fn.loops.find((l) => l.id === id)).filter((l): l is LoopFact => !!l);
    return nest.length > 0 && positionBefore(c.range.start, nest[0].headerRange.start) && c.loops.every((id) => a.loops.includes(id)) &&
      nest.every((l) => a.indices.some((p) => !p.unknown && p.dependsOn((x) => x === l.symbol)));
  });
}
