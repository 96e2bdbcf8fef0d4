// Triton host code gets the fusion finding; plain Python stays quiet; the
// workspace-wide analysis reaches files that were never opened.
const assert = require('node:assert/strict');
const vscode = require('vscode');
const { openFile, fileUri, findings, ruleOf, waitForFindings } = require('./helpers');

describe('Python: Triton and plain (add_relu.py, plain.py)', function () {
  it('a Triton launch followed by torch.relu(out + b) gets fusion/elementwise-chain', async function () {
    const doc = await openFile('add_relu.py');
    assert.equal(doc.languageId, 'python');
    const list = await waitForFindings(doc.uri, (l) => l.some((d) => ruleOf(d) === 'fusion/elementwise-chain'), 'a fusion/elementwise-chain finding');
    const d = list.find((x) => ruleOf(x) === 'fusion/elementwise-chain');
    const lines = doc.getText().split('\n');
    const launch = lines.findIndex((l) => l.includes('add_kernel[grid]'));
    const relu = lines.findIndex((l) => l.includes('torch.relu'));
    assert.ok(d.range.start.line === launch || d.range.start.line === relu,
      `finding at line ${d.range.start.line + 1}; expected the launch (line ${launch + 1}) or the ReLU (line ${relu + 1})`);
  });

  it('Analyze Workspace analyses every source file and reports the counts; plain.py gets no finding', async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const before = findings(fileUri('matmul.cu')).length;
    const result = await vscode.commands.executeCommand('kernelAdvisor.analyzeWorkspace');
    assert.ok(result && !result.cancelled, `analyzeWorkspace returned ${JSON.stringify(result)}`);
    assert.ok(result.files >= 2 && result.files <= 3, `files analysed: ${result.files} (the workspace has matmul.cu, add_relu.py, plain.py)`);
    assert.ok(result.findings >= 2, `findings: ${result.findings}`);
    // The server publishes every file's diagnostics before it answers; plain.py is judged
    // once the positive controls analysed in the same request are visible.
    await waitForFindings(fileUri('add_relu.py'), (l) => l.length > 0, 'the Triton file\'s findings');
    await waitForFindings(fileUri('matmul.cu'), (l) => l.length >= Math.max(1, before), 'the CUDA file\'s findings');
    const doc = await openFile('plain.py');
    assert.equal(doc.languageId, 'python');
    await vscode.commands.executeCommand('kernelAdvisor.analyzeWorkspace');
    await waitForFindings(fileUri('add_relu.py'), (l) => l.length > 0, 'the Triton file\'s findings');
    assert.deepEqual(findings(doc.uri).map((d) => `${ruleOf(d)}: ${d.message}`), []);
  });
});
