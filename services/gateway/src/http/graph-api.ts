import type { ServerResponse } from 'node:http';
import {
  type GraphLayout,
  graphShapeKey,
  layoutJobGraph,
} from '@river/run-view';
import { LruMap } from '../lru-map.js';
import { sendJson } from './respond.js';
import type { RunsApiSources } from './runs-api.js';
import { requireRun } from './runs-api.js';

/** Graph shapes whose layout stays in memory. */
const CACHED_LAYOUTS = 32;

/** Layouts by graph shape, of the shapes asked for last. */
export class LayoutCache {
  readonly #layouts = new LruMap<string, GraphLayout>(CACHED_LAYOUTS);

  /** The layout of `jobs`' graph, computed once per shape. */
  layout(jobs: ReadonlyArray<{ name: string; needs: readonly string[] }>) {
    const key = graphShapeKey(jobs);
    let layout = this.#layouts.get(key);
    if (layout === undefined) {
      layout = layoutJobGraph(jobs);
      this.#layouts.set(key, layout);
    }
    return layout;
  }
}

/** What the graph route reads. */
export interface GraphSources extends RunsApiSources {
  layouts: LayoutCache;
}

/** `GET /api/runs/<id>/graph`: the laid-out job graph of the run. */
export async function getRunGraph(
  res: ServerResponse,
  runId: string,
  sources: GraphSources,
): Promise<void> {
  const run = await requireRun(runId, sources);
  sendJson(res, 200, { layout: sources.layouts.layout(run.jobs) });
}
