// Times one training step of the small preset's visual encoder (event path, 4×4 cells) on a batch of random frames —
// 16 crops of 3.2 s at 25 fps, as `v2a train` draws them — at 64×64 and at 128×128 in 2×2 blocks (`--visual-patch 2`),
// and the input stage (bytes → the CNN's input) alone. One thread; the first of REPS+1 steps is not counted.
using System.Diagnostics;
using TorchSharp;
using V2a.Model;
using V2a.Model.Conditions;

var reps = args.Length > 0 ? int.Parse(args[0]) : 5;
TorchRuntime.Initialise(1);
foreach (var (size, patch) in new[] { (64, 1), (128, 2) })
{
    var small = ModelConfig.FromPreset("small");
    var config = small with { VisualCells = 4, VisualPatch = patch, VisualEventChannels = 128, Video = small.Video with { FrameSize = size } };
    using var encoder = new VisualEncoder(config);
    using var frames = torch.randint(0, 256, [16, 80, size, size, 3], dtype: torch.ScalarType.Byte);
    double step = 0, input = 0;
    for (var i = 0; i <= reps; i++)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        encoder.forward(frames).sum().backward();
        encoder.zero_grad();
        var stepSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        using (torch.no_grad())
        {
            VisualEncoder.Input(frames, patch);
        }

        if (i > 0)
        {
            (step, input) = (step + stepSeconds, input + clock.Elapsed.TotalSeconds);
        }
    }

    Console.WriteLine($"{size}x{size}, patch {patch}: encoder forward + backward {step / reps:F3} s, input stage {input / reps:F3} s (mean of {reps})");
}
