// The server over stdio: slices and versions (responsive, never stale), reads nothing
// outside the workspace, settings fail soft and quiet, and it logs what it does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { TestClient } from './client';
import { generateCuda } from '../bench/generate';

const TRANSPOSE = `__global__ void transpose(const float* in, float* out, int rows, int cols) {
  int x = blockIdx.x * blockDim.x + threadIdx.x;
  int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x < cols && y < rows) out[x * rows + y] = in[y * cols + x];
}
`;
const COALESCED = TRANSPOSE.replace('out[x * rows + y]', 'out[y * cols + x]');
const UNCOALESCED = 'memory/uncoalesced-access';

let client: TestClient;
let ws: string;
let outside: string;
const url = (p: string) => pathToFileURL(p).href;
const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code));
const open = (uri: string, text: string, version = 1) =>
  client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'cuda-cpp', version, text } });
const replace = (uri: string, version: number, text: string) =>
  client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });

before(async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ka-srv-'));
  ws = join(tmp, 'ws');
  outside = join(tmp, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  // a config outside the workspace, reachable only through a link: it must not be read
  writeFileSync(join(outside, 'config.json'), JSON.stringify({ rules: { [UNCOALESCED]: 'off' } }));
  symlinkSync(join(outside, 'config.json'), join(ws, '.kernel-advisor.json'));
  writeFileSync(join(outside, 'secret.cu'), TRANSPOSE);
  symlinkSync(join(outside, 'secret.cu'), join(ws, 'link.cu'));
  writeFileSync(join(ws, 'inside.cu'), TRANSPOSE);
  client = new TestClient();
  await client.conn.sendNotification('$/setTrace', { value: 'verbose' }).catch(() => undefined);
  await client.initialize(url(ws), { clientCommands: [] });
});
after(() => client.kill());

test('the server logs its start and each grammar load; with the trace on, each analysis and its time', async () => {
  const uri = url(join(ws, 'a.cu'));
  await open(uri, TRANSPOSE);
  const { diagnostics } = await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
  assert.ok(codes(diagnostics).includes(UNCOALESCED), 'the linked config outside the workspace was not read');
  const log = client.messages.map((m) => m.message).join('\n');
  assert.match(log, /Kernel Advisor \d+\.\d+\.\d+ started/);
  assert.match(log, /loaded the cuda grammar in \d+ ms/);
  assert.match(log, /\.kernel-advisor\.json: a link to a file outside the workspace folders; it is ignored/);
  await client.conn.sendNotification('$/setTrace', { value: 'messages' });
  await replace(uri, 2, TRANSPOSE + '\n');
  await client.nextDiagnostics(uri, 2);
  assert.ok(client.traces.some((t) => /^analysed .*a\.cu \(version 2\) in \d+\.\d ms: 1 finding/.test(t)), client.traces.join('\n'));
});

test('versions going backwards are ignored; the text stays that of the newest version', async () => {
  const uri = url(join(ws, 'versions.cu'));
  await open(uri, TRANSPOSE, 5);
  await client.diagnostics(uri, (p) => p.version === 5);
  await replace(uri, 3, COALESCED); // older than what the server has: dropped
  await replace(uri, 6, TRANSPOSE + '// v6\n');
  const p = await client.nextDiagnostics(uri, 6);
  assert.equal(p.version, 6);
  assert.ok(codes(p.diagnostics).includes(UNCOALESCED), 'the version-3 text was not applied');
  assert.ok(!client.history.some((h) => h.uri === uri && h.version === 3), 'nothing published for version 3');
  assert.match(client.messages.map((m) => m.message).join('\n'), /ignored a change of .*versions\.cu to version 3/);
});

test('a burst of changes: versions are published in order, none over a newer one, and the last one always', async () => {
  const uri = url(join(ws, 'burst.cu'));
  await open(uri, TRANSPOSE);
  await client.diagnostics(uri, (p) => p.version === 1);
  for (let v = 2; v <= 30; v++) await replace(uri, v, v % 2 ? TRANSPOSE : COALESCED);
  const last = await client.nextDiagnostics(uri, 30);
  assert.deepEqual(codes(last.diagnostics).filter((c) => c === UNCOALESCED), [], 'version 30 is the coalesced text');
  const versions = client.history.filter((h) => h.uri === uri).map((h) => h.version ?? 0);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `published in order: ${versions.join(',')}`);
});

test('a large file is analysed in slices: hovers and other documents are answered before it is done', async () => {
  const small = url(join(ws, 'small.cu'));
  await open(small, TRANSPOSE);
  await client.diagnostics(small, (p) => p.diagnostics.length > 0);
  const big = url(join(ws, 'big.cu'));
  const text = generateCuda(5000).text;
  const bigPublished = () => client.history.some((h) => h.uri === big);
  await open(big, text);
  // a newer version of the big file at once: the first one is superseded, never published after it
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: big, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// edited\n' }] });
  const hover = client.conn.sendRequest('textDocument/hover', { textDocument: { uri: small }, position: { line: 3, character: 32 } }).then(() => bigPublished());
  const other = url(join(ws, 'other.cu'));
  await open(other, TRANSPOSE);
  const otherFirst = client.diagnostics(other, (p) => p.diagnostics.length > 0).then(() => bigPublished());
  assert.equal(await hover, false, 'the hover waited for the whole large file');
  assert.equal(await otherFirst, false, 'another document waited for the whole large file');
  const done = await client.diagnostics(big, () => true, 60_000);
  assert.equal(done.version, 2);
  assert.ok(done.diagnostics.length > 0);
  assert.deepEqual(client.history.filter((h) => h.uri === big).map((h) => h.version), [2], 'version 1 was superseded, not published');
});

test("a 1 MB file's first parse runs in slices: another document and a hover are answered while it parses", async () => {
  await client.conn.sendNotification('$/setTrace', { value: 'messages' });
  const small = url(join(ws, 'beside-huge.cu'));
  await open(small, TRANSPOSE);
  await client.diagnostics(small, (p) => p.diagnostics.length > 0);
  const huge = url(join(ws, 'huge.cu'));
  const text = generateCuda(25_000).text; // about 1 MB, the default size limit
  assert.ok(text.length > 900 * 1024 && text.length < 1024 * 1024);
  // the server traces a parse that took several slices when it ends: `parsed <path> (version 1) in ... over N slices`
  const parsedTrace = () => client.traces.find((t) => t.startsWith(`parsed ${join(ws, 'huge.cu')} (version 1)`));
  const hugeState = () => ({ parsed: parsedTrace() !== undefined, published: client.history.some((h) => h.uri === huge) });
  await open(huge, text);
  // opened after the huge file: analysed in the slices between two of its parse's slices
  const other = url(join(ws, 'opened-after-huge.cu'));
  await open(other, TRANSPOSE);
  await client.diagnostics(other, (p) => p.diagnostics.length > 0);
  assert.deepEqual(hugeState(), { parsed: false, published: false }, 'another document waited for the whole parse');
  const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: small }, position: { line: 3, character: 32 } });
  assert.deepEqual(hugeState(), { parsed: false, published: false }, 'the hover waited for the whole parse');
  assert.ok(hover, 'the hover has its answer');
  for (let waited = 0; !parsedTrace(); waited += 20) {
    assert.ok(waited < 60_000, 'the parse of the huge file never ended');
    await new Promise((r) => setTimeout(r, 20));
  }
  const slices = Number(/over (\d+) slices/.exec(parsedTrace()!)?.[1]);
  assert.ok(slices > 3, parsedTrace());
  await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri: huge } }); // its analysis is not waited for
});

/** Opens a 5,000-line file and waits for its diagnostics, then two more documents: the server keeps the trees of the last two only. */
async function openThenDropTree(name: string, seed: number, after: string[]) {
  const uri = url(join(ws, name));
  const text = generateCuda(5000, seed).text;
  await open(uri, text);
  const { diagnostics } = await client.diagnostics(uri, () => true, 60_000);
  for (const other of after) {
    await open(url(join(ws, other)), TRANSPOSE);
    await client.diagnostics(url(join(ws, other)), (p) => p.diagnostics.length > 0);
  }
  return { uri, text, diagnostics };
}

test('a hover where the tree was dropped (to save memory) parses it again in slices, not in one block', async () => {
  await client.conn.sendNotification('$/setTrace', { value: 'messages' });
  const { uri, text, diagnostics } = await openThenDropTree('dropped.cu', 7, ['keep1.cu', 'keep2.cu']);
  // a builtin outside every finding: its hover is the builtin's note, which needs the tree
  const lines = text.split('\n');
  const line = lines.findIndex((l, i) => l.includes('__syncthreads();') && !diagnostics.some((d) => d.range.start.line <= i && i <= d.range.end.line));
  assert.ok(line >= 0);
  const position = { line, character: lines[line].indexOf('__syncthreads') + 2 };
  const hover = () => client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position }) as Promise<{ contents: { value: string } } | null>;
  const from = client.traces.length;
  assert.equal(await hover(), null, 'the first hover waited for the whole parse');
  let note: { contents: { value: string } } | null = null;
  for (let waited = 0; !(note = await hover()); waited += 20) {
    assert.ok(waited < 60_000, 'the tree never came back');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(note.contents.value, /__syncthreads/);
  assert.ok(client.traces.slice(from).some((t) => /^parsed .*dropped\.cu \(version 1\) in .* over \d+ slices/.test(t)), client.traces.slice(from).join('\n'));
});

test("a hover on a finding of a large file whose tree was dropped: its fix is written after a sliced re-parse, not in the request", async () => {
  const { uri, diagnostics } = await openThenDropTree('dropped-fix.cu', 8, ['keep3.cu', 'keep4.cu']);
  const d = diagnostics.find((x) => x.code === 'vectorization/vector-memory-access') ?? diagnostics[0];
  const hover = async () => ((await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: d.range.start })) as { contents: { value: string } }).contents.value;
  assert.match(await hover(), /No quick fix:\*\* the file is being parsed again/, 'the first hover wrote the fix from a whole-file parse');
  let card = '';
  for (let waited = 0; /being parsed again/.test((card = await hover())); waited += 20) {
    assert.ok(waited < 60_000, 'the fix never came');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(card, /Quick fix|No quick fix/);
});

test('code actions carry the version they were computed for; diagnostics of an older version get none', async () => {
  const uri = url(join(ws, 'actions.cu'));
  await open(uri, TRANSPOSE, 1);
  const d = (await client.diagnostics(uri, (p) => p.diagnostics.length > 0)).diagnostics.find((x) => x.code === UNCOALESCED)!;
  const ask = (diagnostic: Diagnostic) =>
    client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } }) as Promise<CodeAction[]>;
  const line = (await ask(d)).find((a) => a.title === `Disable ${UNCOALESCED} for this line`)!;
  assert.deepEqual((line.edit!.documentChanges![0] as TextDocumentEdit).textDocument, { uri, version: 1 });
  // the finding moves down a line in version 2: the old diagnostic matches nothing there
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' }] });
  const moved = (await client.nextDiagnostics(uri, 2)).diagnostics.find((x) => x.code === UNCOALESCED)!;
  assert.deepEqual(await ask(d), []);
  const fresh = (await ask(moved)).find((a) => a.title === `Disable ${UNCOALESCED} for this line`)!;
  assert.deepEqual((fresh.edit!.documentChanges![0] as TextDocumentEdit).textDocument, { uri, version: 2 });
});

test('analyzeFiles reads only under the workspace folders: other paths fail the request, links out are not followed', async () => {
  const refused = await client.conn.sendRequest('kernelAdvisor/analyzeFiles', { uris: [url(join(ws, 'inside.cu')), url(join(outside, 'secret.cu'))] }).catch((e: Error) => e);
  assert.ok(refused instanceof Error);
  assert.match(refused.message, /refused: .*secret\.cu is outside the workspace folders/);
  assert.ok(!client.history.some((h) => h.uri === url(join(ws, 'inside.cu'))), 'nothing was analysed from a refused request');
  const traversal = await client.conn.sendRequest('kernelAdvisor/analyzeFiles', { uris: [`${url(ws)}/../outside/secret.cu`] }).catch((e: Error) => e);
  assert.ok(traversal instanceof Error, 'a path that climbs out with .. is outside');
  const r = (await client.conn.sendRequest('kernelAdvisor/analyzeFiles', { uris: [url(join(ws, 'inside.cu')), url(join(ws, 'link.cu'))] })) as { files: number; findings: number };
  assert.ok((await client.diagnostics(url(join(ws, 'inside.cu')))).diagnostics.length > 0);
  const link = await client.diagnostics(url(join(ws, 'link.cu')));
  assert.deepEqual(link.diagnostics.map((d) => d.message), ['Kernel Advisor skipped: a link to a file outside the workspace folders']);
  assert.equal(r.findings, 1, 'only the file inside was analysed');
});

test('bad settings: one notification per change however many entries are bad, never a request to answer', async () => {
  const uri = url(join(ws, 'a.cu'));
  const before = client.messages.filter((m) => m.type === 2).length;
  const rules = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`no/such-${i}`, 'off']));
  client.settings = { rules: { ...rules, [UNCOALESCED]: 'loud' }, languages: [1, null, {}], maxFileSizeKb: 'big' };
  const p = client.diagnostics(uri, (x) => x.version !== undefined && codes(x.diagnostics).includes(UNCOALESCED) && client.messages.filter((m) => m.type === 2).length > before);
  await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  const { diagnostics } = await p;
  assert.equal(diagnostics.find((d) => d.code === UNCOALESCED)!.severity, 2, 'the bad severity fell back to the default (warning)');
  const warnings = client.messages.slice().filter((m) => m.type === 2);
  const shown = warnings.filter((m) => m.message.startsWith('Kernel Advisor: '));
  assert.equal(shown.length, 1, shown.map((m) => m.message).join('\n'));
  assert.match(shown[0].message, /and 2 more; see the Kernel Advisor output/);
  const logged = warnings.filter((m) => !m.message.startsWith('Kernel Advisor: ') && m.message.startsWith('settings'));
  assert.equal(logged.length, 3, 'one per setting: rules, languages, maxFileSizeKb');
  assert.deepEqual(client.messageRequests, []);
  client.settings = {};
});

const TILED = `#define TILE_DIM 32
__global__ void transpose_tile(const float* in, float* out, int n) {
  __shared__ float tile[TILE_DIM][TILE_DIM];
  int x = blockIdx.x * TILE_DIM + threadIdx.x;
  int y = blockIdx.y * TILE_DIM + threadIdx.y;
  tile[threadIdx.y][threadIdx.x] = in[y * n + x];
  __syncthreads();
  x = blockIdx.y * TILE_DIM + threadIdx.x;
  y = blockIdx.x * TILE_DIM + threadIdx.y;
  out[y * n + x] = tile[threadIdx.x][threadIdx.y];
}
`;

test('CRLF and CR documents: the same diagnostics on the same lines as LF, through incremental edits; edits written with CRLF', async () => {
  const seen: string[] = [];
  for (const [name, eol] of [['lf', '\n'], ['crlf', '\r\n'], ['cr', '\r']] as const) {
    const uri = url(join(ws, `eol-${name}.cu`));
    await open(uri, TILED.replace(/\n/g, eol), 1);
    await client.diagnostics(uri, (p) => p.diagnostics.length > 0);
    // an edit that adds a line above the kernel, typed as the client's line end
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: `// note${eol}` }] });
    const ds = (await client.nextDiagnostics(uri, 2)).diagnostics;
    seen.push(JSON.stringify(ds.map((d) => [d.code, d.range])));
    if (name !== 'crlf') continue;
    const d = ds.find((x) => x.code === 'memory/shared-bank-conflict')!;
    const actions = (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    const disable = actions.find((a) => a.title.startsWith('Disable memory/shared-bank-conflict for this line'))!;
    assert.match(((disable.edit!.documentChanges![0] as TextDocumentEdit).edits[0] as TextEdit).newText, /\r\n$/);
    const all = (await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [], only: ['source.fixAll'] } })) as CodeAction[];
    assert.equal(all.length, 1, 'one fix-all action');
    assert.equal(all[0].kind, 'source.fixAll.kernel-advisor');
    const doc = all[0].edit!.documentChanges![0] as TextDocumentEdit;
    assert.deepEqual(doc.textDocument, { uri, version: 2 });
    assert.ok(doc.edits.some((e) => (e as TextEdit).newText === 'TILE_DIM + 1'), 'the padding fix is in the fix-all');
  }
  assert.equal(seen[1], seen[0], 'CRLF as LF');
  assert.equal(seen[2], seen[0], 'CR as LF');
});
