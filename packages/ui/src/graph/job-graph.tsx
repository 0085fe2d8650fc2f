/**
 * A run's job graph: pan by dragging or with the arrow keys, zoom with the
 * wheel or the buttons, click a job to select it, click a group to list its
 * jobs. Only what is on screen is drawn.
 */
import type { GraphLayout, GraphNode, JobStatus } from '@river/run-view';
import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { FailedJobs } from './failed-jobs.js';
import { GraphScene } from './graph-scene.js';
import { GroupMembers } from './group-members.js';
import { failedPaths, STATUS_ORDER, STATUS_SYMBOL } from './job-status.js';
import { LayoutIndex, type Rect } from './layout-index.js';
import { usePanZoom } from './pan-zoom.js';
import './job-graph.css';

/** Space between a node's text and its right edge. */
const TEXT_INSET_PX = 12;

/** What the graph shows and whom it tells about a click. */
export interface JobGraphProps {
  layout: GraphLayout;
  /** Statuses by job name; a job missing from it shows as waiting. */
  statuses: Readonly<Record<string, JobStatus>>;
  /** Dims every job that is not failed or on a path through a failed job. */
  failedOnly: boolean;
  /** The selected job's name; the view moves to it when it is off screen. */
  selected?: string | undefined;
  /** Called with a job's name when the user picks it. */
  onSelectJob(name: string): void;
}

/** The drawn part of the layout and the detail it is drawn with. */
export interface SceneArea {
  area: Rect;
  outline: boolean;
  scale: number;
}

/**
 * Draws a laid-out job graph. It fills its container, which must give it a
 * height; the root carries `data-ready` once the first nodes are drawn.
 */
export function JobGraph(props: JobGraphProps) {
  const { layout, statuses, failedOnly, selected, onSelectJob } = props;
  const index = useMemo(() => new LayoutIndex(layout), [layout]);
  const [openGroup, setOpenGroup] = useState<string | undefined>();
  const focused = useRef<string | undefined>(undefined);
  const [panZoom, scene] = usePanZoom(index);
  const clipId = useId();
  const textWidth = Math.max(0, (layout.nodes[0]?.width ?? 0) - TEXT_INSET_PX);

  const paths = useMemo(
    () => (failedOnly ? failedPaths(layout, statuses) : null),
    [layout, statuses, failedOnly],
  );
  const selectedNode = selected ? index.nodeOfJob.get(selected) : undefined;
  const group = openGroup ? index.nodeById.get(openGroup) : undefined;

  // A selection made elsewhere (a link, the failed list) is brought in view.
  useEffect(() => {
    if (!selectedNode) return;
    panZoom.reveal(selectedNode);
    if (selectedNode.kind === 'group') setOpenGroup(selectedNode.id);
  }, [selectedNode, panZoom]);

  useEffect(() => setOpenGroup(undefined), [layout]);

  const activate = (node: GraphNode | undefined) => {
    if (!node) return;
    if (node.kind === 'job') onSelectJob(node.id);
    else setOpenGroup(openGroup === node.id ? undefined : node.id);
  };
  const nodeOf = (target: EventTarget | null) => {
    const element = (target as Element | null)?.closest?.('[data-node]');
    const id = element?.getAttribute('data-node');
    return id ? index.nodeById.get(id) : undefined;
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      const node = nodeOf(event.target);
      if (!node) return;
      event.preventDefault();
      activate(node);
    } else if (event.key === 'Escape' && openGroup) {
      setOpenGroup(undefined);
    } else {
      panZoom.onKeyDown(event);
    }
  };
  const onFocusIn = (event: FocusEvent) => {
    const node = nodeOf(event.target);
    focused.current = node?.id;
    if (node) panZoom.reveal(node, { centre: false });
  };

  const jumpTo = (job: string) => {
    const node = index.nodeOfJob.get(job);
    if (!node) return;
    panZoom.reveal(node);
    if (node.kind === 'group') setOpenGroup(node.id);
    onSelectJob(job);
  };

  return (
    <div class="job-graph" data-ready={scene ? 'true' : undefined}>
      <div class="job-graph-toolbar">
        <div class="job-graph-zoom">
          <button
            type="button"
            onClick={() => panZoom.zoomBy(1 / 1.25)}
            aria-label="Zoom out"
          >
            −
          </button>
          <button
            type="button"
            onClick={() => panZoom.zoomBy(1.25)}
            aria-label="Zoom in"
          >
            +
          </button>
          <button type="button" onClick={() => panZoom.fit()}>
            Fit
          </button>
        </div>
        <FailedJobs
          layout={layout}
          statuses={statuses}
          selected={selected}
          onJump={jumpTo}
        />
        <ul class="job-graph-legend" aria-label="Legend">
          {STATUS_ORDER.map((status) => (
            <li key={status} class={`is-${status}`}>
              <span aria-hidden="true">{STATUS_SYMBOL[status]}</span> {status}
            </li>
          ))}
        </ul>
      </div>
      <div class="job-graph-body">
        {/* biome-ignore lint/a11y/useSemanticElements: a canvas to pan, not a fieldset */}
        <div
          ref={panZoom.viewportRef}
          class="job-graph-viewport"
          role="group"
          aria-label="Job graph. Arrow keys pan, plus and minus zoom, 0 fits the graph."
          tabindex={0}
          onKeyDown={onKeyDown}
          onFocusIn={onFocusIn}
          onPointerDown={panZoom.onPointerDown}
          onClick={(event) => {
            if (!panZoom.wasDragged()) activate(nodeOf(event.target));
          }}
        >
          <svg
            ref={panZoom.canvasRef}
            class={`job-graph-canvas${scene?.outline ? ' is-outline' : ''}`}
            width={scene ? drawnSize(scene).width : 0}
            height={scene ? drawnSize(scene).height : 0}
          >
            <title>Jobs and the jobs they need</title>
            <defs>
              {/* Names run past no box: clipped, not cut, so screen readers
                  and voice control get the same words as the eye. */}
              <clipPath id={clipId}>
                <rect width={textWidth} height={1000} />
              </clipPath>
            </defs>
            {scene && (
              <g
                transform={`scale(${scene.scale}) translate(${-scene.area.left} ${-scene.area.top})`}
              >
                <GraphScene
                  index={index}
                  area={scene.area}
                  outline={scene.outline}
                  statuses={statuses}
                  paths={paths}
                  selectedNode={selectedNode?.id}
                  openGroup={openGroup}
                  keep={focused}
                  clipId={clipId}
                />
              </g>
            )}
          </svg>
        </div>
        {group && (
          <GroupMembers
            group={group}
            statuses={statuses}
            failedOnly={failedOnly}
            selected={selected}
            onSelectJob={onSelectJob}
            onClose={() => setOpenGroup(undefined)}
          />
        )}
      </div>
    </div>
  );
}

/** The drawn area's size on screen at the scale it is drawn with. */
function drawnSize(scene: SceneArea): { width: number; height: number } {
  const { area, scale } = scene;
  return {
    width: Math.ceil((area.right - area.left) * scale),
    height: Math.ceil((area.bottom - area.top) * scale),
  };
}
