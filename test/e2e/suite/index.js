// Entry of the in-host suite (extensionTestsPath): VS Code's extension host calls run().
// Results also go to <tmp>/shared/results.json so the harness can count them whether or
// not the host's console output reaches it.
const fs = require('node:fs');
const path = require('node:path');
const { format } = require('node:util');
const { Mocha } = require('mocha');
const { sharedDir } = require('./helpers');

const MARK = 'ka-e2e| ';

/** What the harness asked for (<tmp>/shared/harness.json), if it wrote one. */
function harnessOptions() {
  const dir = sharedDir();
  const file = dir && path.join(dir, 'harness.json');
  return file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

exports.run = function run() {
  // Mark the reporter's lines so the harness can tell them from the workbench's own logs.
  Mocha.reporters.Base.consoleLog = (...args) => console.log(`${MARK}${format(...args).replace(/\n/g, `\n${MARK}`)}`);
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = harnessOptions().grep;
  if (grep) mocha.grep(new RegExp(grep));
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const results = { passed: 0, failed: 0, pending: 0, tests: [] };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const dir = sharedDir();
      if (dir) fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
      if (failures > 0) reject(new Error(`${failures} in-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration });
    });
    runner.on('fail', (t, err) => {
      results.failed++;
      results.tests.push({ title: t.fullTitle(), state: 'failed', error: String(err && (err.stack || err.message || err)) });
    });
    runner.on('pending', (t) => {
      results.pending++;
      results.tests.push({ title: t.fullTitle(), state: 'pending' });
    });
  });
};
