// Documents analysed in turn, one slice each (the server's scheduler): what a slice did for
// one document must survive the other's slices, or two documents could take turns undoing
// each other's progress. Slices of no time at all: each does one piece of work.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Engine } from '../../server/src/core/engine';
import { OpenDocument, SliceExpired } from '../../server/src/lsp/documents';
import { generateCuda } from '../bench/generate';

let engine: Engine;
before(async () => {
  engine = await Engine.create(['cuda']);
});

function open(name: string, seed: number): OpenDocument {
  const text = generateCuda(600, seed).text;
  return new OpenDocument(TextDocument.create(pathToFileURL(`/w/${name}`).href, 'cuda-cpp', 1, text), 'cuda');
}

/** One zero-time slice of `od`'s analysis: its findings when done, else null. */
function slice(od: OpenDocument, dropTree = false): number | null {
  if (dropTree) od.dropTree(); // as when other documents took the kept trees
  const tree = od.parseSlice(engine.parsers, Infinity)!;
  od.cache.startSlice(0);
  try {
    return engine.analyzeTree('cuda', tree, od.text, undefined, od.cache, undefined, `/w/${od.doc.uri}`).length;
  } catch (e) {
    if (e instanceof SliceExpired) return null;
    throw e;
  } finally {
    od.cache.endSlice();
  }
}

function run(docs: OpenDocument[], dropTrees: boolean): { slices: number[]; findings: number[] } {
  const slices = docs.map(() => 0);
  const findings: number[] = docs.map(() => -1);
  for (let turn = 0; findings.some((f) => f < 0); turn++) {
    const i = turn % docs.length;
    if (findings[i] >= 0) continue;
    assert.ok(turn < 20_000, `no end after ${turn} turns: ${slices.join(', ')} slices`);
    slices[i]++;
    findings[i] = slice(docs[i], dropTrees) ?? -1;
  }
  return { slices, findings };
}

test('two documents in turn take the slices each takes alone, and find the same', () => {
  const alone = [run([open('a.cu', 1)], false), run([open('b.cu', 2)], false)];
  const together = run([open('a2.cu', 1), open('b2.cu', 2)], false);
  assert.deepEqual(together.findings, alone.map((r) => r.findings[0]));
  together.slices.forEach((n, i) => assert.ok(n <= alone[i].slices[0] + 2, `document ${i}: ${n} slices in turn, ${alone[i].slices[0]} alone`));
});

test('their trees dropped between slices (parsed again each time): still done, with the same findings', () => {
  const alone = [run([open('c.cu', 3)], false), run([open('d.cu', 4)], false)];
  const dropped = run([open('c2.cu', 3), open('d2.cu', 4)], true);
  assert.deepEqual(dropped.findings, alone.map((r) => r.findings[0]));
  dropped.slices.forEach((n, i) => assert.ok(n <= alone[i].slices[0] + 2, `document ${i}: ${n} slices with its tree dropped, ${alone[i].slices[0]} kept`));
});
