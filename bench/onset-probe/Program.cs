using System.Text.Json;
using TorchSharp;
using V2a.Model;
using V2a.Model.Conditions;
using V2a.Model.Data;
using static TorchSharp.torch;

// Onset probe: can a fresh visual encoder of the small preset (plus a linear head) see on-screen sharp events?
// Target: per video frame, 1 at the first frame at or after an on-screen event of a sharp-onset class (FoleyWorld's
// annotations in CORPUS/meta.jsonl). Trains on 8 s clips of the shards' training split, batch 8, AdamW, and every
// 100 steps prints the validation AUC and the F1 of peak picking within ±1 frame (threshold: as many frames as events),
// scored by SyncLoss.Auc / SyncLoss.PeakF1 like the trainer's onset head; then the same peaks as `v2a eval` scores
// audio (±50 ms against OnsetTruth), pooled and by class.
// Usage (bench/onset-probe/run.sh builds it): onset-probe SHARDS CORPUS LR STEPS [FRAME_SIZE=32] [mirror] [events] [cells4] [patch2]; the shards'
// frame size must match (v2a data prepare --frame-size 64 for 64); "mirror" flips half the training clips left to right
// (ModelConfig.FrameFlipProbability 0.5); "events" adds the visual encoder's event path (ModelConfig.VisualEventChannels 128).
TorchRuntime.Initialise(); // V2A_THREADS, else all cores
var inv = System.Globalization.CultureInfo.InvariantCulture;
var sharp = V2a.Corpus.SoundClasses.All.Where(c => V2a.Corpus.SoundClasses.Info(c).Onset == V2a.Corpus.OnsetKind.Sharp).ToHashSet();
var events = new Dictionary<string, List<double>>();
foreach (var line in File.ReadLines(Path.Combine(args[1], "meta.jsonl")))
{
    using var d = JsonDocument.Parse(line);
    var list = new List<double>();
    foreach (var e in d.RootElement.GetProperty("events").EnumerateArray())
        if (e.GetProperty("on_screen").GetBoolean() && sharp.Contains(e.GetProperty("class").GetString()!))
            list.Add(e.GetProperty("t_start").GetDouble());
    events[d.RootElement.GetProperty("id").GetString()!] = list;
}
// Per class, as `v2a eval` scores audio: the reference onsets of OnsetTruth (on-screen sharp, unmasked), each peak at its
// frame's time, one-to-one matches within ±50 ms.
var truth = V2a.Corpus.CorpusReader.Read(args[1]).ToDictionary(c => c.Id, V2a.Eval.OnsetTruth.For);
var config = ModelConfig.FromPreset("small");
if (args.Length > 4) config = config with { Video = config.Video with { FrameSize = int.Parse(args[4]) } };
var flags = args.Skip(5).ToHashSet();
config = config with { FrameFlipProbability = flags.Contains("mirror") ? 0.5 : 0, VisualEventChannels = flags.Contains("events") ? 128 : 0 };
// "cells4" keeps the preset's 4×4 cell grid at any frame size, as `v2a train --frame-size` does (without it the CNN
// ends at frame / 8); "patch2" folds 2×2 pixel blocks into channels first (ModelConfig.VisualPatch 2).
if (flags.Contains("cells4")) config = config with { VisualCells = 4 };
if (flags.Contains("patch2")) config = config with { VisualPatch = 2 };
config.Validate();
Console.WriteLine($"frame {config.Video.FrameSize}, patch {config.VisualPatch}, CNN stages {config.VisualStages}, cells {config.VisualInputSide >> config.VisualStages}, events {config.VisualEventChannels}");
using var train = ShardDataset.Load(args[0], "train", FrameStorage.Mapped); // frames read from the shard files: 128×128 shards fit beside other work
using var val = ShardDataset.Load(args[0], "val");
config = config with { TextVocabSize = train.Manifest.VocabSize, Normalisation = train.Manifest.Normalisation };
const int F = 200;
Tensor Target(ShardDataset ds, IReadOnlyList<int> idx)
{
    var t = new float[idx.Count * F];
    for (var b = 0; b < idx.Count; b++)
        foreach (var s in events[ds.ClipIds[idx[b]]])
        {
            var j = (int)Math.Ceiling(s * 25 - 1e-9); // first frame at or after the event
            if (j < F) t[b * F + j] = 1;
        }
    return torch.tensor(t, [idx.Count, F]);
}
torch.manual_seed(1);
var enc = new VisualEncoder(config);
var head = nn.Linear(config.Dim, 1);
var ps = enc.parameters().Concat(head.parameters()).ToList();
var opt = optim.AdamW(ps, double.Parse(args[2], inv));
var rnd = new Random(1);
var augment = new Random(2); // mirroring draws, apart from the clip draws so both variants see the same clips
var valIdx = Enumerable.Range(0, val.Count).ToList();
var valTarget = Target(val, valIdx);
var posRate = valTarget.mean().item<float>();
Console.WriteLine($"val clips {val.Count}, event frames {valTarget.sum().item<float>()}, rate {posRate:0.0000}");
var pw = torch.tensor(new float[] { 10f });
for (var step = 1; step <= int.Parse(args[3]); step++)
{
    using var scope = torch.NewDisposeScope();
    var idx = Enumerable.Range(0, 8).Select(_ => rnd.Next(train.Count)).ToList();
    var batch = train.Batch(idx, 8.0, config, config.FrameFlipProbability > 0 ? augment : null); // whole 8 s clips
    var logits = head.forward(enc.forward(batch.Frames)).squeeze(-1);
    var loss = nn.functional.binary_cross_entropy_with_logits(logits, Target(train, idx), pos_weights: pw);
    opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(ps, 1.0); opt.step();
    if (step % 100 == 0)
    {
        using var ng = torch.no_grad();
        enc.eval();
        var vl = new List<Tensor>();
        for (var s = 0; s < val.Count; s += 16)
        {
            var sub = valIdx.Skip(s).Take(16).ToList();
            var vb = val.Batch(sub, 8.0, config, null);
            vl.Add(head.forward(enc.forward(vb.Frames)).squeeze(-1));
        }
        var p = torch.cat(vl, 0);
        enc.train();
        var pv = p.flatten().data<float>().ToArray(); var tv = valTarget.flatten().data<float>().ToArray();
        // The trainer's detector scores (val_onset_auc / val_onset_f1), here at ±1 video frame.
        var auc = V2a.Model.Training.SyncLoss.Auc(pv, tv);
        var (f1, tp, fp, fn) = V2a.Model.Training.SyncLoss.PeakF1(pv, tv, F, 1);
        Console.WriteLine($"step {step} train {loss.item<float>():0.0000} val auc {auc:0.000} f1@1frame {f1:0.000} (tp {tp} fp {fp} fn {fn})");
        var threshold = pv.OrderByDescending(v => v).ElementAt((int)tv.Sum() - 1); // as PeakF1's
        var byClass = new V2a.Eval.Metrics.OnsetAccuracy();
        for (var r = 0; r < val.Count; r++)
        {
            var peaks = V2a.Model.Training.SyncLoss.Peaks(pv, r * F, F, threshold).Select(j => j / 25.0).ToList();
            byClass.Add(truth[val.ClipIds[r]], peaks);
        }

        Console.WriteLine($"  ±50 ms as eval: F1 {byClass.Tight.F1:0.000} (R {byClass.Tight.Recall:0.000}); by class "
            + string.Join(", ", byClass.RecallByClass.Select(c => $"{c.Class} {c.Found}/{c.Reference}")));
    }
}
