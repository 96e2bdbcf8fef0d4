// Shows the server's Markdown (rule explanations, the knowledge base) in VS Code's
// Markdown preview, through read-only virtual documents (`kernel-advisor:` URIs): no
// "Untitled" editors left behind, nothing that asks to be saved.
import * as vscode from 'vscode';

export const SCHEME = 'kernel-advisor';

export class MarkdownView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly pages = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pages.get(uri.toString()) ?? '';
  }

  /** Shows `markdown` under the virtual path `page` (e.g. `/rules/tiling/shared-memory.md`). */
  async show(page: string, markdown: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: SCHEME, path: page });
    const fresh = !this.pages.has(uri.toString());
    this.pages.set(uri.toString(), markdown);
    if (!fresh) this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(doc, { preview: true }); // the built-in Markdown extension is disabled
    }
    return doc;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
