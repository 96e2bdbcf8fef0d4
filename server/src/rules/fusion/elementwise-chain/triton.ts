// The Triton half of fusion/elementwise-chain. In a host function, a `kernel[grid](...)`
// launch of an elementwise `@triton.jit` kernel writes a buffer; we follow that buffer
// (through plain aliases) to the first operation that reads it. When that operation is
//   (a) a launch of another elementwise kernel that loads it over the same elements, or
//   (b) a PyTorch elementwise op (`torch.relu(y + b)`, `y * 2 + 1`, `F.gelu(y)`, `y.relu_()`),
// the intermediate makes a round trip through global memory that one fused kernel avoids.
// Views (`t.view(shape)`) and shape reads (`torch.empty_like(t)`) move no data: the buffer is
// followed through them. Anything else first (a matmul, a reduction, an index, `.cpu()`, `print`,
// `return`, a call we do not know) means silence. So does an elementwise expression that
// only feeds a check on the host (`(out - ref).abs().max().item()`, `assert_close(out * 2, r)`),
// and one whose other operand has more dimensions than the buffer (`big + out`: the result
// outgrows the kernel's output); an operand of unknown shape is assumed to match or broadcast.
import { detail } from '../../common/detail';
import { eagerChains } from './eager';
import { torchOpsBefore } from './prologue';
import type { AccessFact, CallFact, FileFacts, FunctionFacts } from '../../../core/facts/model';
import type { Range, RuleFinding } from '../../../core/types';
import { compiledHosts, pythonOracles, isUnfusedBaseline } from '../../common/reference';
import { hasFusedTwin } from '../../../core/baselines';
import {
  COMPARISONS, IN_PLACE_ARITHMETIC, VIEWS, bindArguments, feedsHostCheck, firstUse, hostShapes, importedHelpers, isElementwise, laterUse, launchHelpers, listWords, loadedBuffers, nestedContext, plainBuffer, sameContext, stepName, storedParams, textOf, type LaunchHelper, type Shape,
} from '../../common/triton-host';

const BENEFIT_MEASURED =
  'on an H200, a scale kernel followed by a separate bias+relu kernel over 2^28 floats took 1.764 ms; fused into one kernel, 0.958 ms (1.84x)';


/** An elementwise kernel, or one elementwise on its output that also reads an operand broadcast (`b + offs % N`). */
const chainable = (k: FunctionFacts): boolean => k.kernelClass === 'elementwise' || !!k.broadcastOperands;

/**
 * A mask kept from the output (`mask = out != 0` after a dropout kernel, `keep = r > p` after a rand kernel, cast or not,
 * or returned as it is): one more pass over it, where the kernel had the comparison in registers and could store it
 * beside the output. Not a check's (`nans = out != out; if nans.any(): raise`, a count printed): kept only where a later
 * step uses it as a tensor (returns it, hands it to a launch, computes with it).
 */
function keptMask(calls: readonly CallFact[], at: number): boolean {
  const c = calls[at];
  const compares = (c.form === 'operator' && COMPARISONS.has(c.name)) || (c.form === 'method' && COMPARING_METHODS.test(c.name)) ||
    (c.form === 'call' && COMPARING_CALLS.test(c.qualified ?? c.name));
  if (!compares) return false;
  // (through a cast of the mask, `(out != 0).to(torch.uint8)`)
  let top = at;
  while (calls[top].parent !== undefined && calls[calls[top].parent!].form === 'method' && MASK_CASTS.test(calls[calls[top].parent!].name)) top = calls[top].parent!;
  const holder = calls[top].parent !== undefined ? calls[calls[top].parent!] : undefined;
  if (holder?.form === 'return') return true;
  if (holder?.form !== 'assign' || !holder.assignedTo?.length) return false;
  const names = new Set(holder.assignedTo);
  return calls.some((u, k) => k > calls.indexOf(holder) && u.argRoots.some((r) => r !== null && names.has(r)) &&
    (u.form === 'return' || u.kind === 'launch' || (u.form === 'operator' && ARITHMETIC_OPS.has(u.name)) || isElementwise(u)));
}
const COMPARING_METHODS = /^\.(?:ne|eq|gt|ge|lt|le)$/;
const COMPARING_CALLS = /^torch\.(?:ne|eq|gt|ge|lt|le|greater|less|not_equal)$/;
const MASK_CASTS = /^\.(?:to|float|half|bool|byte|int|long|type_as)$/;
const ARITHMETIC_OPS = new Set(['*', '/', '+', '-', '&', '|']);

/** A load at the position the kernel stores to: each program reads back the elements it writes (in a kernel that also reads operands broadcast, not every load is). */
function readAtOutput(k: FunctionFacts, load: AccessFact): boolean {
  if (k.kernelClass === 'elementwise') return true;
  const store = k.accesses.find((a) => a.kind === 'store');
  return !!store && !load.indices[0].unknown && load.indices[0].equals(store.indices[0]);
}

function checkHost(host: FunctionFacts, kernels: Map<string, FunctionFacts>, lines: string[], helpers: Map<string, LaunchHelper>): RuleFinding[] {
  const out: RuleFinding[] = [];
  const calls = host.calls;
  const fn = host.name === '<module>' ? null : host.name;
  const reported = new Set<number>();
  const shapes = hostShapes(host);
  calls.forEach((first, i) => {
    if (first.kind !== 'launch') return;
    const k1 = kernels.get(first.name);
    // any kernel's output can take elementwise ops before its `tl.store` (DESIGN.md), but a GEMM's is
    // fusion/gemm-epilogue's; kernel-to-kernel fusion (a) needs two elementwise kernels
    if (!k1 || k1.kernelClass === 'gemm') return;
    const b1 = bindArguments(k1, first);
    if (!b1) return;
    for (const param of storedParams(k1)) {
      const buffer = plainBuffer(b1.get(param));
      if (!buffer) continue;
      const use = firstUse(calls, i, buffer);
      if (!use || reported.has(use.index)) continue;
      const next = calls[use.index];
      // (torch ops on it may sit in a branch inside the launch's: `if reduction == "batchmean": return out / n`)
      if (next.kind === 'launch' ? !sameContext(first, next) : !nestedContext(first, next)) continue;
      const related = [{ range: first.nameRange, message: `\`${first.name}\` writes \`${buffer}\` here` }];

      // (a) another elementwise kernel reads the buffer right back
      if (next.kind === 'launch') {
        if (!chainable(k1)) continue;
        const k2 = kernels.get(next.name);
        if (!k2 || !chainable(k2)) continue;
        const b2 = bindArguments(k2, next);
        if (!b2) continue;
        const bound = [...b2].filter(([, b]) => plainBuffer(b) !== null && use.names.has(plainBuffer(b)!)).map(([p]) => p);
        if (!bound.some((p) => k2.accesses.some((a) => a.array === p && a.kind === 'load' && readAtOutput(k2, a)))) continue; // only overwritten, or read broadcast
        const n1 = elementCount(k1, b1);
        const n2 = elementCount(k2, b2);
        // (a flat launch over the product a 2-D tile's bounds count, `relu[(cdiv(N0 * N1, 1024),)](z, out, N0 * N1)`, either way round)
        const sameCount = !!n1 && (n1 === n2 || ((!!k1.indexBounds || !!k2.indexBounds) && !!n2 && factors(n1) !== null && factors(n1) === factors(n2)));
        const sameGrid = !!first.grid && first.grid === next.grid;
        let confidence: RuleFinding['confidence'];
        const assumptions: string[] = [];
        if (sameCount) {
          confidence = sameGrid ? 'proven' : 'likely';
          if (!sameGrid) assumptions.push(`assumes both grids cover the same \`${n1}\` elements (the launches use \`${first.grid}\` and \`${next.grid}\`)`);
        } else if (!n1 && !n2 && sameGrid) {
          confidence = 'likely';
          assumptions.push('assumes both kernels cover the same elements: neither masks against a size, and both launch on the same grid');
        } else continue;
        assumptions.push(`assumes nothing outside this function reads \`${buffer}\` between the launches`);
        // (a 2-D block's first bound, `off_y < N1`, counts its rows, not its elements)
        const over = n1 && k1.accesses.every((a) => a.kind !== 'store' || (a.lanes?.length ?? 1) <= 1) ? ` over the same \`${n1}\` elements` : '';
        reported.add(use.index);
        // (an intermediate the function returns is still written by the fused kernel: the read and the launch are what go)
        const returned = calls.some((c) => c.form === 'return' && c.args.some((a) => use.names.has(a.trim())));
        out.push({
          range: next.nameRange,
          function: fn,
          confidence,
          assumptions,
          message: `\`${next.name}\` reads back \`${buffer}\` that \`${first.name}\` just wrote: an extra ${returned ? `read and launch (\`${buffer}\` is returned: still written)` : 'write, read and launch'}`,
          detail: detail(
            `\`${first.name}\` writes \`${buffer}\` and \`${next.name}\` reads it right back${over}, with nothing in between using it.`,
            `Fuse the two elementwise kernels into one \`@triton.jit\` kernel that keeps each value in registers between the \`tl.load\` and the \`tl.store\`: ` +
              `one launch instead of two, and \`${buffer}\` no longer makes a round trip through global memory (drop it if nothing else reads it).`,
          ),
          benefit: returned
            ? `saves a full read of \`${buffer}\` and a launch: three passes over memory instead of four (the 1.84x measured on an H200 also drops the intermediate's write)`
            : `saves a full write and read of \`${buffer}\` and a launch; ${BENEFIT_MEASURED}`,
          related,
        });
        continue;
      }

      // (b) PyTorch elementwise ops on the output
      const inputs = loadedBuffers(k1, b1);
      const f = torchOpsAfter({ host, calls, lines, shapes, reported }, { call: first, kernel: first.name, buffer, use, inputs, reduces: reducesBlocks(k1), related });
      if (f) out.push(f);
    }
  });
  // a host helper that launches an elementwise kernel and returns its output (`out = add(x, y)`), then torch ops on it
  calls.forEach((c) => {
    const kernel = c.form === 'call' ? helpers.get(c.name)?.kernel : undefined;
    if (!kernel) return;
    const chained = helperReadsBack(calls, c, helpers);
    if (chained && !reported.has(chained.index)) {
      reported.add(chained.index);
      out.push(helperChain(fn, c, calls[chained.index], chained.buffer, helpers));
      return;
    }
    const held = returnedTensor(calls, c, helpers.get(c.name)!);
    // (or the helper's result taken straight by an elementwise op, `return silu_mul(a, b) + r`: the call is the tensor)
    const inline = !held && !helpers.get(c.name)!.tuple && c.parent !== undefined && isElementwise(calls[c.parent]) ? textOf(lines, c.range) : null;
    if (!held && !inline) return;
    const buffer = held?.buffer ?? inline!;
    const use = held ? firstUse(calls, held.assign, buffer) : { index: c.parent!, names: new Set([buffer]) };
    // (as after a launch: the op may sit in a branch inside the call's, `if ctx.reduction == "batchmean": d = d / n`)
    if (!use || reported.has(use.index) || !nestedContext(c, calls[use.index])) return;
    const inputs = new Set(c.argRoots.filter((r): r is string => r !== null));
    const related = [{ range: c.nameRange, message: `\`${c.name}\` launches \`${kernel}\`, which writes the tensor it returns` }];
    const f = torchOpsAfter({ host, calls, lines, shapes, reported }, { call: c, kernel, buffer, use, inputs, reduces: reducesBlocks(helpers.get(c.name)!.kernelFacts), shape: helpers.get(c.name)!.shape, related });
    if (f) out.push(f);
  });
  // (c) a PyTorch elementwise op made just for a helper that loads it (prologue.ts)
  out.push(...torchOpsBefore(calls, lines, helpers, fn, reported));
  return out;
}

/**
 * The count a kernel masks its elements against, as the launch passes it (`n`), the factors of a 2-D tile's bounds in
 * one order (`off_y < N1`, `off_x < N0` with `N1`, `N0` passed: `N0 * N1`, as a flat launch over the product writes it).
 */
function elementCount(k: FunctionFacts, bound: ReturnType<typeof bindArguments>): string | null {
  const texts = (k.indexBounds ?? (k.indexBound ? [k.indexBound] : [])).map((p) => bound?.get(p)?.text ?? null);
  if (!texts.length || texts.some((t) => t === null)) return null;
  return texts.length === 1 ? texts[0] : factors(texts.join('*'));
}

/** A product's factors, spaces dropped, in one order (`N0 * N1` and `N1*N0` alike); null for anything but a product of names. */
function factors(text: string): string | null {
  const f = text.replace(/\s+/g, '').split('*');
  return f.some((x) => !/^[\w.]+$/.test(x)) ? null : f.sort().join(' * ');
}

/**
 * The name the caller gives the tensor a launch helper's kernel wrote, and the assignment that gives it: `y = add(x, b)`;
 * of a helper returning a tuple, the first such tensor, unpacked (`h, _, _ = layer_norm(x)`) or picked (`layer_norm(x)[0]`).
 */
function returnedTensor(calls: CallFact[], c: CallFact, helper: LaunchHelper): { assign: number; buffer: string } | null {
  let at = c.parent;
  let picked: number | undefined;
  if (helper.tuple && at !== undefined && calls[at].form === 'subscript' && /^\d+$/.test(calls[at].args[1]?.trim() ?? '')) {
    picked = Number(calls[at].args[1]);
    at = calls[at].parent;
  }
  const assign = at !== undefined ? calls[at] : undefined;
  if (assign?.form !== 'assign' || assign.name !== '=') return null;
  const names = assign.assignedTo ?? [];
  if (!helper.tuple || picked !== undefined) {
    const whole = !helper.tuple || helper.tuple.written[0] === picked;
    return whole && names.length === 1 ? { assign: at!, buffer: names[0] } : null;
  }
  if (names.length !== helper.tuple.length) return null;
  // (the first: the output, before the statistics saved for the backward, `y, mean, rstd`, which are a row's worth each)
  const name = names[helper.tuple.written[0]];
  return name && name !== '_' ? { assign: at!, buffer: name } : null;
}

/**
 * `mul(silu(gate), up)`, or `a = silu(gate)` then `mul(a, up)`: a second launch helper whose elementwise kernel loads
 * the tensor the first one's kernel wrote, with nothing between them: where it is used, and under what name.
 */
function helperReadsBack(calls: CallFact[], c: CallFact, helpers: Map<string, LaunchHelper>): { index: number; buffer: string } | null {
  const elementwise = (h: LaunchHelper | undefined) => !!h && chainable(h.kernelFacts);
  if (!elementwise(helpers.get(c.name))) return null;
  const reads = (d: CallFact | undefined, at: (i: number) => boolean) => !!d && d.form === 'call' && elementwise(helpers.get(d.name)) && [...helpers.get(d.name)!.reads].some(at) && sameContext(c, d);
  const parent = c.parent !== undefined ? calls[c.parent] : undefined;
  // nested: the first call is an argument of the second, read by its kernel
  const nested = (i: number) => (parent!.args[i] ?? '').trim().startsWith(`${c.name}(`);
  if (reads(parent, nested)) return { index: c.parent!, buffer: parent!.args.find((_, i) => nested(i))!.trim() };
  if (parent?.form !== 'assign' || parent.name !== '=' || (parent.assignedTo ?? []).length !== 1) return null;
  const buffer = parent.assignedTo![0];
  const use = firstUse(calls, c.parent!, buffer);
  const next = use ? calls[use.index] : undefined;
  if (!next || !reads(next, (i) => next.argRoots[i] === buffer && next.args[i].trim() === buffer)) return null;
  // (read again afterwards, `return y, a`: the intermediate is written anyway, and fusing saves less than the finding says)
  const top = (i: number): number => (calls[i].parent !== undefined ? top(calls[i].parent!) : i);
  return laterUse(calls, top(use!.index), use!.names) ? null : { index: use!.index, buffer };
}

/** The finding for two launch helpers in a row (`mul(silu(gate), up)`). */
function helperChain(fn: string | null, first: CallFact, next: CallFact, buffer: string, helpers: Map<string, LaunchHelper>): RuleFinding {
  const [k1, k2] = [helpers.get(first.name)!.kernel, helpers.get(next.name)!.kernel];
  return {
    range: next.nameRange,
    function: fn,
    confidence: 'likely',
    assumptions: [`assumes \`${k1}\` and \`${k2}\` cover the same elements (each launch covers its tensors'), and that nothing else reads the intermediate`],
    // (a `@pointwise_dynamic` function launches the kernel generated from itself)
    message: next.name === k2 && first.name === k1
      ? `\`${next.name}\` runs its elementwise kernel on \`${buffer}\`, which \`${first.name}\`'s kernel just wrote: an extra write, read and launch`
      : `\`${next.name}\` launches \`${k2}\` on \`${buffer}\`, which \`${first.name}\`'s \`${k1}\` just wrote: an extra write, read and launch`,
    detail: detail(
      `\`${first.name}\` launches the elementwise kernel \`${k1}\` and returns the tensor it wrote; \`${next.name}\` hands that tensor straight to the elementwise kernel \`${k2}\`, which reads it back from global memory.`,
      `Write one \`@triton.jit\` kernel that does both steps between its \`tl.load\` and its \`tl.store\` (and a helper that launches it): one launch instead of two, and the intermediate never goes to global memory.`,
    ),
    benefit: `saves a full write and read of the intermediate and a launch; ${BENEFIT_MEASURED}`,
    related: [{ range: first.nameRange, message: `\`${first.name}\` launches \`${k1}\`, which writes the tensor it returns` }],
  };
}

interface HostContext {
  host: FunctionFacts;
  calls: CallFact[];
  lines: string[];
  shapes: Map<string, Shape>;
  reported: Set<number>;
}
interface Producer {
  /** The launch, or the call of a host helper that launches. */
  call: CallFact;
  /** The kernel that writes the buffer. */
  kernel: string;
  buffer: string;
  use: { index: number; names: Set<string> };
  /** Buffers the kernel reads (their shapes are the output's family). */
  inputs: Set<string>;
  /** The kernel writes one value per program from blocks it loads (a row's mean): its inputs are larger than its output. */
  reduces: boolean;
  /** The buffer's shape where a launch helper made it (the caller sees only its name). */
  shape?: Shape;
  related: { range: Range; message: string }[];
}

/** Every store is one element per program (`tl.store(Mean + row, tl.sum(acc))`) and some load a block: a reduction's output. */
const reducesBlocks = (k: FunctionFacts): boolean =>
  k.accesses.some((a) => a.kind === 'load' && (a.lanes?.length ?? 0) > 0) && k.accesses.every((a) => a.kind !== 'store' || a.lanes?.length === 0);

/** A shape of one axis that is not a literal 1 (`(n_rows)`, `(M, 1)`): a value a row. */
const rowVector = (sh: Shape | undefined): boolean => !!sh && !sh.scalar && sh.rank !== null &&
  (sh.rank === 1 || (sh.key !== null && sh.key.startsWith('(') && sh.key.slice(1, -1).split(',').filter((d) => d !== '1').length === 1));

/** A dtype cast (`y.to(dtype)`, `y.half()`, `y.float()`): a copy in another type. */
const isCast = (c: CallFact): boolean => c.form === 'method' && ['.to', '.half', '.float', '.bfloat16', '.double'].includes(c.name);

/** Reductions: their result combines many elements of the tensor they read. */
const REDUCTION = /^(?:torch\.)?(?:logsumexp|sum|mean|amax|amin|max|min|prod|norm)$|^\.(?:logsumexp|sum|mean|amax|amin|max|min|prod|norm)$/;
/** `torch.max(a, b)` of two tensors is elementwise; `torch.max(x)`, `torch.max(x, 1)`, `x.max(dim=1)` reduce. */
const reduces = (c: CallFact): boolean => {
  if (!REDUCTION.test(c.qualified ?? c.name)) return false;
  if (!/(?:^|\.)(?:max|min)$/.test(c.qualified ?? c.name)) return true;
  const rest = c.args.slice(1); // (a method's first argument is its receiver, a call's its tensor)
  return (c.keywords ?? []).some((k) => k.name === 'dim') || rest.length === 0 || /^-?\d+$/.test(rest[0].trim());
};

/** `name` was last assigned, before call `before`, a reduction over one of `buffers` (the buffers a launch writes). */
function reducedFrom(calls: readonly CallFact[], name: string, buffers: ReadonlySet<string>, before: number): boolean {
  for (let i = before - 1; i >= 0; i--) {
    const c = calls[i];
    if (c.form !== 'assign' || !(c.assignedTo ?? []).includes(name)) continue;
    return calls.some((r, j) => j < i && r.parent === i && reduces(r) && r.argRoots.some((x) => x !== null && buffers.has(x)));
  }
  return false;
}

/** (b): PyTorch elementwise ops read the kernel's output right back. */
function torchOpsAfter(ctx: HostContext, p: Producer): RuleFinding | null {
  const { calls, lines, shapes, reported } = ctx;
  const { use, buffer, inputs, related } = p;
  const first = { ...p.call, name: p.kernel };
  const fn = ctx.host.name === '<module>' ? null : ctx.host.name;
  // (through a view of it, `dx.view(*shape) * scale`: the same elements)
  let at = use.index;
  while (calls[at].form === 'method' && VIEWS.has(calls[at].name) && calls[at].parent !== undefined && sameContext(first, calls[calls[at].parent!])) at = calls[at].parent!;
  const next = calls[at];
  if (!isElementwise(next) && !keptMask(calls, at)) return null;
  const chain: CallFact[] = [next];
  let top = next;
  let topIndex = at;
  while (top.parent !== undefined && calls[top.parent] && isElementwise(calls[top.parent]) && sameContext(first, calls[top.parent])) {
    topIndex = top.parent;
    top = calls[top.parent];
    chain.push(top);
  }
  // which operand carries the chain, for naming the steps
  const steps = chain.map((c, j) => {
    const carrier = j === 0 ? c.argRoots.findIndex((r) => r !== null && use.names.has(r)) : c.args.findIndex((a) => a.replace(/\s+/g, '') === textOf(lines, chain[j - 1].range).replace(/\s+/g, ''));
    return stepName(c, Math.max(0, carrier));
  });
  const expr = textOf(lines, top.range);

  // an in-place op (`y.relu_()`, `y += r`) leaves its result in the buffer itself: later reads see the fused value
  const inPlace = chain.some(
    (c) =>
      ((c.form === 'method' || c.form === 'call') && c.name.endsWith('_') && c.argRoots[0] !== null && use.names.has(c.argRoots[0])) ||
      (c.form === 'operator' && IN_PLACE_ARITHMETIC.has(c.name) && (c.assignedTo ?? []).some((t) => use.names.has(t))),
  );
  // test and check code (`(out - ref).abs().max().item()`): not a step of the computation
  if (feedsHostCheck(calls, topIndex)) return null;
  // an op on a row reduction's output (`losses * mask`, `m * scale`: one value a program, beside the rows the kernel
  // streamed): it moves a row's worth in every row's length, so fusing it saves a launch, not a pass over memory.
  // Known as such by its shape, one axis (`torch.empty(n_rows)`, `(M, 1)`): a program per element of an (M, N) output,
  // each reducing a row of K, leaves a full-size result whose passes count
  if (p.reduces && rowVector(p.shape ?? shapes.get(buffer))) return null;
  // a one-element result (`total = torch.zeros(1)` that blocks `tl.atomic_add` into): the op costs a launch, not a pass over memory
  if (isOneElement(shapes.get(buffer))) return null;
  const others = [...new Set(chain.flatMap((c) => c.argRoots).filter((r): r is string => r !== null && !use.names.has(r)))];
  // an operand reduced from another buffer the same launch writes (`lse = torch.logsumexp(lse_chunks, dim=1)`, a split
  // row's partial results): it combines what several programs wrote, which no one program of the kernel has
  // (a reduction of an input could be done first and handed to the kernel: that chain stands)
  const written = new Set(p.call.argRoots.filter((r): r is string => r !== null && r !== buffer && !inputs.has(r)));
  if (others.some((o) => reducedFrom(calls, o, written, use.index))) return null;
  // the other operands must not grow the result (`big + out` with `big` of more dims than `out` broadcasts `out` over it)
  const mine = shapes.get(buffer) ?? { rank: null, key: `=${buffer}`, scalar: false };
  const family = new Set([mine.key, ...[...inputs].map((r) => (shapes.get(r) ?? { key: `=${r}` }).key)]);
  const unsure: string[] = [];
  const broadcast: string[] = [];
  let grows = false;
  for (const o of others) {
    const sh = shapes.get(o) ?? { rank: null, key: `=${o}`, scalar: false };
    // (an input of a kernel that reduces it, `(x - mean_dim(x)) ** 2`, is larger than the output: the op broadcasts the output over it)
    if (inputs.has(o) && p.reduces) {
      grows = true;
      continue;
    }
    if (sh.scalar || inputs.has(o) || (sh.key !== null && family.has(sh.key))) continue; // a scalar, or the shape of the kernel's own tensors
    if (sh.rank !== null && mine.rank !== null) {
      if (sh.rank > mine.rank) grows = true;
      else if (sh.rank < mine.rank) {
        // broadcast over `out`: certain when the trailing dims are the same
        if (!(sh.key && mine.key && mine.key.endsWith(`,${sh.key.slice(1)}`))) unsure.push(o);
        else broadcast.push(o);
      } else if (sh.key !== mine.key) unsure.push(o);
      continue;
    }
    unsure.push(o);
  }
  if (grows) return null;
  const again = inPlace ? null : laterUse(calls, topIndex, use.names);
  // a cast alone of an output read again afterwards (`p` kept in fp32 for the backward, `qv = p.to(q.dtype)` for the
  // next kernel): the kernel would write both, so the cast saves no pass
  if (again && chain.every(isCast)) return null;
  const assumptions = [
    inPlace || again
      ? `assumes the PyTorch ops run on the same device as \`${first.name}\``
      : `assumes the PyTorch ops run on the same device as \`${first.name}\` and nothing else reads \`${buffer}\``,
  ];
  const shapeCaveat = unsure.length
    ? ` (if ${listWords(unsure.map((o) => `\`${o}\``))} ${unsure.length > 1 ? 'have' : 'has'} the shape of \`${buffer}\` or ${unsure.length > 1 ? 'broadcast' : 'broadcasts'} to it)`
    : '';
  if (broadcast.length) {
    const names = listWords(broadcast.map((o) => `\`${o}\``));
    assumptions.push(`${names} ${broadcast.length > 1 ? 'broadcast' : 'broadcasts'} over the leading dimensions of \`${buffer}\`: the fused kernel loads ${broadcast.length > 1 ? 'them' : 'it'} at the flat offset modulo ${broadcast.length > 1 ? 'their' : 'its'} size`);
  }
  if (unsure.length) {
    const names = listWords(unsure.map((o) => `\`${o}\``));
    assumptions.push(
      `assumes ${names} ${unsure.length > 1 ? 'have' : 'has'} the shape of \`${buffer}\` (or ${unsure.length > 1 ? 'broadcast' : 'broadcasts'} to it), so the kernel can load ${unsure.length > 1 ? 'them' : 'it'} with the same (or broadcast) offsets; ` +
        `an operand larger than \`${buffer}\` would make the result larger than the kernel's output and leave little to save`,
    );
  }
  let saves = `saves a full write and read of \`${buffer}\``;
  if (again) {
    saves = `saves a full read of \`${buffer}\``;
    assumptions.push(`\`${buffer}\` is read again on line ${again.range.start.line + 1}, so the fused kernel must still store it; the read back is what goes away`);
  }
  const rest =
    chain.length === 1
      ? 'a launch'
      : `the ${chain.length - 1 === 1 ? 'intermediate tensor' : `${chain.length - 1} intermediate tensors`} between the eager ops, and ${chain.length} launches`;
  reported.add(use.index);
  return {
    range: top.range,
    function: fn,
    confidence: 'likely',
    assumptions,
    message: `\`${expr}\` reads back \`${buffer}\` that \`${first.name}\` just wrote, as a separate elementwise op`,
    detail: detail(
      `\`${first.name}\` writes \`${buffer}\`; \`${expr}\` then reads it back as a separate elementwise op.`,
      `Fuse the ${listWords(steps)} into \`${first.name}\` before its \`tl.store\`${shapeCaveat} — ${saves}${chain.length === 1 ? ' and' : ','} ${rest}.`,
    ),
    benefit: `${saves}${chain.length === 1 ? ' and' : ','} ${rest}; ${BENEFIT_MEASURED}`,
    related,
  };
}

/**
 * A module's constructor (`__init__`) and the functions of the file only it calls (`precompute_freqs_cis`, called to
 * fill a buffer): they run once, when the model is built, so their eager steps (a RoPE table from `torch.arange`) cost nothing.
 */
function moduleSetUp(functions: readonly FunctionFacts[]): Set<FunctionFacts> {
  // (not the constructor of a class a step builds anew, `g = Gate(x, w, b)` in `forward`: that one runs every step)
  // (built in a loop, or by a forward or step method: not by `main` or a builder that runs once)
  const stepping = (g: FunctionFacts) => /^(?:forward|__call__|step|train_step|training_step)$/.test(g.name);
  const builtInSteps = new Set(functions.filter((g) => g.name !== '__init__').flatMap((g) => g.calls.filter((c) => c.kind === 'call' && c.form === 'call' && (c.loops.length > 0 || stepping(g))).map((c) => c.name)));
  const out = new Set(functions.filter((f) => f.name === '__init__' && !builtInSteps.has(f.className ?? '')));
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of functions) {
      if (out.has(f) || f.isKernel || f.className) continue;
      const callers = functions.filter((g) => g !== f && g.calls.some((c) => c.kind === 'call' && c.form === 'call' && c.name === f.name));
      if (callers.length && callers.every((g) => out.has(g))) {
        out.add(f);
        grew = true;
      }
    }
  }
  return out;
}

export function tritonElementwiseChain(facts: FileFacts): RuleFinding[] {
  const kernels = new Map(facts.functions.filter((f) => f.isKernel).map((f) => [f.name, f]));
  // (and the kernels of the launch helpers this module imports from another, `from .ops import mul, silu`, or kernels
  // it imports and launches itself, `_jsd_kernel[grid](...)`: the project's Triton kernel of that name)
  const imported = importedHelpers(facts);
  for (const f of facts.functions) for (const c of f.calls) {
    const k = c.kind === 'launch' && !kernels.has(c.name) ? facts.project?.kernels.get(c.name) : undefined;
    if (k?.decorators) kernels.set(c.name, k);
  }
  // (a launch of a name a kernel goes by: the project's, or one named as kernels are; `self.blocks[i](x)` is a module call)
  const kernelLaunch = (c: CallFact) => c.kind === 'launch' && (!!facts.project?.kernels.has(c.name) || /^_|kernel/i.test(c.name));
  // (a plain PyTorch module, no kernel of its own: only its eager chains, `0.5 * x * (1.0 + torch.tanh(...))`)
  const eagerOnly = kernels.size === 0 && !imported.some((h) => h.kernel) && !facts.functions.some((f) => f.calls.some(kernelLaunch));
  const out: RuleFinding[] = [];
  const helpers = eagerOnly ? new Map<string, LaunchHelper>() : launchHelpers(facts, kernels);
  const names = new Set(facts.functions.map((f) => f.name));
  const setUp = moduleSetUp(facts.functions);
  for (const host of facts.functions) {
    // a test oracle, or a baseline named as the unfused twin of a fused one (`swiglu_unfused`, or `swiglu_two_kernels`
    // beside `swiglu_fused`), is kept unfused on purpose
    if (host.isKernel || pythonOracles(facts.functions).has(host) || compiledHosts(facts.functions).has(host) || isUnfusedBaseline(host.name) || isUnfusedBaseline(host.className ?? '') || hasFusedTwin(host.name, names)) continue;
    if (eagerOnly) {
      // (not beside a GEMM of its own, `logits = q @ k.T` then a softcap: the GEMM's epilogue or the attention is the advice there)
      if (!setUp.has(host) && !host.calls.some(eagerGemm)) out.push(...eagerChains(host));
      continue;
    }
    try {
      const launched = checkHost(host, kernels, facts.lines, helpers);
      out.push(...launched);
      // eager PyTorch runs (eager.ts) the launch chains above do not already take in
      const near = (f: RuleFinding, g: RuleFinding) => Math.abs(f.range.start.line - g.range.start.line) <= 2;
      if (setUp.has(host)) continue;
      out.push(...eagerChains(host).filter((e) => !launched.some((f) => near(e, f) || (f.related ?? []).some((r) => near(e, { ...f, range: r.range })))));
    } catch {
      // facts we cannot follow: no finding
    }
  }
  return out;
}

/** A PyTorch matrix product: `a @ b`, `torch.matmul`, `F.linear`, `torch.bmm`, `torch.einsum`, `x.mm(w)`. */
const eagerGemm = (c: CallFact): boolean => (c.form === 'operator' && c.name === '@') ||
  /(?:^|\.)(?:matmul|mm|bmm|baddbmm|addmm|addbmm|einsum|linear|scaled_dot_product_attention)$/.test(c.qualified ?? c.name);

/** A tensor of one element (`torch.zeros(1)`, `torch.empty(())`, `torch.zeros((1,))`). */
function isOneElement(shape: Shape | undefined): boolean {
  return shape?.key === '(1)' || shape?.key === '()';
}
