/**
 * The run page's tabs as an accessible tablist: arrow keys, Home and End
 * move between tabs, the selected one is in the URL (`?tab=`).
 */
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';

/** The run page's tabs. */
export type RunTab = 'graph' | 'timeline' | 'events';

/** The tabs in order, with their names. */
export const RUN_TABS: readonly { id: RunTab; label: string }[] = [
  { id: 'graph', label: 'Graph' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'events', label: 'Events' },
];

/** The id of a tab's element, for `aria-labelledby`. */
export function tabId(tab: RunTab): string {
  return `run-tab-${tab}`;
}

/** The id of a tab's panel, for `aria-controls`. */
export function panelId(tab: RunTab): string {
  return `run-panel-${tab}`;
}

/** Props of {@link RunTabs}. */
export interface RunTabsProps {
  selected: RunTab;
  onSelect: (tab: RunTab) => void;
}

/** The tablist; the page renders the selected panel. */
export function RunTabs({ selected, onSelect }: RunTabsProps) {
  const list = useRef<HTMLDivElement>(null);

  const move = (event: JSX.TargetedKeyboardEvent<HTMLDivElement>) => {
    const index = RUN_TABS.findIndex((tab) => tab.id === selected);
    const last = RUN_TABS.length - 1;
    const target =
      event.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : event.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : undefined;
    const tab = target === undefined ? undefined : RUN_TABS[target];
    if (!tab) return;
    event.preventDefault();
    onSelect(tab.id);
    list.current?.querySelector<HTMLElement>(`#${tabId(tab.id)}`)?.focus();
  };

  return (
    <div
      class="tabs"
      role="tablist"
      aria-label="Views of the run"
      ref={list}
      onKeyDown={move}
    >
      {RUN_TABS.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          id={tabId(tab.id)}
          aria-selected={tab.id === selected}
          aria-controls={panelId(tab.id)}
          tabIndex={tab.id === selected ? 0 : -1}
          onClick={() => onSelect(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
