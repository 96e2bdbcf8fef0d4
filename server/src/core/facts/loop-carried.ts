// Integer variables a loop body assigns (ANALYSIS.md §1, "variables written in a loop"):
// what they are worth while the body runs, seen from its first statement.
import type { SyntaxNode as Node } from '../mirror';
import { Poly, symbolKind } from '../affine';
import { field, walk } from '../syntax';
import type { Value } from './evaluate';

/** Differs between the lanes of a warp (a thread or lane index, also inside an atom). */
const laneDependent = (p: Poly) => p.dependsOn((s) => symbolKind(s) === 'thread' || symbolKind(s) === 'lane');

interface Assignment {
  name: string;
  op: string;
  right: Node | null;
}

/**
 * Gives each integer variable the body assigns its value during the loop, and returns their
 * names (unknown after the loop, where the caller puts them):
 * - stepped only (`idx += stride`): its value on entry plus a per-iteration symbol, so its
 *   thread-index coefficients stay known while any use reads as loop-dependent;
 * - otherwise assigned from values every lane shares (`stage ^= 1`, `buf = k & 1`): one
 *   per-iteration symbol, the same for the whole warp, so `Bs[stage][k][tx]` keeps its lanes;
 * - else unknown.
 */
export function markLoopCarried(body: Node | null, id: number, loopVar: string | null, env: Map<string, Value>, evaluate: (n: Node | null) => Poly): string[] {
  if (!body) return [];
  const assignments: Assignment[] = [];
  walk(body, (c) => {
    let target: Node | null = null;
    let op = '';
    if (c.type === 'assignment_expression') {
      target = field(c, 'left');
      op = field(c, 'operator')?.text ?? '';
    } else if (c.type === 'update_expression') {
      target = field(c, 'argument');
      op = '+=';
    }
    if (!target || target.type !== 'identifier' || target.text === loopVar || env.get(target.text)?.kind !== 'int') return;
    assignments.push({ name: target.text, op, right: c.type === 'assignment_expression' ? field(c, 'right') : null });
  });
  const names = [...new Set(assignments.map((a) => a.name))];
  const entry = new Map(names.map((n) => [n, (env.get(n) as Extract<Value, { kind: 'int' }>).poly]));
  const stepped = (n: string) => assignments.every((a) => a.name !== n || a.op === '+=' || a.op === '-=');
  for (const n of names) env.set(n, { kind: 'int', poly: stepped(n) ? entry.get(n)!.add(Poly.sym(`#loop${id}:${n}'`)) : Poly.sym(`#loop${id}:${n}~`) });
  // a shared value stays shared only if every assignment's right side is, with the others' values in the body
  // (`a = b; b = threadIdx.x` is lane-dependent from the second iteration): again until nothing changes
  const shared = new Set(names.filter((n) => !stepped(n)));
  for (let changed = true, rounds = 0; changed && rounds < 4; rounds++) {
    changed = false;
    for (const n of shared) {
      const before = entry.get(n)!;
      const ok = assignments.every((a) => {
        if (a.name !== n) return true;
        const r = a.right ? evaluate(a.right) : Poly.const(1);
        // `s ^= 1` also reads the value it had: shared only if that was
        return !r.unknown && !laneDependent(r) && (a.op === '=' || (!before.unknown && !laneDependent(before)));
      });
      if (ok) continue;
      shared.delete(n);
      env.set(n, { kind: 'int', poly: Poly.unknown });
      changed = true;
    }
  }
  return names;
}
