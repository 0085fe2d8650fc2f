/**
 * A run's page at `/runs/<id>`: its header and actions, then the Graph,
 * Timeline and Events tabs (`?tab=`, `?job=` for the job panel).
 */
import { Link, navigate, runPath } from '../router.js';
import { useNow } from '../use-now.js';
import { EventsTab } from './events-tab.js';
import { GraphTab } from './graph-tab.js';
import { RunHeader } from './run-header.js';
import { panelId, RUN_TABS, type RunTab, RunTabs, tabId } from './run-tabs.js';
import { TimelineTab } from './timeline-tab.js';
import { useRunDetail } from './use-run-detail.js';
import './run.css';

/** Props of {@link RunPage}. */
export interface RunPageProps {
  runId: string;
  query: URLSearchParams;
}

function tabOf(query: URLSearchParams): RunTab {
  const asked = query.get('tab');
  return RUN_TABS.find((tab) => tab.id === asked)?.id ?? 'graph';
}

/** The run page. */
export function RunPage({ runId, query }: RunPageProps) {
  const { detail, version, error, missing } = useRunDetail(runId);
  const tab = tabOf(query);
  const selectedJob = query.get('job') ?? undefined;
  const now = useNow(detail?.summary.finishedAt === undefined);

  if (!detail) {
    return (
      <section aria-labelledby="run-heading">
        <h1 id="run-heading">
          Run <span class="mono">{runId}</span>
        </h1>
        {error ? (
          <p class="error" role="alert">
            {missing ? 'There is no run with this id.' : error}
          </p>
        ) : (
          <p aria-live="polite">Loading the run…</p>
        )}
        <p>
          <Link href="/">Back to the runs</Link>
        </p>
      </section>
    );
  }

  // Tabs and panels replace the history entry: Back leaves the run.
  const go = (fields: Record<string, string>) =>
    navigate(runPath(runId, fields), { replace: true });
  const selectTab = (next: RunTab) => go(next === 'graph' ? {} : { tab: next });
  const selectJob = (job: string | undefined) =>
    go(job === undefined ? {} : { job });

  return (
    <section class="run-page" aria-label={`Run ${runId}`}>
      <RunHeader summary={detail.summary} now={now} />
      <RunTabs selected={tab} onSelect={selectTab} />
      <div
        class="tab-panel"
        role="tabpanel"
        id={panelId(tab)}
        aria-labelledby={tabId(tab)}
      >
        {tab === 'graph' ? (
          <GraphTab
            detail={detail}
            version={version}
            selectedJob={selectedJob}
            onSelectJob={selectJob}
          />
        ) : null}
        {tab === 'timeline' ? (
          <TimelineTab detail={detail} version={version} />
        ) : null}
        {tab === 'events' ? <EventsTab runId={runId} /> : null}
      </div>
    </section>
  );
}
