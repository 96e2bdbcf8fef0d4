// Unit tests of the LSP adapter: finding -> diagnostic, hover card, code actions, settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeActions, hoverMarkdown, skippedDiagnostic, toDiagnostic, type ActionContext } from '../../server/src/lsp/convert';
import { Settings } from '../../server/src/lsp/settings';
import { defaultKnowledge } from '../../server/src/core/knowledge';
import { validateConfig } from '../../server/src/core/config';
import type { Finding } from '../../server/src/core/types';

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
  lines: ['a', 'b', 'c', '    out[x * rows + y] = 1;'],
  python: false,
  clientCommands: new Set(),
  ...over,
});

test('toDiagnostic keeps the range 0-based and carries code, source, docs, related and data', () => {
  const d = toDiagnostic(finding(), 'file:///w/a.cu', kb);
  assert.deepEqual(d.range, { start: { line: 3, character: 29 }, end: { line: 3, character: 46 } });
  assert.equal(d.severity, 2);
  assert.equal(d.code, 'memory/uncoalesced-access');
  assert.equal(d.source, 'kernel-advisor');
  assert.equal(d.codeDescription?.href, kb.rule('memory/uncoalesced-access')!.docs);
  assert.equal(d.relatedInformation?.[0].location.uri, 'file:///w/a.cu');
  assert.equal(d.relatedInformation?.[0].location.range.start.character, 2);
  assert.equal(d.data, undefined, 'no data without fixes (the payload is published on every keystroke)');
  const withFix = toDiagnostic(finding({ fixes: [{ title: 't', edits: [] }] }), 'file:///w/a.cu', kb);
  assert.deepEqual((withFix.data as { fixes: unknown[] }).fixes.length, 1);
  assert.equal(toDiagnostic(finding({ severity: 'hint' }), 'u', kb).severity, 4);
});

test('the hover card names the technique, what it buys, how sure, and resolvable papers', () => {
  const md = hoverMarkdown(finding(), kb);
  assert.match(md, /`memory\/uncoalesced-access`/);
  assert.match(md, /What it usually buys:\*\* up to 8x/);
  assert.match(md, /How sure:\*\* likely — assumes `rows` is greater than 1/);
  for (const id of finding().citations) assert.ok(md.includes(kb.paper(id)!.url), `cites ${id}`);
});

test('skipped files get one information diagnostic at the top', () => {
  const d = skippedDiagnostic('skipped: the file is 2048 KiB, over the 1024 KiB limit');
  assert.equal(d.severity, 3);
  assert.equal(d.range.start.line, 0);
  assert.match(String(d.message), /^Kernel Advisor skipped: the file is 2048 KiB/);
});

test('code actions: fixes first and preferred, then suppression with the line indentation', () => {
  const fix = { title: 'Swap the index', edits: [{ range: { start: { line: 3, column: 8 }, end: { line: 3, column: 20 } }, newText: 'y * cols + x' }] };
  const d = toDiagnostic(finding({ fixes: [fix, { ...fix, title: 'Other' }] }), 'file:///w/a.cu', kb);
  const actions = codeActions(d, ctx(), kb);
  assert.equal(actions[0].title, 'Swap the index');
  assert.equal(actions[0].isPreferred, true);
  assert.equal(actions[1].isPreferred, false);
  const disable = actions.find((a) => a.title === 'Disable memory/uncoalesced-access for this line')!;
  assert.equal(disable.edit!.changes!['file:///w/a.cu'][0].newText, '    // kernel-advisor-disable-next-line memory/uncoalesced-access\n');
  assert.equal(actions.some((a) => a.title.startsWith('Open paper')), false, 'no client command declared');
  const py = codeActions(d, ctx({ python: true }), kb).find((a) => a.title.endsWith('for this line'))!;
  assert.match(py.edit!.changes!['file:///w/a.cu'][0].newText, /^\s*# kernel-advisor-disable/);
});

test('disable in workspace keeps other settings and never rewrites an unreadable file', () => {
  const d = toDiagnostic(finding(), 'file:///w/a.cu', kb);
  const cfg = 'file:///w/.kernel-advisor.json';
  const keep = codeActions(d, ctx({ workspaceConfig: { uri: cfg, text: '{"maxFileSizeKb": 200, "rules": {"tiling/shared-memory": "hint"}}' } }), kb).find((a) => a.title.endsWith('in this workspace'))!;
  const written = JSON.parse(keep.edit!.changes![cfg][0].newText);
  assert.deepEqual(written, { maxFileSizeKb: 200, rules: { 'tiling/shared-memory': 'hint', 'memory/uncoalesced-access': 'off' } });
  const broken = codeActions(d, ctx({ workspaceConfig: { uri: cfg, text: '{ "rules": ' } }), kb);
  assert.equal(broken.some((a) => a.title.endsWith('in this workspace')), false);
  const withCommands = codeActions(d, ctx({ clientCommands: new Set(['kernelAdvisor.openPaper', 'kernelAdvisor.explainRule']) }), kb);
  const open = withCommands.filter((a) => a.title.startsWith('Open paper: '));
  assert.ok(open.length >= 1);
  assert.match(String(open[0].command!.arguments![0]), /^https?:\/\//);
  assert.equal(withCommands.at(-1)!.command!.command, 'kernelAdvisor.explainRule');
});

test('diagnostics from other tools get no actions', () => {
  assert.deepEqual(codeActions({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 'x', source: 'clangd' }, ctx(), kb), []);
});

test('config validation names each bad value and keeps the good ones', () => {
  const { config, problems } = validateConfig({ rules: { 'tiling/shared-memory': 'hint', 'memory/uncoalesced-access': 'loud', 'x/y': 'off' }, languages: ['cuda', 'fortran'], maxFileSizeKb: 'big' });
  assert.deepEqual(config.rules, { 'tiling/shared-memory': 'hint' });
  assert.deepEqual(config.languages, ['cuda']);
  assert.equal(config.maxFileSizeKb, 1024);
  assert.equal(problems.length, 4, problems.join('\n'));
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
