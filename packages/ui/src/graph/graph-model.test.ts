import { layoutJobGraph } from '@river/run-view';
import { describe, expect, it } from 'vitest';
import { describeCounts, failedPaths, nodeStatus } from './job-status.js';
import { LayoutIndex } from './layout-index.js';
import { fitView, visibleArea, zoomAt } from './view.js';

const layout = layoutJobGraph([
  { name: 'checkout', needs: [] },
  { name: 'lint', needs: ['checkout'] },
  ...Array.from({ length: 20 }, (_, index) => ({
    name: `test-${index}`,
    needs: ['checkout'],
  })),
  { name: 'report', needs: ['lint'] },
  { name: 'docs', needs: [] },
]);

describe('the layout index', () => {
  it('finds exactly the nodes that overlap an area', () => {
    const index = new LayoutIndex(layout);
    const checkout = index.nodeById.get('checkout');
    if (!checkout) throw new Error('no checkout node');

    const around = index.nodesIn({
      left: checkout.x,
      top: checkout.y,
      right: checkout.x + 1,
      bottom: checkout.y + 1,
    });
    expect(around.map((node) => node.id)).toEqual(['checkout']);

    const all = index.nodesIn({
      left: 0,
      top: 0,
      right: layout.width,
      bottom: layout.height,
    });
    expect(all).toHaveLength(layout.nodes.length);
    expect(index.nodeOfJob.get('test-7')?.kind).toBe('group');
    expect(
      index.edgesIn({ left: -10, top: -10, right: -1, bottom: -1 }),
    ).toEqual([]);
  });
});

describe('statuses on the graph', () => {
  it('shows a group as failed when one member failed, with counts', () => {
    const group = layout.nodes.find((node) => node.kind === 'group');
    if (!group) throw new Error('no group');
    const statuses = { 'test-3': 'failed', 'test-4': 'running' } as const;

    expect(nodeStatus(group, statuses)).toBe('failed');
    expect(
      describeCounts({ ...zero, failed: 1, running: 1, waiting: 18 }),
    ).toBe('✕ 1 failed, ▶ 1 running, ○ 18 waiting');
  });

  it('keeps the ancestors and dependents of failed jobs on the paths', () => {
    const paths = failedPaths(layout, { lint: 'failed' });

    expect([...paths.nodes].sort()).toEqual(['checkout', 'lint', 'report']);
    expect(paths.edges.size).toBe(2);
  });
});

describe('the view', () => {
  it('fits the graph and zooms around the pointer', () => {
    const size = { width: 800, height: 600 };
    const fit = fitView(layout, size);
    const area = visibleArea(fit, size);
    expect(area.left).toBeLessThanOrEqual(0);
    expect(area.right).toBeGreaterThanOrEqual(layout.width);

    const zoomed = zoomAt(fit, 2, { x: 100, y: 100 }, { min: 0.1, max: 2 });
    // The layout point under the pointer stays under it.
    expect((100 - zoomed.x) / zoomed.scale).toBeCloseTo(
      (100 - fit.x) / fit.scale,
    );
  });
});

const zero = { failed: 0, running: 0, waiting: 0, skipped: 0, succeeded: 0 };
