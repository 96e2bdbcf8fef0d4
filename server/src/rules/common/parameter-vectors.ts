// A normalization's or an affine layer's per-channel parameters (`gamma[c]`, `beta[c]`, `bias[c]`) read by a kernel
// whose threads each own a (sample, group) and reach the channel only through a remainder of their index
// (`g = ng % G; c = g * cpg + i / HW`): a vector of C floats, a few KB the whole grid reads and L1 holds after the
// first touch. Neither its lane spacing nor its reuse across threads is worth a remapping or a `__shared__` tile.
import { atomDef, loneSymbol, symbolKind } from '../../core/affine';
import type { AccessFact, LoopFact } from '../../core/facts/model';

/** Names such parameters go by. */
const PARAMETER = /^(?:gamma|beta|weights?|bias(?:es)?|scales?|shifts?|running_(?:mean|var)|(?:ln|norm|bn|gn)_?(?:weight|bias|gamma|beta|[wbg]))$/i;

/**
 * A load of such a vector: its index reaches the thread and block indices only through remainders (`ng % G`). `loops`
 * (the function's) admit a walk over the channels of the group, `gamma[g * cpg + i]` over `i < cpg` (NHWC).
 */
export function perChannelParameter(a: AccessFact, loops: readonly LoopFact[] = []): boolean {
  if (a.space !== 'global' || a.kind !== 'load' || a.indices.length !== 1 || a.indices[0].unknown) return false;
  if (!PARAMETER.test(a.array.replace(/^.*(?:\.|->)/, ''))) return false;
  const idx = a.indices[0];
  const grid = (s: string) => symbolKind(s) === 'thread' || symbolKind(s) === 'block';
  const remainders = [...idx.symbols()].filter((s) => atomDef(s)?.op === '%' && atomDef(s)!.args[0].dependsOn(grid));
  // the channels of the remainder's group, one a step: `g * cpg + i` over `i < cpg`, with `g = ng % G` and `cpg = C / G`
  // (the group's share of the channels: the walk stays inside C; `bias[h * T + s]` over `s < T` walks a table of NH * T)
  const groupWalk = (s: string) => {
    const l = loops.find((x) => x.symbol === s);
    const step = idx.coefficient(s);
    return !!l?.limit && !l.limit.unknown && step.isConstant && step.constant === 1 && remainders.some((r) => {
      // (a quotient of uniform values is one symbol, `C/G`; of others an atom)
      const share = loneSymbol(idx.coefficient(r));
      const quotient = share ? atomDef(share) : undefined;
      const divisor = quotient ? (quotient.op === '/' ? quotient.args[1].toString() : null) : share?.split('/').slice(1).join('/') ?? null;
      return l.limit!.equals(idx.coefficient(r)) && !!divisor && divisor.replace(/\s+/g, '') === atomDef(r)!.args[1].toString().replace(/\s+/g, '');
    });
  };
  // (directly: `bias[tid]` is a row segment, not a remainder; nor a row walked by a loop, `bias[h * T + s]` over `s < T`:
  // a table as long as the loop, where a channel changes only every so many steps, `i / HW`)
  if ([...idx.symbols()].some((s) => grid(s) || (symbolKind(s) === 'loop' && !groupWalk(s)))) return false;
  return remainders.length > 0 && [...idx.symbols()].every((s) => !atomDef(s) || remainders.includes(s) || !atomDef(s)!.args.some((p) => p.dependsOn(grid)));
}
