// The trainer page's states and the words its status tile shows for each: one list, so that
// the page and the end-to-end test (every label must fit its tile) cannot drift apart.

/** Every state of the trainer page (main.ts's setState). */
export const STATES = ['loading', 'idle', 'compiling…', 'training', 'paused', 'done', 'failed', 'resetting…', 'opening…', 'no WebGPU'] as const;
export type State = (typeof STATES)[number];

/** What the status tile shows in `state`: the state's name, except while MNIST and WebGPU load. */
export function statusLabel(state: State): string {
  return state === 'loading' ? 'loading data…' : state;
}
