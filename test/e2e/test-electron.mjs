#!/usr/bin/env node
// `npm run test:vscode`: the same in-host suite (suite/index.js) in desktop VS Code,
// downloaded by @vscode/test-electron, for machines that can reach Microsoft's update
// server. (Here and in CI, `npm run test:e2e` runs it in code-server instead.) The UI
// check needs Playwright and is skipped in this mode.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { ensureHarnessDeps } from './lib/install.mjs';

const harnessDir = dirname(fileURLToPath(import.meta.url));
const root = join(harnessDir, '..', '..');
if (!existsSync(join(harnessDir, 'node_modules/mocha'))) {
  const error = ensureHarnessDeps(harnessDir);
  if (error) {
    console.error(`test:vscode: ${error}`);
    process.exit(1);
  }
}
const tmp = mkdtempSync(join(tmpdir(), 'ka-vscode-'));
const ws = join(tmp, 'ws');
cpSync(join(harnessDir, 'workspace'), ws, { recursive: true });
mkdirSync(join(tmp, 'shared'));
let code = 0;
try {
  await runTests({
    version: process.env.KA_VSCODE_VERSION || '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(harnessDir, 'suite', 'index.js'),
    launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(tmp, 'user-data')],
  });
} catch (e) {
  console.error(`test:vscode: ${e && e.message ? e.message : e}`);
  code = 1;
}
const results = join(tmp, 'shared', 'results.json');
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  console.log(`\nVS Code tests: ${r.passed} passed, ${r.failed} failed${r.pending ? `, ${r.pending} skipped` : ''}`);
}
rmSync(tmp, { recursive: true, force: true });
process.exit(code);
