/** The runs list's filter form: status, project, time window, text. */
import type { RunStatus } from '@river/run-view';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { RunFilter } from '../api/runs.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import { RUN_STATUSES } from './filter-query.js';

/** Props of {@link RunsFilters}. */
export interface RunsFiltersProps {
  filter: RunFilter;
  projects: string[];
  /** Called with the whole new filter on every change. */
  onChange: (filter: RunFilter) => void;
}

/**
 * Checkboxes, the project select and the time inputs apply at once; the
 * text applies on Enter or "Search", so typing does not fetch per key.
 */
export function RunsFilters({ filter, projects, onChange }: RunsFiltersProps) {
  const [text, setText] = useState(filter.text ?? '');
  useEffect(() => setText(filter.text ?? ''), [filter.text]);

  const toggleStatus = (status: RunStatus, checked: boolean) => {
    const statuses = checked
      ? RUN_STATUSES.filter(
          (each) => each === status || filter.statuses.includes(each),
        )
      : filter.statuses.filter((each) => each !== status);
    onChange({ ...filter, statuses });
  };

  const setField = <K extends keyof RunFilter>(
    name: K,
    value: RunFilter[K] | undefined,
  ) => {
    const next = { ...filter };
    if (value === undefined || value === '') delete next[name];
    else next[name] = value;
    onChange(next);
  };

  const submit = (event: JSX.TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setField('text', text.trim() || undefined);
  };

  const knownProjects =
    filter.project && !projects.includes(filter.project)
      ? [filter.project, ...projects]
      : projects;

  return (
    <form class="filters" onSubmit={submit} aria-label="Filter runs">
      <fieldset class="filter-statuses">
        <legend>Status</legend>
        {RUN_STATUSES.map((status) => (
          <label key={status} class="check">
            <input
              type="checkbox"
              name="status"
              value={status}
              checked={filter.statuses.includes(status)}
              onChange={(event) =>
                toggleStatus(status, event.currentTarget.checked)
              }
            />
            {status}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="filter-project">Project</label>
        <select
          id="filter-project"
          name="project"
          value={filter.project ?? ''}
          onChange={(event) =>
            setField('project', event.currentTarget.value || undefined)
          }
        >
          <option value="">All projects</option>
          {knownProjects.map((project) => (
            <option key={project} value={project}>
              {project}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-from">Submitted from</label>
        <input
          type="datetime-local"
          id="filter-from"
          name="from"
          value={toLocalInput(filter.from)}
          onChange={(event) =>
            setField('from', fromLocalInput(event.currentTarget.value))
          }
        />
      </div>
      <div class="field">
        <label for="filter-to">Submitted to</label>
        <input
          type="datetime-local"
          id="filter-to"
          name="to"
          value={toLocalInput(filter.to)}
          onChange={(event) =>
            setField('to', fromLocalInput(event.currentTarget.value))
          }
        />
      </div>
      <div class="field field-grow">
        <label for="filter-text">Text in id, project or file</label>
        <input
          type="search"
          id="filter-text"
          name="q"
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
        />
      </div>
      <button type="submit">Search</button>
    </form>
  );
}
