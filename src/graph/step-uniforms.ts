// The small uniforms a training step writes before its one submit: the optimizer's (learning
// rate, step number for Adam's bias correction), the dropout RNG's (seed, step) and the
// augmentation draws (seed, step, mixup λ / CutMix box). Preallocated once; nothing per step.
import { AUGMENT_UNIFORM_WORDS } from '../kernels/augment';
import { dropoutUniforms } from '../kernels/dropout';
import { optimizerUniform, UNIFORM_WORDS } from '../kernels/optim';
import { type ResolvedOptimizer } from '../kernels/optim-config';
import type { GpuRuntime } from '../gpu/runtime';
import type { LrSchedule } from '../optim/schedules';
import { stepAugmentUniforms, type ResolvedAugment } from './augment';
import { KEYS } from './build';
import type { SharedBuffers } from './schedule';

export interface StepSettings {
  optimizer: ResolvedOptimizer;
  lrSchedule?: LrSchedule;
  totalSteps?: number;
  augment?: ResolvedAugment;
}

export class StepUniforms {
  private readonly optimizerWords = new Float32Array(UNIFORM_WORDS);
  private readonly rngWords = new Uint32Array(4);
  private readonly augmentWords = new Uint32Array(AUGMENT_UNIFORM_WORDS);
  /** setLearningRate()'s rate, which replaces lrSchedule from then on. */
  lrOverride: number | undefined;

  constructor(
    private readonly runtime: GpuRuntime,
    private readonly shared: SharedBuffers,
    private readonly settings: StepSettings,
  ) {}

  /** The default group's learning rate of the step after `stepsDone` steps. */
  learningRate(stepsDone: number): number {
    return this.lrOverride ?? this.settings.lrSchedule?.(stepsDone, this.settings.totalSteps ?? Infinity) ?? this.settings.optimizer.lr;
  }

  /**
   * Computes the optimizer uniform of step `stepsDone + 1`; throws (a schedule's bad rate)
   * before anything is written, so a failed step changes no state.
   */
  prepare(stepsDone: number): void {
    const lr = this.lrOverride ?? this.settings.lrSchedule?.(stepsDone, this.settings.totalSteps ?? Infinity);
    optimizerUniform(this.settings.optimizer, { lr, step: stepsDone + 1 }, this.optimizerWords);
  }

  /** Writes the prepared optimizer uniform and step `step`'s dropout and augmentation draws. */
  write(seed: number, step: number): void {
    const { runtime, shared } = this;
    runtime.write(shared.byKey.get(KEYS.optimizerUniform)!, this.optimizerWords);
    const rng = shared.byKey.get(KEYS.dropoutRng);
    if (rng) runtime.write(rng, dropoutUniforms(seed, step, this.rngWords));
    const augment = shared.byKey.get(KEYS.augment);
    if (augment) runtime.write(augment, stepAugmentUniforms(this.settings.augment!, seed, step, this.augmentWords));
  }
}
