// The Triton half of pipelining/multi-stage: a `@triton.jit` kernel whose loop feeds
// `tl.dot`, compiled with `num_stages=1` everywhere it is configured: every launch of it in
// the file passes `num_stages=1` (or 0), or every `@triton.autotune` config does. Then the
// loads of the next K-block cannot overlap the current `tl.dot`.
// Quiet when `num_stages` is left unset: Triton's default is 3 (measured on Triton 3.6 /
// H200: a launch without `num_stages` compiles with 3 stages and runs at the 3-stage speed).
// Quiet also when any launch or config sets 2 or more, or a value we cannot read (a
// variable, a `**config` spread of a dict we cannot see, configs built elsewhere), and when the file never
// launches the kernel and does not autotune it (it is launched elsewhere). Autotune configs
// are read in the decorator, in a module-level list it names (facts/triton/configs.ts), or
// from the `Config` calls of a helper of the file it calls.
import { isTlDot as isDot } from '../../common/program-axes';
import { detail } from '../../common/detail';
import type { AutotuneConfigs, CallFact, FileFacts, FunctionFacts, LoopFact } from '../../../core/facts/model';
import type { RuleFinding } from '../../../core/types';
import { isReferenceOracle } from '../../common/reference';
import { bindArguments } from '../../common/triton-host';

const BENEFIT =
  'on an H200, the tutorial fp16 matmul (8192³, 128x256x64 blocks) reached 42% of torch fp16 with num_stages=1, 95% with 3 and 97% with 4 (2.28x / 2.31x)';

/** What Triton uses when `num_stages` is not given (launch, and `triton.Config` since Triton 3.0). */
const DEFAULT_STAGES = 3;

/** A `num_stages` value as written: a number, or null for anything we cannot read. */
const literal = (text: string): number | null => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : null);

interface Stages {
  /** The stage count each launch or config compiles with (null: cannot tell). */
  values: (number | null)[];
  /** Where `num_stages=1` is written or the launch is, for the finding's related locations. */
  sites: { range: CallFact['range']; message: string }[];
}

/** The stage counts one autotune decorator's configs compile with, or [null] when we cannot see them. */
function autotuneStages(decorator: string, read: AutotuneConfigs | null | undefined, hosts: FunctionFacts[]): (number | null)[] {
  // the list in the decorator or a module-level one it names, read from the syntax; a config without num_stages gets the default
  if (read) return read.configs.flatMap((c) => (c.num_stages ?? [String(DEFAULT_STAGES)]).map(literal));
  const inline = [...decorator.matchAll(/\bConfig\(/g)].length;
  const written = [...decorator.matchAll(/\bnum_stages\s*=\s*([^,)\]}]+)/g)].map((m) => literal(m[1]));
  if (inline > 0) return written.length === inline ? written : [...written, DEFAULT_STAGES];
  // `configs=_matmul_configs()`: the Config calls of that helper, when it is in this file
  const helper = hosts.find((h) => decorator.includes(`configs=${h.name}(`));
  const configs = helper?.calls.filter((c) => /(^|\.)Config$/.test(c.qualified ?? c.name)) ?? [];
  if (!configs.length) return [null];
  return configs.map((c) => {
    const kw = (c.keywords ?? []).find((x) => x.name === 'num_stages');
    return kw ? literal(kw.value) : DEFAULT_STAGES;
  });
}

/**
 * The values `text` can have at a launch in `host`: a literal, a local bound only to literals (`num_stages = 1`; every
 * assignment counts), or a parameter of the host's with a default (`def matmul(a, b, num_stages=1)`): the default, and
 * what the file's calls of the host pass for it.
 */
function valuesOf(text: string, host: FunctionFacts, hosts: readonly FunctionFacts[]): (number | null)[] {
  const value = literal(text);
  if (value !== null || !/^[A-Za-z_]\w*$/.test(text.trim())) return [value];
  const name = text.trim();
  const param = host.params.findIndex((p) => p.name === name);
  if (param >= 0) {
    const given = host.params[param].defaultValue;
    if (given === undefined) return [null];
    const passed = hosts.flatMap((h) => h.calls.filter((c) => c.form === 'call' && c.name === host.name)).flatMap((c) => {
      const kw = (c.keywords ?? []).find((x) => x.name === name);
      if (kw) return [literal(kw.value)];
      if (c.args.some((a) => a.startsWith('*'))) return [null];
      return c.args.length > param ? [literal(c.args[param])] : [];
    });
    return [literal(given), ...passed];
  }
  const bound = host.calls.filter((c) => c.form === 'assign' && c.assignedTo?.includes(name));
  // `num_stages = 1 if small else 2` and tuple unpacking are not single literals: unknown
  return bound.length && bound.every((c) => c.name === '=' && c.assignedTo!.length === 1) ? bound.map((c) => literal(c.args[0] ?? '')) : [null];
}

/** `num_stages` in a dict or `dict(...)` literal's text, a number; undefined where the text sets none, null where unreadable. */
function stagesInLiteral(text: string): number | null | undefined {
  if (!/^(?:\{[^]*\}|dict\([^]*\))$/.test(text)) return null;
  const m = /["']num_stages["']\s*:\s*([^,}]+)|\bnum_stages\s*=\s*([^,)]+)/.exec(text);
  return m ? literal(m[1] ?? m[2]) : undefined;
}

/**
 * The stage count a launch's `**config` spread compiles with: a local set once to a dict literal (`meta =
 * dict(..., num_stages=1)`), or to a call of one of the file's functions that returns one (`get_default_config()`);
 * one that sets none gives the default; null where it cannot be read.
 */
function spreadStages(name: string, host: FunctionFacts, hosts: readonly FunctionFacts[]): (number | null)[] {
  const sets = host.calls.filter((c) => c.form === 'assign' && c.assignedTo?.length === 1 && c.assignedTo[0] === name);
  if (sets.length !== 1 || sets[0].name !== '=') return [null];
  // (changed after it is made, `config["num_stages"] = 4` under a capability check, `config.update(...)`: unknown)
  if (host.calls.some((c) => (c.form === 'store' && c.args[0]?.trim() === name) || (c.form === 'method' && /^\.(?:update|setdefault|pop)$/.test(c.name) && c.args[0]?.trim() === name))) return [null];
  const text = sets[0].args[0]?.trim() ?? '';
  // (a helper's every returned dict, `get_default_config(M, N, K)` picking one by the shape)
  const helper = /^([A-Za-z_]\w*)\([^()]*\)$/.exec(text)?.[1];
  const texts = helper ? (hosts.find((f) => f.name === helper)?.calls.filter((c) => c.form === 'return').map((c) => c.args[0]?.trim() ?? '') ?? []) : [text];
  if (!texts.length) return [null];
  return texts.map((t) => {
    const v = stagesInLiteral(t);
    return v === undefined ? DEFAULT_STAGES : v;
  });
}

function stagesOf(k: FunctionFacts, facts: FileFacts): Stages {
  const out: Stages = { values: [], sites: [] };
  const hosts = facts.functions.filter((f) => !f.isKernel);
  const isAutotune = (d: string) => /(^|\.)autotune\(/.test(d);
  const autotune = (k.decorators ?? []).filter(isAutotune);
  (k.decorators ?? []).forEach((d, i) => {
    if (!isAutotune(d)) return;
    const read = k.autotuneConfigs?.[i];
    out.values.push(...autotuneStages(d, read, hosts));
    // configs kept away from the kernel (a module-level list): say where
    const away = read?.sources.find((r) => r.start.line < k.range.start.line || r.start.line > k.range.end.line);
    if (away) out.sites.push({ range: away, message: 'the autotune configs' });
  });
  for (const h of hosts) {
    for (const c of h.calls) {
      if (c.kind !== 'launch' || c.name !== k.name) continue;
      const kw = (c.keywords ?? []).find((x) => x.name === 'num_stages');
      // `**config`: the options may be in there (a positional `*strides` fills the kernel's parameters only)
      const spread = c.args.find((a) => a.startsWith('**'));
      if (kw) out.values.push(...valuesOf(kw.value, h, hosts));
      else if (spread) out.values.push(...spreadStages(spread.slice(2).trim(), h, hosts));
      else if (!autotune.length) out.values.push(DEFAULT_STAGES); // under autotune the configs decide
      out.sites.push({ range: c.nameRange, message: kw ? `launched with \`num_stages=${kw.value}\`` : 'launched here' });
    }
  }
  return out;
}

/** Names a loop bound may use besides the kernel's constexpr parameters: `tl.cdiv(K, BK)`, `triton.cdiv`, `min`. */
const BOUND_HELPERS = new Set(['tl', 'triton', 'cdiv', 'min', 'max', 'range', 'static_range']);
/** A constexpr named as a head dimension (`HEAD_DIM`, `head_size`, `hdim`): a per-head feature size of a few blocks. */
const HEAD_DIMENSION = /head|^hdim$/i;
/** A head count (`H`, `HV`, `num_heads`): a dimension it multiplies in an address is a per-head size. */
const HEAD_COUNT = /^(?:H|H[QKV]|HKV|NH)$/;
const HEAD_COUNT_WORD = /^(?:n_?heads|num_(?:q_|kv_)?heads)$/i;
/** A dimension a launch binds to at most this (a head dimension: 64, 128, 256) is a few blocks long. */
const HEAD_SCALE = 256;

/**
 * `for i_k in range(tl.cdiv(K, BK))` with K and BK `tl.constexpr`: a loop over a fixed feature dimension
 * (a head dimension in blocks, a chunk's sub-blocks), a handful of trips known at compile time. There is
 * no steady state for a second stage to overlap; pipelining pays on loops over a runtime length.
 * A constexpr walked in blocks is such a dimension only when the code says it is small (below); a GEMM's K
 * declared `tl.constexpr` to specialize on the weight's shape (MoE, block-fp8 GEMMs) is a long K-loop.
 */
function fixedTrips(loop: LoopFact | undefined, k: FunctionFacts, facts: FileFacts): boolean {
  if (!loop) return true;
  if (loop.trips !== undefined) return true;
  const constexprs = new Set(k.params.filter((p) => p.constexpr).map((p) => p.name));
  const names = [loop.bound ?? '', loop.init?.toString() ?? ''].flatMap((t) => t.match(/[A-Za-z_]\w*/g) ?? []);
  const bound = !!loop.bound && names.every((n) => constexprs.has(n) || BOUND_HELPERS.has(n));
  // `range(0, i_i)` with `i_i = i_c % NC` (a uniform value, kept as the symbol `i_c%NC`): fewer than NC trips
  const belowConstexpr = (s: string) => constexprs.has(/^\(?[\w.]+%([A-Za-z_]\w*)\)?$/.exec(s)?.[1] ?? '');
  const limit = !!loop.limit && loop.limit.terms.size > 0 && [...loop.limit.symbols()].every((s) => constexprs.has(s) || belowConstexpr(s));
  if (!bound && !limit) return false;
  const walked = blockedDimension(loop, constexprs, k);
  return !walked || tileScale(walked.dimension, walked.block, k, facts);
}

/** A launch argument as passed, or each value the host's local it passes is assigned (`BLOCK_K = max(16, ...)`). */
function givenValues(arg: string, h: FunctionFacts): string[] {
  return /^[A-Za-z_]\w*$/.test(arg) && !h.params.some((p) => p.name === arg)
    ? h.calls.filter((x) => x.form === 'assign' && x.assignedTo?.includes(arg)).map((x) => x.args[0] ?? '')
    : [arg];
}

/**
 * The constexpr dimension a loop walks in blocks and the block: `range(tl.cdiv(K, BK))`, `range(K // BK)`,
 * `range(0, K, BK)`. Not a dimension that is itself a block extent of the kernel (`tl.arange(0, BLOCK_DMODEL)`):
 * a loop over the blocks of one tile is short.
 */
function blockedDimension(loop: LoopFact, constexprs: Set<string>, k: FunctionFacts, anyDimension = false): { dimension: string; block: string } | null {
  const bound = (loop.bound ?? '').replace(/\s+/g, '');
  const step = loop.step?.toString().replace(/\s+/g, '') ?? '1';
  const divided = /^(?:(?:tl|triton)\.)?cdiv\(([A-Za-z_]\w*),(.+)\)$/.exec(bound) ?? /^([A-Za-z_]\w*)\/\/(.+)$/.exec(bound);
  let dimension: string;
  let block: string;
  if (divided && step === '1') [dimension, block] = [divided[1], divided[2].replace(/^\((.*)\)$/, '$1')];
  else if (/^[A-Za-z_]\w*$/.test(bound) && constexprs.has(step)) [dimension, block] = [bound, step];
  else return null;
  if (!anyDimension && !constexprs.has(dimension)) return null;
  const extent = k.calls.some((c) => /(^|\.)arange$/.test(c.qualified ?? c.name) && c.args[1]?.trim() === dimension);
  return extent ? null : { dimension, block };
}

/**
 * Does the code say the constexpr `dimension` is a few blocks long: named as a head dimension, a per-head size in
 * the kernel's addresses (`q + (t * H + i_h) * K`: linear-attention kernels name their key and value head
 * dimensions K and V), or, at a launch of the file, bound to a head-sized literal or given a block sized from it
 * (`BK = min(64, triton.next_power_of_2(K))`: the block follows the dimension, as it does for head dimensions)?
 */
function tileScale(dimension: string, block: string, k: FunctionFacts, facts: FileFacts): boolean {
  if (HEAD_DIMENSION.test(dimension)) return true;
  const heads = new Set(k.params.filter((p) => HEAD_COUNT.test(p.name) || HEAD_COUNT_WORD.test(p.name)).map((p) => p.name));
  const perHead = (m: string) => {
    const factors = m.split('*');
    return factors.includes(dimension) && factors.some((f) => heads.has(f));
  };
  if (heads.size && k.accesses.some((a) => a.indices.some((i) => [...i.terms.keys()].some(perHead)))) return true;
  for (const h of facts.functions) {
    if (h.isKernel) continue;
    for (const c of h.calls) {
      if (c.kind !== 'launch' || c.name !== k.name) continue;
      const bound = bindArguments(k, c);
      const d = bound?.get(dimension)?.text;
      if (!d) continue;
      const values = valuesOf(d, h, facts.functions.filter((f) => !f.isKernel)); // `K=64`, or a local bound only to literals
      if (values.every((v) => v !== null && v <= HEAD_SCALE)) return true;
      const b = bound!.get(block)?.text;
      if (!b) continue;
      const sizes = givenValues(b, h);
      const mentions = new RegExp(`(^|[^\\w.])${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`);
      if (sizes.length && sizes.every((t) => mentions.test(t.replace(/\s+/g, '')))) return true;
    }
  }
  return false;
}

/** `next_power_of_2(d)` or `max(16, triton.next_power_of_2(d))`: a block at least `d` long. */
const COVERING_BLOCK = /^(?:max\(\w+,)?(?:triton\.)?next_power_of_2\(([\w.]+)\)\)?$/;

/**
 * Every launch of the file sizes the loop's block to cover the dimension it walks: `range(tl.cdiv(RANK, BLOCK_K))`
 * launched with `BLOCK_K = max(16, triton.next_power_of_2(rank))` and `rank` for RANK (a LoRA rank). The loop runs
 * once; there is no next block to load. A block capped below the dimension (`min(64, ...)`) is not this.
 */
function oneTripAtLaunches(loop: LoopFact, k: FunctionFacts, facts: FileFacts): boolean {
  const walked = blockedDimension(loop, new Set(k.params.filter((p) => p.constexpr).map((p) => p.name)), k, true);
  if (!walked || !loop.init?.isConstant || loop.init.constant !== 0) return false;
  let launches = 0;
  for (const h of facts.functions) {
    if (h.isKernel) continue;
    for (const c of h.calls) {
      if (c.kind !== 'launch' || c.name !== k.name) continue;
      launches++;
      const args = bindArguments(k, c);
      const dimension = args?.get(walked.dimension)?.text.replace(/\s+/g, '');
      const block = args?.get(walked.block)?.text.replace(/\s+/g, '');
      if (!dimension || !block) return false;
      const sizes = givenValues(block, h).map((t) => t.replace(/\s+/g, ''));
      if (!sizes.length || !sizes.every((t) => COVERING_BLOCK.exec(t)?.[1] === dimension)) return false;
    }
  }
  return launches > 0;
}

/** Trips at most which a K-loop has no steady state for a second stage to overlap. */
const FEW_TRIPS = 4;

/**
 * Every launch of the file gives the loop at most FEW_TRIPS trips: `tl.range(0, MID, B_MID)` launched with MID = 32
 * and B_MID = 16 (a puzzle's check). Only a bound and a step each a parameter or a literal, the start a literal.
 */
function fewTripsAtLaunches(loop: LoopFact, k: FunctionFacts, facts: FileFacts): boolean {
  const bound = (loop.bound ?? '').trim();
  const step = loop.step?.toString().replace(/\s+/g, '') ?? '1';
  if (!/^\w+$/.test(bound) || !/^\w+$/.test(step) || !loop.init?.isConstant) return false;
  const hosts = facts.functions.filter((f) => !f.isKernel);
  let launches = 0;
  for (const h of hosts)
    for (const c of h.calls) {
      if (c.kind !== 'launch' || c.name !== k.name) continue;
      launches++;
      const args = bindArguments(k, c);
      // (each value a local or a host parameter may take: the longest bound, the shortest step)
      const values = (t: string) => {
        const given = literal(t) ?? args?.get(t)?.text;
        const vs = typeof given === 'number' ? [given] : given ? valuesOf(given, h, hosts) : [null];
        return vs.every((v): v is number => v !== null) ? vs : null;
      };
      const [bs, ss] = [values(bound), values(step)];
      const [b, s] = [bs && Math.max(...bs), ss && Math.min(...ss)];
      if (b === null || s === null || s <= 0 || Math.ceil((b - loop.init.constant) / s) > FEW_TRIPS) return false;
    }
  return launches > 0;
}

export function tritonMultiStage(facts: FileFacts): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const k of facts.functions) {
    if (!k.isKernel || isReferenceOracle(k.name)) continue;
    const innermost = (c: CallFact) => k.loops.find((l) => l.id === c.loops[c.loops.length - 1]);
    const dot = k.calls.find((c) => isDot(c) && c.loops.length > 0 && !fixedTrips(innermost(c)!, k, facts));
    const loop = dot && innermost(dot);
    if (!dot || !loop || fewTripsAtLaunches(loop, k, facts) || oneTripAtLaunches(loop, k, facts)) continue;
    // `tl.range(..., num_stages=3)`: the loop's own setting wins over the kernel's (Triton 3.2+); one we cannot read counts as set
    const own = loop.pragmas.map((p) => /^num_stages=(.*)$/.exec(p)?.[1]).find((v) => v !== undefined);
    const s: Stages = own !== undefined ? { values: [literal(own)], sites: [{ range: loop.headerRange, message: `\`num_stages=${own}\` on the loop itself` }] } : stagesOf(k, facts);
    // unset means the default (3): only a loop that is always compiled with one stage is reported
    if (s.values.length === 0 || s.values.some((v) => v === null || v >= 2)) continue;
    const variable = loop.variable ?? 'loop';
    out.push({
      range: loop.headerRange,
      function: k.name,
      confidence: 'likely',
      assumptions: [
        'assumes an NVIDIA GPU of sm_80 or newer, where Triton pipelines the loads with asynchronous copies',
        'assumes the extra stage buffers fit in shared memory (num_stages=1 is sometimes chosen because, with very large blocks, they do not)',
      ],
      message: `\`${variable}\` loop feeding \`tl.dot\`: only \`num_stages=1\`, each K-block's loads wait for the previous \`tl.dot\``,
      detail: detail(
        `The \`${variable}\` loop feeding \`tl.dot\` in \`${k.name}\` is only ever compiled with \`num_stages=1\`, so the loads of each K-block wait for the previous \`tl.dot\` to finish.`,
        "Use 3 or 4 stages (Triton's default is 3; autotune it with the block sizes) so that the loads of the next blocks overlap the current one.",
      ),
      benefit: BENEFIT,
      related: [{ range: dot.range, message: '`tl.dot` in the loop' }, ...s.sites.slice(0, 3)],
    });
  }
  return out;
}
