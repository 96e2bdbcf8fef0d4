// Unit tests of the LSP adapter: finding -> diagnostic, hover card, code actions, settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DISABLE_IN_WORKSPACE, HOVER_LINE, codeActions, commandLink, disableRuleEdit, explainMarkdown, findingMarkdown, hoverMarkdown, isFindingRef, skippedDiagnostic, toDiagnostic, diagnosticSupport, visibleText, type ActionContext } from '../../server/src/lsp/convert';
import { Engine } from '../../server/src/core/engine';
import { ALL_RULES } from '../../server/src/rules';
import { Settings } from '../../server/src/lsp/settings';
import { defaultKnowledge, formatCitation } from '../../server/src/core/knowledge';
import { validateConfig } from '../../server/src/core/config';
import type { Finding } from '../../server/src/core/types';
import { explainLink, linkArgs } from '../support/command-links';

const kb = defaultKnowledge();
const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'memory/uncoalesced-access',
  severity: 'warning',
  message: '`out[x * rows + y]` writes with a stride',
  range: { start: { line: 3, column: 29 }, end: { line: 3, column: 46 } },
  function: 'transpose',
  confidence: 'likely',
  assumptions: ['assumes `rows` is greater than 1'],
  benefit: 'up to 8x fewer transactions',
  related: [{ range: { start: { line: 1, column: 2 }, end: { line: 1, column: 9 } }, message: 'x comes from threadIdx.x' }],
  fixes: [],
  citations: kb.rule('memory/uncoalesced-access')!.papers,
  ...over,
});
const ctx = (over: Partial<ActionContext> = {}): ActionContext => ({
  uri: 'file:///w/a.cu',
  version: 7,
  eol: '\n',
  lines: ['a', 'b', 'c', '    out[x * rows + y] = 1;'],
  python: false,
  workspaceCommand: false,
  clientCommands: new Set(),
  ...over,
});

test('toDiagnostic keeps the range 0-based and carries code, source, docs and related, and no fixes', () => {
  const d = toDiagnostic(finding(), 'file:///w/a.cu', kb);
  assert.deepEqual(d.range, { start: { line: 3, character: 29 }, end: { line: 3, character: 46 } });
  assert.equal(d.severity, 2);
  assert.equal(d.code, 'memory/uncoalesced-access');
  assert.equal(d.source, 'kernel-advisor');
  assert.match(d.codeDescription?.href ?? '', /^(https:\/\/|file:\/\/).*docs\/rules\/memory\/uncoalesced-access\.md$/, 'the rule id opens its page');
  assert.equal(d.relatedInformation?.[0].location.uri, 'file:///w/a.cu');
  assert.equal(d.relatedInformation?.[0].location.range.start.character, 2);
  const withFix = toDiagnostic(finding({ fixes: [{ title: 't', edits: [] }] }), 'file:///w/a.cu', kb);
  assert.equal(withFix.data, undefined, 'fixes stay on the server: the payload is published on every keystroke');
  assert.equal(toDiagnostic(finding({ severity: 'hint' }), 'u', kb).severity, 4);
});

test('toDiagnostic sends only what the client shows: no empty related list, no link or related list it did not ask for', () => {
  const alone = toDiagnostic(finding({ related: [] }), 'file:///w/a.cu', kb);
  assert.equal('relatedInformation' in alone, false, 'an empty list is left out of every publish');
  const plain = toDiagnostic(finding(), 'file:///w/a.cu', kb, diagnosticSupport({}));
  assert.equal('codeDescription' in plain, false);
  assert.equal('relatedInformation' in plain, false);
  assert.equal(plain.code, 'memory/uncoalesced-access', 'the rule id stays');
  const full = toDiagnostic(finding(), 'file:///w/a.cu', kb, diagnosticSupport({ codeDescriptionSupport: true, relatedInformation: true }));
  assert.ok(full.codeDescription?.href);
  assert.equal(full.relatedInformation?.length, 1);
});

/** The lines of a hover card, and how many lines of about HOVER_LINE characters they take. */
const cardLines = (md: string) => md.split('  \n');
const rendered = (lines: string[]) => lines.reduce((n, l) => n + Math.max(1, Math.ceil(visibleText(l).length / HOVER_LINE)), 0);
/** The lines before the papers (the short citations: a linked title first). */
const beforePapers = (md: string) => cardLines(md).filter((l, i, all) => i < all.findIndex((x) => /^\[[^\]]+\]\(https?:/.test(x)));

test('the hover card: one paragraph of short lines: seen, do, buys, sure, two papers, the technique with the full explanation', () => {
  const f = finding({ detail: 'Consecutive threads write `rows` floats apart.\n\nSwap the index so threadIdx.x moves the last one. Then every warp writes one segment.' });
  const md = hoverMarkdown(f, kb, { explainCommand: true });
  assert.doesNotMatch(md, /\n\s*\n/, 'one paragraph: each paragraph adds its margins to the hover');
  const lines = cardLines(md);
  assert.match(lines[0], /^\*\*Seen:\*\* Consecutive threads write `rows` floats apart\.$/);
  assert.equal(lines[1], '**Do:** Swap the index so threadIdx.x moves the last one.', 'what to do: its first sentence');
  assert.doesNotMatch(md, /writes with a stride/, 'the diagnostic, shown above the card, is not repeated');
  assert.equal(lines[2], '**Buys:** up to 8x fewer transactions', "the finding's own figure: it is not from the GPU of the rule's measurement");
  assert.equal(lines[3], '**Sure:** likely; assumes `rows` is greater than 1');
  const [key, second, third] = f.citations.map((id) => kb.paper(id)!);
  assert.equal(lines[4], formatCitation(key, 'markdown', { short: true }), 'the key citation, by the one formatter');
  assert.ok(lines[5].includes(`](${second.url})`));
  assert.ok(third && !md.includes(third.url), 'only the two most relevant papers');
  assert.equal(lines.length, 7);
  assert.equal(lines[6], `**Coalesced memory access:** [all ${kb.citationsFor(f.rule).length} papers, when it pays off and when not](command:kernelAdvisor.explainRule?${encodeURIComponent('["memory/uncoalesced-access"]')})`);
  for (const l of lines) assert.ok(visibleText(l).length <= HOVER_LINE, `one line each: ${l}`);
  // a client without the command gets the rule's page; a finding without detail gets the technique
  const plain = hoverMarkdown(finding(), kb);
  assert.doesNotMatch(plain, /command:/);
  assert.match(plain, /\n\*\*Coalesced memory access:\*\* \[all \d+ papers, when it pays off and when not\]\((https|file):\/\/[^)]+\)$/);
  assert.match(plain, /^\*\*Technique:\*\* /);
});

test('the hover leaves out what the diagnostic above it already says, and cuts long texts to a line', () => {
  const repeated = finding({ detail: '`out[x * rows + y]` writes with a stride.\n\nSwap the index.' });
  assert.match(hoverMarkdown(repeated, kb), /^\*\*Do:\*\* Swap the index\.  \n/, 'a "seen" sentence that repeats the diagnostic is left out');
  const long = finding({
    detail: 'Consecutive threads write `rows` floats apart, so each warp request touches 32 sectors where 4 would do (with 4-byte floats), on every call.\n\n'
      + 'Have each thread move 4 consecutive elements at once (`float4`; reinterpret_cast the pointers), with a scalar loop for the tail. Launch a quarter of the blocks.',
    assumptions: ['assumes `rows` is greater than 32 at run time (a warp spans consecutive threadIdx.x values)', 'assumes the kernel is launched with blockDim.x of at least 32'],
  });
  const lines = cardLines(hoverMarkdown(long, kb));
  assert.equal(lines[0], '**Seen:** Consecutive threads write `rows` floats apart…', 'cut after a clause, the cut marked');
  assert.equal(lines[1], '**Do:** Have each thread move 4 consecutive elements at once, with a scalar loop for the tail.', 'its first sentence, its asides left out to fit');
  assert.equal(lines[3], '**Sure:** likely; assumes `rows` is greater than 32 at run time…');
  const code = finding({ detail: 'x\n\nSwap the index so that threadIdx.x moves the last one with `out[y * rows + x] = in[x * cols + y] * scale + bias[y]` in the loop.' });
  const cut = cardLines(hoverMarkdown(code, kb))[0];
  assert.ok(visibleText(cut).length <= HOVER_LINE && cut.endsWith('…') && cut.split('`').length === 1, `never inside a code span: ${cut}`);
});

test('the hover says what the fix buys as measured (figure, GPU, size) and the quick fix, or why there is none, on one line', () => {
  const f = finding({ detail: 'Consecutive threads write `rows` floats apart.\n\nSwap the index.', benefit: undefined });
  const fix = { title: 'Swap the thread-index roles of `transpose`', edits: [], safe: true };
  const md = hoverMarkdown(f, kb, { fix: { fixes: [fix] } });
  assert.match(md, /\n\*\*Buys:\*\* [\d.]+× on H200 \([^)]*\d[^)]*\) · \*\*Quick fix:\*\* Swap the thread-index roles( of `transpose`|…)  \n/, 'the fix title, cut to what is left of the line');
  assert.match(hoverMarkdown(f, kb), /\n\*\*Buys:\*\* [\d.]+× on H200 \([^)]+\)  \n/, 'without an outcome the measurement stands alone');
  assert.match(hoverMarkdown(f, kb, { fix: { fixes: [{ ...fix, safe: false }] } }), / · \*\*Quick fix to review:\*\* Swap/);
  assert.match(hoverMarkdown(f, kb, { fix: { fixes: [], reason: 'the kernel reads `x[i + 1]`' } }), / · \*\*No quick fix:\*\* the kernel reads `x\[i \+ 1\]`  \n/);
  const cpu = finding({ detail: 'x\n\ny', benefit: "on this workplace's x86-64 (gcc -O3), a 1024³ fp32 matmul went 27–40x faster in i-k-j order" });
  assert.match(hoverMarkdown(cpu, kb), /\*\*Buys:\*\* on this workplace's x86-64 \(gcc -O3\), a 1024³ fp32 matmul went 27–40x faster/, 'a figure measured elsewhere than on the GPU of the record stays');
  assert.ok(beforePapers(md).length <= 4, `short before the papers:\n${md}`);
});

test('the hover cites in the short form of the one citation formatter: linked title, venue and year once, one line', () => {
  const short = (id: string) => formatCitation(kb.paper(id)!, 'text', { short: true });
  assert.equal(short('wahib2014scalable'), '"Scalable kernel fusion for memory-bound GPU applications", SC 2014');
  assert.equal(short('alur2017gpudrano'), '"GPUDrano: Detecting Uncoalesced Accesses in GPU Programs", CAV 2017');
  assert.equal(short('chen2018tvm'), '"TVM: An Automated End-to-End Optimizing Compiler for Deep Learning", OSDI 2018');
  assert.equal(short('dao2022flashattention'), '"FlashAttention", Advances in Neural Information Processing Systems 2022', 'the title before its colon where the line would be long');
  assert.equal(short('nvidia-cuda-best-practices'), '"CUDA C++ Best Practices Guide", NVIDIA documentation');
  for (const p of kb.papers.values()) {
    const md = formatCitation(p, 'markdown', { short: true });
    assert.ok(md.startsWith('[') && md.includes(`](${p.url}), `), `the title linked: ${md}`);
    assert.ok(visibleText(md).length <= HOVER_LINE, `one line: ${md}`);
    if (p.year !== undefined) assert.equal(visibleText(md).split(String(p.year)).length, 2, `the year once: ${md}`);
  }
});

test('the hover\'s Explain link names the finding (its document and start) where the server knows the document; else the rule alone', () => {
  const f = finding({ detail: 'Consecutive threads write `rows` floats apart.\n\nSwap the index. Then every warp writes one segment.' });
  const uri = 'file:///w/my%20kernels/a%28b%29.cu';
  const md = hoverMarkdown(f, kb, { explainCommand: true, uri });
  const link = explainLink(md);
  assert.ok(link, `ends on the Explain link:\n${md}`);
  assert.doesNotMatch(link, /[()\s]/, 'no parenthesis or space to end the markdown link early');
  assert.deepEqual(linkArgs(link), ['memory/uncoalesced-access', { uri: 'file:///w/my kernels/a(b).cu', line: 3, character: 29 }], 'VS Code decodes the query twice: the server matches the URI decoded');
  assert.deepEqual(linkArgs(commandLink('x', ['a', { uri: 'file:///w/a.cu', line: 0, character: 1 }])), ['a', { uri: 'file:///w/a.cu', line: 0, character: 1 }]);
  assert.ok(link.length < 200, `a short link on every hover: ${link.length} characters`);
  // what the reader sees is the card it was: the link text only
  assert.equal(visibleText(md), visibleText(hoverMarkdown(f, kb, { explainCommand: true })));
  // the code action's and the palette's one-argument form stays; other editors get the rule's page
  assert.deepEqual(linkArgs(explainLink(hoverMarkdown(f, kb, { explainCommand: true }))!), ['memory/uncoalesced-access']);
  assert.doesNotMatch(hoverMarkdown(f, kb, { uri }), /command:/);
  assert.ok(isFindingRef({ uri, line: 3, character: 29 }));
  for (const bad of [null, 'x', { uri }, { uri: '', line: 0, character: 0 }, { uri, line: -1, character: 0 }, { uri, line: 1.5, character: 0 }, { uri: 7, line: 0, character: 0 }]) assert.equal(isFindingRef(bad), false, JSON.stringify(bad));
});

test('the Explain view of a finding: "This finding" first, with everything the hover cuts, then the rule as before', () => {
  const todo = 'Have each thread move 4 consecutive elements at once (`float4`; reinterpret_cast the pointers), with a scalar loop for the tail. Launch a quarter of the blocks.';
  const seen = 'Consecutive threads write `rows` floats apart, so each warp request touches 32 sectors where 4 would do (with 4-byte floats), on every call.';
  const f = finding({
    detail: `${seen}\n\n${todo}\n\nThe reads stay as they are.`,
    assumptions: ['assumes `rows` is greater than 32 at run time (a warp spans consecutive threadIdx.x values)', 'assumes the kernel is launched with blockDim.x of at least 32'],
  });
  const fix = { title: 'Swap the thread-index roles of `transpose` so that `threadIdx.x` moves the last index of every access', edits: [], safe: false };
  const rule = explainMarkdown(f.rule, kb);
  const md = explainMarkdown(f.rule, kb, { finding: f, uri: 'file:///w/my%20kernels/a.cu', fix: { fixes: [fix] } });
  const [head, rest] = md.split('\n## This finding\n\n');
  assert.equal(head, rule.slice(0, rule.indexOf('\n## ')), 'after the title and the rule id');
  assert.ok(rest.endsWith(rule.slice(rule.indexOf('\n## '))), 'then the rule\'s explanation, as it was');
  const section = rest.slice(0, rest.indexOf('\n## ')).trimEnd();
  assert.equal(section.trim(), findingMarkdown({ finding: f, uri: 'file:///w/my%20kernels/a.cu', fix: { fixes: [fix] } }, kb).trim());
  assert.match(section, /^Line 4 of `a\.cu`, in `transpose`:\n\n> `out\[x \* rows \+ y\]` writes with a stride\n\n- line 2: x comes from threadIdx\.x\n/, 'where, the diagnostic and its related lines');
  assert.ok(section.includes(`\n**Seen:** ${seen}\n`), 'the whole "seen" paragraph');
  assert.ok(section.includes(`\n**What to do:** ${todo}\n\nThe reads stay as they are.\n`), 'every "what to do" paragraph, whole');
  assert.ok(section.includes('\n**What it buys:** up to 8x fewer transactions\n'));
  assert.ok(section.includes(`\n**Quick fix:** ${fix.title} (to review: Fix All leaves it out)\n`), 'the fix title, whole');
  assert.ok(section.endsWith('\n**How sure:** likely, assuming:\n\n- assumes `rows` is greater than 32 at run time (a warp spans consecutive threadIdx.x values)\n- assumes the kernel is launched with blockDim.x of at least 32'), 'every assumption, whole');
  // every field the hover cut ("…") is whole here
  for (const line of cardLines(hoverMarkdown(f, kb, { fix: { fixes: [fix] } })).filter((l) => l.endsWith('…'))) {
    const cut = line.replace(/^\*\*[^*]+:\*\* /, '').replace(/…$/, '').replace(/^.* · \*\*[^*]+:\*\* /, '');
    for (const piece of cut.split('; ')) assert.ok(section.includes(piece.split(' (')[0]), `the hover's "${line}" is whole in the view`);
  }
  // no fix: the reason; several: each; a finding that is gone says so
  assert.match(findingMarkdown({ finding: f, uri: 'u', fix: { fixes: [], reason: 'the kernel reads `x[i + 1]`' } }, kb), /\n\*\*No quick fix:\*\* the kernel reads `x\[i \+ 1\]`\n/);
  const two = findingMarkdown({ finding: f, uri: 'u', fix: { fixes: [{ ...fix, safe: true }, { title: 'Other', edits: [] }] } }, kb);
  assert.match(two, /\n\*\*Quick fixes\*\* \(the first preferred\):\n\n- Swap the thread-index roles[^\n]*every access\n- Other \(to review: Fix All leaves it out\)\n/);
  assert.match(findingMarkdown({ finding: finding({ assumptions: [], detail: '- a list\n- of steps' }), uri: 'u' }, kb), /\n\*\*What to do:\*\*\n\n- a list\n- of steps\n[^]*\*\*How sure:\*\* likely\.$/, 'a list keeps its own lines; no assumptions, none listed');
  assert.match(explainMarkdown(f.rule, kb, 'gone'), /^# [^\n]+\n\nRule `memory\/uncoalesced-access`\n\n## This finding\n\n_It is no longer reported there/);
  assert.equal(explainMarkdown('no/such-rule', kb, { finding: f, uri: 'u' }), 'Unknown rule `no/such-rule`.');
});

test('every rule\'s fixture findings get a hover that fits: at most 12 lines before the papers, one line per paper', async () => {
  const engine = await Engine.create();
  const rulesDir = join(__dirname, '..', '..', 'server', 'src', 'rules');
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  const seen = new Set<string>();
  for (const file of walk(rulesDir).filter((p) => basename(dirname(p)) === 'fixtures')) {
    const text = readFileSync(file, 'utf8');
    const { findings } = engine.analyzeText(file, text);
    const outcomes = engine.fixOutcomes(file, text, findings);
    for (const f of findings) {
      seen.add(f.rule);
      const md = hoverMarkdown(f, kb, { explainCommand: true, uri: `file://${file}`, fix: outcomes.get(f) });
      const head = beforePapers(md);
      const where = `${f.rule} at ${file}:${f.range.start.line + 1}:\n${md}`;
      assert.ok(head.length >= 3 && rendered(head) <= 12, `at most 12 lines before the papers, ${where}`);
      assert.ok(rendered(head) <= 6 && rendered(cardLines(md)) <= 9, `in VS Code's 250 px hover box with the diagnostic (6 lines before the papers, 9 in all), ${where}`);
      const papers = cardLines(md).slice(head.length, -1);
      assert.ok(papers.length >= 1 && papers.length <= 2 && papers.every((l) => visibleText(l).length <= HOVER_LINE), `one line per paper, ${where}`);
      assert.match(md, /\]\(command:kernelAdvisor\.explainRule\?[^)]+\)$/, `ends on the link to the full explanation, ${where}`);
    }
  }
  assert.deepEqual([...seen].sort(), ALL_RULES.map((r) => r.id).sort(), 'every rule fires in its fixtures');
});

test('skipped files get one information diagnostic at the top', () => {
  const d = skippedDiagnostic('skipped: the file is 2048 KiB, over the 1024 KiB limit');
  assert.equal(d.severity, 3);
  assert.equal(d.range.start.line, 0);
  assert.match(String(d.message), /^Kernel Advisor skipped: the file is 2048 KiB/);
});

/** The one TextDocumentEdit of a code action's edit (documentChanges, never unversioned changes). */
function docEdit(edit: WorkspaceEdit | undefined): { textDocument: TextDocumentEdit['textDocument']; edits: TextEdit[] } {
  assert.equal(edit?.changes, undefined, 'no unversioned changes');
  assert.equal(edit?.documentChanges?.length, 1);
  return edit!.documentChanges![0] as { textDocument: TextDocumentEdit['textDocument']; edits: TextEdit[] };
}

test('code actions: fixes first and preferred, then suppression; every edit carries the version it was computed for', () => {
  const fix = { title: 'Swap the index', edits: [{ range: { start: { line: 3, column: 8 }, end: { line: 3, column: 20 } }, newText: 'y * cols + x' }] };
  const d = toDiagnostic(finding(), 'file:///w/a.cu', kb);
  const actions = codeActions(d, ctx(), kb, [fix, { ...fix, title: 'Other' }]);
  assert.equal(actions[0].title, 'Swap the index');
  assert.equal(actions[0].isPreferred, true);
  assert.equal(actions[1].isPreferred, false);
  assert.deepEqual(docEdit(actions[0].edit).textDocument, { uri: 'file:///w/a.cu', version: 7 });
  assert.equal(docEdit(actions[0].edit).edits[0].newText, 'y * cols + x');
  const disable = actions.find((a) => a.title === 'Disable memory/uncoalesced-access for this line')!;
  assert.deepEqual(docEdit(disable.edit).textDocument, { uri: 'file:///w/a.cu', version: 7 });
  assert.equal(docEdit(disable.edit).edits[0].newText, '    // kernel-advisor-disable-next-line memory/uncoalesced-access\n');
  assert.equal(actions.some((a) => a.title.startsWith('Open paper')), false, 'no client command declared');
  assert.equal(actions.some((a) => a.title.endsWith('in this workspace')), false, 'no workspace, no workspace action');
  const py = codeActions(d, ctx({ python: true }), kb, []).find((a) => a.title.endsWith('for this line'))!;
  assert.match(docEdit(py.edit).edits[0].newText, /^\s*# kernel-advisor-disable/);
  const none = codeActions(d, ctx(), kb, []);
  assert.equal(none[0].title, 'Disable memory/uncoalesced-access for this line', 'without fixes the menu starts with the disables');
});

test('disable in workspace is a server command, computed when it runs; open paper and explain are client commands', () => {
  const d = toDiagnostic(finding(), 'file:///w/a.cu', kb);
  const disable = codeActions(d, ctx({ workspaceCommand: true }), kb, []).find((a) => a.title.endsWith('in this workspace'))!;
  assert.equal(disable.edit, undefined);
  assert.deepEqual(disable.command, { title: 'Disable memory/uncoalesced-access in this workspace', command: DISABLE_IN_WORKSPACE, arguments: ['memory/uncoalesced-access'] });
  const withCommands = codeActions(d, ctx({ clientCommands: new Set(['kernelAdvisor.openPaper', 'kernelAdvisor.explainRule']) }), kb, []);
  const open = withCommands.filter((a) => a.title.startsWith('Open paper: '));
  assert.ok(open.length >= 1);
  assert.match(String(open[0].command!.arguments![0]), /^https?:\/\//);
  // with no fix, the menu opens on the explanation, and disabling comes last
  assert.equal(withCommands[0].command!.command, 'kernelAdvisor.explainRule');
  assert.equal(withCommands.at(-1)!.title, 'Disable memory/uncoalesced-access for this line');
  const fixed = codeActions(d, ctx({ clientCommands: new Set(['kernelAdvisor.explainRule']), workspaceCommand: true }), kb, [{ title: 'Swap the index', edits: [] }]);
  assert.deepEqual(fixed.map((a) => a.title), ['Swap the index', 'Explain memory/uncoalesced-access', 'Disable memory/uncoalesced-access for this line', 'Disable memory/uncoalesced-access in this workspace']);
});

/** .kernel-advisor.json after the "disable in workspace" edit of `rule`, or the refusal. */
function disabled(text: string | null, rule = 'memory/uncoalesced-access'): string {
  const r = disableRuleEdit(rule, { uri: 'file:///w/.kernel-advisor.json', text });
  if ('error' in r) return `error: ${r.error}`;
  const changes = r.edit.documentChanges!;
  const edit = changes.at(-1) as TextDocumentEdit;
  assert.equal(edit.textDocument.version, null, 'the config file is not a synced document');
  if (text === null) assert.deepEqual(changes[0], { kind: 'create', uri: 'file:///w/.kernel-advisor.json', options: { ignoreIfExists: true } });
  return TextDocument.applyEdits(TextDocument.create('x', 'json', 0, text ?? ''), edit.edits as TextEdit[]);
}

test('disable in workspace writes only its entry: comments, formatting and other settings stay', () => {
  assert.deepEqual(JSON.parse(disabled(null)), { rules: { 'memory/uncoalesced-access': 'off' } });
  assert.deepEqual(JSON.parse(disabled('')), { rules: { 'memory/uncoalesced-access': 'off' } });
  assert.equal(
    disabled('{\n  // team settings\n  "languages": ["cuda"],\n  "rules": {\n    "tiling/shared-memory": "hint" // noisy here\n  }\n}\n'),
    '{\n  // team settings\n  "languages": ["cuda"],\n  "rules": {\n    "tiling/shared-memory": "hint", // noisy here\n    "memory/uncoalesced-access": "off"\n  }\n}\n',
  );
  assert.equal(disabled('{\r\n\t"maxFileSizeKb": 200\r\n}\r\n'), '{\r\n\t"maxFileSizeKb": 200,\r\n\t"rules": { "memory/uncoalesced-access": "off" }\r\n}\r\n');
  assert.equal(disabled('{"rules": {"memory/uncoalesced-access": "warning"}}'), '{"rules": {"memory/uncoalesced-access": "off"}}');
  assert.equal(disabled('{"rules": {"tiling/shared-memory": "hint"}}'), '{"rules": {"tiling/shared-memory": "hint", "memory/uncoalesced-access": "off"}}');
  assert.equal(disabled('{\n  "rules": {\n    "tiling/shared-memory": "hint",\n  },\n}'), '{\n  "rules": {\n    "tiling/shared-memory": "hint",\n    "memory/uncoalesced-access": "off",\n  },\n}');
  assert.match(disabled('{ "rules": '), /^error: .* does not parse .* left as it is/);
  assert.match(disabled('[1, 2]'), /^error: .* does not hold an object/);
  assert.match(disabled('{"rules": ["x"]}'), /^error: "rules" .* is not an object/);
});

test('diagnostics from other tools get no actions', () => {
  assert.deepEqual(codeActions({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 'x', source: 'clangd' }, ctx(), kb, []), []);
});

test('config validation names each bad value and keeps the good ones', () => {
  const { config, problems } = validateConfig({ rules: { 'tiling/shared-memory': 'hint', 'memory/uncoalesced-access': 'loud', 'x/y': 'off' }, languages: ['cuda', 'fortran'], maxFileSizeKb: 'big' });
  assert.deepEqual(config.rules, { 'tiling/shared-memory': 'hint' });
  assert.deepEqual(config.languages, ['cuda']);
  assert.equal(config.maxFileSizeKb, 1024);
  assert.equal(problems.length, 3, problems.join('\n')); // one per setting, not one per bad entry
  assert.ok(problems.some((p) => p.includes('"loud"')));
  assert.ok(problems.some((p) => p.includes('unknown rule "x/y"')));
  assert.ok(problems.some((p) => p.includes('"fortran"')));
  assert.ok(problems.some((p) => p.includes('maxFileSizeKb')));
  assert.equal(validateConfig('nonsense').problems.length, 1);
});

test('settings: .kernel-advisor.json overrides editor rules; each problem is reported once', () => {
  const reports: string[][] = [];
  const s = new Settings((p) => reports.push(p));
  s.update({ rules: { 'tiling/shared-memory': 'warning' }, maxFileSizeKb: 10 }, '{"rules": {"tiling/shared-memory": "off"}}', '.kernel-advisor.json');
  assert.equal(s.config.rules['tiling/shared-memory'], 'off');
  assert.equal(s.config.maxFileSizeKb, 10);
  s.update({}, '{ broken', '.kernel-advisor.json');
  s.update({}, '{ broken', '.kernel-advisor.json');
  assert.equal(reports.length, 1);
  assert.match(reports[0][0], /not valid JSON/);
  assert.deepEqual(s.config.rules, {});
});

test('settings: the analysis budgets come from the editor or the file (the file wins); a bad one is said once and left at its default', () => {
  const reports: string[][] = [];
  const s = new Settings((p) => reports.push(p));
  s.update({ functionBudgetMs: 50, fileBudgetMs: 500 }, '{"fileBudgetMs": 900}', '.kernel-advisor.json');
  assert.equal(s.config.functionBudgetMs, 50);
  assert.equal(s.config.fileBudgetMs, 900);
  s.update({ functionBudgetMs: 'fast' }, null, '.kernel-advisor.json');
  assert.equal(s.config.functionBudgetMs, undefined, 'the default (200 ms) applies');
  assert.match(reports.flat().join('\n'), /"functionBudgetMs" must be a number of milliseconds/);
});

test('settings: one message per setting however many entries are bad; unusable languages fall back to the defaults', () => {
  const reports: string[][] = [];
  const s = new Settings((p) => reports.push(p));
  const rules = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`no/such-${i}`, 'off']));
  s.update({ rules: { ...rules, 'tiling/shared-memory': 'loud', 'memory/uncoalesced-access': 'hint' }, languages: [1, null, {}] }, null, '.kernel-advisor.json');
  assert.equal(reports.length, 1);
  assert.equal(reports[0].length, 2, reports[0].join('\n'));
  assert.match(reports[0].find((p) => p.includes('"rules"'))!, /no\/such-0.*tiling\/shared-memory/s);
  assert.match(reports[0].find((p) => p.includes('"languages"'))!, /default languages \(cuda, cpp, c, triton\)/);
  assert.deepEqual(s.config.languages, ['cuda', 'cpp', 'c', 'triton']);
  assert.deepEqual(s.config.rules, { 'memory/uncoalesced-access': 'hint' }, 'bad entries fall back, good ones apply');
  s.update({ languages: ['fortran'] }, null, '.kernel-advisor.json');
  assert.deepEqual(s.config.languages, ['cuda', 'cpp', 'c', 'triton']);
  s.update({ languages: ['triton', 'fortran'] }, null, '.kernel-advisor.json');
  assert.deepEqual(s.config.languages, ['triton'], 'a usable entry is kept');
  s.update({ languages: [] }, null, '.kernel-advisor.json');
  assert.deepEqual(s.config.languages, [], 'an explicit empty list is a choice');
});
