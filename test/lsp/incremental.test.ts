// What the editor shows after an edit is what a fresh analysis of the new text shows: random
// one-character and short-token edits of every rule fixture, each analysed incrementally (the
// open document's re-parsed tree and facts cache) and from scratch, findings compared whole.
// Where tree-sitter's error recovery builds a different tree for the edited text than a fresh
// parse does, the trees are the difference, not the cache: such versions are skipped, and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { OpenDocument } from '../../server/src/lsp/documents';
import { Engine } from '../../server/src/core/engine';
import { DEFAULT_CONFIG } from '../../server/src/core/config';
import { detectLanguage, grammarFor } from '../../server/src/core/parser';
import type { Finding } from '../../server/src/core/types';
import { ruleFixtures, rng } from '../fuzz-inputs';

const PIECES = ['z', ' ', '\n', ';', '(', ')', '{', '}', '//', '*/', 'i', '1', '*', '+', 'threadIdx.x', '__syncthreads();', 'const ', '<', '>', 'float'];
const EDITS_PER_FILE = 3;

const shown = (fs: Finding[]) => JSON.stringify(fs.map((f) => [f.rule, f.range, f.message, f.severity, f.related, f.assumptions, f.detail, f.function]));

test('after random edits of every rule fixture, the incremental analysis equals a fresh one', async () => {
  const engine = await Engine.create();
  const fresh = await Engine.create();
  const R = rng(11);
  let compared = 0;
  let otherTree = 0;
  for (const file of ruleFixtures()) {
    const path = `/fixtures/${file.name}`;
    const language = detectLanguage(path, file.text);
    if (!language) continue;
    const od = new OpenDocument(TextDocument.create(`file://${path}`, 'x', 1, file.text), language);
    const incremental = () => engine.analyzeTree(language, od.reparse(engine.parsers), od.text, DEFAULT_CONFIG, od.cache, undefined, path);
    incremental();
    // (and one in a template's parameter list, which lies outside the function's own text)
    const header = file.text.split('\n').findIndex((l) => /^template\s*<.+>/.test(l));
    for (let k = 0; k < EDITS_PER_FILE + (header >= 0 ? 1 : 0); k++) {
      const lines = od.text.split('\n');
      const line = k === EDITS_PER_FILE ? header : Math.floor(R() * lines.length);
      const character = k === EDITS_PER_FILE ? lines[line].indexOf('<') + 1 + Math.floor(R() * (lines[line].lastIndexOf('>') - lines[line].indexOf('<') - 1)) : Math.floor(R() * (lines[line].length + 1));
      const deletes = R() < 0.4 && character < lines[line].length;
      const edit = deletes
        ? { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' }
        : { range: { start: { line, character }, end: { line, character } }, text: PIECES[Math.floor(R() * PIECES.length)] };
      od.applyChanges([edit], k + 2);
      const seen = shown(incremental());
      const tree = fresh.parsers.parse(grammarFor(language), od.text);
      const sameTree = tree.rootNode.toString() === od.tree!.rootNode.toString();
      const expected = shown(fresh.analyzeTree(language, tree, od.text, DEFAULT_CONFIG, undefined, undefined, path));
      tree.delete();
      if (!sameTree) {
        otherTree++;
        continue;
      }
      compared++;
      assert.equal(seen, expected, `${file.name} after ${JSON.stringify(edit)}`);
    }
    od.dropTree();
  }
  assert.ok(compared > 500, `compared ${compared} versions (${otherTree} re-parsed into another tree)`);
});
