// SARIF 2.1.0 output for `kernel-advisor check --format sarif` (code-scanning UIs). Every
// rule carries its documentation page as `help`; results carry fingerprints that survive
// line shifts, related locations, the finding's confidence and assumptions, and fixes.
import type { ArtifactLocation, Fix as SarifFix, Log, Notification, Region, ReportingDescriptor, Result } from 'sarif';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { relative, resolve, sep } from 'node:path';
import { explainRuleText, type KnowledgeBase } from './core/knowledge';
import { RULE_IDS, type RuleId } from './core/ruleIds';
import type { Range, Severity } from './core/types';
import type { CheckReport } from './cli';
import { ruleRepositoryUrl } from './docs/links';
import { ruleMeta, rulePageBody } from './docs/rulePages';
import { RULE_TEXT } from './docs/ruleText';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/** The key of our fingerprint in `partialFingerprints` (versioned: a new scheme gets a new key). */
export const FINGERPRINT_KEY = 'kernelAdvisor/v1';

/** A path under the working directory is relative to %SRCROOT%; anything else is an absolute file: URI (no base). */
function artifactLocation(file: string, cwd: string): ArtifactLocation {
  const abs = resolve(file);
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') ? { uri: rel.split(sep).join('/'), uriBaseId: '%SRCROOT%' } : { uri: pathToFileURL(abs).href };
}

/** 0-based, end-exclusive core range → 1-based SARIF region (endColumn is exclusive there too). */
const region = (r: Range): Region => ({ startLine: r.start.line + 1, startColumn: r.start.column + 1, endLine: r.end.line + 1, endColumn: r.end.column + 1 });

/** The source text a range covers, whitespace collapsed; null when the file cannot be read back. */
function rangeText(lines: string[] | null, r: Range): string | null {
  if (!lines) return null;
  const picked = lines.slice(r.start.line, r.end.line + 1);
  if (picked.length === 0) return null;
  picked[picked.length - 1] = picked[picked.length - 1].slice(0, r.end.column); // cut the end first: on one line both cuts apply
  picked[0] = picked[0].slice(r.start.column);
  return picked.join('\n').replace(/\s+/g, ' ').trim();
}

function ruleDescriptor(id: RuleId, kb: KnowledgeBase): ReportingDescriptor {
  const entry = kb.rule(id);
  const { languages, defaultSeverity } = ruleMeta(id);
  const finds = RULE_TEXT[id].finds;
  return {
    id,
    name: id,
    shortDescription: { text: entry?.title ?? id },
    fullDescription: { text: finds.replace(/`/g, ''), markdown: finds },
    help: entry ? { text: explainRuleText(kb, id, languages), markdown: rulePageBody(id, kb) } : undefined,
    // the page in the repository when package.json names one, else the key paper (help holds the page either way)
    helpUri: ruleRepositoryUrl(id) ?? entry?.docs,
    defaultConfiguration: { level: LEVEL[defaultSeverity] },
    properties: { tags: ['performance', id.split('/')[0]], languages: [...languages], citations: entry?.papers ?? [] },
  };
}

export function toSarif(report: CheckReport, kb: KnowledgeBase, version: string, cwd: string): Log {
  const rules = RULE_IDS.map((id) => ruleDescriptor(id, kb));
  const sources = new Map<string, string[] | null>();
  const linesOf = (file: string) => {
    if (!sources.has(file)) {
      try {
        sources.set(file, readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')));
      } catch {
        sources.set(file, null);
      }
    }
    return sources.get(file)!;
  };
  const seen = new Map<string, number>();
  const results: Result[] = report.findings.map((f) => {
    const location = artifactLocation(f.file, cwd);
    // rule + function + flagged text: stable when lines move; the ordinal tells identical findings apart
    const text = rangeText(linesOf(f.file), f.range) ?? f.message;
    const hash = createHash('sha256').update(`${f.rule}\0${f.function ?? ''}\0${text}`).digest('hex').slice(0, 32);
    const nth = (seen.get(`${f.file}\0${hash}`) ?? 0) + 1;
    seen.set(`${f.file}\0${hash}`, nth);
    const fixes: SarifFix[] = f.fixes.map((fix) => ({
      description: { text: fix.title },
      artifactChanges: [{ artifactLocation: location, replacements: fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })) }],
    }));
    return {
      ruleId: f.rule,
      ruleIndex: RULE_IDS.indexOf(f.rule as RuleId),
      level: LEVEL[f.severity],
      message: f.detail ? { text: f.message, markdown: `${f.message}\n\n${f.detail}` } : { text: f.message },
      locations: [{
        physicalLocation: { artifactLocation: location, region: region(f.range) },
        logicalLocations: f.function ? [{ name: f.function, kind: 'function' }] : undefined,
      }],
      partialFingerprints: { [FINGERPRINT_KEY]: `${hash}:${nth}` },
      relatedLocations: f.related.length
        ? f.related.map((r, i) => ({ id: i + 1, message: { text: r.message }, physicalLocation: { artifactLocation: location, region: region(r.range) } }))
        : undefined,
      fixes: fixes.length ? fixes : undefined,
      properties: { confidence: f.confidence, assumptions: f.assumptions, citations: f.citations, benefit: f.benefit },
    };
  });
  const notifications: Notification[] = [
    ...report.errors.map((e) => ({ level: 'warning' as const, message: { text: e.message }, locations: [{ physicalLocation: { artifactLocation: artifactLocation(e.file, cwd) } }] })),
    // functions that could not be modelled: silence there is not a clean bill
    ...report.skipped.map((s) => ({
      level: 'note' as const,
      message: { text: `${s.function} was not analysed: ${s.reason}` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(s.file, cwd), region: { startLine: s.line + 1 } } }],
    })),
  ];
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{
      tool: { driver: { name: 'kernel-advisor', version, semanticVersion: version, rules } },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd + sep).href } },
      columnKind: 'utf16CodeUnits',
      results,
      invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
    }],
  };
}
