#!/usr/bin/env node
import { cacheCommand } from './commands/cache.js';
import { cancelCommand } from './commands/cancel.js';
import { devCommand } from './commands/dev.js';
import { eventsCommand } from './commands/events.js';
import { logsCommand } from './commands/logs.js';
import {
  NATS_CONFIG_DEFAULTS,
  natsConfigCommand,
} from './commands/nats-config.js';
import { retryCommand } from './commands/retry.js';
import { runCommand } from './commands/run.js';
import { sandboxCommand } from './commands/sandbox.js';
import { secretCommand } from './commands/secret.js';
import { setupCommand } from './commands/setup.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { whyCommand } from './commands/why.js';
import {
  cacheAction,
  cacheOptions,
  eventsRun,
  parseParams,
  parseUsage,
  priorityOption,
  secretAction,
  sequenceOption,
  statusOption,
  streamOption,
  timeOption,
  UsageError,
  untrustedOption,
  wholeNumber,
} from './options.js';

/** How long the CLI waits for its output to be written before it exits. */
const FLUSH_WAIT_MS = 2_000;

const USAGE = `Usage: river <command> [options]

Commands:
  run <file.ts> [--param name=value]… [--untrusted scope]
      [--priority n] [--json] [--quiet]
                                     bundle, submit and follow a run
                                     (--untrusted: its cache results
                                     stay in that scope; --priority:
                                     -1000 to 1000, higher goes first)
  retry <runId> [--untrusted scope] [--json] [--quiet]
                                     run a run again, reusing the tasks
                                     that succeeded; follow it as run does
  dev [--store <dir>]                run NATS, the services and the web UI
  status [--json]                    each pool's waiting tasks, queues,
                                     slots in use and live sandboxes
  sandbox [--pool p] [--labels a,b] [--slots n]
                                     run a sandbox in the foreground
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
  why <runId> <task> [--json]        say whether a task was a cache hit,
                                     a miss (and what changed) or uncached
  cache stats [--json]               count the task cache's entries, bytes
                                     and expired entries, per scope
  cache ls [--json]                  list the task cache's entries
  cache rm <key-prefix> | --scope s | --all
                                     delete cache entries (admin user)
  cache prune [--max-bytes n] [--blob-min-age-days d]
                                     delete expired entries, the oldest
                                     above n bytes, and artifact files
                                     no entry uses (admin user)
  secret set <name> [--from-file f]  store a secret (value from stdin or f)
  secret list [--json]               list secrets' names and versions
  secret rm <name>                   remove a secret
  secret keygen [--private-key-file f]
                                     make the sandboxes' key pair
  nats-config --out <dir> [--pool name[:label,…]]… [--listen host:port]
              [--store dir]          write a nats-server config with a
                                     user per role, and their credentials
                                     (a pool's sandboxes may offer the
                                     label sets named with it)
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
      retry: 1,
      why: 2,
      cache: 2,
      dev: 0,
      status: 0,
      sandbox: 0,
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
        untrustedScope: untrustedOption(values.untrusted),
        priority: priorityOption(values.priority),
        json: values.json,
        quiet: values.quiet,
      });
    case 'retry':
      return retryCommand(need(first, 'a run id'), {
        untrustedScope: untrustedOption(values.untrusted),
        json: values.json,
        quiet: values.quiet,
      });
    case 'why':
      return whyCommand(
        need(first, 'a run id'),
        need(second, 'a task id or name'),
        { json: values.json },
      );
    case 'cache': {
      const action = cacheAction(first);
      return cacheCommand(action, cacheOptions(action, second, values));
    }
    case 'dev':
      return devCommand({ storeDir: values.store });
    case 'status':
      return statusCommand({ json: values.json });
    case 'sandbox':
      return sandboxCommand({
        pool: values.pool?.at(-1),
        labels: values.labels,
        slots: wholeNumber(values.slots, '--slots'),
      });
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
