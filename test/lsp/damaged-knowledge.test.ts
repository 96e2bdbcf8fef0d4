// A damaged knowledge base gets a clear message from the CLI and the server, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { TestClient, repoRoot } from './client';

function damagedKnowledge(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ka-kb-')), 'knowledge');
  cpSync(join(repoRoot, 'knowledge'), dir, { recursive: true });
  writeFileSync(join(dir, 'papers.json'), '[{"id": "x", "title": ');
  return dir;
}

test('the CLI names the damaged file and exits 2', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/kernel-advisor.js'), 'explain', 'tiling/shared-memory'], {
    encoding: 'utf8',
    env: { ...process.env, KERNEL_ADVISOR_KNOWLEDGE: damagedKnowledge() },
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /knowledge base is damaged/);
  assert.match(r.stderr, /papers\.json/);
});

test('the server stays up, says why once, and publishes nothing', { timeout: 20_000 }, async () => {
  const client = new TestClient({ ...process.env, KERNEL_ADVISOR_KNOWLEDGE: damagedKnowledge() });
  try {
    await client.initialize(null);
    const shown = new Promise<string>((resolve) => {
      const poll = setInterval(() => {
        const m = client.messages.find((x) => x.type === 1 && x.message.startsWith('Kernel Advisor cannot analyse'));
        if (m) {
          clearInterval(poll);
          resolve(m.message);
        }
      }, 20);
    });
    assert.match(await shown, /Kernel Advisor cannot analyse: [\s\S]*papers\.json is not valid JSON/);
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL('/tmp/x.cu').href, languageId: 'cuda-cpp', version: 1, text: '__global__ void k(float* o, int n) { o[threadIdx.x * n] = 0; }' } });
    const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: pathToFileURL('/tmp/x.cu').href }, position: { line: 0, character: 40 } }).catch((e: Error) => e);
    assert.ok(hover === null || hover instanceof Error, 'no analysis answers');
    assert.equal(await client.shutdown(), 0);
  } finally {
    client.kill();
  }
});
