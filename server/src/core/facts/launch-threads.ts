// The threads a 1-D launch starts, over the launching function's parameters: `<<<N / 256, 256>>>` is N threads, and
// so is a round-up grid, `<<<(N + 255) / 256, 256>>>` (a kernel without a bounds check runs with N a multiple of the
// block, which its launcher asserts). A kernel that checks no bound covers as many elements as the launch has
// threads: the elementwise chain rule compares two launches' extents by it.
import type { Poly } from '../affine';

/** `N`, `B*T*C`, `4*n`: a product of names and numbers. */
const PRODUCT = /^(?:[A-Za-z_]\w*|\d+)(?:\*(?:[A-Za-z_]\w*|\d+))*$/;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The count of `(N + b - 1) / b` or `N / b` blocks of `b` threads (`b` the block as written, a name): N; else null. */
function ownBlocks(text: string, blockText: string): string | null {
  if (!/^[A-Za-z_]\w*$/.test(blockText)) return null;
  const named = /^\((.+)\+\(?([A-Za-z_]\w*)\)?-1\)\/\(?([A-Za-z_]\w*)\)?$/.exec(text);
  if (named && named[2] === blockText && named[3] === blockText) return named[1];
  const byBlock = /^\(?([^()]+?)\)?\/\(?([A-Za-z_]\w*)\)?$/.exec(text);
  return byBlock && byBlock[2] === blockText ? byBlock[1] : null;
}

/**
 * The count a grid divides and the divisor: `(N + 255) / 256` and `N / 256` -> [N, 256]; a bare product -> [it, 1].
 * A divisor that is the block as written (`(N + block_size - 1) / block_size` of a `block_size`-thread block) is the
 * block's own count.
 */
function quotient(text: string, blockText: string, block: number): [string, number] | null {
  const up = /^\((.+)\+(\d+)(-1)?\)\/(\d+)$/.exec(text);
  if (up && Number(up[2]) - (up[3] ? 1 : 0) === Number(up[4]) - 1) return [up[1], Number(up[4])];
  const named = /^\((.+)\+\(?([A-Za-z_]\w*)\)?-1\)\/\(?([A-Za-z_]\w*)\)?$/.exec(text);
  if (named && named[2] === named[3] && named[3] === blockText) return [named[1], block];
  const down = /^\(?([^()]+?)\)?\/(\d+)$/.exec(text);
  if (down) return [down[1], Number(down[2])];
  const byBlock = /^\(?([^()]+?)\)?\/\(?([A-Za-z_]\w*)\)?$/.exec(text);
  if (byBlock && byBlock[2] === blockText) return [byBlock[1], block];
  return /[/()]/.test(text) ? null : [text, 1];
}

/**
 * The threads as a text over the launch's names (`N`, `B*T*C/8`), or null: the grid, as evaluated where the launch
 * is, a product of parameters or its quotient by a number; the block a number. `asPassed` tells the names that are
 * the function's parameters as called (a wrapper's call puts its caller's arguments in).
 */
export function launchThreads(grid: Poly, block: Poly, blockText: string, asPassed: (name: string) => boolean): string | null {
  if (grid.unknown) return null;
  const text = String(grid).replace(/\s+/g, '').replace(/×/g, '*');
  // (a round-up over the block as written, whatever its value, `CEIL_DIV(N, block_size)` of a wrapper's `block_size`)
  const own = ownBlocks(text, blockText.replace(/\s+/g, ''));
  if (own !== null) return PRODUCT.test(own) && own.split('*').filter((f) => !/^\d+$/.test(f)).every(asPassed) ? own : null;
  if (!block.isConstant || block.constant <= 0) return null;
  const q = quotient(text, blockText.replace(/\s+/g, ''), block.constant);
  if (!q || !PRODUCT.test(q[0])) return null;
  const factors = q[0].split('*');
  const names = factors.filter((f) => !/^\d+$/.test(f));
  if (!names.length || !names.every(asPassed)) return null;
  const num = factors.filter((f) => /^\d+$/.test(f)).reduce((n, f) => n * Number(f), block.constant);
  const g = gcd(num, q[1]);
  return [...names, ...(num / g !== 1 ? [String(num / g)] : [])].join('*') + (q[1] / g !== 1 ? `/${q[1] / g}` : '');
}
