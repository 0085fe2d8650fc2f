import { spawnSync } from 'node:child_process';

/** Longest an exiting sandbox waits for its containers' removal. */
const EXIT_REMOVAL_TIMEOUT_MS = 10_000;

/** Containers of attempts still running, by engine socket path. */
const liveContainers = new Map<string, Set<string>>();

/** Notes a container as running until {@link forgetContainer}. */
export function rememberContainer(socketPath: string, id: string): void {
  let ids = liveContainers.get(socketPath);
  if (ids === undefined) {
    ids = new Set();
    liveContainers.set(socketPath, ids);
  }
  ids.add(id);
}

/** Forgets a container once it was removed. */
export function forgetContainer(socketPath: string, id: string): void {
  liveContainers.get(socketPath)?.delete(id);
}

/**
 * Removes, forcibly, every container of an attempt still running.
 * Synchronous, so that it may run in a process `exit` handler: the API
 * calls are made by a short-lived child process the sandbox waits for.
 */
export function removeLiveContainersSync(): void {
  for (const [socketPath, ids] of liveContainers) {
    if (ids.size === 0) {
      continue;
    }
    spawnSync(
      process.execPath,
      ['--input-type=module', '-e', REMOVER, socketPath, ...ids],
      { stdio: 'ignore', timeout: EXIT_REMOVAL_TIMEOUT_MS },
    );
    ids.clear();
  }
}

/** The child's program: DELETE each container given, all at once. */
const REMOVER = `
import { request } from 'node:http';
const [socketPath, ...ids] = process.argv.slice(1);
await Promise.all(ids.map((id) => new Promise((resolve) => {
  const call = request({
    socketPath,
    method: 'DELETE',
    path: '/containers/' + id + '?force=1&v=1',
  });
  call.on('response', (answer) => answer.resume().on('end', resolve));
  call.on('error', resolve);
  call.end();
})));
`;
