// Kernel Advisor for VS Code: starts the language server, registers the commands and
// the status-bar item. Everything else (diagnostics, hovers, code actions) comes
// from the server through vscode-languageclient.
import * as vscode from 'vscode';
import { LanguageClient, State } from 'vscode-languageclient/node';
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
  const status = new FindingsStatus();
  context.subscriptions.push(status);
  client = createClient(context);
  const c = client;
  let restarting = false;
  context.subscriptions.push(
    c.onDidChangeState(({ newState }) => {
      if (newState === State.Starting) status.setState('starting');
      else if (newState === State.Running) status.setState('ready');
      // stopped without our asking: the client gave up restarting a crashing server
      else if (newState === State.Stopped && !restarting) status.setState('error', 'it stopped; see the output');
    }),
  );
  registerCommands(context, c, async () => {
    restarting = true;
    try {
      c.outputChannel.appendLine('Restarting the Kernel Advisor server.');
      await c.restart();
    } finally {
      restarting = false;
    }
  });
  c.outputChannel.appendLine(`Starting the Kernel Advisor server (${context.asAbsolutePath('dist/cli.js')} lsp --stdio).`);
  try {
    await c.start();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    status.setState('error', why);
    c.outputChannel.appendLine(`The Kernel Advisor server did not start: ${why}`);
    throw e;
  }
  status.setState('ready');
  const activationMs = performance.now() - started;
  c.outputChannel.appendLine(`Kernel Advisor activated in ${activationMs.toFixed(0)} ms (server started and initialized).`);
  return { activationMs };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
