// The one check made from outside the editor: the harness (Playwright, see
// test/e2e/lib/ui.mjs) looks at the squiggle, the Problems panel, the status-bar count and
// the height of the hover (the DOM's, in this run) while this test holds matmul.cu open, and
// clicks the hover's Explain link.
// Files in <tmp>/shared carry the handshake.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
const { sharedDir, openFile, waitForFindings, waitFor, missingFromExplain } = require('./helpers');
const { cliFindings } = require('./knowledge');

describe('UI (seen by Playwright)', function () {
  it('shows the squiggle, a Problems row, the status-bar count and a hover that fits its box, whose Explain link opens its finding in full', async function () {
    this.timeout(120_000); // the harness allows each of its waits up to 20 s
    const dir = sharedDir();
    if (!dir || !fs.existsSync(path.join(dir, 'harness.json'))) this.skip(); // e.g. under @vscode/test-electron
    const doc = await openFile('matmul.cu');
    const list = await waitForFindings(doc.uri, (l) => l.length > 0, 'findings to show');
    fs.writeFileSync(path.join(dir, 'ui-ready.json'), JSON.stringify({ file: 'matmul.cu', findings: list.length }));
    const done = path.join(dir, 'ui-done.json');
    const ui = await waitFor(() => (fs.existsSync(done) ? JSON.parse(fs.readFileSync(done, 'utf8')) : undefined), 'the harness\'s UI check', 90_000);
    assert.equal(ui.error, undefined, ui.error);
    assert.ok(ui.squiggles > 0, 'no squiggle in the editor');
    assert.ok(ui.problemRows > 0, 'no row in the Problems panel');
    assert.match(ui.statusText, new RegExp(`\\b${list.length}\\b`), `status bar shows "${ui.statusText}", expected ${list.length}`);
    // the hover of the first finding fits VS Code's hover box (at most max(editor height / 4, 250 px)):
    // its diagnostic part (message, related lines), our card and the status bar, with nothing to scroll
    console.log(`      hover: content ${ui.hoverContent ?? '?'} px in a ${ui.hoverBox ?? '?'} px box (${ui.hoverWidth ?? '?'} px wide; rows: ${ui.hoverRows ?? '?'}); ${ui.screenshots ?? 'hover and fix-menu screenshots in test-artifacts/'}`);
    assert.ok(ui.hoverContent > 0 && ui.hoverBox > 0, `the hover was not measured: ${ui.screenshots}`);
    assert.ok(ui.hoverContent <= ui.hoverBox, `the hover's content is ${ui.hoverContent} px, taller than its ${ui.hoverBox} px box: it scrolls (rows: ${ui.hoverRows})`);
    // the click on the hover's Explain link ran the trusted command with the finding: the Explain view shows it in full
    assert.equal(ui.explainError, undefined, `the hover's Explain link was not clicked: ${ui.explainError}`);
    assert.match(ui.explainLink, /^command:kernelAdvisor\.explainRule\?/);
    const shown = await waitFor(() => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'kernel-advisor' && d.getText().includes('## This finding')),
      'the Explain view the click opens, with "This finding"', 15_000, (fire) => vscode.workspace.onDidOpenTextDocument(fire));
    const text = shown.getText();
    const full = cliFindings(doc.uri.fsPath).find((f) => text.includes(`\n> ${f.message}\n`) && shown.uri.path === `/rules/${f.rule}.md`);
    assert.ok(full, `the Explain view ${shown.uri} shows none of the file's findings:\n${text}`);
    assert.equal(missingFromExplain(text, full), undefined, missingFromExplain(text, full));
    assert.equal(ui.explainRendered, true, `the Explain view's preview (${ui.explainTab}) shows no "This finding" heading: ${ui.explainRendered}`);
    console.log(`      the hover's Explain link opened ${shown.uri} (tab "${ui.explainTab}") with its finding (${full.rule}) in full`);
  });
});
