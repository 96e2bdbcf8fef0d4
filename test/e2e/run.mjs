#!/usr/bin/env node
// Real-editor tests: `npm run test:e2e`, and `npm test` after the unit tests.
// Installs the harness (test/e2e/node_modules) if needed, builds the extension, starts
// code-server (VS Code 1.100.3) with the extension under development and the in-host
// mocha suite (suite/index.js), drives it from Debian's Chromium through playwright-core,
// and prints `N passed, N failed`. Without Chromium, or when the install fails, it skips
// (exit 0), except in CI (CI=true), where it fails.
//   --keep      keep the temp folder (workspace copy, user data, logs) for a look afterwards
//   --no-build  use dist/ as it is (npm test has just built it)
//   --grep RE   run only the in-host tests whose full title matches RE
//   --vsix F    test the packaged extension F (npm run package) instead of the working tree
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { ensureHarnessDeps } from './lib/install.mjs';
import { startCodeServer } from './lib/codeServer.mjs';
import { uiCheckWhenReady } from './lib/ui.mjs';

const harnessDir = dirname(fileURLToPath(import.meta.url));
const root = join(harnessDir, '..', '..');
const artifacts = join(root, 'test-artifacts');
const CHROMIUM = process.env.KA_E2E_CHROMIUM || '/usr/bin/chromium';
const SUITE_TIMEOUT_MS = 240_000;
const CI = process.env.CI === 'true';
const keep = process.argv.includes('--keep');
const grepAt = process.argv.indexOf('--grep');
const grep = grepAt > 0 ? process.argv[grepAt + 1] : undefined;
const vsixAt = process.argv.indexOf('--vsix');
const vsix = vsixAt > 0 ? resolve(process.argv[vsixAt + 1]) : undefined;
const started = Date.now();
const MARK = 'ka-e2e| '; // suite/index.js marks mocha's lines with it

function summary(passed, failed, note = '') {
  console.log(`\nreal-editor tests: ${passed} passed, ${failed} failed${note} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function cannotRun(reason) {
  if (CI) {
    console.log(`\nFAILED real-editor tests: ${reason}. CI=true requires them; install: apt-get install chromium ripgrep libkrb5-dev`);
    summary(0, 1);
    process.exit(1);
  }
  console.log(`\nSKIPPED real-editor tests: ${reason}; to enable: apt-get install chromium ripgrep libkrb5-dev`);
  summary(0, 0, ', skipped');
  process.exit(0);
}

if (!existsSync(CHROMIUM)) cannotRun(`${CHROMIUM} is missing`);
const installError = ensureHarnessDeps(harnessDir);
if (installError) cannotRun(installError);

const build = process.argv.includes('--no-build') ? { status: 0 } : spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('e2e: the build failed');
  summary(0, 1);
  process.exit(1);
}
for (const f of ['dist/cli.js', 'dist/extension.js']) {
  if (!existsSync(join(root, f))) {
    console.log(`e2e: ${f} is missing after the build`);
    summary(0, 1);
    process.exit(1);
  }
}

// <tmp>/ws is the workspace copy; <tmp>/shared is where harness and suite exchange files.
const tmp = mkdtempSync(join(tmpdir(), 'ka-e2e-'));
const ws = join(tmp, 'ws');
const shared = join(tmp, 'shared');
cpSync(join(harnessDir, 'workspace'), ws, { recursive: true });
mkdirSync(shared);
mkdirSync(artifacts, { recursive: true });
const hostLog = createWriteStream(join(artifacts, 'e2e-host.log'));
writeFileSync(join(shared, 'harness.json'), JSON.stringify({ ui: true, grep }));
let extensionDir = root;
if (vsix) {
  const unzip = spawnSync('unzip', ['-q', vsix, '-d', join(tmp, 'vsix')], { stdio: 'inherit' });
  if (unzip.status !== 0) {
    console.log(`e2e: could not unzip ${vsix}`);
    summary(0, 1);
    process.exit(1);
  }
  extensionDir = join(tmp, 'vsix', 'extension');
  console.log(`e2e: testing the packaged extension ${vsix}`);
}

const { chromium } = await import('playwright-core');
let server;
let browser;
let exitCode;
try {
  server = await startCodeServer({ harnessDir, tmp, logFile: join(artifacts, 'e2e-code-server.log') });
  console.log(`e2e: code-server on ${server.base} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let over = false;
  let reportExit;
  const exited = new Promise((resolve) => (reportExit = resolve));
  await page.exposeFunction('codeAutomationExit', (code) => reportExit(code));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    hostLog.write(`[${type}] ${text}\n`);
    // The suite's reporter marks its lines; the workbench's own chatter stays in the log file.
    for (const line of text.split('\n')) if (line.startsWith(MARK)) console.log(`  │ ${line.slice(MARK.length)}`);
  });
  page.on('pageerror', (e) => hostLog.write(`[pageerror] ${e.message}\n`));

  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDir)], ['extensionTestsPath', remote(join(harnessDir, 'suite', 'index.js'))]];
  await page.goto(`${server.base}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const ui = uiCheckWhenReady(page, shared, join(artifacts, 'e2e-problems.png'), () => over);
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), SUITE_TIMEOUT_MS).unref());
  exitCode = await Promise.race([exited, timeout]);
  over = true;
  await ui;
  if (exitCode === 'timeout') {
    console.log(`e2e: the in-host suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
    await page.screenshot({ path: join(artifacts, 'e2e-timeout.png') }).catch(() => undefined);
  }
} catch (e) {
  console.log(`e2e: ${e && e.stack ? e.stack : e}`);
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  hostLog.end();
}

const resultsFile = join(shared, 'results.json');
const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined;
if (!keep) rmSync(tmp, { recursive: true, force: true });
else console.log(`e2e: kept ${tmp}`);
if (!results) {
  console.log(`e2e: the in-host suite reported no results (exit ${exitCode}); see test-artifacts/e2e-host.log and e2e-code-server.log`);
  summary(0, 1);
  process.exit(1);
}
for (const t of results.tests.filter((t) => t.state === 'failed')) console.log(`\n✗ ${t.title}\n  ${t.error.replace(/\n/g, '\n  ')}`);
const failed = results.failed + (exitCode === 0 || results.failed > 0 ? 0 : 1);
summary(results.passed, failed, results.pending ? `, ${results.pending} skipped` : '');
process.exit(failed === 0 && results.passed > 0 ? 0 : 1);
