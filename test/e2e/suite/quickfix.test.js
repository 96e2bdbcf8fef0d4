// A rule's own fix, offered first and preferred: padding a shared-memory tile.
const assert = require('node:assert/strict');
const vscode = require('vscode');
const { openFile, ruleOf, waitForFindings } = require('./helpers');

const RULE = 'memory/shared-bank-conflict';

describe('Quick fix: bank-conflict padding (transpose_tile.cu)', function () {
  after(async function () {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('offers the padding first (preferred); applying it removes the finding', async function () {
    const doc = await openFile('transpose_tile.cu');
    const list = await waitForFindings(doc.uri, (l) => l.some((d) => ruleOf(d) === RULE), `a ${RULE} finding`);
    const finding = list.find((d) => ruleOf(d) === RULE);
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, finding.range, vscode.CodeActionKind.QuickFix.value);
    const ours = actions.filter((a) => a.title.includes(RULE) || a.title.startsWith('Pad '));
    assert.ok(ours.length > 1, `actions: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(ours[0].title, 'Pad the inner dimension of `tile` to `TILE_DIM + 1`');
    assert.equal(ours[0].isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(ours[0].edit));
    assert.ok(doc.getText().includes('__shared__ float tile[TILE_DIM][TILE_DIM + 1];'));
    await waitForFindings(doc.uri, (l) => !l.some((d) => ruleOf(d) === RULE), `the ${RULE} finding to go away`);
  });
});
