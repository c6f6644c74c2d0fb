using V2a.Corpus.Captions;

namespace V2a.Corpus.Tests;

public class SceneSamplingTests
{
    [Fact]
    public void Classes_are_stable_and_cover_the_required_names()
    {
        // Given the fixed interface's class names
        string[] required =
        [
            "impact_wood", "impact_metal", "impact_glass", "impact_rubber", "impact_stone", "rolling", "footsteps", "engine", "rain", "wind",
            "fire", "water_drip", "bird", "clock_tick", "bell", "door_knock", "explosion", "keyboard_music", "speech", "silence",
        ];

        // Then the ordered list starts with exactly them, in that order
        Assert.Equal(required, SoundClasses.All.Take(required.Length));
        Assert.True(SoundClasses.All.Count >= 16);
    }

    [Fact]
    public void Unknown_class_in_the_list_is_a_bad_input_naming_it()
    {
        var e = Assert.Throws<BadInputException>(() => SoundClasses.Parse("rain,thunder"));
        Assert.Contains("'thunder'", e.Message);
        Assert.Equal(["wind", "rain"], SoundClasses.Parse("WIND, rain").Reverse());
    }

    [Fact]
    public void Classes_are_balanced_within_a_factor_of_two_over_1000_clips()
    {
        // Given 1,000 sampled scenes (plans only: no drawing, no audio)
        var counts = SoundClasses.All.ToDictionary(c => c, _ => 0);
        for (var i = 0; i < 1000; i++)
        {
            var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(11, i), FoleyWorld.ClipId(i), 8);
            foreach (var c in scene.ClipClasses)
            {
                counts[c]++;
            }
        }

        // Then the most frequent class appears at most twice as often as the rarest
        var max = counts.Values.Max();
        var min = counts.Values.Min();
        Assert.True(min > 0 && max <= 2 * min, string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    [Fact]
    public void Restricted_classes_are_the_only_ones_heard()
    {
        IReadOnlyList<string> only = [SoundClasses.Bell, SoundClasses.Rain];
        for (var i = 0; i < 200; i++)
        {
            var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(3, i), FoleyWorld.ClipId(i), 8, only);
            Assert.All(scene.SoundingClasses, c => Assert.Contains(c, only));
            Assert.False(scene.Still);
        }
    }

    [Fact]
    public void Every_caption_names_every_on_screen_sounding_class()
    {
        // Given 1,000 scenes and their 2–3 captions
        for (var i = 0; i < 1000; i++)
        {
            var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(5, i), FoleyWorld.ClipId(i), 8);
            var captions = CaptionWriter.Write(scene);

            // Then there are 2 or 3 different ones, and each names each visible sounding class
            Assert.InRange(captions.Count, 2, 3);
            Assert.Equal(captions.Count, captions.Distinct().Count());
            foreach (var caption in captions)
            {
                foreach (var cls in scene.OnScreenSoundingClasses)
                {
                    Assert.True(SoundClasses.IsNamedIn(cls, caption), $"{scene.Id}: '{caption}' does not name {cls}");
                }
            }
        }
    }

    [Fact]
    public void Scenes_mix_visible_offscreen_and_silent_sources()
    {
        int offScreen = 0, props = 0, still = 0, multi = 0;
        for (var i = 0; i < 500; i++)
        {
            var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(9, i), FoleyWorld.ClipId(i), 8);
            offScreen += scene.Sounding.Count(s => !s.Visible);
            props += scene.Sources.Count(s => !s.Sounding);
            still += scene.Still ? 1 : 0;
            multi += scene.SoundingClasses.Count >= 3 ? 1 : 0;
            Assert.InRange(scene.Sounding.Count(), scene.Still ? 0 : 1, 4);
        }

        Assert.True(offScreen > 20 && props > 100 && still > 20 && multi > 100, $"off-screen {offScreen}, props {props}, still {still}, 3+ sources {multi}");
    }
}
