import type { LogStream, LogUsage } from '@river/protocol';
import type { RiverClient } from '@river/sdk/client';
import { connectToExisting } from './context.js';
import { LogPrinter, parseByteRange } from './log-printer.js';
import { StdoutWriter } from './stdout-writer.js';

/** Options of `river logs`. */
export interface LogsOptions {
  follow: boolean;
  /** Only this output of the tasks. */
  stream: LogStream | undefined;
  /** Only output stored at or after this time. */
  since?: Date | undefined;
  /** Only this attempt of each task. */
  attempt?: number | undefined;
  /** Bytes as the tasks wrote them, instead of UTF-8 text. */
  raw?: boolean;
  /** `offset:length`: that range of one task's output. */
  bytes?: string | undefined;
  /** Print what the logs take on the server instead. */
  usage?: boolean;
}

/** Whose stored log `river logs` reads. */
interface LogSource {
  runId: string;
  taskId: string | undefined;
  /** Only this attempt, when the user or the cache names one. */
  attempt: number | undefined;
}

/**
 * `river logs <runId> [task] [--follow] [--stream stdout|stderr]
 * [--since time] [--attempt n] [--raw] [--bytes offset:length] [--usage]`:
 * prints a run's stored logs, each task's attempt under a header line
 * unless one task is named (then only where a retry begins); with
 * `--follow`, until the run finishes. Output is shown as UTF-8 text,
 * with replacement characters where it is not; `--raw` writes the bytes.
 * A task whose result was reused from the cache ran nowhere: its log is
 * the origin task's, which a line on stderr names.
 */
export async function logsCommand(
  runId: string,
  taskId: string | undefined,
  options: LogsOptions,
): Promise<number> {
  const range =
    options.bytes === undefined ? undefined : parseByteRange(options.bytes);
  if (range !== undefined && taskId === undefined) {
    throw new Error(
      'river logs --bytes needs a task: river logs <run> <task>.',
    );
  }
  const client = await connectToExisting();
  const out = new StdoutWriter();
  try {
    if (options.usage === true) {
      await out.write(formatUsage(runId, await client.logUsage(runId)));
      return 0;
    }
    const source = await logSource(client, runId, taskId, options.attempt);
    if (range !== undefined && source.taskId !== undefined) {
      const { taskId: task } = source;
      return await printRange(
        client,
        out,
        { ...source, taskId: task },
        range,
        options,
      );
    }
    return await printLogs(client, out, source, options);
  } finally {
    await client.close();
  }
}

/**
 * The run and task whose log to read: the one asked for, or, for a task
 * reused from the cache, the task that ran, as stderr then says.
 */
async function logSource(
  client: RiverClient,
  runId: string,
  taskId: string | undefined,
  attempt: number | undefined,
): Promise<LogSource> {
  const origin =
    taskId === undefined ? undefined : await client.cacheOrigin(runId, taskId);
  if (origin === undefined) {
    return { runId, taskId, attempt };
  }
  process.stderr.write(
    `Task ${taskId} of run ${runId} reused a result from the cache: this ` +
      `is the log of ${origin.runId}/${origin.taskId} (attempt ` +
      `${origin.attempt}), the task that ran.\n`,
  );
  return {
    runId: origin.runId,
    taskId: origin.taskId,
    attempt: origin.attempt,
  };
}

async function printLogs(
  client: RiverClient,
  out: StdoutWriter,
  { runId, taskId, attempt }: LogSource,
  options: LogsOptions,
): Promise<number> {
  const printer = new LogPrinter({ taskId, raw: options.raw === true });
  let any = false;
  for await (const chunk of client.logs(runId, {
    follow: options.follow,
    ...(taskId === undefined ? {} : { taskId }),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(attempt === undefined ? {} : { attempt }),
    ...(options.since === undefined ? {} : { since: options.since.getTime() }),
  })) {
    any = true;
    for (const piece of printer.print(chunk)) {
      await out.write(piece);
    }
  }
  for (const piece of printer.end()) {
    await out.write(piece);
  }
  const hint = taskId === undefined ? await cachedHint(client, runId) : '';
  if (!any) {
    process.stderr.write(
      `No logs stored for run ${runId}${taskId ? ` task ${taskId}` : ''}.` +
        `${hint === '' ? '' : ` ${hint}`}\n`,
    );
    return 1;
  }
  if (hint !== '') {
    process.stderr.write(`${hint}\n`);
  }
  return 0;
}

/**
 * Names the run's tasks reused from the cache, which have no log of their
 * own: a log is only printed for them one task at a time.
 */
async function cachedHint(client: RiverClient, runId: string): Promise<string> {
  const cached: string[] = [];
  try {
    for await (const event of client.watch(runId, { follow: false })) {
      if (event.type === 'task.finished' && event.cached !== undefined) {
        cached.push(event.taskId);
      }
    }
  } catch {
    // An unknown run has no cached task either.
    return '';
  }
  const [first] = cached;
  return first === undefined
    ? ''
    : `Its ${cached.length === 1 ? 'task' : 'tasks'} ${cached.join(', ')} ` +
        `reused results from the cache: river logs ${runId} ${first} ` +
        'prints the log of the task that ran.';
}

async function printRange(
  client: RiverClient,
  out: StdoutWriter,
  { runId, taskId, attempt }: LogSource & { taskId: string },
  range: { offset: number; length: number },
  options: LogsOptions,
): Promise<number> {
  const read = await client.logRange(runId, taskId, {
    ...range,
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(attempt === undefined ? {} : { attempt }),
  });
  if (read.attempt === undefined) {
    process.stderr.write(`No logs stored for run ${runId} task ${taskId}.\n`);
    return 1;
  }
  await out.write(
    options.raw === true ? read.data : new TextDecoder().decode(read.data),
  );
  return 0;
}

/** The storage figures as `river logs --usage` prints them. */
export function formatUsage(runId: string, usage: LogUsage): string {
  const kept =
    usage.retentionDays === undefined
      ? 'kept without a time limit'
      : `kept ${usage.retentionDays} days`;
  return [
    `logs stream: ${usage.logs.messages} chunks, ${usage.logs.bytes} bytes (${kept})`,
    `log index:   ${usage.index.messages} entries, ${usage.index.bytes} bytes`,
    `run ${runId}: ${usage.run.messages} chunks, ${usage.run.bytes} bytes ` +
      `of output, ${usage.attempts} task attempts`,
    '',
  ].join('\n');
}
