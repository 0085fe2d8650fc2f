/** Every scenario of the bench, in the order `npm run bench` runs them. */
import fanOut from './fan-out.mjs';

export const SCENARIOS = [fanOut];
