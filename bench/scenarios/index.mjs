/** Every scenario of the bench, in the order `npm run bench` runs them. */
import cache from './cache.mjs';
import fairness from './fairness.mjs';
import fanOut from './fan-out.mjs';
import graphs from './graphs.mjs';
import isolation from './isolation.mjs';
import latency from './latency.mjs';
import logView from './log-view.mjs';
import logs from './logs.mjs';
import scaleOut from './scale-out.mjs';

export const SCENARIOS = [
  fanOut,
  graphs,
  logs,
  latency,
  scaleOut,
  isolation,
  cache,
  fairness,
  logView,
];
