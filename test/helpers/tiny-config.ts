/** Config edits that make the pipeline train a tiny model in seconds, for end-to-end tests. */
export function tinyTraining(config: Record<string, unknown>): Record<string, unknown> {
  return {
    ...config,
    training: {
      ...(config.training as object),
      input_size: 32,
      epochs: 2,
      batch_size: 16,
      patience: 2,
    },
    // A 2-epoch model on a handful of images is near chance: the floors would reject every
    // first model, and these tests are about the pipeline's flow, not the model's quality.
    policy: { ...(config.policy as object), min_accuracy: 0, min_critical_f1: 0 },
  };
}
