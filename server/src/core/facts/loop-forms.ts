// Loop shapes the C/C++ walker reads beyond `for (int i = 0; i < n; ++i)`: a loop that goes on
// from a variable (`for (; l < n; l += s)`), comma initializers (`for (i = 0, s = 0.0f; ...)`),
// and the `if`s inside a loop that pick a few of its iterations (`if (i == n - 1)`).
import type { SyntaxNode as Node } from '../mirror';
import type { LoopFact } from './model';
import { unparen } from './evaluate';
import { field, namedChildren } from '../syntax';

/** The variable a loop's update steps (`l += s`, `++l`), if it is one plain name. */
export function steppedName(update: Node): string | null {
  const u = update.type === 'comma_expression' ? namedChildren(update)[0] : update;
  const target = u.type === 'update_expression' ? field(u, 'argument') : u.type === 'assignment_expression' ? field(u, 'left') : null;
  return target?.type === 'identifier' ? target.text : null;
}

/** `a = 0, b = 1, c = 2` as its parts, in order. */
export function commaParts(n: Node): Node[] {
  if (n.type !== 'comma_expression') return [n];
  return [...commaParts(field(n, 'left') ?? n), ...(field(n, 'right') ? commaParts(field(n, 'right')!) : [])];
}

/**
 * The loops (of `enclosing`, outermost first) an `if` runs on a few iterations of: `i == n - 1`,
 * `i == 0`, `i % 100 == 0`, `(i + 1) % K == 0` with `i` the loop's variable and nothing on the
 * other side that moves with the loop.
 */
export function rareIterationLoops(cond: Node, enclosing: readonly LoopFact[]): number[] {
  let e: Node | null = cond;
  while (e && (e.type === 'condition_clause' || e.type === 'parenthesized_expression')) e = namedChildren(e).find((c) => c.type !== 'comment') ?? null;
  if (!e || e.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return [];
  const sides = [field(e, 'left'), field(e, 'right')].map((x) => unparen(x));
  const out: number[] = [];
  for (const loop of enclosing) {
    const v = loop.variable;
    if (!v) continue;
    const names = (x: Node | null) => !!x && new RegExp(`\\b${v}\\b`).test(x.text);
    const tests = (x: Node | null) => {
      if (!x) return false;
      if (x.type === 'identifier') return x.text === v;
      // `i % K`, `(i + 1) % K`
      return x.type === 'binary_expression' && field(x, 'operator')?.text === '%' && names(field(x, 'left')) && !names(field(x, 'right'));
    };
    if ((tests(sides[0]) && !names(sides[1])) || (tests(sides[1]) && !names(sides[0]))) out.push(loop.id);
  }
  return out;
}
