import type { RunnerKind } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import type { SandboxConfig } from '../config.js';
import { SandboxError, SandboxErrorCode } from '../errors.js';
import { setUpBwrap } from './bwrap-setup.js';
import { setUpDocker } from './docker-setup.js';
import { setUpKubernetes } from './kubernetes-setup.js';
import { ProcessRunner } from './process-runner.js';
import type { TaskRunner } from './task-runner.js';

/** Every runner kind, weakest isolation first. */
const KINDS: readonly RunnerKind[] = [
  'process',
  'bwrap',
  'docker',
  'kubernetes',
];

/** A runner set up on this sandbox, or why the kind is not offered. */
export type RunnerOffer = { runner: TaskRunner } | { unavailable: string };

/** What a runner kind's set-up may use. */
export interface RunnerSetup {
  config: SandboxConfig;
  log: Logger;
}

/**
 * How each kind of runner is set up when a sandbox starts. A new kind (a
 * microVM) adds its protocol name and an entry here.
 */
const FACTORIES: Record<
  RunnerKind,
  (setup: RunnerSetup) => Promise<RunnerOffer>
> = {
  process: async () => ({ runner: new ProcessRunner() }),
  bwrap: ({ config, log }) =>
    setUpBwrap({
      workDir: config.workDir,
      readOnlyPaths: listSetting(config.readOnlyPaths),
      log,
    }),
  docker: ({ config, log }) => setUpDocker({ host: config.dockerHost, log }),
  kubernetes: ({ config, log }) =>
    setUpKubernetes({
      api: config.kubernetesApi,
      namespace: config.kubernetesNamespace,
      tokenFile: config.kubernetesTokenFile,
      caFile: config.kubernetesCaFile,
      log,
    }),
};

/** The runners of a sandbox and its policy on which tasks may use. */
export interface RunnerRegistry {
  /** The runner of tasks that name none. */
  readonly defaultKind: RunnerKind;
  /** The runners tasks may use. */
  readonly allowed: readonly RunnerKind[];
  /**
   * The runner for a task that asks for `asked` (the default when
   * undefined), or a sentence saying why it cannot have it: the policy
   * refuses it, or this sandbox does not offer it. A refused runner is
   * never replaced by another.
   */
  select(asked: RunnerKind | undefined): RunnerOffer;
}

/**
 * Sets up the runners a sandbox may use and picks its default: the
 * `runner` setting, or else bwrap when it works on this host and the
 * process runner, with a warning, when it does not.
 *
 * @throws SandboxError when the runner the settings name cannot be set
 *   up, or when the default runner is not among the allowed ones.
 */
export async function createRunnerRegistry(
  config: SandboxConfig,
  log: Logger,
): Promise<RunnerRegistry> {
  const listed = config.allowedRunners;
  const allowedSetting =
    listed === undefined ? undefined : (listSetting(listed) as RunnerKind[]);
  const wanted = new Set<RunnerKind>([
    ...(allowedSetting ?? KINDS.filter((kind) => kind !== 'process')),
    config.runner ?? 'bwrap',
  ]);

  const offers = new Map<RunnerKind, RunnerOffer>();
  for (const kind of KINDS) {
    if (wanted.has(kind) || kind === 'process') {
      offers.set(kind, await FACTORIES[kind]({ config, log }));
    }
  }

  const defaultKind = pickDefault(config.runner, offers, log);
  const allowed = allowedSetting ?? [
    ...new Set([defaultKind, ...KINDS.filter((kind) => kind !== 'process')]),
  ];
  if (!allowed.includes(defaultKind)) {
    throw new SandboxError(
      SandboxErrorCode.runnerRefused,
      `The default runner is ${defaultKind}` +
        (config.runner === undefined ? ' (bwrap does not work here)' : '') +
        `, but RIVER_ALLOWED_RUNNERS (${allowed.join(',')}) does not ` +
        'allow it; allow it or set RIVER_RUNNER to an allowed runner.',
    );
  }
  log.info(
    {
      defaultRunner: defaultKind,
      allowedRunners: allowed,
      offeredRunners: KINDS.filter((kind) => {
        const offer = offers.get(kind);
        return offer !== undefined && 'runner' in offer;
      }),
    },
    'Task runners ready',
  );

  return {
    defaultKind,
    allowed,
    select(asked) {
      const kind = asked ?? defaultKind;
      if (!allowed.includes(kind)) {
        return {
          unavailable:
            `The task asks for the ${kind} runner, which this sandbox's ` +
            `policy does not allow (RIVER_ALLOWED_RUNNERS is ` +
            `${allowed.join(',')}).`,
        };
      }
      const offer = offers.get(kind);
      if (offer === undefined || 'unavailable' in offer) {
        return {
          unavailable:
            `The task asks for the ${kind} runner, which this sandbox ` +
            `cannot offer: ${offer?.unavailable ?? 'it was not set up'}.`,
        };
      }
      return offer;
    },
  };
}

function pickDefault(
  setting: RunnerKind | undefined,
  offers: Map<RunnerKind, RunnerOffer>,
  log: Logger,
): RunnerKind {
  if (setting !== undefined) {
    const offer = offers.get(setting);
    if (offer === undefined || 'unavailable' in offer) {
      throw new SandboxError(
        SandboxErrorCode.runnerRefused,
        `RIVER_RUNNER is ${setting}, but that runner does not work on ` +
          `this host: ${offer?.unavailable ?? 'it was not set up'}.`,
      );
    }
    return setting;
  }
  const bwrap = offers.get('bwrap');
  if (bwrap !== undefined && 'runner' in bwrap) {
    return 'bwrap';
  }
  log.warn(
    { why: bwrap?.unavailable },
    'bwrap does not work on this host, so tasks run as plain processes, ' +
      'which isolates them from nothing; install bubblewrap, or set ' +
      'RIVER_RUNNER to say which runner to use',
  );
  return 'process';
}

/** The items of a comma-separated setting, trimmed, blanks left out. */
function listSetting(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
