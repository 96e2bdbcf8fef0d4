// The one check made from outside the editor: the harness (Playwright, see
// test/e2e/lib/ui.mjs) looks at the squiggle, the Problems panel and the status-bar
// count while this test holds matmul.cu open. Files in <tmp>/shared carry the handshake.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { sharedDir, openFile, waitForFindings, waitFor } = require('./helpers');

describe('UI (seen by Playwright)', function () {
  it('shows the squiggle, a Problems row and the status-bar count', async function () {
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
    // for people: the hover's size and the screenshots (test-artifacts/e2e-hover.png, e2e-fix-menu.png)
    console.log(`      hover: content ${ui.hoverContent ?? '?'} px in a ${ui.hoverBox ?? '?'} px box; ${ui.screenshots ?? 'hover and fix-menu screenshots in test-artifacts/'}`);
  });
});
