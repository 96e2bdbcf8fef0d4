// Status-bar item: how many Kernel Advisor findings the active editor has.
import * as vscode from 'vscode';
import { LANGUAGES } from './client';
import { SOURCE } from './protocol';

export function countFindings(uri: vscode.Uri): number {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE).length;
}

export class FindingsStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kernelAdvisor.findings', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.item.name = 'Kernel Advisor findings';
    this.item.command = 'workbench.actions.view.problems';
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

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !LANGUAGES.includes(doc.languageId)) {
      this.item.hide();
      return;
    }
    const n = countFindings(doc.uri);
    this.item.text = `$(lightbulb) ${n}`;
    this.item.tooltip = `Kernel Advisor: ${n} finding${n === 1 ? '' : 's'} in this file. Click to open the Problems panel.`;
    this.item.show();
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
