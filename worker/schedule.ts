/**
 * The learning-rate schedule: linear warm-up, then cosine decay to a floor over the steps
 * the run plans to take. Pure, so the LR of any step is known before training starts.
 *
 * Why warm-up: a from-scratch MobileNetV2 starts with zero-gamma residual blocks and
 * freshly initialised BatchNorm statistics; Adam's first steps at the full rate throw the
 * weights far before its moment estimates settle. Why cosine: the small late steps let the
 * weights settle into a minimum instead of bouncing around it, which is what the best-epoch
 * checkpoint then keeps. Early stopping may end the run before the decay finishes; the
 * schedule still follows the planned length, so the LR of an epoch never depends on when
 * the run will stop.
 */

/** A resolved schedule over optimiser steps. */
export interface LrSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  base: number;
  /** Steps of linear warm-up (0 = start at `base`). */
  warmupSteps: number;
  /** Planned steps of the whole run (epochs x batches per epoch). */
  totalSteps: number;
  /** The decay ends at base x finalFraction rather than 0, so late steps still learn. */
  finalFraction: number;
}

/** Share of the peak rate the cosine decays to by the planned last step. */
export const DEFAULT_FINAL_LR_FRACTION = 0.05;

/** Options of `planSchedule`, in the units a user thinks in. */
export interface ScheduleOptions {
  /** "constant" keeps `learningRate` for every step (the behaviour before schedules). */
  kind?: "cosine" | "constant";
  /** Epochs of warm-up (default 1; capped at a quarter of the run). */
  warmupEpochs?: number;
  finalFraction?: number;
}

/** The schedule for a run of `epochs` x `stepsPerEpoch` steps at peak rate `learningRate`. */
export function planSchedule(
  learningRate: number,
  epochs: number,
  stepsPerEpoch: number,
  opts: ScheduleOptions = {},
): LrSchedule {
  const totalSteps = Math.max(1, epochs * stepsPerEpoch);
  if ((opts.kind ?? "cosine") === "constant")
    return { base: learningRate, warmupSteps: 0, totalSteps, finalFraction: 1 };
  // A quarter at most: on a 2-epoch run a full epoch of warm-up would leave nothing at peak.
  const warmupSteps = Math.min(
    Math.round((opts.warmupEpochs ?? 1) * stepsPerEpoch),
    Math.floor(totalSteps / 4),
  );
  return {
    base: learningRate,
    warmupSteps: Math.max(0, warmupSteps),
    totalSteps,
    finalFraction: opts.finalFraction ?? DEFAULT_FINAL_LR_FRACTION,
  };
}

/** The learning rate of 0-based optimiser step `step`; steps past the plan stay at the floor. */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.base * (step + 1)) / s.warmupSteps; // never 0: step 0 must learn
  // The planned last step (totalSteps - 1) lands exactly on the floor.
  const span = s.totalSteps - 1 - s.warmupSteps;
  const progress = span > 0 ? Math.min(1, (step - s.warmupSteps) / span) : 0;
  const floor = s.base * s.finalFraction;
  return floor + (s.base - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
