using TorchSharp;
using V2a.Model;
using V2a.Model.Conditions;
using V2a.Model.Network;

namespace V2a.Cli.Tests;

/// <summary>
/// A model package with random (perturbed) weights of the tiny debug preset, made once per test run: it
/// exercises the whole pipeline in seconds. Tests with it check plumbing, not sound quality.
/// </summary>
public sealed class DebugModel : IDisposable
{
    public DebugModel()
    {
        TorchRuntime.Initialise();
        torch.manual_seed(1);
        var tokenizer = TextTokenizer.Build(["a ball bounces on a wooden floor", "rain and wind", "footsteps on gravel"]);
        var config = ModelConfig.FromPreset("debug") with
        {
            TextVocabSize = tokenizer.VocabSize,
            Normalisation = new MelNormalisation(Enumerable.Repeat(-6f, 80).ToArray(), Enumerable.Repeat(2f, 80).ToArray()),
        };
        using var net = new SoundtrackNetwork(config);
        using (torch.no_grad())
        {
            var g = new torch.Generator(9);
            foreach (var p in net.parameters())
            {
                p.add_(torch.randn(p.shape, generator: g) * 0.1);
            }
        }

        Dir = Directory.CreateTempSubdirectory("v2a-debug-model-").FullName;
        var ledger = Path.Combine(Dir, "ledger-src.jsonl");
        File.WriteAllText(ledger, "{\"id\":\"none\",\"source\":\"random weights for tests\",\"licence\":\"CC0-1.0\"}\n");
        ModelPackage.Save(Dir, net, tokenizer, new ModelCardFacts { Corpus = "none (random debug weights for tests)" }, ledger);
        File.Delete(ledger);
    }

    public string Dir { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
