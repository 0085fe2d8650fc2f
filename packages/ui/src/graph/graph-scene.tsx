/**
 * The SVG content of the graph for one area of the layout: only the nodes
 * and edges that overlap it, so a frame costs the same at 20 or 2,000 jobs.
 */
import type { GraphEdge, GraphNode } from '@river/run-view';
import { memo } from 'preact/compat';
import {
  countStatuses,
  describeCounts,
  type FailedPaths,
  type JobStatuses,
  nodeStatus,
  STATUS_SYMBOL,
} from './job-status.js';
import type { LayoutIndex, Rect } from './layout-index.js';

/** What to draw and how. */
export interface SceneProps {
  index: LayoutIndex;
  /** The area to draw: the screen and a margin around it. */
  area: Rect;
  /** Boxes without text, for views zoomed too far out to read. */
  outline: boolean;
  statuses: JobStatuses;
  /** When set, everything off these paths is dimmed. */
  paths: FailedPaths | null;
  selectedNode: string | undefined;
  openGroup: string | undefined;
  /** The id of the clip path that keeps a long name inside its box. */
  clipId: string;
  /** A node drawn even outside the area: the one holding the focus. */
  keep: { current: string | undefined };
}

/** Average width of a character of a node's name, to tell a long name. */
const CHARACTER_WIDTH = 7.4;
const TEXT_INSET = 12;
const ARROW_SIZE = 5;

function SceneView(props: SceneProps) {
  const { index, area, paths } = props;
  const nodes = index.nodesIn(area);
  const kept = props.keep.current && index.nodeById.get(props.keep.current);
  if (kept && !nodes.includes(kept)) nodes.push(kept);

  const normal: string[] = [];
  const dimmed: string[] = [];
  const highlighted: string[] = [];
  for (const edgeIndex of index.edgesIn(area)) {
    const edge = index.layout.edges[edgeIndex] as GraphEdge;
    const path = props.outline ? straightPath(edge) : edgePath(edge, area);
    if (
      props.selectedNode &&
      (edge.from === props.selectedNode || edge.to === props.selectedNode)
    ) {
      highlighted.push(path);
    } else if (paths && !paths.edges.has(edgeIndex)) dimmed.push(path);
    else normal.push(path);
  }

  return (
    <>
      <g>
        <path class="job-graph-edge is-dimmed" d={dimmed.join('')} />
        <path
          class={`job-graph-edge${paths ? ' is-failed-path' : ''}`}
          d={normal.join('')}
        />
        <path class="job-graph-edge is-selected" d={highlighted.join('')} />
      </g>
      <g>{nodes.map((node) => nodeView(node, props))}</g>
    </>
  );
}

/** The scene; it redraws only when one of its props changes. */
export const GraphScene = memo(SceneView);

function nodeView(node: GraphNode, props: SceneProps) {
  const status = nodeStatus(node, props.statuses);
  const isGroup = node.kind === 'group';
  const counts = isGroup ? countStatuses(node, props.statuses) : undefined;
  const detail = counts ? describeCounts(counts) : status;
  const dimmed = props.paths !== null && !props.paths.nodes.has(node.id);
  const selected = props.selectedNode === node.id;
  const classes = [
    'job-graph-node',
    `is-${status}`,
    isGroup ? 'is-group' : '',
    dimmed ? 'is-dimmed' : '',
    selected ? 'is-selected' : '',
  ].join(' ');
  const label = counts
    ? `${node.label}: ${describeCounts(counts, false)}. Lists its jobs.`
    : `${node.label}, ${status}`;
  const fits = Math.floor((node.width - 2 * TEXT_INSET) / CHARACTER_WIDTH);
  const clip = `url(#${props.clipId})`;

  return (
    // biome-ignore lint/a11y/useSemanticElements: SVG has no button element
    <g
      key={node.id}
      class={classes}
      transform={`translate(${node.x} ${node.y})`}
      role="button"
      tabindex={0}
      aria-label={label}
      aria-current={selected ? 'true' : undefined}
      aria-expanded={isGroup ? props.openGroup === node.id : undefined}
      data-node={node.id}
    >
      {isGroup && (
        <rect
          class="job-graph-stack"
          x={4}
          y={-4}
          width={node.width}
          height={node.height}
          rx={6}
        />
      )}
      <rect
        class="job-graph-box"
        width={node.width}
        height={node.height}
        rx={6}
      />
      {!props.outline && (
        <>
          <text class="job-graph-name" x={TEXT_INSET} y={18} clip-path={clip}>
            {`${STATUS_SYMBOL[status]} ${node.label}`}
            {node.label.length + 2 > fits && <title>{node.label}</title>}
          </text>{' '}
          <text
            class="job-graph-detail"
            x={TEXT_INSET}
            y={node.height - 10}
            clip-path={clip}
          >
            {detail}
          </text>
        </>
      )}
    </g>
  );
}

/**
 * An edge as one straight line from its start to its end, for views
 * zoomed too far out to tell its bends: a tenth of the path data of a big
 * graph, which is what drawing it zoomed out costs.
 */
function straightPath(edge: GraphEdge): string {
  const { points } = edge;
  const last = points.length - 2;
  if (last < 2) return '';
  return `M${points[0]} ${points[1]}L${points[last]} ${points[last + 1]}`;
}

/**
 * An edge as SVG path data: curves between columns, straight runs through
 * them, and an open arrowhead at the end. Only the stretches that reach
 * into `area` are drawn: a long edge crosses the whole graph, and drawing
 * all of it for every view cost more than the rest of the scene.
 */
function edgePath(edge: GraphEdge, area: Rect): string {
  const { points } = edge;
  let path = '';
  let drawing = false;
  for (let index = 0; index + 3 < points.length; index += 2) {
    const x = points[index] as number;
    const y = points[index + 1] as number;
    const nextX = points[index + 2] as number;
    const nextY = points[index + 3] as number;
    // Edges run left to right, so a stretch is in view by its x alone
    // (their boxes were already matched against the area).
    if (nextX < area.left || x > area.right) {
      drawing = false;
      continue;
    }
    if (!drawing) {
      path += `M${x} ${y}`;
      drawing = true;
    }
    if (nextY === y) {
      path += `L${nextX} ${nextY}`;
    } else {
      const middle = (x + nextX) / 2;
      path += `C${middle} ${y} ${middle} ${nextY} ${nextX} ${nextY}`;
    }
  }
  if (!drawing) return path;
  const x = points.at(-2) as number;
  const y = points.at(-1) as number;
  return `${path}M${x - ARROW_SIZE} ${y - ARROW_SIZE}L${x} ${y}L${x - ARROW_SIZE} ${y + ARROW_SIZE}`;
}
