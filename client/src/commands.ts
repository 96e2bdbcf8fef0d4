// The extension's commands. Each talks to the server through a custom request.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { MarkdownView } from './markdownView';
import { AnalyzeFilesRequest, AnalyzeFilesResult, ExplainRuleRequest, FindingRef, KnowledgeBaseRequest, RuleIdsRequest } from './protocol';

/** The extensions the CLI walks (DESIGN.md); the server skips .py files that do not use Triton. */
const SOURCE_GLOB = '**/*.{cu,cuh,cpp,cc,cxx,c,h,hpp,hh,py}';
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';
const BATCH_SIZE = 50;

export function registerCommands(context: vscode.ExtensionContext, client: LanguageClient, restartServer: () => Promise<void>): void {
  const view = new MarkdownView();
  context.subscriptions.push(view);
  const register = (id: string, fn: (...args: any[]) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args) => reportErrors(fn(...args))));
  register('kernelAdvisor.analyzeWorkspace', () => analyzeWorkspace(client));
  register('kernelAdvisor.explainRule', (rule?: unknown, finding?: unknown) => explainRule(client, view, rule, finding));
  register('kernelAdvisor.showKnowledgeBase', async () => view.show('/knowledge-base.md', (await client.sendRequest(KnowledgeBaseRequest, {})).markdown));
  register('kernelAdvisor.openPaper', (url?: unknown) => openPaper(url));
  register('kernelAdvisor.restartServer', restartServer);
  register('kernelAdvisor.showOutput', async () => client.outputChannel.show(true));
  register('kernelAdvisor.showMenu', () => showMenu());
}

/** The status-bar item's menu: the commands a user reaches for when something looks off. */
const MENU = [
  { label: '$(search) Analyze Workspace', command: 'kernelAdvisor.analyzeWorkspace' },
  { label: '$(book) Explain Rule', command: 'kernelAdvisor.explainRule' },
  { label: '$(output) Show Output', command: 'kernelAdvisor.showOutput' },
  { label: '$(debug-restart) Restart Server', command: 'kernelAdvisor.restartServer' },
];

async function showMenu(): Promise<unknown> {
  const pick = await vscode.window.showQuickPick(MENU, { placeHolder: 'Kernel Advisor' });
  return pick ? vscode.commands.executeCommand(pick.command) : undefined;
}

async function reportErrors<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof vscode.CancellationError) return undefined;
    void vscode.window.showErrorMessage(`Kernel Advisor: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** Analyses every source file of the workspace in batches; results land in the Problems panel. */
async function analyzeWorkspace(client: LanguageClient): Promise<AnalyzeFilesResult & { cancelled: boolean }> {
  const options = { location: vscode.ProgressLocation.Notification, title: 'Kernel Advisor', cancellable: true };
  const total = await vscode.window.withProgress(options, async (progress, token) => {
    const total = { files: 0, findings: 0, cancelled: false };
    progress.report({ message: 'finding source files…' });
    const uris = await vscode.workspace.findFiles(SOURCE_GLOB, EXCLUDE_GLOB, undefined, token);
    for (let i = 0; i < uris.length; i += BATCH_SIZE) {
      if (token.isCancellationRequested) break;
      const batch = uris.slice(i, i + BATCH_SIZE);
      progress.report({ message: `analyzing ${i + batch.length} of ${uris.length} files`, increment: (100 * batch.length) / uris.length });
      try {
        const r = await client.sendRequest(AnalyzeFilesRequest, { uris: batch.map((u) => u.toString()) }, token);
        total.files += r.files;
        total.findings += r.findings;
      } catch (e) {
        if (!token.isCancellationRequested) throw e;
      }
    }
    total.cancelled = token.isCancellationRequested;
    return total;
  });
  const summary = `${total.findings} finding${total.findings === 1 ? '' : 's'} in ${total.files} file${total.files === 1 ? '' : 's'}`;
  const text = total.cancelled ? `Kernel Advisor: analysis cancelled (${summary} so far).` : `Kernel Advisor: ${summary}.`;
  // Not awaited: the command resolves with the counts while the message stays up.
  void vscode.window.showInformationMessage(text, 'Show Problems').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
  });
  return total;
}

/** The finding a hover's Explain link names, if `x` is one (it arrives from a link: only its shape is kept). */
function findingRef(x: unknown): FindingRef | undefined {
  const r = x as Partial<FindingRef> | null | undefined;
  const index = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  return r && typeof r === 'object' && typeof r.uri === 'string' && index(r.line) && index(r.character) ? { uri: r.uri, line: r.line, character: r.character } : undefined;
}

/**
 * Explains one rule: the given id (a code action passes only that; the hover's link the
 * finding too, which then comes first, in full) or one picked from the server's list.
 */
async function explainRule(client: LanguageClient, view: MarkdownView, rule?: unknown, finding?: unknown): Promise<void> {
  let id = typeof rule === 'string' ? rule : undefined;
  if (!id) {
    const { rules } = await client.sendRequest(RuleIdsRequest, {});
    const items = rules.map((r) => ({ label: r.id, description: r.title }));
    const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Rule to explain', matchOnDescription: true });
    if (!pick) return;
    id = pick.label;
  }
  const ref = typeof rule === 'string' ? findingRef(finding) : undefined;
  await view.show(`/rules/${id}.md`, (await client.sendRequest(ExplainRuleRequest, ref ? { rule: id, finding: ref } : { rule: id })).markdown);
}

async function openPaper(url?: unknown): Promise<boolean> {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    void vscode.window.showErrorMessage(`Kernel Advisor: not a paper link: ${String(url)}`);
    return false;
  }
  return vscode.env.openExternal(vscode.Uri.parse(url, true));
}
