// Kernel Advisor for VS Code: starts the language server, registers the commands and
// the status-bar count. Everything else (diagnostics, hovers, code actions) comes
// from the server through vscode-languageclient.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client';
import { registerCommands } from './commands';
import { FindingsStatus } from './status';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(new FindingsStatus());
  client = createClient(context);
  registerCommands(context, client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
