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
import type { Confidence, Finding, Fix, Range, Severity } from '../core/types';
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

/** The optional diagnostic properties a client said it shows (its publishDiagnostics capabilities). */
export interface DiagnosticSupport {
  codeDescription: boolean;
  relatedInformation: boolean;
}

export const FULL_SUPPORT: DiagnosticSupport = { codeDescription: true, relatedInformation: true };

/** What a client's `textDocument.publishDiagnostics` capabilities say it shows. */
export const diagnosticSupport = (caps: { codeDescriptionSupport?: boolean; relatedInformation?: boolean } | undefined): DiagnosticSupport => ({
  codeDescription: !!caps?.codeDescriptionSupport,
  relatedInformation: !!caps?.relatedInformation,
});

/**
 * A finding as the editor shows it. Its fixes stay on the server (codeAction reads them from
 * the published findings): the publish, sent on every keystroke, carries no edits, and no
 * property the client does not show (an empty related list, a link it cannot open).
 */
export function toDiagnostic(f: Finding, uri: string, kb: KnowledgeBase, support: DiagnosticSupport = FULL_SUPPORT): Diagnostic {
  const docs = support.codeDescription ? (rulePageUrl(f.rule) ?? kb.rule(f.rule)?.docs) : undefined; // the rule's page (docs/rules/), else its key paper
  return {
    range: toLspRange(f.range),
    severity: SEVERITY[f.severity],
    source: SOURCE,
    code: f.rule,
    ...(docs ? { codeDescription: { href: docs } } : {}),
    message: f.message,
    ...(support.relatedInformation && f.related.length
      ? { relatedInformation: f.related.map((r) => ({ location: { uri, range: toLspRange(r.range) }, message: r.message })) }
      : {}),
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
  /** The document's URI: the Explain command's link then names the finding too (FindingRef), and the view shows it. */
  uri?: string;
  /** The finding's fixes, or why none is offered. */
  fix?: FixOutcome;
}

/**
 * The second argument of the hover's `kernelAdvisor.explainRule` link: the document and
 * where the finding starts. The client asks the server for the finding's explanation with
 * it (kernelAdvisor/explainRule), so the link stays short and the text comes whole.
 */
export interface FindingRef {
  uri: string;
  line: number;
  character: number;
}

/** Whether `x` has the shape of a FindingRef (it comes back from a command link). */
export const isFindingRef = (x: unknown): x is FindingRef => {
  const r = x as Partial<FindingRef> | null;
  const index = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return typeof r === 'object' && r !== null && typeof r.uri === 'string' && r.uri.length > 0 && r.uri.length <= 4096 && index(r.line) && index(r.character);
};

/**
 * A `command:` link running `command` with `args`, as VS Code reads them: JSON,
 * percent-encoded, parentheses too (a markdown link target ends at an unmatched one).
 */
export const commandLink = (command: string, args: readonly unknown[]): string =>
  `command:${command}?${encodeURIComponent(JSON.stringify(args)).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/** How sure a finding is, in the hover's and the Explain view's words. */
const SURE: Record<Confidence, string> = { proven: 'proven from the index forms', likely: 'likely', heuristic: 'a heuristic' };

/**
 * The characters of one line of the hover card: VS Code shows hovers about 750 px wide,
 * some 95 characters of its 13 px text (bold and code run wider).
 */
export const HOVER_LINE = 90;

/** What a reader sees of a line of markdown: link texts without their targets, no emphasis, code marks or escapes. */
export const visibleText = (md: string): string =>
  md.replace(/\[((?:\\.|[^\]\\])*)\]\([^\s)]*\)/g, '$1').replace(/\\(.)|\*\*|`/g, (_all, escaped: string | undefined) => escaped ?? '').replace(/ +$/, '');

/** The positions of `md` outside code spans, with the depth of parentheses there. */
function* prose(md: string): Generator<[number, number]> {
  let code = false;
  let depth = 0;
  for (let i = 0; i < md.length; i++) {
    if (md[i] === '`') code = !code;
    if (code || md[i] === '`') continue;
    if (md[i] === '(') depth++;
    yield [i, depth];
    if (md[i] === ')') depth = Math.max(0, depth - 1);
  }
}

/** The first sentence of `md`. */
function firstSentence(md: string): string {
  for (const [i, depth] of prose(md)) {
    if (depth === 0 && md[i] === '.' && /^\s+[A-Z`(]/.test(md.slice(i + 1)) && !/\b(e\.g|i\.e|etc|vs|cf)$/i.test(md.slice(0, i))) return md.slice(0, i + 1);
  }
  return md;
}

/** A speed-up figure: "1.39x", "27–40x", "8.03×". */
const FIGURE = /\d(\.\d+)?[x×](\W|$)/;

/** `md` without its asides: the parenthesised parts preceded by a space, except those with a speed-up figure. */
function withoutAsides(md: string): string {
  let out = '';
  let from = 0;
  let open = -1;
  for (const [i, depth] of prose(md)) {
    if (md[i] === '(' && depth === 1 && md[i - 1] === ' ') open = i - 1;
    else if (md[i] === ')' && depth === 1 && open >= 0) {
      if (!FIGURE.test(md.slice(open, i))) {
        out += md.slice(from, open);
        from = i + 1;
      }
      open = -1;
    }
  }
  return out + md.slice(from);
}

/** `md` split at the `; ` outside code and asides. */
function clauses(md: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const [i, depth] of prose(md)) {
    if (depth === 0 && md.startsWith('; ', i)) {
      parts.push(md.slice(from, i));
      from = i + 2;
    }
  }
  return [...parts, md.slice(from)];
}

/** `md` up to the last of `marks` (outside code and asides) that leaves at most `max` visible characters, or null. */
function cutAt(md: string, max: number, marks: RegExp): string | null {
  let best: string | null = null;
  for (const [i, depth] of prose(md)) {
    if (depth !== 0 || !marks.test(md.slice(i, i + 2))) continue;
    const head = md.slice(0, i).trimEnd();
    if (visibleText(head).length > max) break;
    best = head;
  }
  return best;
}

/**
 * `md` in at most `max` visible characters: whole where it fits; else without its asides;
 * else cut after a clause (`;`, `:`, `,`, ` —`) or, failing that, a word, with "…". Never
 * inside a code span.
 */
function clip(md: string, max: number): string {
  if (visibleText(md).length <= max) return md;
  const bare = withoutAsides(md);
  if (visibleText(bare).length <= max) return bare;
  const heads = [md, bare].map((text) => cutAt(text, max - 1, /^([;:,] | —)/) ?? '');
  const head = heads.reduce((a, b) => (visibleText(b).length > visibleText(a).length ? b : a));
  if (visibleText(head).length >= max / 2) return `${head}…`;
  const word = cutAt(bare, max - 1, /^ /);
  return word ? `${word.replace(/[;:,]$/, '')}…` : `${visibleText(bare).slice(0, max - 1)}…`;
}

/** Of a benefit's `;`-separated clauses, those with a number where some have one and some do not. */
function measuredPart(benefit: string): string {
  const parts = clauses(benefit);
  const measured = parts.filter((p) => /\d/.test(p));
  return measured.length && measured.length < parts.length ? measured.join('; ') : benefit;
}

const STOP_WORDS = new Set('the and for with that this its are was were but not from into than then one per each every all any has have had been can may does did which when where what while there their them they these those also only just other same here over once own out such both'.split(' '));
const words = (text: string) => new Set((text.toLowerCase().match(/[a-z0-9_]+/g) ?? []).filter((w) => w.length > 2 && !STOP_WORDS.has(w)).map((w) => w.replace(/(es|s|ed|ing)$/, '')));

/** Whether `seen` says little that `shown` (the diagnostic and its related lines, shown above the card) does not: half its words or fewer are new. */
function repeats(seen: string, shown: string): boolean {
  const said = words(shown);
  const own = [...words(seen)];
  return own.filter((w) => !said.has(w)).length * 2 <= own.length;
}

/**
 * The Markdown card shown when hovering a finding, one paragraph of short lines that fits
 * VS Code's hover box below the diagnostic it shows (its message and related lines):
 * what was seen here where the diagnostic does not already say it, what to do, what it buys
 * (the fix as measured: figure, GPU and size) with the quick fix or why there is none, how
 * sure and what it assumes; then the two most relevant papers, and the technique with a
 * link to its full explanation (when it pays off, when not, every paper). Each line is cut to
 * about HOVER_LINE characters (a benefit with no measurement record to two lines), a cut
 * marked "…": the Explain view the link opens has this finding in full (with `opts.uri`),
 * then the technique.
 */
export function hoverMarkdown(f: Finding, kb: KnowledgeBase, opts: HoverOptions = {}): string {
  const technique = kb.techniquesFor(f.rule)[0];
  const field = (lead: string, text: string, room = HOVER_LINE) => `**${lead}:** ${clip(text, room - lead.length - 2)}`;
  const out: string[] = [];
  // detail: "what was seen" paragraph, then "what to do" (rules/common/detail.ts)
  const [seen, ...todo] = (f.detail ?? '').split(/\n\s*\n/);
  const shown = [f.message, ...f.related.map((r) => r.message)].join(' ');
  if (todo.length && !repeats(seen, shown)) out.push(field('Seen', firstSentence(seen)));
  const remedy = todo.length ? todo.join(' ') : seen;
  if (remedy) out.push(field('Do', firstSentence(remedy)));
  else if (technique) out.push(field('Technique', firstSentence(technique.summary)));
  // what it buys, as measured (the rule's GPU measurement of its fix, unless the finding's own
  // figure is from elsewhere, e.g. a CPU), and the quick fix or why there is none, on one line
  const measured = kb.evidenceFor(f.rule).find((e) => !f.benefit || f.benefit.includes(e.gpu.split(' ').at(-1)!));
  const fix = opts.fix?.fixes[0];
  const fixLead = fix ? `Quick fix${fix.safe ? '' : ' to review'}` : opts.fix?.reason ? 'No quick fix' : '';
  const fixAlone = fix ? `**Quick fix** ${fix.safe ? 'available' : 'to review'}` : '**No quick fix**';
  const fixText = fix?.title ?? opts.fix?.reason ?? '';
  const sep = ' · ';
  // the measurement record whole; else the rule's own words in up to two lines, only its clauses with a number where it has some
  const benefit = f.benefit ?? technique?.measured;
  const buysPart = measured ? `**Buys:** ${evidenceBrief(measured)}` : benefit ? field('Buys', measuredPart(benefit), 2 * HOVER_LINE - (fixLead ? sep.length + fixLead.length : 0)) : '';
  const fixRoom = (visibleText(buysPart).length > HOVER_LINE ? 2 : 1) * HOVER_LINE - (buysPart ? visibleText(buysPart).length + sep.length : 0) - fixLead.length - 2;
  const fixPart = !fixLead ? '' : fixText && fixRoom >= 12 ? `**${fixLead}:** ${clip(fixText, fixRoom)}` : fixAlone;
  if (buysPart || fixPart) out.push([buysPart, fixPart].filter(Boolean).join(sep));
  out.push(field('Sure', [SURE[f.confidence], ...f.assumptions].join('; ')));
  // the two most relevant papers, one short line each (the citation formatter's short form)
  const papers = f.citations.map((id) => kb.paper(id)).filter((p): p is Paper => !!p);
  out.push(...papers.slice(0, 2).map((p) => formatCitation(p, 'markdown', { short: true })));
  const name = technique?.name ?? kb.rule(f.rule)?.title ?? f.rule;
  const all = kb.citationsFor(f.rule).length || papers.length;
  // the Explain view, with this finding on top where the link can name it (its document and start)
  const ref: FindingRef | undefined = opts.uri ? { uri: opts.uri, line: f.range.start.line, character: f.range.start.column } : undefined;
  const target = opts.explainCommand ? commandLink('kernelAdvisor.explainRule', ref ? [f.rule, ref] : [f.rule]) : rulePageUrl(f.rule) ?? kb.rule(f.rule)?.docs;
  if (target) {
    const link = (label: string) => `**${name}:** [${label}](${target})`;
    const full = link(`${all ? `all ${all} papers, ` : ''}when it pays off and when not`);
    out.push(visibleText(full).length <= HOVER_LINE ? full : link(all ? `all ${all} papers` : 'explained'));
  } else out.push(`**${name}**`);
  // one paragraph, a line break ("two spaces") between lines: paragraphs would add their margins
  return out.join('  \n');
}

/** A finding the Explain view shows above its rule's explanation: its document, and its fixes or why there is none. */
export interface ExplainedFinding {
  finding: Finding;
  uri: string;
  fix?: FixOutcome;
}

/** The name of a document for people: the last segment of its URI, decoded (`matmul.cu`, `Untitled-1`). */
function documentName(uri: string): string {
  const last = uri.slice(Math.max(uri.lastIndexOf('/'), uri.indexOf(':')) + 1) || uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** `text` as the content of a code span, whatever backticks it holds. */
const codeSpan = (text: string) => {
  const ticks = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((t) => t.length)) + 1);
  return ticks.length > 1 ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
};

/**
 * The "This finding" section of the Explain view: everything the hover card cuts to a line.
 * Where it is, the diagnostic and its related lines, the whole "seen" and "what to do"
 * text, what it buys (and the rule's measurement of the fix where it applies), each quick
 * fix or why there is none, how sure and every assumption.
 */
export function findingMarkdown(x: ExplainedFinding, kb: KnowledgeBase): string {
  const f = x.finding;
  const where = `Line ${f.range.start.line + 1} of ${codeSpan(documentName(x.uri))}${f.function ? `, in ${codeSpan(f.function)}` : ''}:`;
  const out = [where, '', `> ${f.message.replace(/\n+/g, ' ')}`];
  if (f.related.length) out.push('', ...f.related.map((r) => `- line ${r.range.start.line + 1}: ${r.message}`));
  // detail: "what was seen" paragraph, then "what to do" (rules/common/detail.ts); one paragraph alone is what to do
  const [seen, ...todo] = (f.detail ?? '').split(/\n\s*\n/).map((p) => p.trim());
  const remedy = todo.length ? todo : seen ? [seen] : [];
  // a label runs into its text's first paragraph, unless that is a list, quote, table or code block
  const labelled = (label: string, paragraphs: string[]) =>
    /^([-*+>|#]|\d+[.)]|```|~~~)/.test(paragraphs[0]) ? ['', `**${label}:**`, ...paragraphs.flatMap((p) => ['', p])] : ['', `**${label}:** ${paragraphs[0]}`, ...paragraphs.slice(1).flatMap((p) => ['', p])];
  if (todo.length && seen) out.push(...labelled('Seen', [seen]));
  if (remedy.length) out.push(...labelled('What to do', remedy));
  // the finding's own figure, and the rule's measurement of its fix where it applies (as the hover picks it)
  const measured = kb.evidenceFor(f.rule).find((e) => !f.benefit || f.benefit.includes(e.gpu.split(' ').at(-1)!));
  const benefit = f.benefit ?? (measured ? undefined : kb.techniquesFor(f.rule)[0]?.measured);
  if (benefit) out.push('', `**What it buys:** ${benefit}`);
  if (measured) out.push('', `**${f.benefit ? 'Measured' : 'What it buys'}:** ${evidenceLine(measured)}`);
  const fixes = x.fix?.fixes ?? f.fixes;
  const review = (fix: Fix) => (fix.safe ? '' : ' (to review: Fix All leaves it out)');
  if (fixes.length === 1) out.push('', `**Quick fix:** ${fixes[0].title}${review(fixes[0])}`);
  else if (fixes.length > 1) out.push('', '**Quick fixes** (the first preferred):', '', ...fixes.map((fix) => `- ${fix.title}${review(fix)}`));
  else if (x.fix?.reason) out.push('', `**No quick fix:** ${x.fix.reason}`);
  out.push('', `**How sure:** ${SURE[f.confidence]}${f.assumptions.length ? ', assuming:' : '.'}`);
  if (f.assumptions.length) out.push('', ...f.assumptions.map((a) => `- ${a}`));
  return out.join('\n');
}

/**
 * Markdown for "Explain rule" and the knowledge-base view. With a finding (the hover's
 * Explain link), a "This finding" section comes first; 'gone' when the link's finding is
 * no longer reported (the file was edited or closed since).
 */
export function explainMarkdown(ruleId: string, kb: KnowledgeBase, here?: ExplainedFinding | 'gone'): string {
  const rule = kb.rule(ruleId);
  if (!rule) return `Unknown rule \`${ruleId}\`.`;
  const out = [`# ${rule.title}`, '', `Rule \`${rule.id}\``];
  if (here === 'gone') out.push('', '## This finding', '', '_It is no longer reported there: the file was edited or closed since. Hover the finding again to see it here._');
  else if (here) out.push('', '## This finding', '', findingMarkdown(here, kb));
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
export function codeActions(d: Diagnostic, ctx: ActionContext, kb: KnowledgeBase, fixes: readonly Fix[]): CodeAction[] {
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
