// A normalization's or an affine layer's per-channel parameters (`gamma[c]`, `beta[c]`, `bias[c]`) read by a kernel
// whose threads each own a (sample, group) and reach the channel only through a remainder of their index
// (`g = ng % G; c = g * cpg + i / HW`): a vector of C floats, a few KB the whole grid reads and L1 holds after the
// first touch. Neither its lane spacing nor its reuse across threads is worth a remapping or a `__shared__` tile.
import { atomDef, symbolKind } from '../../core/affine';
import type { AccessFact } from '../../core/facts/model';

/** Names such parameters go by. */
const PARAMETER = /^(?:gamma|beta|weights?|bias(?:es)?|scales?|shifts?|running_(?:mean|var)|(?:ln|norm|bn|gn)_?(?:weight|bias|gamma|beta|[wbg]))$/i;

/** A load of such a vector: its index reaches the thread and block indices only through remainders (`ng % G`). */
export function perChannelParameter(a: AccessFact): boolean {
  if (a.space !== 'global' || a.kind !== 'load' || a.indices.length !== 1 || a.indices[0].unknown) return false;
  if (!PARAMETER.test(a.array.replace(/^.*(?:\.|->)/, ''))) return false;
  const idx = a.indices[0];
  const grid = (s: string) => symbolKind(s) === 'thread' || symbolKind(s) === 'block';
  // (directly: `bias[tid]` is a row segment, not a remainder; nor a row walked by a loop, `bias[h * T + s]` over `s < T`:
  // a table as long as the loop, where a channel changes only every so many steps, `i / HW`)
  if ([...idx.symbols()].some((s) => grid(s) || symbolKind(s) === 'loop')) return false;
  const remainders = [...idx.symbols()].filter((s) => atomDef(s)?.op === '%' && atomDef(s)!.args[0].dependsOn(grid));
  return remainders.length > 0 && [...idx.symbols()].every((s) => !atomDef(s) || remainders.includes(s) || !atomDef(s)!.args.some((p) => p.dependsOn(grid)));
}
