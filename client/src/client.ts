// Starts the bundled language server (dist/cli.js, `lsp --stdio`) over stdio.
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { CLIENT_COMMANDS } from './protocol';

/** VS Code language ids we analyse: CUDA, C++, C, and Python (the server keeps to Triton files). */
export const LANGUAGES = ['cuda-cpp', 'cpp', 'c', 'python'];

export function createClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath('dist/cli.js');
  // TransportKind.stdio makes the client append `--stdio`, so the server runs as `cli.js lsp --stdio`.
  const run = { module, args: ['lsp'], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = {
    run,
    debug: { ...run, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/.kernel-advisor.json');
  context.subscriptions.push(watcher);
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    synchronize: { configurationSection: 'kernelAdvisor', fileEvents: watcher },
    initializationOptions: { clientCommands: CLIENT_COMMANDS },
    // the hover's "all N papers" link runs the Explain command (the rule and the finding); no other command link is trusted
    markdown: { isTrusted: { enabledCommands: ['kernelAdvisor.explainRule'] } },
  };
  // The id `kernelAdvisor` makes the client read `kernelAdvisor.trace.server`.
  return new LanguageClient('kernelAdvisor', 'Kernel Advisor', serverOptions, clientOptions);
}
