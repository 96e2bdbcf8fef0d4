// The extension's own commands: registration, Explain Rule, Knowledge Base, Open paper.
const assert = require('node:assert/strict');
const vscode = require('vscode');
const { openFile, waitFor, waitForFindings, ruleOf, hoverText, explainLink, missingFromExplain } = require('./helpers');
const { citedPapers, knowledgeBase, cliFindings } = require('./knowledge');

const COMMANDS = ['kernelAdvisor.analyzeWorkspace', 'kernelAdvisor.explainRule', 'kernelAdvisor.showKnowledgeBase', 'kernelAdvisor.openPaper',
  'kernelAdvisor.restartServer', 'kernelAdvisor.showOutput', 'kernelAdvisor.showMenu', 'kernelAdvisor.disableRuleInWorkspace'];

/** Runs `command` and waits for the read-only Markdown document it opens (kernel-advisor: scheme) and a Markdown preview tab. */
async function shownMarkdown(command, ...args) {
  const opened = [];
  const sub = vscode.workspace.onDidOpenTextDocument((d) => opened.push(d));
  try {
    await vscode.commands.executeCommand(command, ...args);
    const doc = await waitFor(() => opened.find((d) => d.languageId === 'markdown' && d.uri.scheme === 'kernel-advisor'),
      `${command} to open a Markdown document`, 15_000);
    await waitFor(() => (previewTabs().length > 0 ? true : undefined), 'a Markdown preview tab', 15_000,
      (fire) => vscode.window.tabGroups.onDidChangeTabs(fire));
    return doc;
  } finally {
    sub.dispose();
  }
}

function previewTabs() {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && /markdown/i.test(t.input.viewType));
}

describe('Commands', function () {
  before(async function () {
    const api = await vscode.extensions.getExtension('kernel-advisor.kernel-advisor').activate();
    console.log(`ka-e2e|     activation: ${api.activationMs.toFixed(0)} ms (server started and initialized)`);
  });
  afterEach(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('are all registered', async function () {
    const all = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(COMMANDS.filter((c) => !all.has(c)), []);
  });

  it('Explain Rule shows the rule as Markdown, citing the knowledge base', async function () {
    const doc = await shownMarkdown('kernelAdvisor.explainRule', 'fusion/elementwise-chain');
    assert.match(doc.getText(), /fusion\/elementwise-chain/);
    assert.equal(doc.uri.toString(), 'kernel-advisor:/rules/fusion/elementwise-chain.md');
    assert.ok(citedPapers(doc.getText()).length >= 2, `the explanation cites fewer than two papers (title + year):\n${doc.getText()}`);
  });

  it('the hover\'s Explain link opens the Explain view with its finding in full above the rule', async function () {
    const rule = 'tiling/shared-memory';
    const doc = await openFile('matmul.cu');
    const list = await waitForFindings(doc.uri, (l) => l.some((d) => ruleOf(d) === rule), `a ${rule} finding`);
    const finding = list.find((d) => ruleOf(d) === rule);
    const card = hoverText(await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, finding.range.start));
    // the link as VS Code runs it when clicked (parsed as a URI, its query decoded and read as JSON)
    const link = explainLink(card);
    assert.ok(link, `the hover has no Explain link:\n${card}`);
    assert.equal(link.command, 'kernelAdvisor.explainRule');
    assert.deepEqual(link.args, [rule, { uri: doc.uri.toString(), line: finding.range.start.line, character: finding.range.start.character }]);
    await vscode.commands.executeCommand(link.command, ...link.args);
    const page = 'kernel-advisor:/rules/tiling/shared-memory.md';
    const shown = await waitFor(() => vscode.workspace.textDocuments.find((d) => d.uri.toString() === page && d.getText().includes('## This finding')),
      'the Explain view with "This finding"', 15_000, (fire) => vscode.workspace.onDidChangeTextDocument(fire));
    await waitFor(() => (previewTabs().length > 0 ? true : undefined), 'a Markdown preview tab', 15_000, (fire) => vscode.window.tabGroups.onDidChangeTabs(fire));
    const text = shown.getText();
    // the whole text the card cuts to a line each, as the CLI's SARIF has it: message, "seen", "what to do", every assumption
    const full = cliFindings(doc.uri.fsPath).find((f) => f.rule === rule && f.message === finding.message);
    assert.ok(full && full.detail, `the CLI reports no ${rule} finding with a detail`);
    assert.equal(missingFromExplain(text, full), undefined, missingFromExplain(text, full));
    assert.match(card, /\*\*Do:\*\* /);
    assert.ok(text.indexOf('## This finding') < text.indexOf('## Papers') && citedPapers(text).length >= 2, 'then the rule, with its papers');
    // the code action's one-argument form: the rule alone
    await vscode.commands.executeCommand('kernelAdvisor.explainRule', rule);
    await waitFor(() => (vscode.workspace.textDocuments.some((d) => d.uri.toString() === page && !d.getText().includes('## This finding')) ? true : undefined),
      'the Explain view of the rule alone', 15_000, (fire) => vscode.workspace.onDidChangeTextDocument(fire));
  });

  it('Show Knowledge Base lists every rule and every paper a rule cites', async function () {
    const doc = await shownMarkdown('kernelAdvisor.showKnowledgeBase');
    const kb = knowledgeBase();
    const cited = new Set(kb.rules.flatMap((r) => r.papers));
    const missing = [
      ...kb.rules.filter((r) => !doc.getText().includes(r.id)).map((r) => `rule ${r.id}`),
      ...kb.papers.filter((p) => cited.has(p.id) && !doc.getText().includes(p.title)).map((p) => `paper ${p.title}`),
    ];
    assert.deepEqual(missing, []);
  });

  it('Restart Server starts a fresh server, which publishes the findings again', async function () {
    const doc = await openFile('matmul.cu');
    const before = await waitForFindings(doc.uri, (l) => l.length > 0, 'findings before the restart');
    await vscode.commands.executeCommand('kernelAdvisor.restartServer');
    const after = await waitForFindings(doc.uri, (l) => l.length === before.length, 'the same findings after the restart');
    assert.deepEqual(after.map((d) => d.message).sort(), before.map((d) => d.message).sort());
    // the new server answers requests
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, after[0].range, vscode.CodeActionKind.QuickFix.value);
    assert.ok(actions.some((a) => / for this line$/.test(a.title)), `actions: ${actions.map((a) => a.title).join(' | ')}`);
  });

  it('Open paper refuses anything but a web link', async function () {
    assert.equal(await vscode.commands.executeCommand('kernelAdvisor.openPaper', 'file:///etc/passwd'), false);
    assert.equal(await vscode.commands.executeCommand('kernelAdvisor.openPaper'), false);
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});
