// The tree copy (core/mirror.ts) calls web-tree-sitter's raw cursor functions; the copy
// must be the one its public TreeCursor gives, node for node, on real files, on broken
// ones and on subtrees, and the cursor must be handed back intact (no leak, no crash
// when many copies run in turn with parses in between).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Parsers, type GrammarName } from '../server/src/core/parser';
import { mirror, setFastCopy, SourceText, type SyntaxNode } from '../server/src/core/mirror';
import { generateCuda } from './bench/generate';

let parsers: Parsers;
before(async () => {
  parsers = await Parsers.load();
});

function listing(n: SyntaxNode, out: string[] = []): string[] {
  out.push(`${n.type} ${n.isNamed} ${n.fieldName} ${n.startIndex}-${n.endIndex} ${n.hasError} ${n.isBroken} ${n.children.length}`);
  for (const c of n.children) listing(c, out);
  return out;
}

function both(grammar: GrammarName, text: string): { fast: string[]; slow: string[] } {
  const tree = parsers.parse(grammar, text);
  try {
    const source = new SourceText(text);
    const fast = listing(mirror(tree.rootNode, source));
    const inner = tree.rootNode.namedChild(0);
    if (inner) fast.push('--', ...listing(mirror(inner, source)));
    const was = setFastCopy(false);
    try {
      const slow = listing(mirror(tree.rootNode, source));
      if (inner) slow.push('--', ...listing(mirror(inner, source)));
      return { fast, slow };
    } finally {
      setFastCopy(was);
    }
  } finally {
    tree.delete();
  }
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(cu|cuh|cpp|c|h|py)$/.test(name)) out.push(p);
  }
  return out;
}

const grammarOf = (path: string): GrammarName => (path.endsWith('.py') ? 'python' : /\.cuh?$/.test(path) ? 'cuda' : 'cpp');

test('the fast copy equals the public cursor copy on the examples and the corpus', () => {
  const paths = [...files('examples'), ...files('test/corpus')];
  assert.ok(paths.length > 50, `found ${paths.length} files`);
  let nodes = 0;
  for (const p of paths) {
    const { fast, slow } = both(grammarOf(p), readFileSync(p, 'utf8'));
    assert.deepEqual(fast, slow, p);
    nodes += fast.length;
  }
  assert.ok(nodes > 50_000, `${nodes} nodes compared`);
});

test('the fast copy equals the public cursor copy on broken input and deep nesting', () => {
  const inputs = ['(((((', 'int f() { @@@ }', '\0\0\x01 garbage', '#define X(a) a\nX(', 'for (;;', '"unterminated', '__global__ void k(float* a) { a[threadIdx.x] = ; }', '('.repeat(3000) + 'x' + ')'.repeat(3000), '{'.repeat(2000)];
  for (const text of inputs) {
    for (const g of ['cuda', 'cpp', 'python'] as const) {
      const { fast, slow } = both(g, text);
      assert.deepEqual(fast, slow, `${g}: ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
});

test('many copies of a large file in turn, with parses between them, stay identical', () => {
  const text = generateCuda(1500, 3).text;
  const whole = both('cuda', text).fast;
  const first = whole.slice(0, whole.indexOf('--'));
  for (let i = 0; i < 20; i++) {
    parsers.parse('python', 'def f():\n  return 1\n').delete();
    const tree = parsers.parse('cuda', text);
    assert.deepEqual(listing(mirror(tree.rootNode, new SourceText(text))), first);
    tree.delete();
  }
});
