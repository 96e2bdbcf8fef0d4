// The stdio writer: a publish joins each diagnostic's kept bytes, and must say what
// JSON.stringify says (in ASCII: other characters as escapes); every other message is encoded
// as vscode-jsonrpc does; what it writes is read back by vscode-jsonrpc's reader, message after message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StreamMessageReader, type Message } from 'vscode-languageserver/node';
import { StdioMessageWriter, messageParts } from '../../server/src/lsp/wire';

const text = async (msg: object) => Buffer.concat(messageParts(msg as Message)).toString('utf8');

const diagnostic = (line: number, message: string) => ({
  range: { start: { line, character: 2 }, end: { line, character: 9 } },
  severity: 2,
  source: 'kernel-advisor',
  code: 'memory/uncoalesced-access',
  codeDescription: undefined, // left out, as JSON.stringify leaves it out
  message,
  relatedInformation: [{ location: { uri: 'file:///w/a b.cu', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } } }, message: 'the loop' }],
});

test('a publish encodes to the value JSON.stringify writes, in ASCII, with or without a version, non-ASCII text included', async () => {
  const diagnostics = [diagnostic(3, '`out[x * rows + y]`: threads `rows` elements apart — 32 sectors, 2× the bytes'), diagnostic(7, 'ünïcode "quoted" \\ and\nnewline 😀')];
  for (const params of [{ uri: 'file:///w/a b.cu', version: 4, diagnostics }, { uri: 'file:///w/a.cu', diagnostics }, { uri: 'file:///w/a.cu', version: 5, diagnostics: [] }]) {
    const msg = { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params };
    const json = await text(msg);
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(msg)));
    assert.match(json, /^[\x20-\x7e]*$/, 'ASCII only: a client reads it as one-byte text');
    assert.equal(json, JSON.stringify(msg).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  }
});

test('a diagnostic sent again is the same bytes; a new object is encoded anew', async () => {
  const d = diagnostic(1, 'first');
  const publish = (diagnostics: object[]) => ({ jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w/a.cu', version: 1, diagnostics } });
  assert.equal(await text(publish([d, d])), JSON.stringify(publish([d, d])));
  const other = { ...d, message: 'second' };
  assert.equal(await text(publish([other])), JSON.stringify(publish([other])));
});

test('other messages, and publishes with fields the fast path does not know, are JSON.stringify', async () => {
  const hover = { jsonrpc: '2.0', id: 3, result: { contents: { kind: 'markdown', value: '**Do:** ü' } } };
  assert.equal(await text(hover), JSON.stringify(hover));
  const extra = { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w/a.cu', diagnostics: [diagnostic(0, 'x')], extra: 1 } };
  assert.equal(await text(extra), JSON.stringify(extra));
});

test('the writer frames each message with its length, and a reader reads them back in order', async () => {
  const pipe = new PassThrough();
  const writer = new StdioMessageWriter(pipe);
  const reader = new StreamMessageReader(pipe);
  const read: Message[] = [];
  const all = new Promise<void>((done) => reader.listen((m) => read.push(m) === 3 && done()));
  const sent = [
    { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w/ä.cu', version: 2, diagnostics: [diagnostic(3, 'ünïcode'), diagnostic(4, 'x')] } },
    { jsonrpc: '2.0', id: 1, result: null },
    { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w/a.cu', diagnostics: [] } },
  ];
  for (const m of sent) await writer.write(m as Message);
  await all;
  assert.deepEqual(read, JSON.parse(JSON.stringify(sent)));
  reader.dispose();
  writer.dispose();
});
