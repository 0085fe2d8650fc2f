/**
 * The job graph of a run: a pannable, zoomable drawing of a layout computed
 * by `@river/run-view`'s `layoutJobGraph`.
 */
export type { JobGraphProps } from './job-graph.js';
export { JobGraph } from './job-graph.js';
