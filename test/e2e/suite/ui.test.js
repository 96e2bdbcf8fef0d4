// The one check made from outside the editor: the harness (Playwright, see
// test/e2e/lib/ui.mjs) looks at the squiggle, the Problems panel, the status-bar count and
// the height of the hover (the DOM's, in this run) while this test holds matmul.cu open.
// Files in <tmp>/shared carry the handshake.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { sharedDir, openFile, waitForFindings, waitFor } = require('./helpers');

describe('UI (seen by Playwright)', function () {
  it('shows the squiggle, a Problems row, the status-bar count and a hover that fits its box', async function () {
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
  });
});
