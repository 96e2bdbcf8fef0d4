// Seeded fuzz inputs, shared by test/fuzz.test.ts (a few thousand, in `npm test`) and
// scripts/fuzz.ts (`npm run fuzz`, many more): random bytes, mutations of the rule
// fixtures, and the pathological shapes that once took seconds or the whole heap.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..');

/** mulberry32: a small seeded generator, so a failing input can be made again from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzInput {
  name: string;
  path: string;
  text: string;
}

/** Every rule fixture (`server/src/rules/<area>/<rule>/fixtures/*`), as path and text. */
export function ruleFixtures(): FuzzInput[] {
  const out: FuzzInput[] = [];
  const rules = join(repoRoot, 'server/src/rules');
  for (const area of readdirSync(rules, { withFileTypes: true })) {
    if (!area.isDirectory()) continue;
    for (const rule of readdirSync(join(rules, area.name), { withFileTypes: true })) {
      const dir = join(rules, area.name, rule.name, 'fixtures');
      let files: string[];
      try {
        files = readdirSync(dir);
      } catch {
        continue;
      }
      for (const f of files.sort()) {
        const text = readFileSync(join(dir, f), 'utf8');
        out.push({ name: `${area.name}/${rule.name}/${f}`, path: `/fuzz/${f}`, text });
      }
    }
  }
  return out;
}

const EXTENSIONS = ['.cu', '.c', '.cpp', '.cuh', '.py'];
/** Pieces that stress the lexer, the preprocessor and the evaluators when dropped anywhere. */
const PIECES = [
  '(', ')', '{', '}', '[', ']', ';', ',', '?', ':', '~', '!', '-', '*', '&', '<<', '>>', '%', '/', '"', "'", '\\\n', '\\',
  '/*', '*/', '//', '#', '\n#define M(x) ((x) + (x))\n', '\n#define N 32\n', '\n#if 0\n', '\n#endif\n', '\n#else\n',
  'threadIdx.x', 'blockIdx.x * blockDim.x', 'tl.arange(0, BLOCK)', 'tl.program_id(0)', '__shared__ float t[32][32];',
  'for (int i = 0; i < n; i++)', 'if (x)', 'else', 'return', '<<<g, b>>>', 'x[i]', 'M(M(M(i)))', '\u0000', '\uFFFD', '\r', '\r\n', '\t',
  '    ', 'def f(x):\n    ', '@triton.jit\n', 'import triton\n',
];

/** A fixture's text with 1..6 random edits (delete, duplicate, insert a piece, truncate, swap). */
export function mutate(text: string, r: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(r() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * (t.length + 1));
    const len = Math.floor(r() * Math.min(80, t.length - at + 1));
    switch (Math.floor(r() * 6)) {
      case 0:
        t = t.slice(0, at) + t.slice(at + len);
        break;
      case 1:
        t = t.slice(0, at + len) + t.slice(at, at + len) + t.slice(at + len);
        break;
      case 2:
      case 3:
        t = t.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(at);
        break;
      case 4:
        t = t.slice(0, at);
        break;
      default: {
        const b = Math.floor(r() * (t.length + 1));
        const [x, y] = at < b ? [at, b] : [b, at];
        t = t.slice(0, x) + t.slice(y, y + len) + t.slice(x + len, y) + t.slice(x, x + len) + t.slice(y + len);
      }
    }
  }
  return t;
}

/** Random bytes (read as UTF-8, as a file from disk would be), sometimes behind a header that makes them analysed. */
export function randomBytes(r: () => number, maxLen = 600): string {
  const n = Math.floor(r() * maxLen);
  const bytes = Buffer.alloc(n);
  const printable = r() < 0.7; // mostly text-like, or the binary check rejects it before any analysis
  for (let i = 0; i < n; i++) bytes[i] = printable ? 9 + Math.floor(r() * 118) : Math.floor(r() * 256);
  const head = ['', '__global__ void k(float* o) {\n', 'import triton\n@triton.jit\ndef k(x):\n    ', '#define F(a) '][Math.floor(r() * 4)];
  return head + bytes.toString('utf8');
}

export function randomExtension(r: () => number): string {
  return EXTENSIONS[Math.floor(r() * EXTENSIONS.length)];
}

/**
 * The pathological shapes of issue #10: `n` arms, stacked operators or doubling macros, and
 * nesting `deep` levels deep (the test uses small depths, `npm run fuzz` the sizes that once
 * ran for seconds or exhausted the heap).
 */
export function pathological(n: number, deep: number): FuzzInput[] {
  const arms = Array.from({ length: n }, (_, i) => `t == ${i} ? ${i}`).join(' : ');
  const doubling = ['#define M0(x) ((x) + (x))', ...Array.from({ length: n }, (_, i) => `#define M${i + 1}(x) M${i}(x) + M${i}(x)`)].join('\n');
  const kernel = (body: string) => `__global__ void k(float* o, int n) {\n  int t = threadIdx.x;\n  ${body}\n}\n__global__ void ok(float* o, int s) { o[threadIdx.x * s] += 1.0f; }\n`;
  return [
    { name: `?: chain of ${n} arms (.c)`, path: '/fuzz/ternary.c', text: `int g(int t, int *o) {\n  o[${arms} : 0] = 1;\n  return 0;\n}\n` },
    { name: `?: chain of ${n} arms (.cu)`, path: '/fuzz/ternary.cu', text: kernel(`o[${arms} : 0] = 1.0f;`) },
    { name: `~ stacked ${n} times`, path: '/fuzz/tilde.cu', text: kernel(`o[${'~'.repeat(n)}t] = 1.0f;`) },
    { name: `${n} macros each expanding their argument twice`, path: '/fuzz/macros.cu', text: `${doubling}\n${kernel(`o[M${n}(t)] = 1.0f;`)}` },
    { name: `f(f(...)) ${deep} deep`, path: '/fuzz/calls.c', text: `int g(int x) { return ${'f('.repeat(deep)}x${')'.repeat(deep)}; }\nint h(int *a, int i) { return a[i]; }\n` },
    { name: `a one-line sum of ${deep * 8} terms`, path: '/fuzz/sum.c', text: `int g(int a) { int s = ${Array(deep * 8).fill('a').join('+')}; return s; }\n` },
    { name: `(((...))) ${deep} deep in an index`, path: '/fuzz/parens.cu', text: kernel(`o[${'('.repeat(deep)}t${')'.repeat(deep)}] = 1.0f;`) },
    { name: `{ { ... } } ${deep} deep`, path: '/fuzz/blocks.cu', text: kernel(`${'{'.repeat(deep)} o[t] = 1.0f; ${'}'.repeat(deep)}`) },
    { name: `else-if chain of ${deep} arms`, path: '/fuzz/elseif.c', text: `int g(int t) {\n${Array.from({ length: deep }, (_, i) => `if (t == ${i}) return ${i};`).join(' else ')}\nreturn 0; }\n` },
    { name: `Python nested ${deep} deep`, path: '/fuzz/deep.py', text: `import triton\nimport triton.language as tl\n@triton.jit\ndef k(x_ptr):\n    i = tl.program_id(0)\n    tl.store(x_ptr + ${'('.repeat(deep)}i${')'.repeat(deep)}, 1.0)\n` },
    { name: `hash chain of ${n} shifts`, path: '/fuzz/hash.cu', text: kernel(`${Array.from({ length: n }, () => 't ^= t >> 13;').join(' ')}\n  o[t & 1023] = 1.0f;`) },
  ];
}

/** The same text with its line ends as LF, CRLF, CR, and a mix (LSP counts `\r`, `\r\n` and `\n` as line ends). */
export function lineEndingVariants(text: string, r: () => number): Record<string, string> {
  const lf = text.replace(/\r\n?/g, '\n');
  const ends = ['\n', '\r\n', '\r'];
  return {
    LF: lf,
    CRLF: lf.replace(/\n/g, '\r\n'),
    CR: lf.replace(/\n/g, '\r'),
    // a `\r` right before a `\n` end would make one CRLF of two line ends: not after a lone `\r`
    mixed: lf.split('\n').reduce((acc, line, i) => (i === 0 ? line : acc + ends[Math.floor(r() * 3)].replace(acc.endsWith('\r') ? /^\n$/ : /^$/, '\r') + line), ''),
  };
}

