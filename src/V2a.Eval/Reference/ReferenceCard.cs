using System.Globalization;
using System.Text;

namespace V2a.Eval.Reference;

/// <summary>Writes MODEL_CARD.md of a reference classifier package from its config and held-out scores.</summary>
public static class ReferenceCard
{
    public static string Render(ReferenceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var inv = CultureInfo.InvariantCulture;
        var t = config.Training;
        var s = new StringBuilder();
        s.AppendLine("# v2a reference audio classifier");
        s.AppendLine();
        s.AppendLine("The network `v2a eval` measures generated soundtracks with, standing in for the pretrained networks the");
        s.AppendLine("field uses (PANNs, PaSST, VGGish), which cannot be downloaded here. It is trained on **real** FoleyWorld");
        s.AppendLine("audio only (the corpus's lossless FLAC files), never on generated audio, so it measures the generator");
        s.AppendLine("instead of agreeing with it. See docs/eval.md for how each metric uses it.");
        s.AppendLine();
        s.AppendLine("## What it is");
        s.AppendLine();
        s.AppendLine($"- Input: 16 kHz mono audio → log-mel ({config.Audio.MelBins} Slaney mel bins, 0–{config.Audio.FMaxHz.ToString("0", inv)} Hz, n_fft {config.Audio.NFft}, hop {config.Audio.HopLength}: the generator's own front end), normalised per bin with the training set's mean and standard deviation (in config.json).");
        s.AppendLine($"- A CNN of {config.Channels.Length} stages ({string.Join("-", config.Channels)} channels; 3×3 convolution, batch norm, ReLU, 2×2 average pooling), mean over frequency, mean + max over time (as PANNs' CNN), a {config.EmbeddingDim}-wide ReLU embedding (the **Fréchet distance feature**), and a sigmoid head over {config.Classes.Count} classes (multi-label).");
        s.AppendLine("- Any input length works; clips are scored whole.");
        s.AppendLine($"- Files: `config.json` (classes, architecture, audio settings, normalisation, training record), `model.safetensors`.");
        s.AppendLine();
        if (t is null)
        {
            s.AppendLine("Not trained yet.");
            return s.ToString();
        }

        s.AppendLine("## How it was trained");
        s.AppendLine();
        s.AppendLine($"- Corpus: `{t.Corpus}`" + (t.CorpusDescription.Length > 0 ? $" ({t.CorpusDescription})" : "")
            + " — real FoleyWorld audio from a corpus seed other than the generator's training corpus (which uses seed 1)."
            + (t.CorpusCommand.Length > 0 ? $" Made with `{t.CorpusCommand}`." : ""));
        s.AppendLine($"- {t.TrainClips} clips trained on, {t.HeldOutClips} held out (chosen by a hash of the clip id) and never seen in training.");
        s.AppendLine($"- {t.Epochs} epochs of random {t.CropSeconds.ToString("0.##", inv)} s crops (labels: sharp events whose attack is inside the crop, gradual events overlapping it, the scene's background, `silence` when none), gain ±6 dB, two frequency and two time masks; AdamW, cosine schedule, binary cross-entropy; seed {t.Seed}.");
        s.AppendLine($"- Took {t.TrainSeconds.ToString("0", inv)} s on this machine's CPU; trained {t.TrainedAt}.");
        s.AppendLine($"- Command: `{t.Command}`");
        s.AppendLine();
        if (t.HeldOut is { } h)
        {
            s.AppendLine($"## Held-out scores on real audio ({h.Clips} whole clips)");
            s.AppendLine();
            s.AppendLine("| measure | value |");
            s.AppendLine("|---|---|");
            s.AppendLine($"| top-1 accuracy (most probable class is a true class) | {h.Top1Accuracy.ToString("0.000", inv)} |");
            s.AppendLine($"| subset accuracy (predicted set at p ≥ 0.5 equals the true set) | {h.SubsetAccuracy.ToString("0.000", inv)} |");
            s.AppendLine($"| per-decision accuracy (all clip × class yes/no) | {h.BinaryAccuracy.ToString("0.000", inv)} |");
            s.AppendLine($"| micro F1 at p ≥ 0.5 | {h.MicroF1.ToString("0.000", inv)} |");
            s.AppendLine($"| mAP (mean over classes with positives) | {h.MeanAveragePrecision.ToString("0.000", inv)} |");
            s.AppendLine();
            s.AppendLine("Per class (accuracy = right yes/no decisions for that class over all held-out clips; AP = average precision):");
            s.AppendLine();
            s.AppendLine("| class | held-out clips with it | accuracy | precision | recall | F1 | AP |");
            s.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var c in h.PerClass)
            {
                var ap = double.IsNaN(c.AveragePrecision) ? "–" : c.AveragePrecision.ToString("0.000", inv);
                s.AppendLine($"| {c.Class} | {c.Positives} | {c.Accuracy.ToString("0.000", inv)} | {c.Precision.ToString("0.000", inv)} | {c.Recall.ToString("0.000", inv)} | {c.F1.ToString("0.000", inv)} | {ap} |");
            }

            s.AppendLine();
        }

        s.AppendLine("## Limits");
        s.AppendLine();
        s.AppendLine("- It knows only FoleyWorld's classes and FoleyWorld's sound synthesis: on real-world recordings its outputs and embeddings mean little, and numbers computed with it are comparable only with other numbers computed with this same package.");
        s.AppendLine("- FD in its embedding is small-sample biased; always read it beside the real-vs-real floor `v2a eval` reports.");
        s.AppendLine("- Classes that are rare or quiet in the mix (see the per-class table) are the ones it confuses; class agreement and KL inherit that. The five impact materials are its weakest distinction: they are short, often quiet under other sources, and differ only in their resonances.");
        s.AppendLine("- At p ≥ 0.5 it under-calls short sparse events (low recall for impacts, ticks, knocks); rankings (AP) are better than the thresholded sets, so prefer KL and FD, which use the probabilities and embeddings, to label-set agreement.");
        return s.ToString();
    }
}
