/**
 * Lays out the demo's graph off the main thread, as the server does for the
 * real UI, so the demo measures drawing rather than layout.
 */
import { type GraphJobInput, layoutJobGraph } from '@river/run-view';

self.onmessage = (event: MessageEvent<GraphJobInput[]>) => {
  const started = performance.now();
  const layout = layoutJobGraph(event.data);
  self.postMessage({ layout, layoutMs: performance.now() - started });
};
