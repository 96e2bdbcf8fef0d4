// Helpers of the in-host suite: open workspace files, wait for diagnostics (on the
// change event, with polling as a safety net, never a fixed sleep).
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const SOURCE = 'kernel-advisor';
const REPO = path.resolve(__dirname, '..', '..', '..');

function workspaceRoot() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) throw new Error('the suite needs a workspace folder (a copy of test/e2e/workspace)');
  return folder.uri.fsPath;
}

/** <tmp>/shared beside the workspace copy: the harness and the suite exchange files there. */
function sharedDir() {
  try {
    const dir = path.join(path.dirname(workspaceRoot()), 'shared');
    return fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function fileUri(name) {
  return vscode.Uri.file(path.join(workspaceRoot(), name));
}

async function openFile(name) {
  const doc = await vscode.workspace.openTextDocument(fileUri(name));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** The rule id of a diagnostic (`code` is {value, target} when the server sends codeDescription). */
function ruleOf(d) {
  return typeof d.code === 'object' && d.code !== null ? String(d.code.value) : String(d.code);
}

function findings(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

/** Resolves with the findings of `uri` once `predicate(findings)` holds; rejects after `ms`. */
function waitForFindings(uri, predicate, what, ms = 45_000) {
  return waitFor(() => {
    const list = findings(uri);
    return predicate(list) ? list : undefined;
  }, `${what} in ${path.basename(uri.fsPath)}`, ms, (fire) => vscode.languages.onDidChangeDiagnostics(fire));
}

/**
 * Polls `probe` whenever `subscribe`'s event fires, and every 100 ms as a safety net,
 * until it returns something other than undefined.
 */
function waitFor(probe, what, ms, subscribe) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      if (sub) sub.dispose();
      fn(v);
    };
    const check = () => {
      try {
        const v = probe();
        if (v !== undefined) finish(resolve, v);
      } catch (e) {
        finish(reject, e);
      }
    };
    const sub = subscribe ? subscribe(check) : undefined;
    const poll = setInterval(check, 100);
    const timer = setTimeout(() => {
      const last = (() => { try { return probe(); } catch (e) { return e; } })();
      if (last !== undefined) finish(resolve, last);
      else finish(reject, new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    check();
  });
}

function hoverText(hovers) {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** The command and arguments of the Explain link ending a hover card, read as VS Code's opener reads a command link. */
function explainLink(markdown) {
  const m = /\]\((command:kernelAdvisor\.explainRule\?[^)]+)\)$/m.exec(markdown);
  if (!m) return undefined;
  const uri = vscode.Uri.parse(m[1]);
  let args;
  try {
    args = JSON.parse(decodeURIComponent(uri.query));
  } catch {
    args = JSON.parse(uri.query);
  }
  return { command: uri.path, args: Array.isArray(args) ? args : [args] };
}

/**
 * Whether `text` (an Explain view) shows `finding` (cliFindings) in full in its "This finding"
 * section: undefined when it does, else what is missing.
 */
function missingFromExplain(text, finding) {
  const at = text.indexOf('\n## This finding\n');
  if (at < 0) return 'no "This finding" section';
  const section = text.slice(at, text.indexOf('\n## ', at + 1) >= 0 ? text.indexOf('\n## ', at + 1) : undefined);
  const wanted = [finding.message, ...finding.detail.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean), ...finding.assumptions];
  const missing = wanted.filter((w) => !section.includes(w));
  return missing.length ? `missing from "This finding":\n${missing.join('\n')}\n--- it reads:\n${section}` : undefined;
}

module.exports = { SOURCE, REPO, workspaceRoot, sharedDir, fileUri, openFile, ruleOf, findings, waitForFindings, waitFor, hoverText, explainLink, missingFromExplain };
