import { SUBJECT_PREFIX } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { readStoredEvents, runEventsOfType } from './stored-events.js';

/**
 * The digests of the files that runs still going use, as their events
 * tell: their sources, and the files their finished tasks made or reused,
 * which later tasks of theirs may take as inputs. A run counts as going
 * from its `run.submitted` until its `run.finished`.
 */
export async function filesInUse(
  connection: RiverConnection,
): Promise<Set<string>> {
  const finished = new Set<string>();
  for await (const event of readStoredEvents(
    connection,
    `${SUBJECT_PREFIX}.events.*.run.finished`,
    true,
  )) {
    finished.add(event.runId);
  }

  const digests = new Set<string>();
  const going: string[] = [];
  for await (const event of readStoredEvents(
    connection,
    `${SUBJECT_PREFIX}.events.*.run.submitted`,
    true,
  )) {
    if (event.type !== 'run.submitted' || finished.has(event.runId)) {
      continue;
    }
    going.push(event.runId);
    for (const source of event.sources ?? []) {
      digests.add(source.digest);
    }
  }
  for (const runId of going) {
    for (const event of await runEventsOfType(
      connection,
      runId,
      'task.finished',
    )) {
      for (const file of event.outcome.files) {
        digests.add(file.digest);
      }
    }
  }
  return digests;
}
