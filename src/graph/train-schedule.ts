// The schedule of one training step for a given batch size: compile() builds it for the
// batch size, and a trainer again for a tail batch (fewer rows) on first use.
import { segmentTable } from '../kernels/optim';
import { stateSlots, type ResolvedOptimizer } from '../kernels/optim-config';
import type { Module } from '../nn/module';
import { arenaSegments, type ArenaLayout } from './arena';
import { buildSchedule } from './build';
import { buildGraph } from './model-setup';
import type { ResolvedAugment } from './augment';
import type { LossConfig } from './loss';
import type { Schedule } from './schedule';

export interface TrainPlanSpec {
  model: Module;
  inputShape: readonly number[];
  loss: LossConfig;
  layout: ArenaLayout;
  optimizer: ResolvedOptimizer;
  clipGradNorm?: number;
  /** Augmentation of every training batch (tail batches too). */
  augment?: ResolvedAugment;
  /** Copies of the model trained side by side (compile's replicas); default 1. */
  replicas?: number;
}

/**
 * A training-step schedule of `batch` rows (per replica). Every schedule of a model names the same shared
 * buffers (parameters, gradients, optimizer state and uniform, running statistics, dropout
 * rng), so schedules of different batch sizes materialized against one SharedBuffers train
 * the same weights; each keeps its own input, targets and metrics.
 */
export function trainSchedule(spec: TrainPlanSpec, batch: number, subgroupSize: number | undefined): Schedule {
  const { graph, ends } = buildGraph(spec.model, batch, spec.inputShape, spec.replicas);
  const { layout, optimizer } = spec;
  return buildSchedule(graph, ends, {
    mode: 'train',
    loss: spec.loss,
    layout,
    subgroupSize,
    augment: spec.augment,
    optimizer: {
      config: optimizer,
      stateFloats: stateSlots(optimizer) * layout.size,
      segmentTable: segmentTable(arenaSegments(layout), layout.size),
      clipGradNorm: spec.clipGradNorm,
    },
  }).schedule;
}
