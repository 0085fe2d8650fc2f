#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { cancelCommand } from './commands/cancel.js';
import { devCommand } from './commands/dev.js';
import { eventsCommand } from './commands/events.js';
import { logsCommand } from './commands/logs.js';
import {
  NATS_CONFIG_DEFAULTS,
  natsConfigCommand,
} from './commands/nats-config.js';
import { runCommand } from './commands/run.js';
import { SECRET_ACTIONS, secretCommand } from './commands/secret.js';
import { setupCommand } from './commands/setup.js';
import { watchCommand } from './commands/watch.js';

/** How long the CLI waits for its output to be written before it exits. */
const FLUSH_WAIT_MS = 2_000;

const USAGE = `Usage: river <command> [options]

Commands:
  run <file.ts> [--param name=value]… [--json] [--quiet]
                                     bundle, submit and follow a run
  dev [--store <dir>]                run NATS and the four services
  logs <runId> [task] [--follow] [--stream stdout|stderr] [--since time]
       [--attempt n] [--raw] [--bytes offset:length] [--usage]
                                     print a run's stored logs (text;
                                     --raw: bytes), or their storage
  watch <runId> [--json] [--quiet] [--after-seq n]
                                     show a run's progress until it ends
  events <runId> [--follow] [--json] [--after-seq n]
                                     print a run's events (JSON: with seq)
  events --all [--project p] [--status s] [--since time] [--follow]
         [--json] [--after-seq n]    print every run's events
  cancel <runId> [--reason text]     cancel a run and kill its tasks
  secret set <name> [--from-file f]  store a secret (value from stdin or f)
  secret list [--json]               list secrets' names and versions
  secret rm <name>                   remove a secret
  secret keygen [--private-key-file f]
                                     make the sandboxes' key pair
  nats-config --out <dir> [--pool name]… [--listen host:port] [--store dir]
                                     write a nats-server config with a
                                     user per role, and their credentials
  setup [--replicas n] [--retention-days n]
                                     create River's streams and buckets
                                     (as the admin user)

Without NATS_URL, 'river run' starts an embedded River for the run.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseUsage(argv);
  const [command, first, second] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const most =
    {
      run: 1,
      dev: 0,
      logs: 2,
      events: 1,
      watch: 1,
      cancel: 1,
      secret: 2,
      'nats-config': 0,
      setup: 0,
    }[command] ?? 2;
  if (positionals.length - 1 > most) {
    throw new UsageError(
      `river ${command} takes at most ${most} argument${most === 1 ? '' : 's'}.`,
    );
  }
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined) {
      throw new UsageError(`river ${command} needs ${what}.`);
    }
    return value;
  };
  switch (command) {
    case 'run':
      return runCommand({
        file: need(first, 'a project file'),
        params: parseParams(values.param ?? []),
        json: values.json,
        quiet: values.quiet,
      });
    case 'dev':
      return devCommand({ storeDir: values.store });
    case 'logs':
      return logsCommand(need(first, 'a run id'), second, {
        follow: values.follow,
        stream: streamOption(values.stream),
        since: timeOption(values.since),
        attempt: wholeNumber(values.attempt, '--attempt'),
        raw: values.raw,
        bytes: values.bytes,
        usage: values.usage,
      });
    case 'events':
      return eventsCommand(eventsRun(first, values), {
        follow: values.follow,
        json: values.json,
        afterSeq: sequenceOption(values['after-seq']),
        project: values.project,
        status: statusOption(values.status),
        since: timeOption(values.since),
      });
    case 'watch':
      return watchCommand(need(first, 'a run id'), {
        json: values.json,
        quiet: values.quiet,
        afterSeq: sequenceOption(values['after-seq']),
      });
    case 'cancel':
      return cancelCommand(need(first, 'a run id'), values.reason);
    case 'secret':
      return secretCommand(secretAction(first), second, {
        fromFile: values['from-file'],
        privateKeyFile: values['private-key-file'],
        json: values.json,
      });
    case 'nats-config':
      return natsConfigCommand({
        out: need(values.out, '--out <dir>'),
        pools: values.pool ?? [],
        listen: values.listen ?? NATS_CONFIG_DEFAULTS.listen,
        storeDir: values.store ?? NATS_CONFIG_DEFAULTS.storeDir,
      });
    case 'setup':
      return setupCommand({
        replicas: wholeNumber(values.replicas, '--replicas'),
        retentionDays: wholeNumber(
          values['retention-days'],
          '--retention-days',
        ),
      });
    default:
      throw new UsageError(`Unknown command '${command}'.`);
  }
}

class UsageError extends Error {}

/** The `--stream` option, checked. */
function streamOption(
  value: string | undefined,
): 'stdout' | 'stderr' | undefined {
  if (value === undefined || value === 'stdout' || value === 'stderr') {
    return value;
  }
  throw new UsageError(`--stream takes stdout or stderr, not '${value}'.`);
}

/** The run of `river events`, or undefined with `--all`, checked. */
function eventsRun(
  runId: string | undefined,
  values: { all: boolean; project?: string; status?: string; since?: string },
): string | undefined {
  const filtered = ['project', 'status', 'since'].filter(
    (name) => values[name as keyof typeof values] !== undefined,
  );
  if (runId !== undefined && values.all) {
    throw new UsageError('river events takes a run id or --all, not both.');
  }
  if (runId !== undefined && filtered.length > 0) {
    throw new UsageError(
      `--${filtered.join(', --')} filter${filtered.length === 1 ? 's' : ''} ` +
        "every run's events (--all), not one run's.",
    );
  }
  if (runId === undefined && !values.all) {
    throw new UsageError('river events needs a run id, or --all.');
  }
  return runId;
}

/** The `--after-seq` option: a stream sequence, 0 or more. */
function sequenceOption(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `--after-seq takes the seq of the last event seen, not '${value}'.`,
    );
  }
  return Number(value);
}

/** The `--status` option: a run's final status. */
function statusOption(
  value: string | undefined,
): 'succeeded' | 'failed' | 'cancelled' | undefined {
  if (
    value === undefined ||
    value === 'succeeded' ||
    value === 'failed' ||
    value === 'cancelled'
  ) {
    return value;
  }
  throw new UsageError(
    `--status takes succeeded, failed or cancelled, not '${value}'.`,
  );
}

/**
 * The `--since` option: an ISO date or time (`2026-01-31`,
 * `2026-01-31T12:00:00Z`) or a duration back from now (`30m`, `2h`, `1d`).
 */
function timeOption(value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago?.[1] !== undefined && ago[2] !== undefined) {
    const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      ago[2] as 's' | 'm' | 'h' | 'd'
    ];
    return new Date(Date.now() - Number(ago[1]) * unitMs);
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--since takes an ISO time or a duration such as 30m, not '${value}'.`,
    );
  }
  return new Date(time);
}

/** The action of `river secret`, checked. */
function secretAction(value: string | undefined) {
  const action = SECRET_ACTIONS.find((known) => known === value);
  if (action === undefined) {
    const given = value === undefined ? '' : `, not '${value}'`;
    throw new UsageError(
      `river secret takes ${SECRET_ACTIONS.join(', ')}${given}.`,
    );
  }
  return action;
}

/** An option that takes a whole number of 1 or more, checked. */
function wholeNumber(
  value: string | undefined,
  option: string,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${option} takes a whole number of 1 or more.`);
  }
  return Number(value);
}

/** `name=value` pairs from repeated `--param` options. */
function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals < 1) {
      throw new UsageError(`--param takes name=value, not '${pair}'.`);
    }
    const name = pair.slice(0, equals);
    if (Object.hasOwn(params, name)) {
      throw new UsageError(`--param ${name} is given twice.`);
    }
    params[name] = pair.slice(equals + 1);
  }
  return params;
}

function parseUsage(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        project: { type: 'string' },
        status: { type: 'string' },
        since: { type: 'string' },
        'after-seq': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        store: { type: 'string' },
        reason: { type: 'string' },
        stream: { type: 'string' },
        attempt: { type: 'string' },
        raw: { type: 'boolean', default: false },
        bytes: { type: 'string' },
        usage: { type: 'boolean', default: false },
        param: { type: 'string', multiple: true, short: 'p' },
        'from-file': { type: 'string' },
        'private-key-file': { type: 'string' },
        out: { type: 'string' },
        pool: { type: 'string', multiple: true },
        listen: { type: 'string' },
        replicas: { type: 'string' },
        'retention-days': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`river: ${message}\n`);
  if (error instanceof UsageError) {
    process.stderr.write(`\n${USAGE}`);
  }
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
// A command that was interrupted leaves work behind (a watch on a closed
// connection, the bundler's service process) that would keep Node alive:
// once what was printed is written, the command's end is the process's.
await Promise.race([
  Promise.all([flushed(process.stdout), flushed(process.stderr)]),
  new Promise((resolve) => setTimeout(resolve, FLUSH_WAIT_MS).unref()),
]);
process.exit();

/** Resolves once everything written to `stream` so far has gone out. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    stream.write('', () => resolve());
  });
}
