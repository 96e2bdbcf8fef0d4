// Loop and branch shapes the C/C++ walker reads beyond `for (int i = 0; i < n; ++i)`: a loop that
// goes on from a variable (`for (; l < n; l += s)`), comma initializers (`for (i = 0, s = 0.0f; ...)`),
// the `if`s inside a loop that pick a few of its iterations (`if (i == n - 1)`) or its short
// remainder (`if (remaining >= 4) ... else`), loops only a few lanes run (`for (r = lane; r < 4; ...)`),
// and the arm an `if constexpr` keeps.
import type { SyntaxNode as Node } from '../mirror';
import type { LoopFact } from './model';
import { Poly, atomDef, loneSymbol } from '../affine';
import { unparen } from './evaluate';
import { children, field, namedChildren, walk } from '../syntax';
import { lineScan } from '../line-scans';
import { identifiersOf } from './c-syntax';

/** Statements that loop (and the function, where a walk up stops). */
const LOOP_STATEMENT = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop', 'function_definition']);

/** The variable a loop's update steps (`l += s`, `++l`), if it is one plain name. */
export function steppedName(update: Node): string | null {
  const u = update.type === 'comma_expression' ? namedChildren(update)[0] : update;
  const target = u.type === 'update_expression' ? field(u, 'argument') : u.type === 'assignment_expression' ? field(u, 'left') : null;
  return target?.type === 'identifier' ? target.text : null;
}

/**
 * A `while` loop that steps its tested variable in the steps that end its body
 * (`while (i < n) { ...; i += blockDim.x * gridDim.x; }`, the grid-stride form of many
 * tutorials): the condition and that step, read as `for (; i < n; i += ...)` reads them.
 */
export function whileAsFor(n: Node): { cond: Node; update: Node } | null {
  if (n.type !== 'while_statement') return null;
  const cond = conditionExpression(field(n, 'condition'));
  const tested = cond?.type === 'binary_expression' ? unparen(field(cond, 'left')) : null;
  const body = field(n, 'body');
  if (!cond || tested?.type !== 'identifier' || body?.type !== 'compound_statement') return null;
  // (among the steps that end the body, `++x; ++y;` of a two-pointer walk)
  const items = namedChildren(body).filter((c) => c.type !== 'comment');
  for (let i = items.length - 1; i >= 0; i--) {
    const update = items[i].type === 'expression_statement' ? namedChildren(items[i])[0] : null;
    const name = update ? steppedName(update) : null;
    if (!update || !name || !/^(?:update_expression|assignment_expression)$/.test(update.type)) return null;
    // (a step moves the variable from where it is, `i += s`, `i = i + s`; `error = sqrtf(l2)` sets it anew: no count)
    const plain = update.type === 'assignment_expression' && field(update, 'operator')?.text === '=';
    if (name === tested.text && plain && !identifiersOf(field(update, 'right')!).includes(name)) return null;
    if (name === tested.text) return { cond, update };
  }
  return null;
}

/** A condition without its clause and parentheses (`x % 100 == 0` of `if ((x % 100 == 0))`). */
export function conditionExpression(cond: Node | null): Node | null {
  let e = cond;
  while (e && (e.type === 'condition_clause' || e.type === 'parenthesized_expression')) e = namedChildren(e).find((c) => c.type !== 'comment') ?? null;
  return e;
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
export function rareIterationLoops(cond: Node, enclosing: readonly LoopFact[], counters?: ReadonlyMap<number, readonly string[]>): number[] {
  const e = conditionExpression(cond);
  // (a conjunction runs only when both hold: `preview && i % 10 == 0` picks the iterations its `%` test does)
  if (e?.type === 'binary_expression' && field(e, 'operator')?.text === '&&') {
    return [...new Set([...rareIterationLoops(field(e, 'left')!, enclosing, counters), ...rareIterationLoops(field(e, 'right')!, enclosing, counters)])];
  }
  // (either of two rare tests, `step % sample_every == 0 || last_step`, llm.c's: the loops both pick few iterations of)
  if (e?.type === 'binary_expression' && field(e, 'operator')?.text === '||') {
    const right = rareIterationLoops(field(e, 'right')!, enclosing, counters);
    return rareIterationLoops(field(e, 'left')!, enclosing, counters).filter((id) => right.includes(id));
  }
  // a flag named for the last step (`int last_step = step == train_num_batches;`): true on one iteration
  if (e?.type === 'identifier' && LAST_STEP_FLAG.test(e.text)) return enclosing.filter((l) => l.variable && (l.trips ?? Infinity) > FEW_TRIPS).map((l) => l.id);
  // a debugging switch (`if (verbose)`, `if (args.debug)`): its arm runs in a run that asks for it, not in the one timed
  if (e && (e.type === 'identifier' || e.type === 'field_expression') && DEBUG_FLAG.test(e.text.replace(/^.*(?:\.|->)/, ''))) return enclosing.filter((l) => (l.trips ?? Infinity) > FEW_TRIPS).map((l) => l.id);
  if (!e || e.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return [];
  const sides = [field(e, 'left'), field(e, 'right')].map((x) => unparen(x));
  const out: number[] = [];
  for (const loop of enclosing) {
    // (the loop's variable, or a step counter its body advances by hand: `step++; if (step % 100 == 0)`)
    for (const v of [loop.variable, ...(counters?.get(loop.id) ?? [])]) {
      // (not in a loop of a few trips, `for (v = 0; v < 3; ++v) if (v == 0) naive<<<>>>`: a variant picked per step)
      if (!v || (loop.trips ?? Infinity) <= FEW_TRIPS) continue;
      const names = (x: Node | null) => !!x && new RegExp(`\\b${v}\\b`).test(x.text);
      const tests = (x: Node | null) => {
        if (!x) return false;
        if (x.type === 'identifier') return x.text === v;
        // `i % K`, `(i + 1) % K` (not `it % 2`: ping-pong steps alternate, each half the time)
        const k = unparen(field(x, 'right'));
        const alternates = k?.type === 'number_literal' && Number(k.text.replace(/[uUlL]+$/, '')) <= 4;
        return x.type === 'binary_expression' && field(x, 'operator')?.text === '%' && names(field(x, 'left')) && !names(field(x, 'right')) && !alternates;
      };
      if ((tests(sides[0]) && !names(sides[1])) || (tests(sides[1]) && !names(sides[0]))) out.push(loop.id);
    }
  }
  return [...new Set(out)];
}

/**
 * Names a loop body advances by one on every iteration (`step++;`, `++iter;`, `n_done += 1;` as a statement of the body
 * itself, not of an `if` in it, in a body with no `continue` and no other assignment to the name): counters of the
 * loop's iterations, which an `if (step % 100 == 0)` tests as it would the loop's variable.
 */
export function stepCounters(body: Node | null): string[] {
  if (body?.type !== 'compound_statement') return [];
  const increments: string[] = [];
  const incremented = (e: Node | null | undefined) => e?.type === 'update_expression' && /\+\+/.test(e.text) ? field(e, 'argument')
    : e?.type === 'assignment_expression' && field(e, 'operator')?.text === '+=' && unparen(field(e, 'right'))?.text === '1' ? field(e, 'left') : null;
  for (const st of namedChildren(body)) {
    // (or in the test of an `if` of the body, evaluated every iteration: `if (++step % 100 == 0)`)
    let target = st.type === 'expression_statement' ? incremented(namedChildren(st)[0]) : null;
    // (not behind `&&` or `||`, which may skip it)
    const cond = st.type === 'if_statement' ? conditionExpression(field(st, 'condition')) : null;
    if (cond && !/&&|\|\|/.test(cond.text)) {
      const updates: Node[] = [];
      walk(cond, (x) => { if (x.type === 'update_expression') updates.push(x); });
      if (updates.length === 1) target = incremented(updates[0]);
    }
    if (target?.type === 'identifier') increments.push(target.text);
  }
  if (!increments.length) return [];
  // (a `continue` skips the increment on some iterations; another assignment, `slot = 0`, makes it wrap)
  let skips = false;
  const assigned = new Map<string, number>();
  const visit = (n: Node) => {
    if (/^(?:for|while|do|for_range_loop)_statement$|^lambda_expression$/.test(n.type)) return;
    if (n.type === 'continue_statement') skips = true;
    const target = n.type === 'update_expression' ? field(n, 'argument') : n.type === 'assignment_expression' ? field(n, 'left') : null;
    if (target?.type === 'identifier') assigned.set(target.text, (assigned.get(target.text) ?? 0) + 1);
    for (const c of namedChildren(n)) visit(c);
  };
  for (const c of namedChildren(body)) visit(c);
  return skips ? [] : increments.filter((name) => assigned.get(name) === 1);
}

/** A flag set on the last step of a loop (`last_step`, `is_last_iter`, `final_epoch`). */
/**
 * A switch for debugging or logging output (`verbose`, `debug`, `DEBUG_MODE`, `dbg`, `log_every_chunk`): off in the runs
 * that matter.
 */
export const DEBUG_FLAG = /^(?:verbose|debug|dbg|debug_?mode|is_?debug|do_?debug|trace|print_?debug|log_every_\w+)$/i;
export const LAST_STEP_FLAG = /^(?:is_?)?(?:last|final)_?(?:step|iter|iteration|epoch|batch)$/i;

/**
 * A test for the last of a caller's steps, outside any loop of its own (a helper's `if (last_step)` with
 * `bool last_step = micro_step == grad_accum_steps - 1;`, or the comparison itself): its arm runs on one call of many.
 */
export function lastStepArm(cond: Node): boolean {
  const e = conditionExpression(cond);
  if (e?.type === 'identifier') return LAST_STEP_FLAG.test(e.text);
  if (e?.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return false;
  const minusOne = (x: Node | null) => { const u = unparen(x); return u?.type === 'binary_expression' && field(u, 'operator')?.text === '-' && field(u, 'right')?.text === '1'; };
  return minusOne(field(e, 'left')) || minusOne(field(e, 'right'));
}

/** Trips of a loop whose iterations are a handful of variants or settings rather than steps. */
const FEW_TRIPS = 16;

/** The most elements a chunk may hold for its short remainder to count as a tail (a float4 / 8 x half / 16 x byte step). */
const MAX_CHUNK = 16;

/**
 * The arm of an `if` that handles the short remainder of a chunked loop: `if (remaining >= 4) { vector step }
 * else { for (j < remaining) ... }` or `if (i + 3 < m) ... else ...`, inside `for (i = tid * 4; ...; i += BLOCK * 4)`.
 * The condition compares `m - i` (through locals) with a small constant, `i` an enclosing loop's variable stepping
 * by at least that many elements: only the loop's last chunk takes the short arm. 'consequence', 'alternative' or null.
 */
export function chunkTailArm(cond: Node, evaluate: (n: Node | null) => Poly, enclosing: readonly LoopFact[]): 'consequence' | 'alternative' | null {
  let e: Node | null = cond;
  while (e && (e.type === 'condition_clause' || e.type === 'parenthesized_expression')) e = namedChildren(e).find((c) => c.type !== 'comment') ?? null;
  const op = e?.type === 'binary_expression' ? field(e, 'operator')?.text : undefined;
  if (!e || !op || !['<', '<=', '>', '>='].includes(op)) return null;
  // left - right, so the test reads `diff op 0`
  const diff = evaluate(field(e, 'left')).sub(evaluate(field(e, 'right')));
  if (diff.unknown) return null;
  for (const loop of enclosing) {
    // the variable's value is init + symbol * step: `m - i` holds -step * symbol
    const { init, step } = loop;
    if (!init || !step || init.unknown || step.unknown) continue;
    const k = diff.coefficient(loop.symbol);
    const sign = k.equals(step.scale(-1)) ? -1 : k.equals(step) ? 1 : 0;
    if (!sign) continue;
    // what is left besides the loop's variable: a constant within a chunk, and sizes that do not change in the loop
    const i = init.add(Poly.sym(loop.symbol).mul(step));
    const rest = diff.sub(i.scale(sign));
    const c = rest.constant;
    // (an outer loop's variable or `min(blkStart + 128, m)` is the same for every step of this loop: fine)
    if (Math.abs(c) > MAX_CHUNK || rest.dependsOn((s) => s === loop.symbol || s.startsWith('threadIdx.'))) continue;
    // the loop moves a chunk of at least that size per step (`i += BLOCK * 4`, `i += 4`)
    if (step.isConstant && step.constant < Math.max(2, Math.abs(c))) continue;
    // `m - i >= 4` (`i` with sign -1, `>`/`>=`): the alternative is the tail; `m - i < 4`: the consequence
    const mainWhenGreater = (sign < 0) === (op === '>' || op === '>=');
    return mainWhenGreater ? 'alternative' : 'consequence';
  }
  // `if (4 * (tid + 1) <= n) { one word } else { its bytes one by one }`: each thread owns a chunk of 4, and only the
  // thread whose chunk runs past the end takes the scalar arm
  const k = diff.coefficient('threadIdx.x');
  if (k.isConstant && Math.abs(k.constant) >= 2 && Math.abs(k.constant) <= MAX_CHUNK) {
    const rest = diff.sub(Poly.sym('threadIdx.x').scale(k.constant));
    const c = rest.constant;
    if (c !== 0 && Math.abs(c) <= Math.abs(k.constant) && !rest.dependsOn((x) => x.startsWith('threadIdx.') || x.startsWith('#'))) {
      const mainWhenGreater = (k.constant < 0) === (op === '>' || op === '>=');
      return mainWhenGreater ? 'alternative' : 'consequence';
    }
  }
  return null;
}

/** No names: the template constants of a walk that has none. */
export const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The arm an `if` keeps when the compiler decides it: an `if constexpr` comparing constants
 * (`CVT_ELTS == 16`), or an `if` on a helper's template constants only (`if (TRANSPOSED)` in
 * `stage<16, false>(...)`). 'none' when that arm is absent; null when the test is not decided.
 */
export function constexprArm(n: Node, cond: Node, evaluate: (n: Node | null) => Poly, templateConstants: ReadonlySet<string> = NO_NAMES): Node | 'none' | null {
  const test = unparen(cond.type === 'condition_clause' ? field(cond, 'value') ?? namedChildren(cond)[0] ?? null : cond);
  if (!test) return null;
  let holds: boolean | null = null;
  if (children(n).some((c) => c.type === 'constexpr') && test.type === 'binary_expression') holds = compared(test, evaluate);
  else if (templateConstants.size && onlyNames(test, templateConstants)) holds = decided(test, evaluate);
  if (holds === null) return null;
  const kept = holds ? field(n, 'consequence') : field(n, 'alternative');
  const arm = kept?.type === 'else_clause' ? namedChildren(kept)[0] ?? null : kept;
  return arm ?? 'none';
}

/** The comparison operators' meanings, for tests decided on constants. */
export const COMPARE: Partial<Record<string, (a: number, b: number) => boolean>> = { '==': (a, b) => a === b, '!=': (a, b) => a !== b, '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };

/** `A op B` of two constants, else null. */
function compared(test: Node, evaluate: (n: Node | null) => Poly): boolean | null {
  const compare = COMPARE[field(test, 'operator')?.text ?? ''];
  const l = evaluate(field(test, 'left'));
  const r = evaluate(field(test, 'right'));
  return compare && l.isConstant && r.isConstant ? compare(l.constant, r.constant) : null;
}

/** A test of constants: `FLAG`, `!FLAG`, `A && B`, `A || B`, `N == 4`. */
function decided(test: Node, evaluate: (n: Node | null) => Poly): boolean | null {
  const t = unparen(test);
  if (!t) return null;
  if (t.type === 'unary_expression' && field(t, 'operator')?.text === '!') {
    const inner = decided(field(t, 'argument')!, evaluate);
    return inner === null ? null : !inner;
  }
  if (t.type === 'binary_expression') {
    const op = field(t, 'operator')?.text;
    if (op === '&&' || op === '||') {
      const [a, b] = [decided(field(t, 'left')!, evaluate), decided(field(t, 'right')!, evaluate)];
      return a === null || b === null ? null : op === '&&' ? a && b : a || b;
    }
    return compared(t, evaluate);
  }
  const v = evaluate(t);
  return v.isConstant ? v.constant !== 0 : null;
}

/** Whether every name in `n` is one of `names` (and it names one at least). */
function onlyNames(n: Node, names: ReadonlySet<string>): boolean {
  let some = false;
  let other = false;
  walk(n, (c) => {
    if (c.type === 'identifier') (names.has(c.text) ? (some = true) : (other = true));
    return !other;
  });
  return some && !other;
}

/**
 * A loop that starts at the lane (`r = threadIdx.x`, `r = threadIdx.x & 31`) and runs to a constant below a warp
 * (`r < 4`): that many lanes run its body (the first iteration is all of them), as under `if (lane < 4)`.
 */
export function firstLanesLoop(n: Node, fact: LoopFact, evaluate: (n: Node | null) => Poly): number | null {
  const cond = field(n, 'condition');
  if (!fact.init || fact.init.unknown || cond?.type !== 'binary_expression' || field(cond, 'left')?.text !== fact.variable) return null;
  const op = field(cond, 'operator')?.text;
  if (op !== '<' && op !== '<=') return null;
  const bound = evaluate(unparen(field(cond, 'right')));
  if (!bound.isConstant) return null;
  const lane = fact.init.coefficient('threadIdx.x');
  const plainLane = lane.isConstant && lane.constant === 1 && fact.init.symbols().size === 1 && fact.init.constant === 0;
  const only = fact.init.symbols().size === 1 && fact.init.terms.size === 1 ? [...fact.init.symbols()][0] : null;
  const def = only !== null ? atomDef(only) : undefined;
  const mask = (op: string, c: number) => def?.op === op && !!def.args[1]?.isConstant && def.args[1].constant === c;
  const laneAtom = !!def && !!def.args[0]?.equals(Poly.sym('threadIdx.x')) && (mask('&', 31) || mask('%', 32));
  if (!plainLane && !laneAtom) return null;
  const k = bound.constant + (op === '<=' ? 1 : 0);
  return k >= 1 && k < 32 ? k : null;
}

/**
 * `for (i = 0; i < n_left; ++i)` with `n_left = n % 4`: the remainder after a vector loop, at most 3 steps (counted
 * as that many: the loop is short whatever `n` is).
 */
export function remainderTrips(init: Poly | null, step: Poly | null, bound: Poly, inclusive: boolean): number | undefined {
  // from a round-down to a multiple of a constant up to the value rounded (`for (i = (n / 6) * 6; i < n; ++i)`, the rows a
  // 6-row register block leaves): fewer steps than the multiple
  const down = init && step?.isConstant && step.constant === 1 ? roundedDown(init, bound) : 0;
  if (down) return down - (inclusive ? 0 : 1);
  // (or from the value less its remainder, `for (j = n - n % 16; j < n; ++j)`, the columns a 16-wide block leaves)
  const left = init && step?.isConstant && step.constant === 1 && !init.isConstant ? loneSymbol(bound.sub(init)) : null;
  if (left !== null) {
    const m = modulusOf(left);
    if (m) return m - (inclusive ? 0 : 1);
  }
  const sym = loneSymbol(bound);
  if (sym === null) return undefined;
  const modulus = modulusOf(sym);
  if (!init?.isConstant || init.constant !== 0 || !step?.isConstant || step.constant !== 1 || !modulus) return undefined;
  return modulus - (inclusive ? 0 : 1);
}

/** C of a symbol `x % C`, C a constant of 2 to 64 (an atom, or kept as its text when the dividend is uniform: `n%4`), else 0. */
function modulusOf(sym: string): number {
  const d = atomDef(sym);
  const text = !d ? /^[\w().]+%\(?(\d+)\)?$/.exec(sym.replace(/\s+/g, '')) : null;
  const modulus = d?.op === '%' && d.args[1]?.isConstant ? d.args[1].constant : text ? Number(text[1]) : 0;
  return modulus >= 2 && modulus <= 64 ? modulus : 0;
}

/** `C * (n / C)` for `n` the bound, C a constant of 2 to 64 (the division an atom, or its text `n/C`): C, else 0. */
function roundedDown(init: Poly, bound: Poly): number {
  if (init.unknown || init.terms.size !== 1) return 0;
  const [[sym, c]] = [...init.terms];
  if (!sym || sym.includes('*') || c < 2 || c > 64) return 0;
  const d = atomDef(sym);
  if (d) return d.op === '/' && d.args[1]?.isConstant && d.args[1].constant === c && d.args[0].equals(bound) ? c : 0;
  const boundText = loneSymbol(bound);
  return boundText !== null && sym.replace(/\s+/g, '') === `${boundText}/${c}` ? c : 0;
}

/** A value of these names alone (through `K / WK` and the like): known when they are. */
export function ofNames(p: Poly, names: ReadonlySet<string>, depth = 0): boolean {
  if (p.unknown || depth > 8) return false;
  return [...p.symbols()].every((s) => {
    if (names.has(s)) return true;
    const d = atomDef(s);
    if (d) return d.args.every((a) => ofNames(a, names, depth + 1));
    // a uniform expression kept as its text (`K/WK`)
    const words = s.match(/[A-Za-z_]\w*/g) ?? [];
    return words.length > 0 && words.every((w) => names.has(w));
  });
}

/** Vector widths in elements a size is tested against before a vector path: 2, 4, 8 and 16. */
const VECTOR_WIDTHS = new Set([2, 4, 8, 16]);

/**
 * The arm of an `if` that runs when a size is not a multiple of a vector width (or when the vector path could not be
 * set up, the `else` of `status == cudaSuccess`): the `else` of
 * `if (n % 4 == 0)` or `if ((n & 3) == 0)` (alone or in a conjunction: `n % 4 == 0 && aligned(p)`), or the body of
 * `if (n % 4 != 0)` and `if (n % 4)`. A kernel launched there is the scalar fallback of a vector path (a sibling kernel, a
 * run-time-compiled one). 'consequence', 'alternative' or null.
 */
export function remainderArm(cond: Node, evaluate: (n: Node | null) => Poly): 'consequence' | 'alternative' | null {
  let e: Node | null = cond;
  while (e && (e.type === 'condition_clause' || e.type === 'parenthesized_expression')) e = namedChildren(e).find((c) => c.type !== 'comment') ?? null;
  if (!e) return null;
  // (a size: not a loop's step, `if (it % 2 == 0)` alternating kernels, nor a thread's index)
  const byWidth = (x: Node | null) => {
    while (x && x.type === 'parenthesized_expression') x = namedChildren(x)[0] ?? null;
    // (`n % 4`, or `n & 3`: the low bits of a multiple of 4)
    const operator = x?.type === 'binary_expression' ? field(x, 'operator')?.text : undefined;
    // (the width a literal or a constant, `B*T % LOOP_UNROLL` with `const int LOOP_UNROLL = 8`)
    const width = x ? evaluate(field(x, 'right')) : null;
    const right = width && !width.unknown && width.isConstant ? width.constant : NaN;
    if (!x || !(operator === '%' ? VECTOR_WIDTHS.has(right) : operator === '&' && VECTOR_WIDTHS.has(right + 1))) return false;
    const size = evaluate(field(x, 'left'));
    return !size.unknown && !size.isConstant && !size.dependsOn((sym) => sym.startsWith('#') || sym.includes('Idx.'));
  };
  const op = e.type === 'binary_expression' ? field(e, 'operator')?.text : undefined;
  // `n % 4` alone: true when there is a remainder
  if (byWidth(e)) return 'consequence';
  if (op === '&&') return remainderArm(field(e, 'left')!, evaluate) === 'alternative' || remainderArm(field(e, 'right')!, evaluate) === 'alternative' ? 'alternative' : null;
  if (op !== '==' && op !== '!=') return null;
  const [l, r] = [field(e, 'left'), field(e, 'right')];
  // (or the `else` of `status == cudaSuccess` after asking for the vector path's shared memory, llm.c's layernorm: the
  // scalar kernel runs where the wide one could not be launched)
  if (r?.text === 'cudaSuccess' || l?.text === 'cudaSuccess') return op === '==' ? 'alternative' : 'consequence';
  const tested = byWidth(l) && r?.text === '0' ? true : byWidth(r) && l?.text === '0';
  if (!tested) return null;
  return op === '==' ? 'alternative' : 'consequence';
}


/**
 * A one-shot guard: `if (init_state) { init_state = false; ... }` (or `if (!done) { done = true; ... }`), whose arm turns
 * its own flag off the first time through: what it holds runs once (a master-weights copy on the first update).
 */
/** The pointer a test finds null: `p == NULL` (`nullptr`, `0`), `NULL == p`, `!p`. */
function nullTested(e: Node): Node | null {
  if (e.type === 'unary_expression' && children(e)[0]?.text === '!') return namedChildren(e)[0] ?? null;
  if (e.type !== 'binary_expression' || field(e, 'operator')?.text !== '==') return null;
  const [l, r] = [field(e, 'left'), field(e, 'right')];
  const none = (n: Node | null) => /^(?:0|NULL|nullptr)$/.test(n?.text ?? '');
  return none(r) ? l : none(l) ? r : null;
}

/** The arm allocates device memory into `pointer` (`cudaMalloc((void**)&p, n)`, `cudaMallocManaged(&p, n)`). */
function allocatesInArm(arm: Node, pointer: string): boolean {
  const name = pointer.replace(/\s+/g, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\bcudaMalloc\\w*\\(\\s*(?:\\(\\s*void\\s*\\*\\s*\\*\\s*\\)\\s*)?&\\s*${name}\\s*,`).test(arm.text.replace(/\s*(->|\.)\s*/g, '$1'));
}

export function oneShotArm(cond: Node, consequence: Node | null, lines: readonly string[]): boolean {
  let e = conditionExpression(cond);
  if (!e || !consequence) return false;
  // (the flag and more, `if (init_state && master != NULL)`: the arm runs at most when the flag does)
  while (e && e.type === 'binary_expression' && field(e, 'operator')?.text === '&&') e = unparen(field(e, 'left'));
  if (!e) return false;
  // (a lazy allocation, `if (model->acts_memory == NULL) { cudaMalloc(&model->acts_memory, ...); }`, `if (!ws) ...`,
  // `if (NULL == buf)`: the arm allocates the pointer it tests, which stays set after the first call)
  const tested = nullTested(e);
  if (tested && /^(?:identifier|field_expression)$/.test(tested.type) && allocatesInArm(consequence, tested.text)) return true;
  // (or a latch, `if (start == 0) { start = clock(); }` of llama2.c's generate loop: the arm gives what it tests a call's
  // value, once, and no statement of the file sets it back to 0)
  if (e.type === 'binary_expression' && field(e, 'operator')?.text === '==' && /^(?:0|NULL|nullptr)$/.test(field(e, 'right')?.text ?? '') && field(e, 'left')?.type === 'identifier') {
    const latch = field(e, 'left')!.text;
    const stmts = consequence.type === 'compound_statement' ? namedChildren(consequence) : [consequence];
    const sets = stmts.some((st) => {
      const a = st.type === 'expression_statement' ? namedChildren(st)[0] : null;
      return a?.type === 'assignment_expression' && children(a)[1]?.text === '=' && field(a, 'left')?.text === latch && field(a, 'right')?.type === 'call_expression';
    });
    return sets && !flagAssignments(lines).has(`${latch}=off`);
  }
  const negated = e.type === 'unary_expression' && children(e)[0]?.text === '!';
  const flag = negated ? namedChildren(e)[0] : e;
  if (!flag || !/^(?:identifier|field_expression)$/.test(flag.type)) return false;
  const off = negated ? /^(?:true|1)$/ : /^(?:false|0)$/;
  const turnsOffIn = (stmts: readonly Node[], name: string) => stmts.some((s) => {
    const a = s.type === 'expression_statement' ? namedChildren(s)[0] : null;
    return a?.type === 'assignment_expression' && children(a)[1]?.text === '=' && field(a, 'left')?.text === name && off.test(field(a, 'right')?.text.trim() ?? '');
  });
  const body = consequence.type === 'compound_statement' ? namedChildren(consequence) : [consequence];
  // (or a local copy of a member flag the function turns off before the arm, llm.c's `bool init_state =
  // model->init_state; if (init_state) { model->init_state = false; }`, then `if (init_state && ...) { ... }`)
  const inArm = turnsOffIn(body, flag.text);
  const member = !inArm && flag.type === 'identifier' ? memberCopied(cond, flag.text, turnsOffIn) : null;
  if (!inArm && !member) return false;
  // (and nothing turns it back on: a statement anywhere in the file setting it again, a dirty flag the step loop
  // re-arms, a caller's `init_state = true;`; nor is it declared in a loop around the `if`, on again each iteration)
  for (let up = cond.parent; up; up = up.parent) if (LOOP_STATEMENT.has(up.type) && up.type !== 'function_definition' && declares(up, flag.text)) return false;
  const on = negated ? 'off' : 'on';
  if (!member) return !flagAssignments(lines).has(`${flag.text}=${on}`);
  // (a member is set again through any object, `model->init_state = true;` in another function: by its field's name;
  // not by the function that builds the object, llm.c's `gpt2_init_common`, which sets it once before any step)
  const fieldName = member.replace(/^.*(?:\.|->)/, '');
  const rearms = (k: string) => k === `${fieldName}=${on}` || k.endsWith(`.${fieldName}=${on}`) || k.endsWith(`->${fieldName}=${on}`);
  return ![...flagAssignments(lines)].some(rearms) || !outsideSetUp(lines, rearms);
}

/** A function that makes or loads an object (`gpt2_init_common`, `build_model`, `load_checkpoint`): it runs before the steps (not `load_batch`, which a step calls). */
const SET_UP_FUNCTION = /(?:^|_)(?:init\w*|create|build|alloc\w*|setup|set_up|construct\w*|new|load_(?:checkpoint|state|model|weights|params\w*))(?:_|$)|^(?:init|create|build|alloc|setup|make|load(?=Checkpoint|State|Model|Weights))[A-Z]/i;
/** A function definition's first line: `void gpt2_init_common(GPT2 *model) {`, or an indented method's with its brace, `  void on_epoch_end() { recast = true; }`. */
const DEFINITION_LINE = /^(?!(?:if|for|while|switch|return|else|do)\b)[A-Za-z_][\w:<>,*&\s]*?\b([A-Za-z_]\w*)\s*\((?:[^;]*$|[^;{}]*\)\s*(?:const\s*)?\{)|^\s+(?!(?:if|for|while|switch|return|else|do)\b)[A-Za-z_][\w:<>,*&\s]*?\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:const\s*)?\{/;

/** Is a flag assignment `rearms` accepts made in a function that does not set the object up (by the name of the function around it)? */
function outsideSetUp(lines: readonly string[], rearms: (key: string) => boolean): boolean {
  let fn = '';
  for (const line of lines) {
    const d = DEFINITION_LINE.exec(line);
    if (d) fn = d[1] ?? d[2];
    if (!FLAG_STATEMENT.test(line)) continue;
    for (const m of line.matchAll(FLAG_STATEMENTS)) if (rearms(flagKey(m)) && !SET_UP_FUNCTION.test(fn)) return true;
  }
  return false;
}

/**
 * The member `local` was copied from (`bool init_state = model->init_state;`) when the function turns that member off
 * before the `if` of `cond`, unconditionally or under `if (local)`; else null.
 */
function memberCopied(cond: Node, local: string, turnsOff: (stmts: readonly Node[], name: string) => boolean): string | null {
  let fn: Node | null = cond;
  while (fn && fn.type !== 'function_definition') fn = fn.parent;
  const body = fn ? field(fn, 'body') : null;
  if (!body) return null;
  const stmts = namedChildren(body).filter((s) => s.endIndex <= cond.startIndex);
  let member: string | null = null;
  for (const s of stmts) {
    if (s.type !== 'declaration') continue;
    for (const d of namedChildren(s)) {
      const value = d.type === 'init_declarator' ? unparen(field(d, 'value')) : null;
      if (field(d, 'declarator')?.text === local && value?.type === 'field_expression') member = value.text;
    }
  }
  if (!member) return null;
  const armed = (s: Node) => s.type === 'if_statement' && conditionExpression(field(s, 'condition'))?.text === local;
  const armBody = (s: Node) => { const c = field(s, 'consequence'); return c ? (c.type === 'compound_statement' ? namedChildren(c) : [c]) : []; };
  return turnsOff(stmts, member) || stmts.some((s) => armed(s) && turnsOff(armBody(s), member!)) ? member : null;
}

/**
 * The file's statements that set a flag (`stale = true;`, `done = false;`, not a declaration's initializer), as
 * `name=on` / `name=off`: what may turn a one-shot guard back on. Part of the facts cache's file key (engine.ts).
 */
export const flagAssignments = lineScan((line) => !FLAG_STATEMENT.test(line), (lines) => {
  const out = new Set<string>();
  for (const line of lines) for (const m of line.matchAll(FLAG_STATEMENTS)) out.add(flagKey(m));
  return out;
});
const FLAG_STATEMENT = /(?:^|[;{}])\s*[A-Za-z_][\w.>-]*\s*=\s*(?:true|false|[01])\s*;/;
const FLAG_STATEMENTS = /(?:^|[;{}])\s*([A-Za-z_][\w.>-]*)\s*=\s*(true|false|[01])\s*;/g;
/** `name=on` or `name=off` of a FLAG_STATEMENTS match. */
const flagKey = (m: RegExpMatchArray): string => `${m[1]}=${/^(?:true|1)$/.test(m[2]) ? 'on' : 'off'}`;

/** A declaration of `name` directly in a loop's body (`for (...) { bool first = true; ...`). */
function declares(loop: Node, name: string): boolean {
  const body = field(loop, 'body');
  return !!body && namedChildren(body).some((s) => s.type === 'declaration' && new RegExp(`(?<![\\w.])${name}\\s*=`).test(s.text));
}

/**
 * `if (n <= LEAF)`, `if (n < 64 && m < 64)`: the names the condition bounds above by a constant, and the most each can be
 * in its consequence (a recursion's leaf size, Strassen's cutoff).
 */
export function sizeCapsOf(cond: Node, evaluate: (n: Node | null) => Poly): { name: string; max: number }[] {
  const e = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
  if (e?.type !== 'binary_expression') return [];
  const op = field(e, 'operator')?.text ?? '';
  if (op === '&&') return [field(e, 'left'), field(e, 'right')].flatMap((x) => (x ? sizeCapsOf(x, evaluate) : []));
  const [left, right] = [unparen(field(e, 'left')), unparen(field(e, 'right'))];
  const limit = (x: Node | null) => { const v = evaluate(x); return !v.unknown && v.isConstant ? v.constant : null; };
  // `n <= C`, `n < C`, or written the other way round, `C >= n`
  const [name, bound, strict] = left?.type === 'identifier' && (op === '<=' || op === '<') ? [left.text, limit(right), op === '<'] :
    right?.type === 'identifier' && (op === '>=' || op === '>') ? [right.text, limit(left), op === '>'] : [null, null, false];
  return name && bound !== null ? [{ name, max: strict ? bound - 1 : bound }] : [];
}
