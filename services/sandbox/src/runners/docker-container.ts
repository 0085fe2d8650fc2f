import { lchown, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { RunnerRequest } from './task-runner.js';

/** Where the workspace is mounted inside a task's container. */
export const WORKSPACE_PATH = '/workspace';
/** The container's private tmpfs. */
export const TASK_TMP_PATH = '/tmp';
/**
 * The user and group a root sandbox runs tasks as: `nobody` on most
 * systems, so that a task is never root, even without capabilities.
 */
export const UNPRIVILEGED_ID = 65_534;
const MIB = 1024 * 1024;

/** The user a task's processes run as, numerically. */
export interface TaskUser {
  uid: number;
  gid: number;
}

/**
 * The body of `POST /containers/create` for one attempt, in the engine's
 * own field names.
 */
export interface ContainerSpec {
  Image: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  WorkingDir: string;
  User: string;
  Labels: Record<string, string>;
  AttachStdin: false;
  AttachStdout: true;
  AttachStderr: true;
  Tty: false;
  OpenStdin: false;
  NetworkDisabled: boolean;
  HostConfig: Record<string, unknown>;
}

/**
 * The user tasks run as: the sandbox's own, so that whatever a task
 * writes into the workspace belongs to the sandbox, which collects and
 * removes it; a sandbox running as root uses {@link UNPRIVILEGED_ID}
 * instead and hands the workspace over to it first.
 */
export function taskUser(): TaskUser {
  const uid = process.getuid?.() ?? UNPRIVILEGED_ID;
  const gid = process.getgid?.() ?? UNPRIVILEGED_ID;
  return uid === 0
    ? { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID }
    : { uid, gid };
}

/**
 * Gives the workspace tree to the task's user when that is not the
 * sandbox's own (a root sandbox), without following links.
 */
export async function handOverWorkspace(
  root: string,
  user: TaskUser,
): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  await lchown(root, user.uid, user.gid);
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      await handOverWorkspace(path, user);
    } else {
      await lchown(path, user.uid, user.gid);
    }
  }
}

/** The container for one attempt, from its request. */
export function containerSpec(
  request: RunnerRequest,
  image: string,
  user: TaskUser,
): ContainerSpec {
  const { limits } = request;
  return {
    Image: image,
    // An entrypoint of the image would wrap the command; the task's
    // command is the whole of what runs.
    Entrypoint:
      typeof request.command === 'string'
        ? ['/bin/sh', '-c', request.command]
        : [...request.command],
    Cmd: [],
    Env: containerEnv(request),
    WorkingDir: posix.join(WORKSPACE_PATH, request.cwd),
    User: `${user.uid}:${user.gid}`,
    Labels: { 'river.attempt': request.attemptKey },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    NetworkDisabled: !request.network,
    HostConfig: {
      Mounts: [
        {
          Type: 'bind',
          Source: request.workspace,
          Target: WORKSPACE_PATH,
          ReadOnly: false,
        },
        {
          // A tmpfs mount, unlike the Tmpfs field, gets nothing copied
          // from the image's /tmp, whose mode could keep the task out.
          Type: 'tmpfs',
          Target: TASK_TMP_PATH,
          TmpfsOptions: {
            Mode: 0o1777,
            ...(limits.diskMb === undefined
              ? {}
              : { SizeBytes: limits.diskMb * MIB }),
          },
        },
      ],
      ReadonlyRootfs: true,
      // The engine runs without a bridge: no network, or the host's.
      NetworkMode: request.network ? 'host' : 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Init: false,
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      ...(limits.memoryMb === undefined
        ? {}
        : { Memory: limits.memoryMb * MIB, MemorySwap: limits.memoryMb * MIB }),
      ...(limits.processes === undefined
        ? {}
        : { PidsLimit: limits.processes }),
      ...(limits.openFiles === undefined
        ? {}
        : {
            Ulimits: [
              {
                Name: 'nofile',
                Soft: limits.openFiles,
                Hard: limits.openFiles,
              },
            ],
          }),
    },
  };
}

/**
 * The task's environment as `NAME=value` lines. A PATH that is only the
 * sandbox's own, given by default, is left out: the image's PATH (where
 * its programs are) applies instead.
 */
function containerEnv(request: RunnerRequest): string[] {
  return Object.entries(request.env)
    .filter(([name, value]) => name !== 'PATH' || value !== process.env.PATH)
    .map(([name, value]) => `${name}=${inContainer(value, request.workspace)}`);
}

/**
 * A value of the environment as the container sees it: paths into the
 * host's workspace (such as HOME and TMPDIR) point to its mount instead.
 */
function inContainer(value: string, workspace: string): string {
  if (value === workspace) {
    return WORKSPACE_PATH;
  }
  if (value.startsWith(`${workspace}/`)) {
    return WORKSPACE_PATH + value.slice(workspace.length);
  }
  return value;
}
