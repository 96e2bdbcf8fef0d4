// Starts code-server (VS Code 1.100.3 server + web workbench) in its own process group
// on a free loopback port, with every piece of state in a temp folder, and ends the
// whole group (TERM, then KILL) when asked.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ harnessDir: string, tmp: string, logFile: string, env?: Record<string,string> }} o
 * @returns {Promise<{ port: number, base: string, stop: () => Promise<void> }>}
 */
export async function startCodeServer({ harnessDir, tmp, logFile, env = {} }) {
  const port = await freePort();
  const dirs = Object.fromEntries(['user-data', 'extensions', 'xdg-config', 'xdg-data'].map((d) => [d, join(tmp, d)]));
  Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
  const entry = join(harnessDir, 'node_modules/code-server/out/node/entry.js');
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--config', '/dev/null',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    '--ignore-last-opened',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', dirs.extensions,
  ];
  const child = spawn(process.execPath, args, {
    detached: true, // its own process group, so stop() ends the extension host and the language server too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: dirs['xdg-config'], XDG_DATA_HOME: dirs['xdg-data'], ...env },
  });
  const log = createWriteStream(logFile);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const base = `http://127.0.0.1:${port}`;
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not listen on ${base} within 60 s; see ${logFile}`)), 60_000);
    const onData = (chunk) => {
      out += chunk;
      if (/HTTP server listening on/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited early (${signal ?? code}); see ${logFile}`));
    });
  });

  async function stop() {
    const group = -child.pid;
    const alive = () => { try { process.kill(group, 0); return true; } catch { return false; } };
    try { process.kill(group, 'SIGTERM'); } catch { /* already gone */ }
    const deadline = Date.now() + 2000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive()) try { process.kill(group, 'SIGKILL'); } catch { /* gone meanwhile */ }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    log.end();
  }
  return { port, base, stop };
}
