// SARIF 2.1.0 output for `kernel-advisor check --format sarif` (code-scanning UIs).
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { pathToFileURL } from 'node:url';
import { relative, resolve, sep } from 'node:path';
import type { KnowledgeBase } from './core/knowledge';
import { RULE_IDS } from './core/ruleIds';
import type { Severity } from './core/types';
import type { CheckReport } from './cli';

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/** A path under the working directory is relative to %SRCROOT%; anything else is an absolute file: URI (no base). */
function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const abs = resolve(file);
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') ? { uri: rel.split(sep).join('/'), uriBaseId: '%SRCROOT%' } : { uri: pathToFileURL(abs).href };
}

export function toSarif(report: CheckReport, kb: KnowledgeBase, version: string, cwd: string): Log {
  const rules: ReportingDescriptor[] = RULE_IDS.map((id) => {
    const entry = kb.rule(id);
    return {
      id,
      name: id,
      shortDescription: { text: entry?.title ?? id },
      helpUri: entry?.docs,
      properties: { citations: entry?.papers ?? [] },
    };
  });
  const results: Result[] = report.findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: RULE_IDS.indexOf(f.rule as (typeof RULE_IDS)[number]),
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{
      physicalLocation: {
        artifactLocation: artifactLocation(f.file, cwd),
        region: { startLine: f.range.start.line + 1, startColumn: f.range.start.column + 1, endLine: f.range.end.line + 1, endColumn: f.range.end.column + 1 },
      },
      logicalLocations: f.function ? [{ name: f.function, kind: 'function' }] : undefined,
    }],
    relatedLocations: f.related.map((r, i) => ({
      id: i + 1,
      message: { text: r.message },
      physicalLocation: {
        artifactLocation: artifactLocation(f.file, cwd),
        region: { startLine: r.range.start.line + 1, startColumn: r.range.start.column + 1, endLine: r.range.end.line + 1, endColumn: r.range.end.column + 1 },
      },
    })),
    properties: { confidence: f.confidence, assumptions: f.assumptions, citations: f.citations, benefit: f.benefit },
  }));
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{
      tool: { driver: { name: 'kernel-advisor', version, semanticVersion: version, rules } },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd + sep).href } },
      results,
      invocations: [{
        executionSuccessful: true,
        toolExecutionNotifications: report.errors.map((e) => ({
          level: 'warning' as const,
          message: { text: e.message },
          locations: [{ physicalLocation: { artifactLocation: artifactLocation(e.file, cwd) } }],
        })),
      }],
    }],
  };
}
