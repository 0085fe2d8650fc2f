import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

/** The image every docker test runs, imported into each test engine. */
export const TEST_IMAGE = 'river-test/busybox:1';

/** Where dockerd may be found besides PATH. */
const DOCKERD_PATHS = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];
/** A statically linked busybox, as Debian's busybox-static installs it. */
const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
/**
 * The image's /etc: names for root and for the user a root sandbox runs
 * tasks as. Kept here, not in files, so that the benchmark can bundle
 * this module alone.
 */
const ETC_FILES: Record<string, string> = {
  passwd:
    'root:x:0:0:root:/root:/bin/sh\n' +
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  group: 'root:x:0:\nnogroup:x:65534:\n',
};
/** How long a starting dockerd may take to answer. */
const START_TIMEOUT_MS = 60_000;
/** How long a stopping dockerd may take before it is killed. */
const STOP_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** A container as the engine lists it. */
export interface EngineContainer {
  Id: string;
  /** `created`, `running`, `exited`… */
  State: string;
  Labels: Record<string, string>;
}

/** A Docker engine started for one test file, on its own socket. */
export interface TestDockerEngine {
  /** `unix://<dir>/docker.sock`, for RIVER_DOCKER_HOST. */
  host: string;
  /** The temporary directory holding its socket, data and state. */
  dir: string;
  /** Makes one API call and parses its JSON answer. */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /** Every container the engine holds, running or not. */
  containers(): Promise<EngineContainer[]>;
  /** Stops the engine and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Why no test engine can be started here, or undefined when one can:
 * dockerd or a static busybox is missing, or the tests do not run as root.
 * The reason is printed unless `quiet`, so a skipped docker test is never
 * silent.
 */
export function dockerEngineUnavailable(
  options: { quiet?: boolean } = {},
): string | undefined {
  const reason = findUnavailability();
  if (reason !== undefined && options.quiet !== true) {
    process.stderr.write(`Docker tests skipped: ${reason}\n`);
  }
  return reason;
}

function findUnavailability(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'dockerd needs root, and the tests do not run as root';
  }
  if (dockerdPath() === undefined) {
    return 'dockerd is not installed (apt-get install -y docker.io)';
  }
  if (staticBusybox() === undefined) {
    return (
      'no statically linked busybox for the test image ' +
      '(apt-get install -y busybox-static)'
    );
  }
  return undefined;
}

/**
 * Starts dockerd with no bridge, no iptables rules and no forwarding, its
 * data, state, pid file and socket in a fresh temporary directory, waits
 * until it answers, and imports {@link TEST_IMAGE} into it.
 *
 * @throws Error with the engine's log when it does not come up.
 */
export async function startDockerEngine(): Promise<TestDockerEngine> {
  const dockerd = dockerdPath();
  if (dockerd === undefined) {
    throw new Error('dockerd is not installed.');
  }
  // A short path: the socket's must fit in 108 bytes.
  const dir = await mkdtemp('/tmp/river-docker-');
  const socketPath = join(dir, 'docker.sock');
  const configFile = join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n');
  const logFile = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    dockerd,
    [
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      `--config-file=${configFile}`,
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      `--host=unix://${socketPath}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', logFile, logFile] },
  );
  closeSync(logFile);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const call = (method: string, path: string, body?: unknown) =>
    apiCall(socketPath, method, path, body);
  const engine: TestDockerEngine = {
    host: `unix://${socketPath}`,
    dir,
    call,
    containers: async () =>
      (await call('GET', '/containers/json?all=1')).body as EngineContainer[],
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopDaemon(child);
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await waitForAnswer(socketPath, child, dir);
    await importTestImage(socketPath, dir);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

function dockerdPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v dockerd'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return DOCKERD_PATHS.find(executable);
  }
}

function staticBusybox(): string | undefined {
  return BUSYBOX_PATHS.find((path) => executable(path) && isStatic(path));
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a 64-bit ELF file has no program interpreter, so that it runs
 * in an image holding nothing else.
 */
function isStatic(path: string): boolean {
  const header = Buffer.alloc(64);
  const file = openSync(path, 'r');
  try {
    readSync(file, header, 0, 64, 0);
    const tableOffset = Number(header.readBigUInt64LE(0x20));
    const entrySize = header.readUInt16LE(0x36);
    const entries = header.readUInt16LE(0x38);
    const table = Buffer.alloc(entrySize * entries);
    readSync(file, table, 0, table.length, tableOffset);
    for (let index = 0; index < entries; index++) {
      const PT_INTERP = 3;
      if (table.readUInt32LE(index * entrySize) === PT_INTERP) {
        return false;
      }
    }
    return header.readUInt32BE(0) === 0x7f454c46;
  } finally {
    closeSync(file);
  }
}

async function waitForAnswer(
  socketPath: string,
  child: ChildProcess,
  dir: string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      break;
    }
    const answered = await apiCall(socketPath, 'GET', '/_ping').then(
      (answer) => answer.status === 200,
      () => false,
    );
    if (answered) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const log = await readFile(join(dir, 'dockerd.log'), 'utf8').catch(() => '');
  throw new Error(
    `dockerd did not answer on ${socketPath} within ` +
      `${START_TIMEOUT_MS / 1000} s (exit ${child.exitCode}); its log:\n` +
      log.slice(-4_000),
  );
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
  });
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/**
 * Unmounts what a stopped dockerd left mounted under `dir` (its network
 * namespace file stays bound), deepest first, so the directory can go.
 */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Left for the removal to report.
    }
  }
}

/**
 * Imports a root filesystem of busybox, its applets as links, and a small
 * /etc, as {@link TEST_IMAGE}: no registry is needed.
 */
async function importTestImage(socketPath: string, dir: string) {
  const busybox = staticBusybox();
  if (busybox === undefined) {
    throw new Error('No statically linked busybox to build the test image.');
  }
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'tmp'));
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile(busybox, join(root, 'bin', 'busybox'));
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name !== '' && name !== 'busybox');
  for (const applet of applets) {
    await symlink('busybox', join(root, 'bin', applet));
  }
  await mkdir(join(root, 'etc'));
  for (const [name, text] of Object.entries(ETC_FILES)) {
    await writeFile(join(root, 'etc', name), text);
  }

  const [repo, tag] = TEST_IMAGE.split(':');
  const tar = spawn('tar', ['-C', root, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const answer = await apiCall(
    socketPath,
    'POST',
    `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`,
    tar.stdout,
  );
  const text = String(answer.body);
  if (answer.status !== 200 || text.includes('errorDetail')) {
    throw new Error(`Importing ${TEST_IMAGE} failed: ${text}`);
  }
  await rm(root, { recursive: true, force: true });
}

/**
 * One call to the engine's API over its socket; a stream body is sent as
 * is (for an import), anything else as JSON.
 */
function apiCall(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const stream = body instanceof Object && 'pipe' in body;
    const request = httpRequest({
      socketPath,
      method,
      path,
      headers: stream
        ? { 'Content-Type': 'application/x-tar' }
        : body === undefined
          ? {}
          : { 'Content-Type': 'application/json' },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.once('error', reject);
      response.once('end', () => {
        const text = Buffer.concat(parts).toString();
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // A progress stream or plain text: kept as it is.
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    if (stream) {
      (body as NodeJS.ReadableStream).pipe(request);
    } else {
      request.end(body === undefined ? undefined : JSON.stringify(body));
    }
  });
}
