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

module.exports = { knowledgeBase, citedPapers };
