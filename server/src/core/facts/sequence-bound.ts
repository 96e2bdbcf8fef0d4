// Requests that only a batch's worth of threads make: one thread per sequence of an
// inference batch (`if (index < batch_size)`, `for (i = tid; i < batch_size * beam_width;
// i += stride)`), or per channel of a normalization's statistics (`idx < batch_size * channel_size`).
// A batch is one to a few hundred sequences, and a layer a few thousand channels, so such code
// moves a few KB whatever its access pattern; the layout it reads ([step, batch] ids) is usually the API's.
import type { SyntaxNode as Node } from '../mirror';
import type { Poly } from '../affine';
import { field, namedChildren } from '../syntax';
import { unparen } from './evaluate';

/**
 * A count of sequences: `batch_size`, `param.batch_size * param.beam_width`, `padded_batchsize`, `num_beams`.
 * (A bare `batch` is not one: generic kernels name any count of independent rows so, darknet's softmax rows.)
 */
const SEQUENCES = /^(?:(?:local_|padded_|max_)?batch_?size|batchSize|(?:num_)?beams|beam_?(?:width|size)|beamWidth|batch_?beam(?:_?size)?)$/;

/**
 * A count of channels or groups (`channel_size`, `num_channels`, `num_groups`; the tensors of a grouped
 * update, `num_tensors`; a mixture's experts): a thread per channel, or per (sample, channel) pair, is a few
 * thousand threads at most, as small as a batch's sequences. (A bare `C` is not one: it names columns as
 * often as channels.)
 */
const CHANNELS = /^(?:(?:num_?|n_?|in_?|out_?)?channels?(?:_?(?:size|num|count))?|(?:num_?|n_?)(?:groups|tensors|experts))_?$/;

/** Is this text a product of sequence counts (members of a parameter struct included)? */
export function countsSequences(text: string): boolean {
  return countsOf(text, false);
}

/** A product of sequence counts, and of channel counts too when `channels` (members of a parameter struct included). */
function countsOf(text: string, channels: boolean): boolean {
  // `(batch_first ? 1 : batch_size)`: a layout switch between unit stride and a batch apart
  const pick = /^\(?[A-Za-z_][\w.]*\?([^:()?]+):([^:()?]+)\)?$/.exec(text.replace(/\s+/g, ''));
  if (pick) return [pick[1], pick[2]].every((arm) => arm === '1' || countsOf(arm, channels)) && [pick[1], pick[2]].some((arm) => arm !== '1');
  const parts = text.split('*').map((p) => p.replace(/[()\s]/g, '').replace(/^.*(?:\.|->)/, ''));
  return parts.length > 0 && parts.every((p) => SEQUENCES.test(p) || (channels && CHANNELS.test(p)));
}

/** The same of a bound's value (`idx < outer_size` with `outer_size = batch_size * channel_size`): one product of such counts. */
function countsSequencesIn(p: Poly, channels: boolean): boolean {
  if (p.unknown || p.terms.size !== 1) return false;
  const [[monomial, coefficient]] = [...p.terms];
  const factors = monomial ? monomial.split('*') : [];
  return coefficient === 1 && factors.length > 0 && factors.every((f) => countsOf(f, channels));
}

/** `lane-dependent < batch count` (or `<=`, or `>`/`>=` the other way round), alone or in a conjunction. */
export function sequenceGuard(cond: Node, evaluate: (n: Node | null) => Poly): boolean {
  return comparesToSequences(cond, evaluate, false);
}

/** `if (gidx >= batch_size * beam_width) return;`: what follows runs on a thread per sequence. */
export function sequenceExit(cond: Node, evaluate: (n: Node | null) => Poly): boolean {
  return comparesToSequences(cond, evaluate, true);
}

/** A lane-dependent index compared with a sequence count: below it (a guard), or at or past it (`exit`, an early return). */
function comparesToSequences(cond: Node, evaluate: (n: Node | null) => Poly, exit: boolean): boolean {
  const c = unparen(cond.type === 'condition_clause' ? namedChildren(cond)[0] ?? null : cond);
  if (c?.type !== 'binary_expression') return false;
  const op = field(c, 'operator')?.text ?? '';
  if (op === (exit ? '||' : '&&')) return comparesToSequences(field(c, 'left')!, evaluate, exit) || comparesToSequences(field(c, 'right')!, evaluate, exit);
  const below = op === '<' || op === '<=';
  const above = op === '>' || op === '>=';
  if (!below && !above) return false;
  // the index on the side the bound is not: `i < n` and `n > i` guard, `i >= n` and `n <= i` exit
  const indexLeft = below !== exit;
  const [index, bound] = indexLeft ? [field(c, 'left'), field(c, 'right')] : [field(c, 'right'), field(c, 'left')];
  if (!index || !bound) return false;
  const i = evaluate(index);
  if (i.unknown || !i.dependsOn((sym) => sym.startsWith('threadIdx.'))) return false;
  const value = evaluate(bound);
  if (countsOf(bound.text, false) || countsSequencesIn(value, false)) return true;
  // channels count the threads only for an index over the whole of a 1-D grid (`blockIdx.x * blockDim.x + threadIdx.x < C`):
  // a block per row whose threads walk the row's `channels` (a hidden size) is rows x channels of work
  if (!i.dependsOn((sym) => sym.startsWith('blockIdx.'))) return false;
  return (countsOf(bound.text, true) || countsSequencesIn(value, true)) && !otherGridAxes(c);
}

/** Does the function around `n` use a second grid or block axis (a channel bound then bounds one axis of several)? */
function otherGridAxes(n: Node): boolean {
  let f: Node | null = n;
  while (f && f.type !== 'function_definition') f = f.parent;
  return !f || /\b(?:blockIdx|threadIdx|blockDim|gridDim)\.[yz]\b/.test(f.text);
}

/** A launch's grid sized by a sequence or channel count alone (`div_up(local_batch_size, 512)`, `(batch_size + 255) / 256`, `batch_size * beam_width`, `div_up(channels, 256)`). */
export function sequenceGrid(grid: string | undefined): boolean {
  if (!grid) return false;
  // (a macro's expansion parenthesizes every operand: `(((n) + (512) - 1) / (512))`)
  let g = grid.replace(/\s+/g, '');
  for (let k = 0; k < 8 && /\(([\w.]+)\)/.test(g); k++) g = g.replace(/\(([\w.]+)\)/g, '$1');
  if (/^\((.*)\)$/.test(g) && balanced(g.slice(1, -1))) g = g.slice(1, -1);
  const call = /^(?:div_up|ceil_div|DIV_UP|CEIL_DIV|CEILDIV)\((.+),\d+\)$/.exec(g);
  if (call) return countsOf(call[1], true);
  const rounded = /^\((.+)\+(\d+)-1\)\/(\d+)$/.exec(g);
  if (rounded) return rounded[2] === rounded[3] && countsOf(rounded[1], true);
  const plus = /^\((.+)\+(\d+)\)\/(\d+)$/.exec(g);
  if (plus) return Number(plus[2]) + 1 === Number(plus[3]) && countsOf(plus[1], true);
  // (`<<<channels, 1024>>>` is a block per channel, its threads walking the channel: not a small grid)
  return countsOf(g, false);
}

/** Do the parentheses of `t` balance (so that `(a)+(b)` is not taken for one wrapped expression)? */
function balanced(t: string): boolean {
  let depth = 0;
  for (const ch of t) {
    depth += ch === '(' ? 1 : ch === ')' ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}
