// Learning-rate schedules: pure functions of the step, evaluated on the CPU each step and
// written into the optimizer's uniform buffer, so a schedule never rebuilds a pipeline.

/** Learning rate for 0-based step `step` of `totalSteps`. */
export type LrSchedule = (step: number, totalSteps: number) => number;

/** The same rate every step. */
export const constantLr =
  (lr: number): LrSchedule =>
  () =>
    lr;

/**
 * Multiplies by `gamma` at each milestone, given as fractions of training (torch MultiStepLR
 * with milestones as fractions): the notes' ResNet recipe is `stepDecay(lr, [0.5, 0.75], 0.1)`.
 */
export const stepDecay =
  (lr: number, milestones: readonly number[], gamma = 0.1): LrSchedule =>
  (step, total) =>
    lr * gamma ** milestones.filter((m) => step >= Math.floor(m * total)).length;

/** lr·gammaᵉᵖᵒᶜʰ-style exponential decay per step: lr·gamma^(step / decaySteps). */
export const exponentialDecay =
  (lr: number, gamma: number, decaySteps = 1): LrSchedule =>
  (step) =>
    lr * gamma ** (step / decaySteps);

/** Cosine annealing from lr to minLr over training (torch CosineAnnealingLR, T_max = total). */
export const cosineDecay =
  (lr: number, minLr = 0): LrSchedule =>
  (step, total) =>
    minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, total)) / Math.max(1, total)));

/** Linear warm-up from lr/warmupSteps·1 to the wrapped schedule's rate over warmupSteps steps. */
export const linearWarmup =
  (warmupSteps: number, after: LrSchedule): LrSchedule =>
  (step, total) =>
    step < warmupSteps ? (after(step, total) * (step + 1)) / warmupSteps : after(step, total);
