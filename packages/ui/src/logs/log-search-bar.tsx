/**
 * The search form: the query, match case, the server's count, and
 * next/previous through the hit lines.
 */
import type { JSX } from 'preact';
import type { LogSearch } from './use-log-search.js';

/** Props of {@link LogSearchBar}. */
export interface LogSearchBarProps {
  search: LogSearch;
  /** Step to the next or previous hit line. */
  onStep: (direction: 1 | -1) => void;
}

const count = new Intl.NumberFormat('en');

/** The search box and what it found. */
export function LogSearchBar(props: LogSearchBarProps): JSX.Element {
  const { search, onStep } = props;
  const { result } = search;
  const hasHits = (result?.lines.length ?? 0) > 0;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    search.run();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && result && search.searched === search.query) {
      event.preventDefault();
      onStep(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      search.clear();
    }
  };

  return (
    <form class="log-search" aria-label="Search the log" onSubmit={onSubmit}>
      <label class="log-search-label">
        <span>Search log</span>
        <input
          type="search"
          value={search.query}
          onInput={(event) => search.setQuery(event.currentTarget.value)}
          onKeyDown={onKeyDown}
          placeholder="Text in the log"
        />
      </label>
      <label class="log-check">
        <input
          type="checkbox"
          checked={search.matchCase}
          onChange={(event) => search.setMatchCase(event.currentTarget.checked)}
        />
        Match case
      </label>
      <button type="submit" disabled={search.pending}>
        Search
      </button>
      <button
        type="button"
        onClick={() => onStep(-1)}
        disabled={!hasHits}
        aria-label="Previous matching line"
      >
        ↑
      </button>
      <button
        type="button"
        onClick={() => onStep(1)}
        disabled={!hasHits}
        aria-label="Next matching line"
      >
        ↓
      </button>
      <output class="log-search-result" aria-live="polite">
        {searchSummary(search)}
      </output>
    </form>
  );
}

function searchSummary(search: LogSearch): string {
  if (search.pending) {
    return 'Searching…';
  }
  if (search.error) {
    return `Search failed: ${search.error}`;
  }
  const result = search.result;
  if (!result) {
    return '';
  }
  const hits = `${count.format(result.hits)} ${result.hits === 1 ? 'match' : 'matches'}`;
  const lines = `${count.format(result.matchingLines)} ${result.matchingLines === 1 ? 'line' : 'lines'}`;
  const parts = [`${hits} on ${lines}`];
  if (search.hitIndex !== undefined && result.lines.length > 0) {
    parts.push(
      `hit line ${count.format(search.hitIndex + 1)} of ${count.format(result.lines.length)}`,
    );
  }
  if (result.matchingLines > result.lines.length) {
    parts.push(
      `next and previous cover the first ${count.format(result.lines.length)} lines`,
    );
  }
  if (!result.complete) {
    parts.push('the log is still being written');
  }
  return parts.join(' · ');
}
