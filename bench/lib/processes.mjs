/**
 * Processes the bench starts and measures: running a command to its end,
 * the CPU time a process tree used, and the peak memory of a process.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Runs a command to its end; resolves with its exit code and output,
 * rejects when it cannot start.
 */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    const stdout = [];
    const stderr = [];
    child.stdout?.on('data', (data) => stdout.push(data));
    child.stderr?.on('data', (data) => stderr.push(data));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
  });
}

/** Runs a command and throws, with its stderr, unless it exits with 0. */
export async function runChecked(command, args, options = {}) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const how = result.code ?? result.signal;
    throw new Error(
      `${command} ${args.join(' ')} exited with ${how}: ` +
        result.stderr.slice(-2_000),
    );
  }
  return result;
}

/**
 * CPU seconds a process used, its own and its reaped children's
 * (utime, stime, cutime, cstime of /proc/<pid>/stat); 0 once it is gone.
 */
export async function cpuSecondsOf(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce(
      (sum, index) => sum + Number(fields[index]),
      0,
    );
    return ticks / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by several processes together. */
export async function cpuSecondsOfAll(pids) {
  const each = await Promise.all(pids.map(cpuSecondsOf));
  return each.reduce((sum, seconds) => sum + seconds, 0);
}

/** CPU seconds this process and the children it reaped used so far. */
export function ownCpuSeconds() {
  return cpuSecondsOf(process.pid);
}

/** A process's resident memory now, in bytes (VmRSS); 0 once it is gone. */
export async function residentBytes(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Samples a process's resident memory every `everyMs` until stopped;
 * `stop()` resolves with the first sample and the highest.
 */
export function watchMemory(pid, everyMs = 20) {
  const samples = [];
  let pending = residentBytes(pid).then((bytes) => samples.push(bytes));
  const timer = setInterval(() => {
    pending = pending.then(() =>
      residentBytes(pid).then((bytes) => samples.push(bytes)),
    );
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return { start: samples[0] ?? 0, peak: Math.max(0, ...samples) };
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
