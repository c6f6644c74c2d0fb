using V2a.Corpus.Render;
using V2a.Media;

namespace V2a.Corpus.Tests;

/// <summary>
/// A sharp sound's cause must show in the picture when the sound starts, at the 64×64 the default model sees: else no
/// model can time it from the video. Measured as bench/cue-energy does on whole corpora: the change of the picture
/// (grey, area-averaged to 64×64) in an 11×11 square around the cause from the frame before to the first frame at or
/// after each onset, against the same square's change on every frame more than one frame from an onset (AUC).
/// </summary>
public class CueTests
{
    private const int Side = 64;

    [Theory]
    [InlineData(SoundClasses.Bird)]       // FoleyWorld 1.1: 0.59 (a 2–4 px bird, its beak opening by half a pixel)
    [InlineData(SoundClasses.DoorKnock)]  // 1.1: 0.48 (a 1.4 px ring whose fall ended before the knock's frame)
    [InlineData(SoundClasses.Bell)]       // 1.1: 0.84
    [InlineData(SoundClasses.ImpactRubber)]
    public void A_sharp_sound_s_cause_changes_the_picture_at_its_onset(string soundClass)
    {
        // Given a dozen clips in which one visible source of the class sounds
        var fps = VideoSettings.Default.Fps;
        var scenes = Enumerable.Range(0, 400)
            .Select(i => FoleyWorld.Plan(FoleyWorld.ClipSeed(7, i), FoleyWorld.ClipId(i), 4, [soundClass]))
            .Where(s => s.Sounding.Count() == 1 && s.Sounding.Single().Visible).Take(12).ToList();
        Assert.Equal(12, scenes.Count);

        // When the change of the picture around the cause is measured on every frame
        var atOnsets = new List<double>();
        var elsewhere = new List<double>();
        foreach (var scene in scenes)
        {
            var source = scene.Sounding.Single();
            var frames = Grey(scene);
            var onsetFrames = source.Events.Select(e => (int)Math.Ceiling((e.TStart * fps) - 1e-9)).ToList();
            foreach (var (e, f) in source.Events.Zip(onsetFrames))
            {
                if (f >= 1 && f < frames.Length)
                {
                    atOnsets.Add(Change(frames[f], frames[f - 1], e.X, e.Y));
                }
            }

            var x = source.Events.Select(e => e.X).Order().ElementAt(source.Events.Count / 2);
            var y = source.Events.Select(e => e.Y).Order().ElementAt(source.Events.Count / 2);
            for (var f = 1; f < frames.Length; f++)
            {
                if (onsetFrames.All(o => Math.Abs(o - f) > 1))
                {
                    elsewhere.Add(Change(frames[f], frames[f - 1], x, y));
                }
            }
        }

        // Then the onsets' frames change it more than the other frames do, mostly
        var auc = atOnsets.Average(a => elsewhere.Average(b => a > b ? 1 : a == b ? 0.5 : 0));
        Assert.True(auc >= 0.8, $"{soundClass}: AUC {auc:0.000} over {atOnsets.Count} onsets");
    }

    /// <summary>The scene's frames, grey, each 2×2 block of FoleyWorld's 128×128 averaged.</summary>
    private static double[][] Grey(Scene.FoleyScene scene)
    {
        using var renderer = new FrameRenderer(scene, FoleyWorld.FrameSize);
        var k = renderer.Size / Side;
        var rgb = new byte[renderer.FrameBytes];
        var frames = new double[(int)(scene.Seconds * VideoSettings.Default.Fps)][];
        for (var f = 0; f < frames.Length; f++)
        {
            renderer.Render(f, VideoSettings.Default.Fps, rgb);
            var g = frames[f] = new double[Side * Side];
            for (var i = 0; i < renderer.Size * renderer.Size; i++)
            {
                var (py, px) = Math.DivRem(i, renderer.Size);
                g[((py / k) * Side) + (px / k)] += ((0.299 * rgb[3 * i]) + (0.587 * rgb[(3 * i) + 1]) + (0.114 * rgb[(3 * i) + 2])) / (k * k);
            }
        }

        return frames;
    }

    /// <summary>Sum of |a − b| over the 11×11 square centred on (x, y) in frame units.</summary>
    private static double Change(double[] a, double[] b, double x, double y)
    {
        var (cx, cy) = ((int)(x * Side), (int)(y * Side));
        double sum = 0;
        for (var j = Math.Max(0, cy - 5); j <= Math.Min(Side - 1, cy + 5); j++)
        {
            for (var i = Math.Max(0, cx - 5); i <= Math.Min(Side - 1, cx + 5); i++)
            {
                sum += Math.Abs(a[(j * Side) + i] - b[(j * Side) + i]);
            }
        }

        return sum;
    }
}
