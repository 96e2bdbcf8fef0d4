// The server's effective configuration: editor settings (workspace/configuration,
// section `kernelAdvisor`) with `.kernel-advisor.json` (JSON with comments) from the workspace root on top,
// both validated. Bad values fall back to their defaults; problems are reported as one
// message per setting (not one per rule id), and each message only once.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { DEFAULT_CONFIG, mergeConfigs, validateConfig, type Config } from '../core/config';

/** 1-based line and column of an offset, for messages. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

const KEYS = ['rules', 'languages', 'maxFileSizeKb', 'includePaths', 'functionBudgetMs', 'fileBudgetMs'] as const;
type Key = (typeof KEYS)[number];

/** Validates one layer key by key, so that each setting's problems become one message. */
function validateLayer(raw: unknown, where: string): { config: Config; present: Set<Key>; problems: string[] } {
  const whole = validateConfig(raw, where);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { config: whole.config, present: new Set(), problems: whole.problems };
  const r = raw as Record<string, unknown>;
  const present = new Set(KEYS.filter((k) => r[k] !== undefined));
  const config = whole.config;
  const problems: string[] = [];
  for (const key of present) {
    const one = validateConfig({ [key]: r[key] }, where).problems.map((p) => p.replace(`${where}: `, ''));
    if (key === 'languages' && Array.isArray(r.languages) && r.languages.length > 0 && config.languages.length === 0) {
      // nothing usable (`[1, null, {}]`, only unknown names): analysing nothing is never what was meant
      config.languages = [...DEFAULT_CONFIG.languages];
      one.push(`Using the default languages (${DEFAULT_CONFIG.languages.join(', ')}) instead.`);
    }
    if (one.length) problems.push(`${where}: ${one.join(' ')}`);
  }
  return { config, present, problems };
}

export class Settings {
  config: Config = DEFAULT_CONFIG;
  private reported = new Set<string>();

  constructor(private readonly report: (problems: string[]) => void) {}

  update(editor: unknown, workspaceFileText: string | null, workspaceFileName: string): void {
    const problems: string[] = [];
    const fromEditor = validateLayer(editor, 'settings (kernelAdvisor.*)');
    problems.push(...fromEditor.problems);
    let config = fromEditor.config;
    if (workspaceFileText !== null) {
      // JSON with comments and trailing commas, as editors write settings; an empty file is being created
      const errors: ParseError[] = [];
      let raw: unknown = workspaceFileText.trim() === '' ? {} : parse(workspaceFileText, errors, { allowTrailingComma: true });
      if (errors.length) {
        const at = positionOf(workspaceFileText, errors[0].offset);
        problems.push(`${workspaceFileName} is not valid JSON (${printParseErrorCode(errors[0].error)} at line ${at.line}, column ${at.column}); it is ignored until fixed.`);
        raw = undefined;
      }
      if (raw !== undefined) {
        const fromFile = validateLayer(raw, workspaceFileName);
        problems.push(...fromFile.problems);
        const has = (k: Key) => fromFile.present.has(k);
        config = mergeConfigs(config, {
          rules: fromFile.config.rules,
          languages: has('languages') ? fromFile.config.languages : undefined,
          maxFileSizeKb: has('maxFileSizeKb') ? fromFile.config.maxFileSizeKb : undefined,
          includePaths: has('includePaths') ? fromFile.config.includePaths : undefined,
          functionBudgetMs: has('functionBudgetMs') ? fromFile.config.functionBudgetMs : undefined,
          fileBudgetMs: has('fileBudgetMs') ? fromFile.config.fileBudgetMs : undefined,
        });
      }
    }
    this.config = config;
    const fresh = problems.filter((p) => !this.reported.has(p));
    for (const p of fresh) this.reported.add(p);
    if (fresh.length) this.report(fresh);
  }
}
