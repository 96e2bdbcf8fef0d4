// Protocol tests: the real server over stdio, a real JSON-RPC client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, Hover, WorkspaceEdit, TextEdit, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TestClient } from './client';
import { explainLink, linkArgs } from '../support/command-links';

const MATMUL = `__global__ void matmul(const float* A, const float* B, float* C, int N) {
  int row = blockIdx.y * blockDim.y + threadIdx.y;
  int col = blockIdx.x * blockDim.x + threadIdx.x;
  float acc = 0.0f;
  for (int k = 0; k < N; ++k) {
    acc += A[row * N + k] * B[k * N + col];
  }
  C[row * N + col] = acc;
}
`;
const TRANSPOSE = `__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}
`;

let client: TestClient;
let ws: string;
let uri: string;

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code).sort();

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'ka-lsp-'));
  uri = pathToFileURL(join(ws, 'matmul.cu')).href;
  client = new TestClient();
  await client.initialize(pathToFileURL(ws).href, { clientCommands: ['kernelAdvisor.explainRule', 'kernelAdvisor.openPaper'] });
});
after(() => client.kill());

test('open publishes diagnostics with source, code, codeDescription and relatedInformation', async () => {
  const got = client.diagnostics(uri, (p) => p.diagnostics.length > 0);
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'cuda-cpp', version: 1, text: MATMUL } });
  const { diagnostics } = await got;
  const d = diagnostics.find((x) => x.code === 'tiling/shared-memory');
  assert.ok(d, `tiling finding expected, got ${JSON.stringify(codes(diagnostics))}`);
  assert.equal(d.source, 'kernel-advisor');
  assert.match(d.codeDescription?.href ?? '', /docs\/rules\/tiling\/shared-memory\.md$/, 'the rule id links to its page');
  assert.deepEqual(d.range.start, { line: 5, character: 11 });
  assert.match(String(d.message), /A\[row \* N \+ k\]/);
  assert.ok((d.relatedInformation ?? []).some((r) => r.location.range.start.line === 4), 'the k loop is related');
  assert.equal(d.severity, 3, 'opportunities default to information');
});

test('a change updates diagnostics: a coalescing bug appears and vanishes', async () => {
  // version 2: replace the whole body with the transpose kernel appended (incremental edit at end)
  const lines = MATMUL.split('\n').length - 1;
  let p = client.nextDiagnostics(uri, 2);
  await client.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: lines, character: 0 }, end: { line: lines, character: 0 } }, text: TRANSPOSE }],
  });
  let diagnostics = (await p).diagnostics;
  assert.ok(codes(diagnostics).includes('memory/uncoalesced-access'), JSON.stringify(codes(diagnostics)));
  const bad = diagnostics.find((d) => d.code === 'memory/uncoalesced-access')!;
  assert.equal(bad.range.start.line, lines + 3);
  // version 3: fix the store to be coalesced: out[y * rows + x] -> the finding vanishes
  const lineText = TRANSPOSE.split('\n')[3];
  const col = lineText.indexOf('x * rows + y');
  p = client.nextDiagnostics(uri, 3);
  await client.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 3 },
    contentChanges: [{ range: { start: { line: lines + 3, character: col }, end: { line: lines + 3, character: col + 'x * rows + y'.length } }, text: 'y * rows + x' }],
  });
  diagnostics = (await p).diagnostics;
  assert.ok(!codes(diagnostics).includes('memory/uncoalesced-access'), JSON.stringify(codes(diagnostics)));
  assert.ok(codes(diagnostics).includes('tiling/shared-memory'), 'the untouched kernel keeps its finding');
});

test('a blank line typed or a line re-indented moves the diagnostics with their code; code actions and hovers follow', async () => {
  const u = pathToFileURL(join(ws, 'layout.cu')).href;
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: u, languageId: 'cuda-cpp', version: 1, text: MATMUL } });
  const first = (await client.diagnostics(u)).diagnostics.find((d) => d.code === 'tiling/shared-memory')!;
  assert.deepEqual(first.range.start, { line: 5, character: 11 });
  // Enter above the kernel, then the loop body indented by two more spaces
  let p = client.nextDiagnostics(u, 2);
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }] });
  let moved = (await p).diagnostics.find((d) => d.code === 'tiling/shared-memory')!;
  assert.deepEqual(moved.range.start, { line: 6, character: 11 });
  assert.ok((moved.relatedInformation ?? []).some((r) => r.location.range.start.line === 5), 'the related k loop moved too');
  p = client.nextDiagnostics(u, 3);
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 3 }, contentChanges: [{ range: { start: { line: 6, character: 0 }, end: { line: 6, character: 0 } }, text: '  ' }] });
  moved = (await p).diagnostics.find((d) => d.code === 'tiling/shared-memory')!;
  assert.deepEqual(moved.range.start, { line: 6, character: 13 });
  assert.match(String(moved.message), /A\[row \* N \+ k\]/);
  const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: { line: 6, character: 16 } })) as Hover | null;
  assert.match((hover?.contents as { value: string } | undefined)?.value ?? '', /Shared-memory tiling/);
  const actions = (await client.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri: u }, range: moved.range, context: { diagnostics: [moved] },
  })) as CodeAction[];
  assert.ok(actions.some((a) => /disable/i.test(a.title)), JSON.stringify(actions.map((a) => a.title)));
  // a changed token is analysed again: the moved findings are never kept past it
  p = client.nextDiagnostics(u, 4);
  const at = '      acc += A[row * N + k'.length;
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 4 }, contentChanges: [{ range: { start: { line: 6, character: at }, end: { line: 6, character: at } }, text: ' + 0' }] });
  const changed = (await p).diagnostics.find((d) => d.code === 'tiling/shared-memory');
  assert.match(String(changed?.message), /A\[row \* N \+ k \+ 0\]/);
});

test('an edit right after an Enter, below it: the diagnostics of a fresh analysis of the text, moved with the Enter', async () => {
  const u = pathToFileURL(join(ws, 'after-enter.cu')).href;
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: u, languageId: 'cuda-cpp', version: 1, text: MATMUL + TRANSPOSE } });
  assert.ok(codes((await client.diagnostics(u)).diagnostics).includes('memory/uncoalesced-access'));
  // Enter in matmul's body
  let p = client.nextDiagnostics(u, 2);
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 2 }, contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '\n' }] });
  await p;
  // transpose's store made coalesced, lines below the Enter
  const line = MATMUL.split('\n').length + 3;
  const col = (MATMUL + TRANSPOSE).split('\n')[line - 1].indexOf('x * rows + y');
  p = client.nextDiagnostics(u, 3);
  await client.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: u, version: 3 },
    contentChanges: [{ range: { start: { line, character: col }, end: { line, character: col + 'x * rows + y'.length } }, text: 'y * rows + x' }],
  });
  const seen = (await p).diagnostics;
  assert.ok(!codes(seen).includes('memory/uncoalesced-access'), JSON.stringify(codes(seen)));
  // the same text opened afresh
  const rows = (MATMUL + TRANSPOSE).replace('out[x * rows + y]', 'out[y * rows + x]').split('\n');
  const text = [...rows.slice(0, 3), '', ...rows.slice(3)].join('\n');
  const v = pathToFileURL(join(ws, 'after-enter-fresh.cu')).href;
  const fresh = client.diagnostics(v);
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: v, languageId: 'cuda-cpp', version: 1, text } });
  assert.equal(JSON.stringify(seen).replaceAll(u, v), JSON.stringify((await fresh).diagnostics));
});

test('hover on a finding shows the citation card; elsewhere nothing, builtins a note', async () => {
  const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 14 } })) as Hover | null;
  assert.ok(hover, 'hover expected');
  const md = (hover.contents as { value: string }).value;
  assert.match(md, /\*\*Shared-memory tiling:\*\* \[all \d+ papers/, 'the technique of tiling/shared-memory');
  assert.match(md, /\n\[[^\]]+\]\(https?:\/\/[^)]+\), [^\n]*(19|20)\d\d  \n/, 'a short citation: linked title, venue and year');
  assert.match(md, /\(command:kernelAdvisor\.explainRule\?[^)]*tiling%2Fshared-memory[^)]*\)$/, 'the full explanation opens through the declared Explain command');
  assert.match(md, /\*\*Do:\*\* [^\n]+\n[^]*\*\*Sure:\*\* /);
  const none = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
  assert.equal(none, null);
  const b = pathToFileURL(join(ws, 'builtin.cu')).href;
  const src = '__global__ void k(float* x) {\n  __syncthreads();\n  x[threadIdx.x] = 0.f;\n}\n';
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: b, languageId: 'cuda-cpp', version: 1, text: src } });
  await client.diagnostics(b);
  const note = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: b }, position: { line: 1, character: 4 } })) as Hover | null;
  assert.match((note?.contents as { value: string } | undefined)?.value ?? '', /__syncthreads.*barrier/);
  const plain = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: b }, position: { line: 2, character: 2 } });
  assert.equal(plain, null, 'an ordinary identifier gets no hover');
});

/** The arguments of the Explain link a hover ends on. */
function hoverLinkArgs(md: string): unknown[] {
  const link = explainLink(md);
  assert.ok(link, `the hover ends on the Explain link:\n${md}`);
  return linkArgs(link);
}

test('the hover\'s Explain link opens its finding whole above the rule; the rule alone without one; a note once it is gone', async () => {
  const hoverAt = async (u: string, line: number, character: number) =>
    ((await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: { line, character } })) as Hover).contents as { value: string };
  const explain = async (params: unknown) => ((await client.conn.sendRequest('kernelAdvisor/explainRule', params)) as { markdown: string }).markdown;
  const card = (await hoverAt(uri, 5, 14)).value;
  const args = hoverLinkArgs(card);
  assert.deepEqual(args, ['tiling/shared-memory', { uri, line: 5, character: 11 }], 'the rule, the document and where the finding starts');
  const md = await explain({ rule: args[0], finding: args[1] });
  const rule = await explain({ rule: 'tiling/shared-memory' });
  assert.doesNotMatch(rule, /This finding/, 'the code action\'s one-argument form: the rule alone');
  assert.ok(md.startsWith(`${rule.slice(0, rule.indexOf('\n## '))}\n## This finding\n\nLine 6 of \`matmul.cu\`, in \`matmul\`:\n\n> `), md);
  assert.ok(md.endsWith(rule.slice(rule.indexOf('\n## '))), 'then the rule, as the one-argument form has it');
  const { diagnostics } = await client.diagnostics(uri);
  const d = diagnostics.find((x) => x.code === 'tiling/shared-memory' && x.range.start.line === 5)!;
  assert.ok(md.includes(`\n> ${d.message}\n`), 'the diagnostic');
  // what the card cut ("…") the view has whole: "what to do" goes on past the card's first sentence
  const todo = /\n\*\*What to do:\*\* ([^\n]+)\n/.exec(md)?.[1] ?? '';
  const doLine = /^\*\*Do:\*\* ([^\n]+?)…? {2}$/m.exec(card)?.[1] ?? '';
  assert.ok(doLine.length > 10 && todo.length > doLine.length, `"what to do" in full:\n${todo}\nthe card: ${doLine}`);
  assert.match(md, /\n\*\*(Quick fix|No quick fix):\*\* [^\n]{20,}\n/, 'the fix title, or why there is none');
  assert.match(md, /\n\*\*How sure:\*\* likely, assuming:\n\n(- assumes [^\n]+\n?){2}/, 'every assumption');
  // a URI with a space: VS Code decodes the link twice, `%20` arrives as a space, and the server still finds the document
  const spaced = pathToFileURL(join(ws, 'my kernels', 'matmul copy.cu')).href;
  assert.match(spaced, /%20/);
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: spaced, languageId: 'cuda-cpp', version: 1, text: MATMUL } });
  await client.diagnostics(spaced, (p) => p.diagnostics.some((x) => x.code === 'tiling/shared-memory'));
  const spacedArgs = hoverLinkArgs((await hoverAt(spaced, 5, 14)).value);
  assert.equal((spacedArgs[1] as { uri: string }).uri, spaced.replace(/%20/g, ' '));
  assert.match(await explain({ rule: spacedArgs[0], finding: spacedArgs[1] }), /\n## This finding\n\nLine 6 of `matmul copy\.cu`, in `matmul`:\n/);
  await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: spaced } });
  assert.match(await explain({ rule: spacedArgs[0], finding: spacedArgs[1] }), /\n## This finding\n\n_It is no longer reported there/, 'closed since: said so, then the rule');
  // a finding argument of the wrong shape, or a rule that is not ours: the rule alone, or unknown
  assert.equal(await explain({ rule: 'tiling/shared-memory', finding: { uri: 5, line: 'x' } }), rule);
  assert.equal(await explain({ rule: 'no/such-rule', finding: args[1] }), 'Unknown rule `no/such-rule`.');
});

async function actionsAt(line: number, character: number): Promise<CodeAction[]> {
  const { diagnostics } = await client.diagnostics(uri);
  const here = diagnostics.filter((d) => d.range.start.line === line);
  return (await client.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character }, end: { line, character } },
    context: { diagnostics: here },
  })) as CodeAction[];
}

test('code actions: disable for line, disable in workspace, open paper, explain; none without a finding', async () => {
  const actions = await actionsAt(5, 14);
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes('Disable tiling/shared-memory for this line'), JSON.stringify(titles));
  assert.ok(titles.includes('Disable tiling/shared-memory in this workspace'));
  assert.ok(titles.some((t) => t.startsWith('Open paper: ')));
  assert.ok(titles.includes('Explain tiling/shared-memory'));
  const empty = await actionsAt(0, 0);
  assert.deepEqual(empty, []);
});

function applyEdit(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('x', 'x', 0, text), edits);
}

test('applying the suppression edit makes the finding disappear', async () => {
  const action = (await actionsAt(5, 14)).find((a) => a.title === 'Disable tiling/shared-memory for this line')!;
  const change = (action.edit as WorkspaceEdit).documentChanges![0] as TextDocumentEdit;
  assert.deepEqual(change.textDocument, { uri, version: 3 }, 'the version the diagnostics are of');
  const edits = change.edits as TextEdit[];
  const current = (await client.diagnostics(uri)).diagnostics;
  assert.ok(codes(current).includes('tiling/shared-memory'));
  const p = client.nextDiagnostics(uri, 4);
  await client.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 4 },
    contentChanges: edits.map((e) => ({ range: e.range, text: e.newText })),
  });
  const after = (await p).diagnostics;
  assert.ok(!codes(after).includes('tiling/shared-memory'), JSON.stringify(codes(after)));
  assert.match(applyEdit(MATMUL, edits), /\/\/ kernel-advisor-disable-next-line tiling\/shared-memory\n\s+acc \+=/);
});

/** Applies a workspace/applyEdit the server sent to the files on disk, as a client would. */
function applyToDisk(edit: WorkspaceEdit): void {
  for (const c of edit.documentChanges ?? []) {
    if ('kind' in c) {
      if (c.kind === 'create' && !existsSync(fileURLToPath(c.uri))) writeFileSync(fileURLToPath(c.uri), '');
      continue;
    }
    const path = fileURLToPath(c.textDocument.uri);
    writeFileSync(path, applyEdit(existsSync(path) ? readFileSync(path, 'utf8') : '', c.edits as TextEdit[]));
  }
}

test('disable in workspace: a command that edits .kernel-advisor.json as it is when run, and the server honours it', async () => {
  const t = pathToFileURL(join(ws, 't.cu')).href;
  const p = client.diagnostics(t, (x) => x.diagnostics.length > 0);
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: t, languageId: 'cuda-cpp', version: 1, text: TRANSPOSE } });
  const d = (await p).diagnostics.find((x) => x.code === 'memory/uncoalesced-access')!;
  const actions = (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: t }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
  const disable = actions.find((a) => a.title === 'Disable memory/uncoalesced-access in this workspace')!;
  assert.equal(disable.edit, undefined, 'nothing computed before it is chosen');
  const cfg = join(ws, '.kernel-advisor.json');
  // written after the action was offered: the command must keep it, comment included
  writeFileSync(cfg, '{\n  // ours\n  "maxFileSizeKb": 2048\n}\n');
  const result = await client.conn.sendRequest('workspace/executeCommand', disable.command);
  assert.deepEqual(result, { applied: true });
  const sent = client.appliedEdits.at(-1)!;
  assert.equal(sent.label, 'Disable memory/uncoalesced-access in this workspace');
  applyToDisk(sent.edit);
  assert.equal(readFileSync(cfg, 'utf8'), '{\n  // ours\n  "maxFileSizeKb": 2048,\n  "rules": { "memory/uncoalesced-access": "off" }\n}\n');
  const q = client.diagnostics(t, (x) => !codes(x.diagnostics).includes('memory/uncoalesced-access'));
  await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(cfg).href, type: 2 }] });
  await q;
  // a file it cannot read back is left alone, with a message
  writeFileSync(cfg, '{ "rules": ');
  const before = client.appliedEdits.length;
  assert.deepEqual(await client.conn.sendRequest('workspace/executeCommand', disable.command), { applied: false });
  assert.equal(client.appliedEdits.length, before);
  assert.equal(readFileSync(cfg, 'utf8'), '{ "rules": ');
  assert.ok(client.messages.some((m) => m.type === 2 && /does not parse/.test(m.message)));
  const bad = await client.conn.sendRequest('workspace/executeCommand', { command: disable.command!.command, arguments: ['no/such-rule'] }).catch((e: Error) => e);
  assert.ok(bad instanceof Error);
  unlinkSync(cfg);
  const back = client.diagnostics(t, (x) => codes(x.diagnostics).includes('memory/uncoalesced-access'));
  await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(cfg).href, type: 3 }] });
  await back;
});

test('settings change severity without a restart; bad settings give a message, not a crash', async () => {
  client.settings = { rules: { 'tiling/shared-memory': 'warning' } };
  const other = pathToFileURL(join(ws, 'm2.cu')).href;
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: other, languageId: 'cuda-cpp', version: 1, text: MATMUL } });
  await client.diagnostics(other, (p) => p.diagnostics.length > 0);
  const warned = client.diagnostics(other, (p) => p.diagnostics.some((d) => d.code === 'tiling/shared-memory' && d.severity === 2));
  await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  await warned;
  client.settings = { rules: { 'tiling/shared-memory': 'loud', 'no/such-rule': 'off' }, maxFileSizeKb: -3, languages: 'cuda' };
  const back = client.diagnostics(other, (p) => p.diagnostics.some((d) => d.code === 'tiling/shared-memory' && d.severity === 3));
  await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  await back;
  const text = client.messages.map((m) => m.message).join('\n');
  assert.match(text, /tiling\/shared-memory.*"loud"/);
  assert.match(text, /unknown rule "no\/such-rule"/);
  assert.match(text, /maxFileSizeKb/);
  client.settings = {};
  await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
});

test('a file over the size limit gets one informational diagnostic; plain Python gets none', async () => {
  const big = pathToFileURL(join(ws, 'big.cu')).href;
  const text = MATMUL + '// padding\n'.repeat(120_000);
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: big, languageId: 'cuda-cpp', version: 1, text } });
  const { diagnostics } = await client.diagnostics(big, (p) => p.diagnostics.length > 0);
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].severity, 3);
  assert.match(String(diagnostics[0].message), /skipped.*KiB/);
  const py = pathToFileURL(join(ws, 'plain.py')).href;
  await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: py, languageId: 'python', version: 1, text: 'import numpy as np\nx = np.zeros(3)\n' } });
  assert.deepEqual((await client.diagnostics(py)).diagnostics, []);
});

test('custom requests: explain, knowledge base, rule ids', async () => {
  const ex = (await client.conn.sendRequest('kernelAdvisor/explainRule', { rule: 'fusion/elementwise-chain' })) as { markdown: string };
  assert.match(ex.markdown, /^# /);
  assert.match(ex.markdown, /## Papers/);
  const ids = (await client.conn.sendRequest('kernelAdvisor/ruleIds', {})) as { rules: { id: string }[] };
  assert.equal(ids.rules.length, 15);
  const kb = (await client.conn.sendRequest('kernelAdvisor/knowledgeBase', {})) as { markdown: string };
  assert.ok(kb.markdown.length > 1000);
});

test('shutdown then exit ends the process with code 0', async () => {
  const code = await client.shutdown();
  assert.equal(code, 0);
  assert.equal(client.stderr.join('').includes('Error'), false, client.stderr.join(''));
});
