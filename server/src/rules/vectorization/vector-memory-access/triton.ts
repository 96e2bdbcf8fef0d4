// The Triton half of vectorization/vector-memory-access. Triton vectorizes a block's
// loads and stores by itself (up to 16 bytes per lane) when the block is contiguous, so
// the finding is where the code keeps it from doing so:
//   - one element per program: every global access is a scalar (`tl.load(x_ptr + pid)`),
//     so each program moves 4 bytes and the grid needs one program per element;
//   - a scalar load or store in a loop that walks consecutive elements (`for i in
//     range(n): tl.load(x_ptr + i)`), one element per iteration;
//   - interleaved halves: the same buffer read (or written) as even and odd elements by
//     two blocks (`x_ptrs`, `x_ptrs + 1` with the lanes two apart), each access using half
//     of every sector; one contiguous block split in registers reads it once.
// Quiet on contiguous blocks, per-row scalars next to block accesses (`tl.load(mean +
// row)`), reference oracles, and scalars that are indices rather than data: a program's
// bookkeeping stored where loaded values say, an id or pointer table walked to find where
// the loop's other accesses go.
import { detail } from '../../common/detail';
import type { AccessFact, FunctionFacts } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { displaySymbol } from '../../../core/affine';
import { isReferenceOracle } from '../../common/reference';

const BENEFIT =
  'fewer, wider memory instructions; on an H200, y = 2*x over 2^28 floats went from 62% to 101% of copy bandwidth (1.61x) with 16-byte accesses';

const scalar = (a: AccessFact) => (a.lanes ?? []).length === 0;
/** Names a kernel may call that are not `@triton.jit` helpers. */
const PYTHON_BUILTINS = new Set(['range', 'min', 'max', 'len', 'abs', 'int', 'float', 'bool', 'print', 'static_range', 'static_print', 'static_assert']);
const isPid = (s: string) => s.startsWith('#pid');
/** A count of partial results (`num_chunks`, `NUM_SPLITS`, `n_blocks`): a first kernel's outputs, a few per row. */
const PARTIALS = /^(?:num|n)_?(?:chunks?|blocks?|splits?|partials?|parts?|segments?)$/i;

/**
 * The loop symbol this scalar access walks with unit step, if any: an innermost loop doing
 * scalar work only (a loop over groups that loads each group's metadata, then runs block
 * loops inside, is not an element loop).
 */
function walkedLoop(fn: FunctionFacts, a: AccessFact): string | null {
  for (const id of a.loops) {
    const sym = fn.loops.find((l) => l.id === id)?.symbol;
    if (!sym) continue;
    if (fn.loops.some((l) => l.parent === id) || fn.accesses.some((b) => !scalar(b) && b.loops.includes(id))) continue;
    const c = a.indices[0].coefficient(sym);
    if (c.isConstant && c.constant !== 0) {
      const step = fn.loops.find((l) => l.id === id)?.step;
      if (step?.isConstant && Math.abs(step.constant * c.constant) === 1) return sym;
    }
  }
  return null;
}

/** A symbol of an index that is neither a parameter nor one the facts made (program ids, lanes, loops): a local holding a loaded value. */
function loadedValue(fn: FunctionFacts): (s: string) => boolean {
  const params = new Set(fn.params.map((p) => p.name));
  return (s) => !s.startsWith('#') && !params.has(s);
}

function onePerProgram(fn: FunctionFacts, global: AccessFact[]): RuleFinding[] {
  if (!global.length || !global.every(scalar) || !global.some((a) => a.indices[0].dependsOn(isPid))) return [];
  if (fn.loops.length) return []; // a loop per program is another kind of kernel
  // an access we could not read may well be the block one (`logits_ptr + col_offsets` after the pointer moved by a row)
  if (fn.accesses.some((a) => a.space === 'global' && (a.indices.length !== 1 || a.indices[0].unknown))) return [];
  // block pointers and tensor descriptors move the data in blocks (`tl.load(p_q, boundary_check=...)`)
  if (fn.calls.some((c) => /(?:^|\.)(?:make_block_ptr|make_tensor_descriptor|\w*tensor_descriptor)$/.test(c.name))) return [];
  // a kernel can only call other `@triton.jit` functions: the block work may be theirs
  if (fn.calls.some((c) => /^[A-Za-z_]\w*$/.test(c.name) && !PYTHON_BUILTINS.has(c.name))) return [];
  const stores = global.filter((a) => a.kind !== 'load');
  // a store to where loaded values say (`req_to_token + cur_req_idx * stride`): one item's bookkeeping
  // (a request, a sequence), a table update per item rather than one element of a stream
  const loaded = loadedValue(fn);
  if (stores.some((a) => a.indices[0].dependsOn(loaded))) return [];
  const at = stores[0] ?? global[0];
  return [{
    range: at.range,
    function: fn.name,
    confidence: 'likely',
    assumptions: ['assumes the grid launches one program per element, as the scalar index says'],
    message: `\`${fn.name}\`: one scalar \`tl.load\`/\`tl.store\` per program, one program per element`,
    detail: detail(
      `Each program of \`${fn.name}\` moves a single element, so the grid needs one program per element and no access is wide.`,
      'Give each program a block (`offs = pid * BLOCK + tl.arange(0, BLOCK)`, `mask = offs < n`) so Triton issues wide, coalesced loads and stores.',
    ),
    benefit: BENEFIT,
    related: global.filter((a) => a !== at).slice(0, 4).map((a) => ({ range: a.range, message: `a scalar ${a.kind === 'load' ? 'load' : 'store'} too` })),
  }];
}

/** Trip counts up to this are a few words, not a stream worth widening. */
const SMALL_TRIPS = 16;

function scalarLoops(fn: FunctionFacts, global: AccessFact[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const a of global) {
    if (!scalar(a) || a.kind === 'atomic') continue;
    const sym = walkedLoop(fn, a);
    if (!sym) continue;
    // each program combining its own few partials (`for c in range(num_chunks)`, written by a first
    // kernel): the second level of a two-level reduction; one program walking the whole array is not
    const bound = fn.loops.find((l) => l.symbol === sym)?.bound?.trim() ?? '';
    if (PARTIALS.test(bound) && a.indices[0].dependsOn(isPid)) continue;
    // a table walked to find where to go (`eos_id = tl.load(eos_ids + i)` then `tl.load(logits + eos_id)`,
    // a pointer table): the loop also reaches memory through addresses it loaded, so its scalars are indices
    const loop = fn.loops.find((l) => l.symbol === sym)!;
    // a handful of words (`for i in range(5): tl.store(flag_ptr + i, 0)`, a megakernel resetting its sync flags):
    // bookkeeping, not a stream
    if (/^\d+$/.test(bound) && Number(bound) <= SMALL_TRIPS && (!loop.init || loop.init.isConstant)) continue;
    const inLoop = fn.accesses.filter((b) => b.space !== 'shared' && b.loops.includes(loop.id));
    // a program that holds a block loaded outside this loop, and whose loop moves no block: each scalar loaded is
    // applied to the whole block in registers (`new_ids = tl.where(ids == tl.load(table + i), ...)`), a table's word
    // per BLOCK elements of work, not a stream (scalars stored one per iteration, a top-k's picks, still are one)
    if (a.kind === 'load' && !inLoop.some((b) => !scalar(b)) && global.some((b) => !scalar(b) && b.kind === 'load' && !b.loops.includes(loop.id))) continue;
    const loadedValues = loadedValue(fn);
    if (inLoop.some((b) => b !== a && (b.indices.length !== 1 || b.indices[0].unknown || b.indices[0].dependsOn(loadedValues)))) continue;
    // (or through a pointer it loaded, `tl.store(tl.load(ptrs + i).to(tl.pointer_type(...)) + offs, ...)`, which is no access we can read)
    if (fn.calls.filter((c) => /^tl\.(?:load|store)$/.test(c.name) && c.loops.includes(loop.id)).length > inLoop.length) continue;
    out.push({
      range: a.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: [],
      message: `scalar \`tl.${a.kind === 'load' ? 'load' : 'store'}\` of \`${a.array}\`: one element per iteration of the \`${displaySymbol(sym)}\` loop`,
      detail: detail(
        `This scalar \`tl.${a.kind === 'load' ? 'load' : 'store'}\` walks consecutive elements of \`${a.array}\` one per iteration of the \`${displaySymbol(sym)}\` loop.`,
        `${a.kind === 'load' ? 'Load' : 'Store'} a block per iteration (\`offs = start + tl.arange(0, BLOCK)\` with a mask) and reduce or compute on the block.`,
      ),
      benefit: BENEFIT,
    });
  }
  return out;
}

/**
 * `x_ptrs` and `x_ptrs + 1` with the last axis two elements apart: even and odd halves read
 * separately. One finding per kernel and direction, naming every array read that way (a RoPE
 * kernel splits its frequencies, q and k alike: one cause).
 */
function interleaved(fn: FunctionFacts, global: AccessFact[]): RuleFinding[] {
  const seen = new Set<string>();
  // a kernel that walks a loop (a scan over time steps) and also touches pairs once before or after it:
  // the loop's pairs are the ones that cost (`s_ptr` loaded once per program, then `length` steps)
  const pairs = global.filter((a) => (a.lanes?.length ?? 0) > 0 && global.some((b) => b !== a && b.array === a.array && b.kind === a.kind && b.indices[0].sub(a.indices[0]).isConstant && Math.abs(b.indices[0].sub(a.indices[0]).constant) === 1));
  const looped = pairs.some((a) => a.loops.length > 0);
  const found: { kind: AccessFact['kind']; first: AccessFact; other: AccessFact }[] = [];
  for (const a of global) {
    if (looped && a.loops.length === 0) continue;
    const lane = (a.lanes ?? [])[(a.lanes ?? []).length - 1];
    if (!lane || a.kind === 'atomic') continue;
    const c = a.indices[0].coefficient(lane);
    // 2 (or 2 × a stride parameter that is 1 for a contiguous tensor; `(offs * NH + h) * 2` puts lanes 2·NH apart)
    const strideOnly = [...c.symbols()].every((s) => /stride/i.test(s));
    const k = c.isConstant ? c.constant : [...c.terms.values()].length === 1 && strideOnly ? [...c.terms.values()][0] : 0;
    if (k !== 2) continue;
    const partner = global.find((b) => b !== a && b.array === a.array && b.kind === a.kind && b.indices[0].sub(a.indices[0]).isConstant && Math.abs(b.indices[0].sub(a.indices[0]).constant) === 1);
    const key = `${a.array}|${a.kind}`;
    if (!partner || seen.has(key)) continue;
    seen.add(key);
    const first = a.range.start.line <= partner.range.start.line ? a : partner;
    found.push({ kind: a.kind, first, other: first === a ? partner : a });
  }
  const out: RuleFinding[] = [];
  for (const kind of ['load', 'store', 'update'] as const) {
    const mine = found.filter((f) => f.kind === kind);
    if (!mine.length) continue;
    const arrays = mine.map((f) => `\`${f.first.array}\``);
    const names = arrays.length === 1 ? arrays[0] : `${arrays.slice(0, -1).join(', ')} and ${arrays[arrays.length - 1]}`;
    const verb = kind === 'load' ? 'read' : 'written';
    out.push({
      range: mine[0].first.range,
      function: fn.name,
      confidence: 'likely',
      assumptions: ['assumes the last dimension of the tensor is contiguous (its stride is 1)'],
      message: `${names} ${verb} as even and odd halves by two blocks${mine.length > 1 ? ' each' : ''}: two strided accesses where one contiguous one would do`,
      detail: detail(
        `Two blocks whose lanes are two elements apart ${kind === 'load' ? 'read' : 'write'} the even and the odd elements of ${names}, so no access is wider than one element per lane.`,
        `${kind === 'load' ? 'Load' : 'Store'} one contiguous block of pairs (\`[..., BLOCK, 2]\`) and split or join it in registers (\`tl.split\` / \`tl.join\`, or a reshape). Where each program handles one short row, give it several rows as well: the contiguous form is what lets the wider program pay.`,
      ),
      benefit: BENEFIT,
      related: mine.flatMap((f, i) => [
        ...(i > 0 ? [{ range: f.first.range, message: `\`${f.first.array}\` too` }] : []),
        { range: f.other.range, message: `the other half of \`${f.first.array}\`` },
      ]),
    });
  }
  return out;
}

export function tritonVector(fn: FunctionFacts): RuleFinding[] {
  if (!fn.isKernel || isReferenceOracle(fn.name)) return [];
  const global = fn.accesses.filter((a) => a.space === 'global' && a.indices.length === 1 && !a.indices[0].unknown);
  const one = onePerProgram(fn, global);
  return one.length ? one : [...scalarLoops(fn, global), ...interleaved(fn, global)];
}
