// Guards that leave only one warp of the block running: `if (threadIdx.x < 32)`, `if (warp == 0)` with
// `warp = threadIdx.x / 32` (or `>> 5`, `/ warpSize`), and their negations before an early return
// (`if (warp_id != 0) return;`). A decode kernel's softmax often runs on warp 0 alone after the block wrote
// its scores: what that warp reads, no other warp of the block reads again.
import type { SyntaxNode as Node } from '../mirror';
import { atomDef, loneSymbol, type Poly } from '../affine';
import { field, namedChildren } from '../syntax';
import { unparen } from './evaluate';

const WARP = 32;

/** `threadIdx.x` alone (coefficient 1, nothing added). */
function isThreadIndex(p: Poly): boolean {
  if (p.unknown || p.constant !== 0 || p.symbols().size !== 1) return false;
  const c = p.coefficient('threadIdx.x');
  return c.isConstant && c.constant === 1;
}

/** `threadIdx.x / 32`, `threadIdx.x >> 5`, `threadIdx.x / warpSize`: the warp's index in a 1-D block. */
function isWarpIndex(p: Poly): boolean {
  const sym = loneSymbol(p);
  const d = sym !== null ? atomDef(sym) : undefined;
  if (!d || d.args.length !== 2 || !isThreadIndex(d.args[0])) return false;
  const by = d.args[1];
  if (d.op === '/') return (by.isConstant && by.constant === WARP) || loneSymbol(by) === 'warpSize';
  return d.op === '>>' && by.isConstant && by.constant === 5;
}

/** Whether `limit` is a warp's width: 32, or `warpSize`. */
const isWarpWidth = (limit: Poly, inclusive: boolean) =>
  (limit.isConstant && limit.constant + (inclusive ? 1 : 0) === WARP) || (!inclusive && loneSymbol(limit) === 'warpSize');

/** A comparison written either way round: `tid < 32` or `32 > tid`. */
const FLIPPED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };

/**
 * '==' when the condition holds for one warp's threads only (`tid < 32`, `warp == 0`, either side of `&&`),
 * '!=' when it holds for every thread but those (`tid >= 32`, `warp != 0`, `warp > 0`), else null.
 */
export function firstWarpTest(cond: Node, evaluate: (n: Node | null) => Poly): '==' | '!=' | null {
  const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
  if (c?.type !== 'binary_expression') return null;
  const op = field(c, 'operator')?.text ?? '';
  if (op === '&&') {
    const sides = [field(c, 'left'), field(c, 'right')].map((s) => (s ? firstWarpTest(s, evaluate) : null));
    return sides.includes('==') ? '==' : null;
  }
  if (!(op in FLIPPED)) return null; // before evaluating: most conditions are no comparison of a thread index
  const [left, right] = [evaluate(field(c, 'left')), evaluate(field(c, 'right'))];
  if (left.unknown || right.unknown) return null;
  const flipped = FLIPPED;
  const [subject, limit, test] = isThreadIndex(left) || isWarpIndex(left) ? [left, right, op] : [right, left, flipped[op]];
  if (!test) return null;
  if (isThreadIndex(subject)) {
    if ((test === '<' || test === '<=') && isWarpWidth(limit, test === '<=')) return '==';
    if ((test === '>=' || test === '>') && isWarpWidth(limit, test === '>')) return '!=';
    return null;
  }
  if (!isWarpIndex(subject) || !limit.isConstant) return null;
  // (`warp == 1`: one warp too, the second)
  if (test === '==' || (test === '<' && limit.constant === 1)) return '==';
  if ((test === '!=' || test === '>') && limit.constant === 0) return '!=';
  return null;
}
