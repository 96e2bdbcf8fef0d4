// How much of a buffer a launch covers, in bits, from the kernel's bounds check (`if (i <
// n)`, `if (idx < BT * OC)`) with the launch's arguments put in: `n` floats, and `n / 4`
// float4 packs, are the same 32·n bits; `BT * OC` with OC = `4 * C` is `4*BT*C`. Two
// launches chain over the same elements when these agree.
import type { CallFact, FunctionFacts } from '../../../core/facts/model';
import type { Poly } from '../../../core/affine';

/** A product of opaque factors times a rational constant, in a normal form. */
interface Product {
  factors: string[];
  num: number;
  den: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** `4 * C`, `(n) / 4`, `BT*OC` as a product; anything else is one opaque factor. */
function product(text: string): Product {
  const t = text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  const out: Product = { factors: [], num: 1, den: 1 };
  if (!/^[\w.()]+(?:[*/][\w.()]+)*$/.test(t) || /[()]/.test(t.replace(/^\(|\)$/g, ''))) {
    out.factors.push(t);
    return out;
  }
  const parts = t.split(/(?=[*/])/);
  for (const part of parts) {
    const op = part[0] === '/' ? '/' : '*';
    const f = part.replace(/^[*/]/, '');
    if (/^\d+$/.test(f)) {
      if (op === '*') out.num *= Number(f);
      else out.den *= Number(f);
    } else if (op === '*') out.factors.push(f);
    else return { factors: [t], num: 1, den: 1 }; // division by a name: opaque
  }
  return out;
}

function multiply(a: Product, b: Product): Product {
  return { factors: [...a.factors, ...b.factors], num: a.num * b.num, den: a.den * b.den };
}

function key(p: Product): string {
  const g = gcd(p.num, p.den);
  return `${p.num / g}/${p.den / g}*${[...p.factors].sort().join('*')}`;
}

/** Bits of the buffer's elements as the kernel accesses it (a float4 pack is 128). */
function elementBits(k: FunctionFacts, param: string): number | null {
  const bits = new Set(k.accesses.filter((a) => a.array === param && a.space === 'global').map((a) => a.elemBits));
  return bits.size === 1 ? [...bits][0] : null;
}

/**
 * The launch's extent over `param` in a normal form (`1/1*n`, and `32/1*n` in bits), or null when the kernel has
 * no bounds check we can read. The display text is the bound with the arguments put in.
 */
export interface Extent {
  /** Elements as the kernel counts them. */
  key: string;
  /** Bits, when the element type is known. */
  bitsKey: string | null;
  text: string;
  /** The count is a number the file fixes (`#define N (1 << 26)`), however it is written. */
  fixed?: true;
}

/** Every global access of `param` is at the thread's global index itself (`i = blockIdx.x * blockDim.x + threadIdx.x`), once, in no loop. */
function atThreadIndex(k: FunctionFacts, param: string): boolean {
  const own = k.accesses.filter((a) => a.array === param && a.space === 'global');
  const global = (p: Poly) => p.terms.size === 2 && p.terms.get('threadIdx.x') === 1 && p.terms.get('blockDim.x*blockIdx.x') === 1;
  return own.length > 0 && own.every((a) => a.loops.length === 0 && a.indices.length === 1 && !a.indices[0].unknown && global(a.indices[0]));
}

/**
 * A kernel with no bounds check (llm.c's, whose launchers assert the size is a multiple of the block) covers one
 * element of `param` a thread: the launch's threads (`<<<N / 256, 256>>>` -> N; facts/launch-threads.ts).
 */
function unguardedExtent(k: FunctionFacts, launch: CallFact, param: string): Extent | null {
  if (!launch.threads || !atThreadIndex(k, param)) return null;
  const size = product(launch.threads);
  const bits = elementBits(k, param);
  return { key: key(size), bitsKey: bits === null ? null : key(multiply(size, { factors: [], num: bits, den: 1 })), text: launch.threads };
}

export function launchExtent(k: FunctionFacts, launch: CallFact, param: string): Extent | null {
  if (!k.indexBound) return unguardedExtent(k, launch, param);
  // a file-scope constant (`N` of `#define N (1 << 26)`, `const int N = 1024;`): its value, whatever the launch passes
  const value = k.indexBoundValue?.isConstant && k.indexBoundValue.constant > 0 ? k.indexBoundValue.constant : null;
  const isParam = (f: string) => k.params.some((p) => p.name === f);
  const written = product(k.indexBound);
  // (a count the kernel works out from its parameters, `unsigned n = features * batch_size`: that product)
  const derived = value === null && !written.factors.every(isParam) ? parameterProduct(k, isParam) : null;
  const bound = value !== null ? { factors: [], num: value, den: 1 } : derived ?? written;
  let size: Product = { factors: [], num: bound.num, den: bound.den };
  for (const f of bound.factors) {
    const i = k.params.findIndex((p) => p.name === f);
    if (i < 0 || launch.args[i] === undefined) return null; // a bound that is not a parameter
    size = multiply(size, product(launch.args[i]));
  }
  const bits = elementBits(k, param);
  const text = (derived ? [...(derived.num === 1 ? [] : [String(derived.num)]), ...derived.factors].join('*') : k.indexBound).replace(/[A-Za-z_]\w*/g, (w) => {
    const i = k.params.findIndex((p) => p.name === w);
    const a = i >= 0 ? launch.args[i].replace(/\s+/g, '') : w;
    return /^[\w.]+$/.test(a) || k.indexBound === w ? a : `(${a})`;
  });
  return { key: key(size), bitsKey: bits === null ? null : key(multiply(size, { factors: [], num: bits, den: 1 })), text, ...(value !== null ? { fixed: true as const } : {}) };
}

/** The kernel's bound as a product of its parameters and a positive integer, from the value it was given, or null. */
function parameterProduct(k: FunctionFacts, isParam: (f: string) => boolean): Product | null {
  const v = k.indexBoundValue;
  if (!v || v.unknown || v.terms.size !== 1) return null;
  const [[monomial, coefficient]] = [...v.terms];
  const factors = monomial ? monomial.split('*') : [];
  return factors.length && factors.every(isParam) && Number.isInteger(coefficient) && coefficient > 0 ? { factors, num: coefficient, den: 1 } : null;
}

/** Do two launches cover the same part of the buffer: the same count, or the same bits (`n` floats, `n / 4` float4 packs)? */
export function sameExtent(a: Extent, b: Extent): boolean {
  return a.key === b.key || (a.bitsKey !== null && a.bitsKey === b.bitsKey);
}

/** An extent that names a count (`n`, `size`, `BT*C`), not a literal one (`1024`): two such may well be equal. */
export function symbolic(e: Extent): boolean {
  return !e.fixed && /[A-Za-z_]/.test(e.text);
}

/**
 * A consumer's count that is a larger multiple of the same names as its producer's, over elements of known widths
 * (`batch*features` floats written, `2*batch*features` floats read): it reads past what the producer wrote, no chain
 * (a smaller one reads a prefix of it, which still is; `n` floats and `n / 4` packs of a struct may be the same bits).
 */
export function readsPast(producer: Extent, consumer: Extent): boolean {
  const names = (e: Extent) => e.bitsKey!.slice(e.bitsKey!.indexOf('*'));
  const multiple = (e: Extent) => {
    const [num, den] = e.bitsKey!.slice(0, e.bitsKey!.indexOf('*')).split('/').map(Number);
    return num / den;
  };
  return producer.bitsKey !== null && consumer.bitsKey !== null && names(producer) === names(consumer) && multiple(consumer) > multiple(producer);
}

/**
 * Two counts of the same names by different factors (`N` and `N/2` threads, `n` and `2*n` elements): certainly not
 * the same elements, where two different names may well be one count.
 */
export function otherMultiple(a: Extent, b: Extent): boolean {
  const names = (key: string) => key.slice(key.indexOf('*') + 1);
  // (in bits, where both widths are known: `n` floats and `n / 4` packs of a struct of unknown width may be one buffer)
  return a.key !== b.key && names(a.key) === names(b.key) && a.bitsKey !== null && b.bitsKey !== null && a.bitsKey !== b.bitsKey;
}
