// Kernel Advisor for VS Code: starts the language server, registers the commands and
// the status-bar count. Everything else (diagnostics, hovers, code actions) comes
// from the server through vscode-languageclient.
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client';
import { registerCommands } from './commands';
import { FindingsStatus } from './status';

let client: LanguageClient | undefined;

/** What activate() returns: how long activation took, up to the server answering `initialize`. */
export interface KernelAdvisorApi {
  activationMs: number;
}

export async function activate(context: vscode.ExtensionContext): Promise<KernelAdvisorApi> {
  const started = performance.now();
  context.subscriptions.push(new FindingsStatus());
  client = createClient(context);
  registerCommands(context, client);
  await client.start();
  const activationMs = performance.now() - started;
  client.outputChannel.appendLine(`Kernel Advisor activated in ${activationMs.toFixed(0)} ms (server started and initialized).`);
  return { activationMs };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
