// The server's effective configuration: editor settings (workspace/configuration,
// section `kernelAdvisor`) with `.kernel-advisor.json` from the workspace root on top,
// both validated; each new problem is reported once, and bad values fall back to defaults.
import { DEFAULT_CONFIG, mergeConfigs, validateConfig, type Config } from '../core/config';

export class Settings {
  config: Config = DEFAULT_CONFIG;
  private reported = new Set<string>();

  constructor(private readonly report: (problems: string[]) => void) {}

  update(editor: unknown, workspaceFileText: string | null, workspaceFileName: string): void {
    const problems: string[] = [];
    const fromEditor = validateConfig(editor, 'settings (kernelAdvisor.*)');
    problems.push(...fromEditor.problems);
    let config = fromEditor.config;
    if (workspaceFileText !== null) {
      let raw: unknown;
      try {
        raw = workspaceFileText.trim() === '' ? {} : JSON.parse(workspaceFileText); // an empty file is being created
      } catch (e) {
        problems.push(`${workspaceFileName} is not valid JSON (${(e as Error).message}); it is ignored until fixed.`);
      }
      if (raw !== undefined) {
        const fromFile = validateConfig(raw, workspaceFileName);
        problems.push(...fromFile.problems);
        const r = raw as Record<string, unknown>;
        config = mergeConfigs(config, {
          rules: fromFile.config.rules,
          languages: r && typeof r === 'object' && 'languages' in r ? fromFile.config.languages : undefined,
          maxFileSizeKb: r && typeof r === 'object' && 'maxFileSizeKb' in r ? fromFile.config.maxFileSizeKb : undefined,
        });
      }
    }
    this.config = config;
    const fresh = problems.filter((p) => !this.reported.has(p));
    for (const p of fresh) this.reported.add(p);
    if (fresh.length) this.report(fresh);
  }
}
