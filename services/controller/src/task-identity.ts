/**
 * How a task is identified across a run and its replays: its command as
 * text, a digest of its whole spec, and the comparison of a replay's task
 * with the one its history recorded at the same step.
 */
import { createHash } from 'node:crypto';
import type { RecordedTask } from './run-record.js';

/** Longest command text kept in a `task.requested` event. */
const MAX_COMMAND_CHARS = 4_096;

/** A command cut to the length kept in events. */
export function brief(command: string): string {
  return command.length > MAX_COMMAND_CHARS
    ? `${command.slice(0, MAX_COMMAND_CHARS)}…`
    : command;
}

/** SHA-256 of a value's JSON, to compare task specs across replays. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * Why a task asked for in a replay does not match its history, if it does
 * not: another name, command or spec at the same step, or any task at all
 * from a job whose history says it had ended.
 */
export function replayProblem(
  recorded: RecordedTask | undefined,
  asked: { name: string; command: string; specDigest: string },
  jobEnded: boolean,
): string | undefined {
  if (recorded === undefined) {
    return jobEnded
      ? `the replay asked for '${asked.name}' (${brief(asked.command)}), ` +
          'but its history says the job had ended by then'
      : undefined;
  }
  const commandDiffers =
    recorded.command !== undefined && recorded.command !== brief(asked.command);
  if (recorded.name !== asked.name || commandDiffers) {
    return (
      `its history has '${recorded.name}' ` +
      `(${recorded.command ?? 'command not recorded'}), but the replay ` +
      `asked for '${asked.name}' (${brief(asked.command)})`
    );
  }
  if (
    recorded.specDigest !== undefined &&
    recorded.specDigest !== asked.specDigest
  ) {
    return (
      `the replay asked for '${asked.name}' with the same command as its ` +
      'history, but with other settings (environment, inputs, outputs or ' +
      'limits)'
    );
  }
  return undefined;
}

/** A command as a shell would read it back: arguments quoted as needed. */
export function commandText(command: string | string[]): string {
  if (typeof command === 'string') {
    return command;
  }
  return command
    .map((arg) =>
      /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`,
    )
    .join(' ');
}
