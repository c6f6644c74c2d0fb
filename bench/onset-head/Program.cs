using System.Globalization;
using TorchSharp;
using V2a.Corpus;
using V2a.Eval;
using V2a.Eval.Metrics;
using V2a.Model;
using V2a.Model.Data;
using static TorchSharp.torch;

// Onset-head scorer: how well a package's onset head (trained by --sync-loss, not used when generating) finds the
// on-screen sharp onsets of held-out clips from the video alone, scored as `v2a eval` scores generated audio — the
// same reference onsets (OnsetTruth: on-screen sharp events, masked ones and gradual sounds set aside) and one-to-one
// matching within ±50 ms — pooled and by class. Set beside the eval's "by class" table it tells which misses the video
// side already makes (the head misses them too) and which the generator adds (the head finds them, the audio does not).
// Peaks: local maxima of the head's logits over the whole 8 s clip at or above one threshold for all clips, the K-th
// largest logit, K the number of reference onsets (as the trainer's val_onset_f1); each peak at its audio token's centre.
// Usage (bench/onset-head/run.sh builds it): onset-head PACKAGE SHARDS CORPUS — SHARDS prepared at the package's frame size.
TorchRuntime.Initialise(); // V2A_THREADS, else all cores
var inv = CultureInfo.InvariantCulture;
var model = SoundtrackModel.Load(args[0]);
var net = model.Network;
if (!net.HasOnsetHead)
{
    Console.Error.WriteLine($"{args[0]}: this package has no onset head (trained without --sync-loss)");
    return 2;
}

net.eval();
var config = net.Config;
var meta = CorpusReader.Read(args[2]).ToDictionary(c => c.Id);
using var val = ShardDataset.Load(args[1], "val");
const double Seconds = 8.0;
var truths = new List<OnsetTruth>();
var rows = new List<(float[] Logits, double[] Times)>();
using (torch.no_grad())
{
    for (var start = 0; start < val.Count; start += 8)
    {
        using var scope = torch.NewDisposeScope();
        var idx = Enumerable.Range(start, Math.Min(8, val.Count - start)).ToArray();
        var batch = val.Batch(idx, Seconds, config, random: null);
        var no = torch.zeros(idx.Length, dtype: ScalarType.Bool);
        var cond = net.PrepareConditions(batch.Frames, batch.TextIds, batch.TextMask, batch.HasText.logical_not(), no, batch.Sequence);
        var logits = net.PredictOnsets(cond).cpu();
        var times = Enumerable.Range(0, (int)logits.shape[1]).Select(batch.Sequence.AudioTokenTime).ToArray();
        for (var r = 0; r < idx.Length; r++)
        {
            rows.Add((logits[r].data<float>().ToArray(), times));
            truths.Add(OnsetTruth.For(meta[val.ClipIds[idx[r]]]));
        }
    }
}

var k = truths.Sum(t => t.Reference.Count);
var threshold = rows.SelectMany(r => r.Logits).OrderByDescending(v => v).ElementAt(Math.Clamp(k, 1, rows.Sum(r => r.Logits.Length)) - 1);
var head = new OnsetAccuracy();
for (var i = 0; i < rows.Count; i++)
{
    var (x, times) = rows[i];
    head.Add(truths[i], V2a.Model.Training.SyncLoss.Peaks(x, 0, x.Length, threshold).Select(j => times[j]).ToList());
}

Console.WriteLine(string.Create(inv, $"{args[0]} ({model.ModelId}) on {val.Count} held-out clips of {args[1]}: onset head from the video alone"));
Console.WriteLine(string.Create(inv,
    $"pooled: {head.Tight.Reference} reference onsets, {head.Tight.Detected} peaks; ±50 ms P {head.Tight.Precision:0.000} R {head.Tight.Recall:0.000} F1 {head.Tight.F1:0.000}; ±100 ms F1 {head.Loose.F1:0.000}; median error {head.MedianAbsoluteErrorMs:0.0} ms"));
Console.WriteLine("| class | reference onsets | found by the onset head (±50 ms) |");
Console.WriteLine("|---|---|---|");
foreach (var c in head.RecallByClass.OrderBy(c => c.Recall).ThenBy(c => c.Class, StringComparer.Ordinal))
{
    Console.WriteLine(string.Create(inv, $"| {c.Class} | {c.Reference} | {c.Found} ({c.Recall * 100:0}%) |"));
}

return 0;
