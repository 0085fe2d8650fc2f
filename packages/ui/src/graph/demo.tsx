/**
 * A page for trying and measuring the job graph alone (graph-demo.html, not
 * part of the production build): a generated graph of 2,000 jobs by default.
 * Query string: `shape=random|mixed|chains|fanout|pipeline`, `jobs=<count>`,
 * `failedOnly=1`, `seed=<n>`.
 */
import type { GraphJobInput, GraphLayout, JobStatus } from '@river/run-view';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { JobGraph } from './index.js';

const query = new URLSearchParams(location.search);
const jobCount = Number(query.get('jobs') ?? 2000);
const shape = query.get('shape') ?? 'random';
const random = randomFrom(Number(query.get('seed') ?? 7));

function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Each job needs one to three of the sixty jobs before it. */
function localRandom(count: number, prefix = 'job-'): GraphJobInput[] {
  return Array.from({ length: count }, (_, index) => {
    const needs = new Set<string>();
    const wanted = index ? 1 + Math.floor(random() * 3) : 0;
    for (let n = 0; n < wanted; n++) {
      needs.add(
        `${prefix}${Math.max(0, index - 1 - Math.floor(random() * 60))}`,
      );
    }
    return { name: `${prefix}${index}`, needs: [...needs] };
  });
}

/** A small build: four platforms, their tests, a package, docs and lint. */
function pipeline(): GraphJobInput[] {
  const platforms = ['linux', 'macos', 'windows', 'wasm'];
  const jobs: GraphJobInput[] = [
    { name: 'checkout', needs: [] },
    { name: 'configure', needs: ['checkout'] },
    { name: 'lint', needs: ['checkout'] },
    { name: 'docs', needs: ['configure'] },
  ];
  const tests: string[] = [];
  for (const platform of platforms) {
    jobs.push({ name: `build-${platform}`, needs: ['configure'] });
    const count = platform === 'linux' ? 30 : 3;
    for (let index = 0; index < count; index++) {
      const name = `test-${platform}-${index}`;
      jobs.push({ name, needs: [`build-${platform}`] });
      tests.push(name);
    }
  }
  jobs.push({ name: 'package', needs: [...tests, 'lint'] });
  jobs.push({ name: 'publish', needs: ['package', 'docs'] });
  return jobs;
}

function generate(): GraphJobInput[] {
  if (shape === 'pipeline') return pipeline();
  if (shape === 'chains') {
    return Array.from({ length: jobCount }, (_, index) => {
      const [chain, step] = [Math.floor(index / 100), index % 100];
      const needs = step ? [`chain-${chain}-${step - 1}`] : [];
      return { name: `chain-${chain}-${step}`, needs };
    });
  }
  if (shape === 'fanout') {
    const builds = Array.from({ length: jobCount - 2 }, (_, index) => ({
      name: `build-${index}`,
      needs: ['checkout'],
    }));
    return [
      { name: 'checkout', needs: [] },
      ...builds,
      { name: 'publish', needs: builds.map((build) => build.name) },
    ];
  }
  if (shape === 'mixed') {
    const tests = Array.from({ length: 480 }, (_, index) => ({
      name: `test-${index}`,
      needs: ['job-0'],
    }));
    const report = { name: 'report', needs: tests.map((test) => test.name) };
    return [...localRandom(jobCount - 481), ...tests, report];
  }
  return localRandom(jobCount);
}

/** A run part-way through: finished at the start, running in the middle. */
function statusesOf(jobs: GraphJobInput[]): Record<string, JobStatus> {
  const statuses: Record<string, JobStatus> = {};
  jobs.forEach((job, index) => {
    const progress = index / jobs.length;
    const roll = random();
    statuses[job.name] =
      progress < 0.6
        ? roll < 0.01
          ? 'failed'
          : roll < 0.02
            ? 'skipped'
            : 'succeeded'
        : progress < 0.7
          ? 'running'
          : 'waiting';
  });
  return statuses;
}

function Demo(props: {
  layout: GraphLayout;
  statuses: Record<string, JobStatus>;
}) {
  const [failedOnly, setFailedOnly] = useState(query.get('failedOnly') === '1');
  const [selected, setSelected] = useState<string | undefined>();
  return (
    <div class="demo">
      <h1>Job graph</h1>
      <p>
        <label>
          <input
            type="checkbox"
            checked={failedOnly}
            onChange={(event) => setFailedOnly(event.currentTarget.checked)}
          />{' '}
          Failed only
        </label>{' '}
        <output id="demo-selected">{selected ?? 'No job selected'}</output>
      </p>
      <div style={{ height: 'calc(100vh - 120px)' }}>
        <JobGraph
          layout={props.layout}
          statuses={props.statuses}
          failedOnly={failedOnly}
          selected={selected}
          onSelectJob={setSelected}
        />
      </div>
    </div>
  );
}

const jobs = generate();
const statuses = statusesOf(jobs);
const worker = new Worker(new URL('./demo-layout.worker.ts', import.meta.url), {
  type: 'module',
});
worker.onmessage = (
  event: MessageEvent<{ layout: GraphLayout; layoutMs: number }>,
) => {
  const received = performance.now();
  const { layout, layoutMs } = event.data;
  const root = document.getElementById('demo');
  if (root) render(<Demo layout={layout} statuses={statuses} />, root);
  const rendered = performance.now();
  // Preact draws the graph's area in a microtask right after the first render.
  queueMicrotask(() =>
    setTimeout(() => {
      Object.assign(window, {
        graphDemo: {
          layoutMs,
          nodes: layout.nodes.length,
          firstRenderMs: rendered - received,
          taskMs: performance.now() - received,
        },
      });
    }),
  );
  worker.terminate();
};
worker.postMessage(jobs);
