import { describe, expect, it } from 'vitest';
import {
  type GraphJobInput,
  type GraphLayout,
  graphShapeKey,
  layoutJobGraph,
} from './index.js';

const job = (name: string, ...needs: string[]): GraphJobInput => ({
  name,
  needs,
});

/** A repeatable pseudo-random sequence in [0, 1). */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function fanOut(name: string, count: number, ...needs: string[]) {
  return Array.from({ length: count }, (_, index) =>
    job(`${name}-${index}`, ...needs),
  );
}

/** An edge's flat `x, y, x, y…` as points. */
function pointsOf(flat: number[]): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  for (let index = 0; index < flat.length; index += 2) {
    points.push({ x: flat[index] as number, y: flat[index + 1] as number });
  }
  return points;
}

function nodeById(layout: GraphLayout, id: string) {
  const node = layout.nodes.find((candidate) => candidate.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node;
}

/** Properties every layout must have, whatever the graph. */
function expectWellFormed(layout: GraphLayout, jobs: GraphJobInput[]) {
  const drawn = layout.nodes.flatMap((node) => node.jobs).sort();
  expect(drawn).toEqual([...new Set(jobs.map((each) => each.name))].sort());

  const byId = new Map(layout.nodes.map((node) => [node.id, node]));
  for (const edge of layout.edges) {
    const from = byId.get(edge.from);
    const to = byId.get(edge.to);
    expect(from && to && from.layer < to.layer).toBe(true);
    expect(edge.points[0]).toBe((from?.x ?? 0) + (from?.width ?? 0));
    expect(edge.points.at(-2)).toBe(to?.x);
  }

  for (let index = 1; index < layout.nodes.length; index++) {
    const above = layout.nodes[index - 1];
    const below = layout.nodes[index];
    if (!above || !below) continue;
    expect(above.layer).toBeLessThanOrEqual(below.layer);
    if (above.layer === below.layer) {
      expect(below.y).toBeGreaterThanOrEqual(above.y + above.height);
    }
    expect(below.x + below.width).toBeLessThanOrEqual(layout.width);
    expect(below.y + below.height).toBeLessThanOrEqual(layout.height);
  }
}

describe('layoutJobGraph', () => {
  it('lays out a diamond in three columns with the middle pair centred', () => {
    const layout = layoutJobGraph([
      job('checkout'),
      job('build', 'checkout'),
      job('lint', 'checkout'),
      job('release', 'build', 'lint'),
    ]);

    expect(
      layout.nodes.map(({ id, layer, x, y }) => [id, layer, x, y]),
    ).toEqual([
      ['checkout', 0, 24, 54],
      ['build', 1, 296, 24],
      ['lint', 1, 296, 84],
      ['release', 2, 568, 54],
    ]);
    expect(layout.edges).toEqual([
      {
        from: 'checkout',
        to: 'build',
        points: [224, 76, 296, 46],
      },
      {
        from: 'checkout',
        to: 'lint',
        points: [224, 76, 296, 106],
      },
      {
        from: 'build',
        to: 'release',
        points: [496, 46, 568, 76],
      },
      {
        from: 'lint',
        to: 'release',
        points: [496, 106, 568, 76],
      },
    ]);
    expect(layout.width).toBe(792);
  });

  it('puts a job one layer after the latest job it needs', () => {
    const layout = layoutJobGraph([
      job('a'),
      job('b', 'a'),
      job('c', 'b'),
      job('d', 'a', 'c'),
    ]);

    expect(layout.nodes.map((node) => [node.id, node.layer])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
    const skip = layout.edges.find((e) => e.from === 'a' && e.to === 'd');
    // The edge passes the two layers it skips beside their jobs, not on them.
    const points = pointsOf(skip?.points ?? []);
    expect(points.length).toBeGreaterThan(2);
    for (const point of points.slice(1, -1)) {
      const hit = layout.nodes.filter(
        (node) =>
          point.x >= node.x &&
          point.x <= node.x + node.width &&
          point.y >= node.y &&
          point.y <= node.y + node.height,
      );
      expect(hit).toEqual([]);
    }
  });

  it('ignores needs of unknown jobs, of the job itself and repeated names', () => {
    const layout = layoutJobGraph([
      job('a', 'ghost'),
      job('b', 'a', 'b', 'a'),
      job('a', 'b'),
    ]);

    expect(layout.nodes.map((node) => [node.id, node.layer])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(layout.edges.map((edge) => [edge.from, edge.to])).toEqual([
      ['a', 'b'],
    ]);
  });

  it('breaks cycles instead of hanging', () => {
    const jobs = [job('a', 'c'), job('b', 'a'), job('c', 'b'), job('d', 'd')];
    const layout = layoutJobGraph(jobs);

    expectWellFormed(layout, jobs);
    expect(layout.edges).toHaveLength(2);
  });

  it('lays out an empty list as an empty drawing', () => {
    expect(layoutJobGraph([])).toEqual({
      nodes: [],
      edges: [],
      width: 48,
      height: 48,
    });
  });

  it('folds more than twelve interchangeable jobs into one group', () => {
    const jobs = [
      job('checkout'),
      ...fanOut('build', 480, 'checkout'),
      job('publish', ...fanOut('build', 480).map((each) => each.name)),
    ];
    const layout = layoutJobGraph(jobs);

    expect(
      layout.nodes.map((node) => [node.id, node.kind, node.label]),
    ).toEqual([
      ['checkout', 'job', 'checkout'],
      ['group:build-0', 'group', 'build-* (480 jobs)'],
      ['publish', 'job', 'publish'],
    ]);
    expect(nodeById(layout, 'group:build-0').jobs).toHaveLength(480);
    expect(layout.edges.map((edge) => [edge.from, edge.to])).toEqual([
      ['checkout', 'group:build-0'],
      ['group:build-0', 'publish'],
    ]);
  });

  it('keeps twelve interchangeable jobs as they are', () => {
    const jobs = [job('checkout'), ...fanOut('test', 12, 'checkout')];

    expect(
      layoutJobGraph(jobs).nodes.every((node) => node.kind === 'job'),
    ).toBe(true);
    expect(
      layoutJobGraph(jobs, { groupThreshold: 11 }).nodes.map((n) => n.kind),
    ).toEqual(['job', 'group']);
  });

  it('groups only jobs that share both their needs and their dependents', () => {
    const jobs = [
      job('checkout'),
      ...fanOut('unit', 13, 'checkout'),
      job('coverage', ...fanOut('unit', 13).map((each) => each.name)),
      ...fanOut('lint', 13, 'checkout'),
      job('report', 'lint-0'),
    ];
    const layout = layoutJobGraph(jobs);
    const groups = layout.nodes.filter((node) => node.kind === 'group');

    // Lint-0 has a dependent the other lints lack; 12 lints remain: too few.
    expect(groups.map((group) => group.label)).toEqual(['unit-* (13 jobs)']);
    expectWellFormed(layout, jobs);
  });

  it('labels a group by its count when the names share no prefix', () => {
    const jobs = [
      job('root'),
      ...Array.from({ length: 13 }, (_, index) =>
        job(`${String.fromCharCode(97 + index)}-job`, 'root'),
      ),
    ];

    expect(layoutJobGraph(jobs).nodes[1]?.label).toBe('13 jobs');
  });

  it('gives a group an id that no job has', () => {
    const jobs = [job('group:x-0'), ...fanOut('x', 13, 'group:x-0')];

    expect(layoutJobGraph(jobs).nodes.map((node) => node.id)).toEqual([
      'group:x-0',
      'group:x-0~',
    ]);
  });

  it('orders a layer so that crossings disappear where they can', () => {
    const layout = layoutJobGraph([
      job('a'),
      job('b'),
      job('a2', 'a'),
      job('b2', 'b'),
      job('b3', 'b2'),
      job('a3', 'a2'),
    ]);
    const column = (layer: number) =>
      layout.nodes.filter((n) => n.layer === layer).map((n) => n.id);

    expect([column(0), column(1), column(2)]).toEqual([
      ['a', 'b'],
      ['a2', 'b2'],
      ['a3', 'b3'],
    ]);
  });
});

describe('large graphs', () => {
  const shapes: Record<string, () => GraphJobInput[]> = {
    'chain-heavy': () => {
      const random = randomFrom(1);
      return Array.from({ length: 2000 }, (_, index) => {
        const [chain, step] = [Math.floor(index / 100), index % 100];
        if (step > 0) return job(`c${chain}-${step}`, `c${chain}-${step - 1}`);
        const link = Math.floor(random() * 100);
        return chain
          ? job(`c${chain}-0`, `c${chain - 1}-${link}`)
          : job('c0-0');
      });
    },
    'wide fan-out': () => [
      job('checkout'),
      ...fanOut('build', 1997, 'checkout'),
      job('merge', ...fanOut('build', 1997).map((each) => each.name)),
      job('publish', 'merge'),
    ],
    'many small fan-outs': () => {
      const jobs = [job('checkout')];
      for (let stage = 0; jobs.length < 2000; stage++) {
        jobs.push(job(`stage-${stage}`, 'checkout'));
        for (let index = 0; index < 48 && jobs.length < 2000; index++) {
          const extra = index % 7 === 0 ? ['checkout'] : [];
          jobs.push(job(`test-${stage}-${index}`, `stage-${stage}`, ...extra));
        }
      }
      return jobs;
    },
    'random DAG': () => {
      const random = randomFrom(7);
      return Array.from({ length: 2000 }, (_, index) => {
        const count = index ? 1 + Math.floor(random() * 3) : 0;
        const needs = Array.from(
          { length: count },
          () => `j${Math.floor(random() * index)}`,
        );
        return job(`j${index}`, ...needs);
      });
    },
  };

  // How fast is measured where it matters, in the browser tests of the
  // graph (tests/ui/graph.test.ts); here, only what comes out.
  for (const [shape, make] of Object.entries(shapes)) {
    it(`lays out a 2,000-job ${shape} graph`, () => {
      const jobs = make();
      expect(jobs).toHaveLength(2000);
      expectWellFormed(layoutJobGraph(jobs), jobs);
    });
  }
});

describe('graphShapeKey', () => {
  it('gives equal graphs equal keys and different graphs different ones', () => {
    const graph = [job('a'), job('b', 'a')];

    expect(graphShapeKey(graph)).toBe(graphShapeKey([job('a'), job('b', 'a')]));
    expect(graphShapeKey(graph)).toMatch(/^g1-2-[0-9a-f]{16}$/);
    expect(graphShapeKey(graph)).not.toBe(graphShapeKey([job('a'), job('b')]));
    // Separators inside names do not make two graphs look alike.
    expect(graphShapeKey([job('a:b')])).not.toBe(
      graphShapeKey([job('a', 'b')]),
    );
  });
});
