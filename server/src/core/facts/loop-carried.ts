// Integer variables a loop body assigns, and pointers it steps (ANALYSIS.md §1, "variables
// written in a loop"): what they are worth while the body runs, seen from its first statement.
import type { SyntaxNode as Node } from '../mirror';
import { Poly, dependsOnLane } from '../affine';
import { field, namedChildren, walk } from '../syntax';
import type { Value } from './evaluate';
import type { LoopFact } from './model';


interface Assignment {
  name: string;
  op: string;
  right: Node | null;
  /** A statement of the loop body itself, run once every pass (not under a branch or an inner loop). */
  statement: boolean;
}

/**
 * The factor a variable is multiplied by each pass (`offset *= 2`, `<<= 1`: 2; `/= 2`, `>>= 1`: 0.5) when that is
 * all the body does to it, once, and it enters the loop as a positive constant; else null.
 */
function geometricFactor(assigned: readonly Assignment[], entry: Poly, evaluate: (n: Node | null) => Poly): number | null {
  if (assigned.length !== 1 || !assigned[0].statement || !entry.isConstant || entry.constant <= 0) return null;
  const by = assigned[0].right ? evaluate(assigned[0].right) : null;
  if (!by?.isConstant || by.constant <= 0) return null;
  const factor = { '*=': by.constant, '/=': 1 / by.constant, '<<=': 2 ** by.constant, '>>=': 2 ** -by.constant }[assigned[0].op];
  return factor !== undefined && factor !== 1 && by.constant <= 8 ? factor : null;
}

/**
 * Gives each integer variable the body assigns its value during the loop, and returns their
 * names (unknown after the loop, where the caller puts them):
 * - stepped only (`idx += stride`): its value on entry plus a per-iteration symbol, so its
 *   thread-index coefficients stay known while any use reads as loop-dependent;
 * - otherwise assigned from values every lane shares (`stage ^= 1`, `buf = k & 1`): one
 *   per-iteration symbol, the same for the whole warp, so `Bs[stage][k][tx]` keeps its lanes;
 * - else unknown.
 * A pointer the body only steps (`wp += D`, `p++`) points at its entry offset plus a per-iteration
 * symbol: `wp[k]` then moves with the loop as `w[j * D + k]` does.
 */
export function markLoopCarried(
  body: Node | null, id: number, loopVar: string | null, env: Map<string, Value>, evaluate: (n: Node | null) => Poly,
  geometric?: (g: NonNullable<LoopFact['geometric']>[number]) => void,
  /** A `for` header's update clause: the pointers it steps (`channel--; data_im += channel_size`) move with the loop too. */
  update: Node | null = null,
): string[] {
  if (!body) return [];
  const assignments: Assignment[] = [];
  const pointers = new Map<string, Poly[]>();
  const assignedPointers = new Set<string>();
  const stepped: string[] = [];
  // (pointers stepped in a branch or a nested loop of the body: not once a pass)
  const unevenly = new Set<string>();
  const visit = (c: Node, pointersOnly: boolean) => {
    let target: Node | null = null;
    let op = '';
    if (c.type === 'assignment_expression') {
      target = field(c, 'left');
      op = field(c, 'operator')?.text ?? '';
    } else if (c.type === 'update_expression') {
      target = field(c, 'argument');
      op = '+=';
    }
    if (!target || target.type !== 'identifier' || target.text === loopVar) return;
    const kind = env.get(target.text)?.kind;
    if (pointersOnly && kind !== 'ptr') return;
    if (kind === 'ptr' && (op === '+=' || op === '-=')) {
      // its step per iteration: `+= D`, `++` (one element), `-= s`
      const right = c.type === 'assignment_expression' ? field(c, 'right') : null;
      const by = right ? evaluate(right) : Poly.const(1);
      const down = op === '-=' || (c.type === 'update_expression' && c.text.includes('--'));
      const steps = pointers.get(target.text) ?? [];
      steps.push(down ? by.scale(-1) : by);
      pointers.set(target.text, steps);
      // (a step the body takes once every pass, `p += cols;` as a statement of its own, counts passes as the header's would)
      if (!pointersOnly && !(c.parent?.type === 'expression_statement' && c.parent.parent === body)) unevenly.add(target.text);
    } else if (kind === 'ptr') assignedPointers.add(target.text);
    if (kind !== 'int') return;
    assignments.push({ name: target.text, op, right: c.type === 'assignment_expression' ? field(c, 'right') : null, statement: c.parent?.type === 'expression_statement' && c.parent.parent === body });
  };
  walk(body, (c) => visit(c, false));
  // (the header's integer companions, `k++, xi += blockDim.x`, the loop itself steps with its variable)
  if (update) walk(update, (c) => visit(c, true));
  // a pointer the body or the for header steps (`wp += D`, `*p++`) and never sets: where it points moves with the iterations
  // (one step the whole warp shares, `A += BK`, is a multiple of it each iteration: the alignment it keeps stays known)
  for (const [n, steps] of pointers) {
    const v = env.get(n);
    if (assignedPointers.has(n) || v?.kind !== 'ptr' || v.rows) continue;
    // (stepped once a pass beside a counted variable, by the header, `++i, ++a, b += N`, or by a statement of the body,
    // `s += *p; p += cols;`: as the variable is)
    const iteration = Poly.sym(loopVar && steps.length === 1 && !unevenly.has(n) ? `#loop${id}:${loopVar}` : `#loop${id}:${n}'`);
    const one = steps.length === 1 && !steps[0].unknown && !dependsOnLane(steps[0]) ? steps[0] : null;
    env.set(n, { ...v, offset: v.offset.add(one ? one.mul(iteration) : iteration) });
    stepped.push(n);
  }
  const names = [...new Set(assignments.map((a) => a.name))];
  const entry = new Map(names.map((n) => [n, (env.get(n) as Extract<Value, { kind: 'int' }>).poly]));
  const onlyStepped = (n: string) => assignments.every((a) => a.name !== n || a.op === '+=' || a.op === '-=');
  const scaled = new Map(names.map((n) => [n, geometricFactor(assignments.filter((a) => a.name === n), entry.get(n)!, evaluate)] as const));
  for (const n of names) {
    const factor = scaled.get(n);
    if (factor) {
      // `offset *= 2` once a pass from `offset = 1`: one symbol for the pass's value, known to be 1, 2, 4, ...
      const symbol = `#loop${id}:${n}^`;
      env.set(n, { kind: 'int', poly: Poly.sym(symbol) });
      geometric?.({ variable: n, symbol, init: entry.get(n)!.constant, factor });
    } else env.set(n, { kind: 'int', poly: onlyStepped(n) ? entry.get(n)!.add(Poly.sym(`#loop${id}:${n}'`)) : Poly.sym(`#loop${id}:${n}~`) });
  }
  // names the body declares (its locals, inner loops' variables) are not in `env` yet: a right side reading one is not known
  const locals = new Set<string>();
  walk(body, (c) => {
    if (c.type === 'init_declarator' || c.type === 'declaration') {
      const d = c.type === 'init_declarator' ? field(c, 'declarator') : null;
      if (d?.type === 'identifier') locals.add(d.text);
      if (c.type === 'declaration') for (const x of namedChildren(c)) if (x.type === 'identifier') locals.add(x.text);
    }
  });
  const readsLocal = (n: Node | null) => {
    let hit = false;
    if (n) walk(n, (c) => void (c.type === 'identifier' && locals.has(c.text) && (hit = true)));
    return hit;
  };
  // a shared value stays shared only if it starts the same for every lane and every assignment's right side is
  // the same for every lane, with the others' values in the body (`a = b; b = threadIdx.x` is lane-dependent from
  // the second iteration; `c = (c + 1) & 31` from `c = threadIdx.x` never is shared): again until nothing changes
  const shared = new Set(names.filter((n) => !onlyStepped(n) && !scaled.get(n)));
  for (let changed = true; changed;) {
    changed = false;
    for (const n of shared) {
      const before = entry.get(n)!;
      const ok = !before.unknown && !dependsOnLane(before) && assignments.every((a) => {
        if (a.name !== n) return true;
        if (readsLocal(a.right)) return false;
        const r = a.right ? evaluate(a.right) : Poly.const(1);
        return !r.unknown && !dependsOnLane(r);
      });
      if (ok) continue;
      shared.delete(n);
      env.set(n, { kind: 'int', poly: Poly.unknown });
      changed = true;
    }
  }
  return [...names, ...stepped];
}
