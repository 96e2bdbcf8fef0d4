// The bundled knowledge base as the CLI prints it: lets tests check hovers and
// explanations against real paper titles and years instead of guessing.
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('./helpers');

let cached;
function knowledgeBase() {
  if (!cached) {
    const out = execFileSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'knowledge', '--format', 'json'], { encoding: 'utf8' });
    cached = JSON.parse(out);
  }
  return cached;
}

/** Papers whose title and year both appear in `text`. */
function citedPapers(text) {
  return knowledgeBase().papers.filter((p) => text.includes(p.title) && text.includes(String(p.year)));
}

/**
 * The findings of a file as `kernel-advisor check --format sarif` reports them, with the
 * whole text the hover cuts: `detail` (the "seen" and "what to do" paragraphs) and every
 * assumption.
 */
function cliFindings(fsPath) {
  const out = execFileSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'check', '--format', 'sarif', '-q', fsPath],
    { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  return JSON.parse(out).runs[0].results.map((r) => ({
    rule: r.ruleId,
    message: r.message.text,
    detail: r.message.markdown.startsWith(`${r.message.text}\n\n`) ? r.message.markdown.slice(r.message.text.length + 2) : '',
    assumptions: (r.properties && r.properties.assumptions) || [],
  }));
}

module.exports = { knowledgeBase, citedPapers, cliFindings };
