// The status-bar item "Kernel Advisor: <findings in the active file>" with the server's
// state (starting / ready / error). A click opens the Kernel Advisor menu.
import * as vscode from 'vscode';
import { LANGUAGES } from './client';
import { SOURCE } from './protocol';

export type ServerState = 'starting' | 'ready' | 'error';

export function countFindings(uri: vscode.Uri): number {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE).length;
}

export class FindingsStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kernelAdvisor.findings', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private state: ServerState = 'starting';
  private detail = '';

  constructor() {
    this.item.name = 'Kernel Advisor';
    this.item.command = 'kernelAdvisor.showMenu';
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.languages.onDidChangeDiagnostics((e) => {
        const active = vscode.window.activeTextEditor?.document.uri.toString();
        if (active && e.uris.some((u) => u.toString() === active)) this.update();
      }),
      vscode.workspace.onDidOpenTextDocument(() => this.update()), // a language-mode change reopens the document
    );
    this.update();
  }

  /** The server's state; `detail` says why for an error. */
  setState(state: ServerState, detail = ''): void {
    this.state = state;
    this.detail = detail;
    this.update();
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const ours = !!doc && LANGUAGES.includes(doc.languageId);
    if (!ours && this.state !== 'error') {
      this.item.hide();
      return;
    }
    const menu = 'Click for Kernel Advisor commands.';
    if (this.state === 'starting') {
      this.item.text = '$(sync~spin) Kernel Advisor: starting';
      this.item.tooltip = `Kernel Advisor: the language server is starting. ${menu}`;
      this.item.backgroundColor = undefined;
    } else if (this.state === 'error') {
      this.item.text = '$(error) Kernel Advisor: error';
      this.item.tooltip = `Kernel Advisor: the language server is not running${this.detail ? ` (${this.detail})` : ''}. ${menu}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      const n = doc ? countFindings(doc.uri) : 0;
      this.item.text = `$(lightbulb) Kernel Advisor: ${n}`;
      this.item.tooltip = `Kernel Advisor: ready; ${n} finding${n === 1 ? '' : 's'} in this file. ${menu}`;
      this.item.backgroundColor = undefined;
    }
    this.item.show();
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
