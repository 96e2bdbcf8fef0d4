// A naive CUDA matmul: the finding, its hover card, its code actions, and the ways to
// silence it (a comment, the workspace file, the settings).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const vscode = require('vscode');
const { openFile, fileUri, findings, ruleOf, waitFor, waitForFindings, hoverText } = require('./helpers');
const { citedPapers } = require('./knowledge');

const RULE = 'tiling/shared-memory';
const hasRule = (list) => list.some((d) => ruleOf(d) === RULE);
const lacksRule = (list) => !hasRule(list);

describe('CUDA: naive matmul (matmul.cu)', function () {
  let doc;
  let finding;

  before(async function () {
    doc = await openFile('matmul.cu');
  });

  after(async function () {
    await vscode.workspace.getConfiguration('kernelAdvisor').update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.fs.delete(fileUri('.kernel-advisor.json')).then(undefined, () => undefined);
  });

  it('opens .cu files as cuda-cpp', function () {
    assert.equal(doc.languageId, 'cuda-cpp');
  });

  it(`reports ${RULE} on the k-loop's global loads`, async function () {
    const list = await waitForFindings(doc.uri, hasRule, `a ${RULE} finding`);
    finding = list.find((d) => ruleOf(d) === RULE);
    const loopLine = doc.getText().split('\n').findIndex((l) => l.includes('for (int k = 0'));
    assert.ok(finding.range.start.line >= loopLine && finding.range.start.line <= loopLine + 2,
      `finding at line ${finding.range.start.line + 1}, expected on the k-loop (line ${loopLine + 1}) or its body`);
    assert.equal(finding.source, 'kernel-advisor');
    assert.ok(finding.message.length > 20, `message too short: ${finding.message}`);
    assert.ok(finding.code.target && /^(https?|file):.*docs\/rules\/tiling\/shared-memory\.md$/.test(finding.code.target.toString()), 'codeDescription.href is the rule page');
  });

  it('hover on the finding shows a citation card with a paper title and its year', async function () {
    if (!finding) this.skip();
    const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, finding.range.start);
    const text = hoverText(hovers);
    assert.ok(text.includes(RULE) || /tiling|shared memory/i.test(text), `hover does not name the technique:\n${text}`);
    assert.ok(citedPapers(text).length > 0, `hover cites no paper of the knowledge base (title + year):\n${text}`);
  });

  it('offers Explain and Open paper as client commands', async function () {
    if (!finding) this.skip();
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, finding.range);
    const explain = actions.find((a) => a.command && a.command.command === 'kernelAdvisor.explainRule');
    assert.ok(explain, `no Explain action among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.deepEqual(explain.command.arguments, [RULE]);
    const paper = actions.find((a) => a.command && a.command.command === 'kernelAdvisor.openPaper');
    assert.ok(paper, `no Open paper action among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.match(String(paper.command.arguments[0]), /^https?:\/\//);
  });

  it('"Disable … for this line" inserts the comment and removes the finding', async function () {
    if (!finding) this.skip();
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, finding.range);
    const disable = actions.find((a) => a.title.startsWith(`Disable ${RULE} for this line`));
    assert.ok(disable && disable.edit, `no "Disable ${RULE} for this line" edit among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(disable.edit));
    if (disable.command) await vscode.commands.executeCommand(disable.command.command, ...(disable.command.arguments || []));
    assert.ok(doc.getText().includes(`kernel-advisor-disable-next-line ${RULE}`));
    await waitForFindings(doc.uri, lacksRule, `the ${RULE} finding to go away`);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.ok(!doc.isDirty && !doc.getText().includes('kernel-advisor-disable'));
    await waitForFindings(doc.uri, hasRule, `the ${RULE} finding to come back after the revert`);
  });

  it('"Disable … in this workspace" writes .kernel-advisor.json; deleting it restores the finding', async function () {
    if (!finding) this.skip();
    const [current] = findings(doc.uri).filter((d) => ruleOf(d) === RULE);
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, current.range);
    const disable = actions.find((a) => a.title.startsWith(`Disable ${RULE} in this workspace`));
    assert.ok(disable && disable.command, `no "Disable ${RULE} in this workspace" command among: ${actions.map((a) => a.title).join(' | ')}`);
    // As when the user picks the action: the server reads the file as it is then and sends the edit
    // back as a refactoring, saved by files.refactoring.autoSave.
    assert.deepEqual(await vscode.commands.executeCommand(disable.command.command, ...(disable.command.arguments || [])), { applied: true });
    const configFile = fileUri('.kernel-advisor.json').fsPath;
    const written = await waitFor(() => {
      const text = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : '';
      return text.trim() ? JSON.parse(text) : undefined;
    }, '.kernel-advisor.json to be written', 10_000, (fire) => vscode.workspace.onDidSaveTextDocument(fire));
    assert.deepEqual(written, { rules: { [RULE]: 'off' } });
    await waitForFindings(doc.uri, lacksRule, `the ${RULE} finding to go away`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(fileUri('.kernel-advisor.json'));
    doc = await openFile('matmul.cu');
    await waitForFindings(doc.uri, hasRule, `the ${RULE} finding to come back once .kernel-advisor.json is gone`);
  });

  it('analyses untitled CUDA buffers too', async function () {
    const untitled = await vscode.workspace.openTextDocument({ language: 'cuda-cpp', content: doc.getText() });
    await vscode.window.showTextDocument(untitled);
    try {
      // No file name to go by: the server must use the document's language id.
      await waitForFindings(untitled.uri, hasRule, `a ${RULE} finding in an untitled cuda-cpp buffer`, 15_000);
    } finally {
      await vscode.window.showTextDocument(untitled);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.window.showTextDocument(doc);
    }
  });

  it('follows kernelAdvisor.rules from the settings (error, then off, then default)', async function () {
    if (!finding) this.skip();
    const config = () => vscode.workspace.getConfiguration('kernelAdvisor');
    const target = vscode.ConfigurationTarget.Workspace;
    await config().update('rules', { [RULE]: 'error' }, target);
    await waitForFindings(doc.uri, (l) => l.some((d) => ruleOf(d) === RULE && d.severity === vscode.DiagnosticSeverity.Error), `${RULE} as an error`);
    await config().update('rules', { [RULE]: 'off' }, target);
    await waitForFindings(doc.uri, lacksRule, `${RULE} to be off`);
    await config().update('rules', undefined, target);
    await waitForFindings(doc.uri, (l) => l.some((d) => ruleOf(d) === RULE && d.severity === finding.severity), `${RULE} back at its default severity`);
  });
});
