// Pure conversions between the core's findings and LSP shapes: diagnostics, the hover
// card, code actions. No connection here, so the unit tests exercise it directly.
import {
  CodeAction,
  CodeActionKind,
  CreateFile,
  DiagnosticSeverity,
  TextDocumentEdit,
  type Diagnostic,
  type Range as LspRange,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { evidenceBrief, evidenceLine, formatCitation, type KnowledgeBase, type Paper } from '../core/knowledge';
import type { Finding, Fix, Range, Severity } from '../core/types';
import { fixAllEdits, type FixOutcome } from '../core/fix';
import { withEol } from '../core/lineEnds';
import { suppressionComment } from '../core/suppress';
import { rulePageUrl } from '../docs/links';

export const SOURCE = 'kernel-advisor';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export const toLspRange = (r: Range): LspRange => ({
  start: { line: r.start.line, character: r.start.column },
  end: { line: r.end.line, character: r.end.column },
});

/** What travels with a diagnostic (LSP Diagnostic.data) back to codeAction: only sent when the rule offers fixes. */
export interface DiagnosticData {
  rule: string;
  fixes: Fix[];
}

export function toDiagnostic(f: Finding, uri: string, kb: KnowledgeBase): Diagnostic {
  const docs = rulePageUrl(f.rule) ?? kb.rule(f.rule)?.docs; // the rule's page (docs/rules/), else its key paper
  const data: DiagnosticData | undefined = f.fixes.length ? { rule: f.rule, fixes: f.fixes } : undefined;
  return {
    range: toLspRange(f.range),
    severity: SEVERITY[f.severity],
    source: SOURCE,
    code: f.rule,
    codeDescription: docs ? { href: docs } : undefined,
    message: f.message,
    relatedInformation: f.related.map((r) => ({ location: { uri, range: toLspRange(r.range) }, message: r.message })),
    data,
  };
}

/** One diagnostic for a file we did not analyse (too large, binary, parse too slow). */
export function skippedDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: SOURCE,
    message: `Kernel Advisor ${reason.startsWith('skipped') ? reason : `skipped this file: ${reason}`}`,
  };
}

const citationLine = (p: Paper) => `- ${formatCitation(p, 'markdown')}`;

/** How the hover opens the full explanation: the client's Explain command where it has one, else the rule's page. */
export interface HoverOptions {
  explainCommand?: boolean;
  /** The finding's fixes, or why none is offered. */
  fix?: FixOutcome;
}

/**
 * The Markdown card shown when hovering a finding, short enough to read at a glance (the
 * diagnostic's one-line message is shown above it by the editor): what was seen and what
 * to do (the finding's detail), what it buys, how sure; then the two most relevant papers
 * and a link to the full explanation with every paper.
 */
export function hoverMarkdown(f: Finding, kb: KnowledgeBase, opts: HoverOptions = {}): string {
  const technique = kb.techniquesFor(f.rule)[0];
  const out: string[] = [`**${technique?.name ?? kb.rule(f.rule)?.title ?? f.rule}** · \`${f.rule}\``];
  // detail: "what was seen" paragraph, then "what to do" (rules/common/detail.ts)
  const [seen, ...todo] = (f.detail ?? '').split(/\n\s*\n/);
  if (todo.length) out.push('', `**Seen here:** ${seen}`, '', `**What to do:** ${todo.join(' ')}`);
  else if (seen) out.push('', `**What to do:** ${seen}`);
  else if (technique) out.push('', `**The technique:** ${technique.summary}`);
  if (f.benefit) out.push('', `**What it buys:** ${f.benefit}.`);
  else if (technique?.measured) out.push('', `**Measured:** ${technique.measured}`);
  // the fix and what it measured, in one paragraph (the card must stay short)
  const measured = kb.evidenceFor(f.rule)[0];
  const evidence = measured ? ` ${evidenceBrief(measured)}.` : '';
  if (opts.fix?.fixes.length) out.push('', `**Quick fix:** ${opts.fix.fixes[0].title}${opts.fix.fixes[0].safe ? '' : ' (review before applying)'}.${evidence}`);
  else if (opts.fix?.reason) out.push('', `**No automatic fix:** ${opts.fix.reason}.`);
  else if (measured) out.push('', `**The fix, measured:**${evidence}`);
  const how = f.confidence === 'proven' ? 'proven from the index forms' : f.confidence === 'likely' ? 'likely' : 'a heuristic';
  out.push('', `**How sure:** ${how}${f.assumptions.length ? ` — ${f.assumptions.join('; ')}` : ''}.`);
  const papers = f.citations.map((id) => kb.paper(id)).filter((p): p is Paper => !!p);
  if (papers.length) out.push('', '**Read:**', ...papers.slice(0, 2).map(citationLine));
  const all = kb.citationsFor(f.rule).length || papers.length;
  const label = `Full explanation: when it pays off, when it does not${all ? `, all ${all} papers` : ''}`;
  const target = opts.explainCommand ? `command:kernelAdvisor.explainRule?${encodeURIComponent(JSON.stringify([f.rule]))}` : rulePageUrl(f.rule) ?? kb.rule(f.rule)?.docs;
  if (target) out.push('', `[${label}](${target})`);
  return out.join('\n');
}

/** Markdown for "Explain rule" and the knowledge-base view. */
export function explainMarkdown(ruleId: string, kb: KnowledgeBase): string {
  const rule = kb.rule(ruleId);
  if (!rule) return `Unknown rule \`${ruleId}\`.`;
  const out = [`# ${rule.title}`, '', `Rule \`${rule.id}\``];
  for (const t of kb.techniquesFor(ruleId)) {
    out.push('', `## ${t.name}`, '', t.summary, '', `**When it helps:** ${t.whenItHelps}`, '', `**When it does not:** ${t.whenItDoesNot}`);
    if (t.measured) out.push('', `**Measured:** ${t.measured}`);
  }
  const measured = kb.evidenceFor(ruleId);
  if (measured.length) out.push('', '## The fix, measured', '', ...measured.map((e) => `- ${evidenceLine(e)}`));
  out.push('', '## Papers', '', ...kb.citationsFor(ruleId).map(citationLine));
  return out.join('\n');
}

export function knowledgeMarkdown(kb: KnowledgeBase): string {
  const out = ['# Kernel Advisor knowledge base', ''];
  for (const rule of kb.rules.values()) out.push(`- \`${rule.id}\` — ${rule.title}`);
  for (const rule of kb.rules.values()) out.push('', explainMarkdown(rule.id, kb).replace(/^# /, '## ').replace(/\n## /g, '\n### '));
  out.push('', '## All papers', '', ...[...kb.papers.values()].map(citationLine));
  return out.join('\n');
}

export interface ActionContext {
  uri: string;
  /** The document version the diagnostics, fixes and lines are of: every edit carries it, so a client refuses it after a change. */
  version: number;
  /** The line end the client's text uses: code written by an edit uses it too. */
  eol: '\n' | '\r\n';
  lines: string[];
  python: boolean;
  /** Whether "Disable <rule> in this workspace" can be offered (a workspace folder, and a client that applies edits). */
  workspaceCommand: boolean;
  /** Commands the client declared it implements (initializationOptions.clientCommands). */
  clientCommands: ReadonlySet<string>;
}

/** The server-side command behind "Disable <rule> in this workspace": it edits .kernel-advisor.json as it is when applied. */
export const DISABLE_IN_WORKSPACE = 'kernelAdvisor.disableRuleInWorkspace';

/** Edits of one document at one version (LSP documentChanges), never unversioned `changes`, in the document's line ends. */
function versioned(ctx: ActionContext, edits: readonly { range: Range; newText: string }[]): WorkspaceEdit {
  const lsp = withEol(edits, ctx.eol).map((e) => ({ range: toLspRange(e.range), newText: e.newText }));
  return { documentChanges: [TextDocumentEdit.create({ uri: ctx.uri, version: ctx.version }, lsp)] };
}

/** The code actions offered on one diagnostic of ours; `fixes` are the rule's, computed for `ctx.version`. */
export function codeActions(d: Diagnostic, ctx: ActionContext, kb: KnowledgeBase, fixes: readonly Fix[] = (d.data as DiagnosticData | undefined)?.fixes ?? []): CodeAction[] {
  if (d.source !== SOURCE || typeof d.code !== 'string') return [];
  const rule = d.code;
  const actions: CodeAction[] = [];
  fixes.forEach((fix, i) => {
    const edit = versioned(ctx, fix.edits);
    actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit, isPreferred: i === 0 });
  });
  // the menu helps before it silences (Ctrl+. then Enter must never disable a finding): the rule's fix,
  // then the explanation and its papers, and the disables last. VS Code lists quick fixes that name
  // the diagnostic before those that do not (and another kind in a group below): so the fix, Explain
  // and the papers are quick fixes of the diagnostic, the disables quick fixes that name none.
  if (ctx.clientCommands.has('kernelAdvisor.explainRule')) {
    actions.push({ title: `Explain ${rule}`, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title: 'Explain rule', command: 'kernelAdvisor.explainRule', arguments: [rule] } });
  }
  if (ctx.clientCommands.has('kernelAdvisor.openPaper')) {
    for (const id of (kb.rule(rule)?.papers ?? []).slice(0, 2)) {
      const p = kb.paper(id);
      if (p) actions.push({ title: `Open paper: ${p.title}`, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title: 'Open paper', command: 'kernelAdvisor.openPaper', arguments: [p.url] } });
    }
  }
  const line = d.range.start.line;
  const at = { start: { line, column: 0 }, end: { line, column: 0 } };
  actions.push({
    title: `Disable ${rule} for this line`,
    kind: CodeActionKind.QuickFix,
    edit: versioned(ctx, [{ range: at, newText: suppressionComment(rule, ctx.lines[line] ?? '', ctx.python) }]),
  });
  if (ctx.workspaceCommand) {
    const title = `Disable ${rule} in this workspace`;
    actions.push({ title, kind: CodeActionKind.QuickFix, command: { title, command: DISABLE_IN_WORKSPACE, arguments: [rule] } });
  }
  return actions;
}

/** The code action kind of "apply every safe Kernel Advisor fix" (usable on save). */
export const FIX_ALL = `${CodeActionKind.SourceFixAll}.kernel-advisor`;

/** One action applying every safe fix of the document (source.fixAll), or null when there is none. */
export function fixAllAction(ctx: ActionContext, outcomes: readonly (FixOutcome & { rule?: string })[]): CodeAction | null {
  const { fixes, edits } = fixAllEdits(outcomes);
  if (!fixes.length) return null;
  const title = `Apply ${fixes.length} safe Kernel Advisor fix${fixes.length === 1 ? '' : 'es'}`;
  return { title, kind: FIX_ALL, edit: versioned(ctx, edits) };
}

type OffsetEdit = { offset: number; length: number; content: string };

/**
 * Adds `"key": <valueText>` as the last property of `obj`, written like its neighbours
 * (jsonc-parser's own formatting re-indents the whole object and moves comments): on a
 * line of its own with the previous entry's indentation, the comment after that entry
 * staying on its line; inside a one-line object, inline.
 */
function addProperty(text: string, obj: JsonNode, key: string, valueText: string): OffsetEdit[] {
  const entry = `${JSON.stringify(key)}: ${valueText}`;
  const last = obj.children?.at(-1);
  if (!last) return [{ offset: obj.offset + 1, length: 0, content: entry }]; // `{}`: comments inside stay where they are
  const valueEnd = last.offset + last.length;
  let lineEnd = text.indexOf('\n', valueEnd);
  if (lineEnd < 0) lineEnd = text.length;
  if (text[lineEnd - 1] === '\r') lineEnd--;
  const rest = text.slice(valueEnd, lineEnd);
  const comma = /^\s*,/.exec(rest);
  const afterComma = comma ? rest.slice(comma[0].length) : rest;
  const ownLine = text.slice(obj.offset, last.offset).includes('\n') && /^\s*(\/\/.*|\/\*.*?\*\/\s*)?$/.test(afterComma);
  if (!ownLine) return comma ? [{ offset: valueEnd + comma[0].length, length: 0, content: ` ${entry}` }] : [{ offset: valueEnd, length: 0, content: `, ${entry}` }];
  const lineStart = text.lastIndexOf('\n', last.offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, last.offset))![0];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const line = { offset: lineEnd, length: 0, content: `${eol}${indent}${entry}${comma ? ',' : ''}` };
  return comma ? [line] : [{ offset: valueEnd, length: 0, content: ',' }, line];
}

/**
 * The edit that sets `"rules": { "<rule>": "off" }` in .kernel-advisor.json, computed
 * against `text` (its content when the command runs; null when there is no file): only
 * that entry is written, the user's other settings, comments and formatting stay. A file
 * that does not parse is never touched (the user's text would be lost): a message says why.
 */
export function disableRuleEdit(rule: string, cfg: { uri: string; text: string | null }): { edit: WorkspaceEdit } | { error: string } {
  const off = JSON.stringify('off');
  if (cfg.text === null || cfg.text.trim() === '') {
    const text = JSON.stringify({ rules: { [rule]: 'off' } }, null, 2) + '\n';
    const whole = { range: { start: { line: 0, character: 0 }, end: { line: cfg.text === null ? 0 : cfg.text.split('\n').length, character: 0 } }, newText: text };
    const write = TextDocumentEdit.create({ uri: cfg.uri, version: null }, [whole]);
    return { edit: { documentChanges: cfg.text === null ? [CreateFile.create(cfg.uri, { ignoreIfExists: true }), write] : [write] } };
  }
  const errors: ParseError[] = [];
  const root = parseTree(cfg.text, errors, { allowTrailingComma: true });
  if (errors.length || !root) return { error: `${cfg.uri} does not parse (${printParseErrorCode(errors[0]?.error ?? 0)} at offset ${errors[0]?.offset ?? 0}); fix it first: it is left as it is.` };
  if (root.type !== 'object') return { error: `${cfg.uri} does not hold an object; it is left as it is.` };
  const rules = findNodeAtLocation(root, ['rules']);
  if (rules && rules.type !== 'object') return { error: `"rules" in ${cfg.uri} is not an object; it is left as it is.` };
  const current = rules && findNodeAtLocation(rules, [rule]);
  const edits: OffsetEdit[] = current
    ? [{ offset: current.offset, length: current.length, content: off }]
    : rules
      ? addProperty(cfg.text, rules, rule, off)
      : addProperty(cfg.text, root, 'rules', `{ ${JSON.stringify(rule)}: ${off} }`);
  const doc = TextDocument.create(cfg.uri, 'json', 0, cfg.text);
  const textEdits = edits.map((e) => ({ range: { start: doc.positionAt(e.offset), end: doc.positionAt(e.offset + e.length) }, newText: e.content }));
  // computed from the file as it is when the command runs (it is not a document the client syncs to us)
  return { edit: { documentChanges: [TextDocumentEdit.create({ uri: cfg.uri, version: null }, textEdits)] } };
}
