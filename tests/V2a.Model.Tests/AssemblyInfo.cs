// TorchSharp's global RNG (used by module initialisation) is process-wide: test classes running in
// parallel would draw from it in racing order and make seeded trainings differ from run to run.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
