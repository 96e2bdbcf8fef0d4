// Pure conversions between the core's findings and LSP shapes: diagnostics, the hover
// card, code actions. No connection here, so the unit tests exercise it directly.
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  type Diagnostic,
  type Range as LspRange,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { KnowledgeBase, Paper } from '../core/knowledge';
import type { Finding, Fix, Range, Severity } from '../core/types';
import { suppressionComment } from '../core/suppress';

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
  const docs = kb.rule(f.rule)?.docs;
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

function citationLine(p: Paper): string {
  const first = p.authors[0] ?? '';
  const surname = first.includes(',') ? first.split(',')[0] : first.split(' ').pop() ?? first;
  const who = p.authors.length > 1 ? `${surname} et al.` : surname;
  return `- [${p.title}](${p.url}) — ${who}, ${p.venue}${p.year ? `, ${p.year}` : ''}`;
}

/** The Markdown card shown when hovering a finding. */
export function hoverMarkdown(f: Finding, kb: KnowledgeBase): string {
  const technique = kb.techniquesFor(f.rule)[0];
  const out: string[] = [];
  out.push(`**${technique?.name ?? kb.rule(f.rule)?.title ?? f.rule}** · \`${f.rule}\``);
  out.push('', `**Seen here:** ${f.message}`);
  if (technique) out.push('', `**The technique:** ${technique.summary}`);
  if (f.benefit) out.push('', `**What it usually buys:** ${f.benefit}.`);
  else if (technique?.measured) out.push('', `**Measured:** ${technique.measured}`);
  if (technique?.whenItDoesNot) out.push('', `**When it does not pay off:** ${technique.whenItDoesNot}`);
  const how = f.confidence === 'proven' ? 'proven from the index forms' : f.confidence === 'likely' ? 'likely' : 'a heuristic';
  out.push('', `**How sure:** ${how}${f.assumptions.length ? ` — ${f.assumptions.join('; ')}` : ''}.`);
  const papers = f.citations.map((id) => kb.paper(id)).filter((p): p is Paper => !!p);
  if (papers.length) out.push('', '**Read:**', ...papers.map(citationLine));
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
  lines: string[];
  python: boolean;
  /** URI of `.kernel-advisor.json` at the workspace root and its current content, when there is a workspace. */
  workspaceConfig?: { uri: string; text: string | null };
  /** Commands the client declared it implements (initializationOptions.clientCommands). */
  clientCommands: ReadonlySet<string>;
}

/** The code actions offered on one diagnostic of ours. */
export function codeActions(d: Diagnostic, ctx: ActionContext, kb: KnowledgeBase): CodeAction[] {
  if (d.source !== SOURCE || typeof d.code !== 'string') return [];
  const rule = d.code;
  const fixes = (d.data as DiagnosticData | undefined)?.fixes ?? [];
  const actions: CodeAction[] = [];
  fixes.forEach((fix, i) => {
    const edit: WorkspaceEdit = { changes: { [ctx.uri]: fix.edits.map((e) => ({ range: toLspRange(e.range), newText: e.newText })) } };
    actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit, isPreferred: i === 0 });
  });
  const line = d.range.start.line;
  actions.push({
    title: `Disable ${rule} for this line`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    edit: { changes: { [ctx.uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: suppressionComment(rule, ctx.lines[line] ?? '', ctx.python) }] } },
  });
  const disable = ctx.workspaceConfig && disableInWorkspace(d, rule, ctx.workspaceConfig);
  if (disable) actions.push(disable);
  if (ctx.clientCommands.has('kernelAdvisor.openPaper')) {
    for (const id of (kb.rule(rule)?.papers ?? []).slice(0, 2)) {
      const p = kb.paper(id);
      if (p) actions.push({ title: `Open paper: ${p.title}`, kind: CodeActionKind.Empty, command: { title: 'Open paper', command: 'kernelAdvisor.openPaper', arguments: [p.url] } });
    }
  }
  if (ctx.clientCommands.has('kernelAdvisor.explainRule')) {
    actions.push({ title: `Explain ${rule}`, kind: CodeActionKind.Empty, command: { title: 'Explain rule', command: 'kernelAdvisor.explainRule', arguments: [rule] } });
  }
  return actions;
}

/** Writes `"rules": { "<rule>": "off" }` into .kernel-advisor.json, keeping what else is there. */
function disableInWorkspace(d: Diagnostic, rule: string, cfg: { uri: string; text: string | null }): CodeAction | null {
  let json: Record<string, unknown> = {};
  if (cfg.text !== null) {
    // never rewrite a file we cannot read back: the user's text would be lost
    try {
      const parsed = JSON.parse(cfg.text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
      json = parsed;
    } catch {
      return null;
    }
  }
  const rules = json.rules && typeof json.rules === 'object' && !Array.isArray(json.rules) ? (json.rules as Record<string, unknown>) : {};
  const next = JSON.stringify({ ...json, rules: { ...rules, [rule]: 'off' } }, null, 2) + '\n';
  const edit: WorkspaceEdit =
    cfg.text === null
      ? { documentChanges: [{ kind: 'create', uri: cfg.uri, options: { ignoreIfExists: true } }, { textDocument: { uri: cfg.uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: next }] }] }
      : { changes: { [cfg.uri]: [{ range: { start: { line: 0, character: 0 }, end: { line: cfg.text.split('\n').length, character: 0 } }, newText: next }] } };
  return { title: `Disable ${rule} in this workspace`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit };
}
