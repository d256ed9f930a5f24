// The contract between the Labs page and one lab. A lab is one module exporting a `Lab`;
// adding one is that file plus one line in registry.ts. The page (page.ts) gives each lab a
// section with its title, explanation, a controls box, a plots box, a Run button and a status
// line; the lab fills the two boxes in mount() and does its experiment, on the GPU through
// the engine (compile / fit / predict from src/index.ts), in run().
import type { GpuRuntime } from '../../src/index';

/** One experiment of the study notes, shown live. */
export interface Lab<Result = unknown> {
  /** Stable id: the section's anchor (#id) and the prefix of its data-testids. */
  readonly id: string;
  readonly title: string;
  /** Two or three sentences: the notes' claim that the experiment shows. */
  readonly explanation: string;
  /** Builds the lab's controls and plots (empty, with axes) into the page's boxes. */
  mount(view: LabView): MountedLab<Result>;
}

/** The page's boxes of one lab section. */
export interface LabView {
  readonly controls: HTMLElement;
  readonly plots: HTMLElement;
}

/** A mounted lab: runs with the values its controls hold now. */
export interface MountedLab<Result = unknown> {
  /**
   * Runs the experiment and draws its plots; resolves to what it measured (tests assert on
   * it). Errors reject and the page shows their message in the status line.
   */
  run(context: RunContext): Promise<Result>;
}

/** What the page hands a run. */
export interface RunContext {
  /** The page's one WebGPU runtime, shared by every lab (pass it to compile's `runtime`). */
  readonly runtime: GpuRuntime;
  /** Sets the status line under the Run button (progress, then the page writes "done"). */
  status(text: string): void;
}
