using V2a.Corpus;
using V2a.Eval.Reference;

namespace V2a.Eval.Tests;

public class ClassifierScoringTests
{
    [Fact]
    public void Average_precision_follows_the_ranking()
    {
        // Given scores ranked positive, negative, positive
        (double, bool)[] scored = [(0.9, true), (0.8, false), (0.7, true)];

        // Then AP = ½·1 + ½·⅔
        Assert.Equal((0.5 * 1) + (0.5 * 2.0 / 3), ClassifierScoring.AveragePrecision(scored), 12);
    }

    [Fact]
    public void Scores_per_class_and_overall()
    {
        // Given two classes and three clips: clip 0 is class a, clip 1 class b, clip 2 both
        string[] classes = ["a", "b"];
        List<float[]> probs = [[0.9f, 0.2f], [0.6f, 0.7f], [0.8f, 0.9f]];
        List<IReadOnlySet<int>> truth = [new HashSet<int> { 0 }, new HashSet<int> { 1 }, new HashSet<int> { 0, 1 }];

        // When scored at 0.5
        var s = ClassifierScoring.Score(classes, probs, truth);

        // Then class a has one false alarm (clip 1), class b none; clip 1 is the only inexact set
        Assert.Equal(2.0 / 3, s.PerClass[0].Precision, 12);
        Assert.Equal(1.0, s.PerClass[0].Recall, 12);
        Assert.Equal(1.0, s.PerClass[1].F1, 12);
        Assert.Equal(2.0 / 3, s.SubsetAccuracy, 12);
        Assert.Equal(1.0, s.Top1Accuracy, 12);
        Assert.Equal(5.0 / 6, s.BinaryAccuracy, 12);
    }
}

public class OnsetTruthTests
{
    [Fact]
    public void Reference_is_on_screen_sharp_events_and_off_screen_ones_are_set_aside()
    {
        // Given a clip with an on-screen knock at 1 s, an off-screen bell at 2 s and rain from 5 to 6 s
        var clip = Corpus.Clip(
            Corpus.Event(SoundClasses.DoorKnock, 1.0, onScreen: true),
            Corpus.Event(SoundClasses.Bell, 2.0, onScreen: false),
            Corpus.Event(SoundClasses.Rain, 5.0, onScreen: true, length: 1.0));

        // When its onset truth is read
        var truth = OnsetTruth.For(clip);

        // Then only the knock is expected
        Assert.Equal([1.0], truth.Reference);

        // And detections at the bell and inside the rain are set aside; at the knock and in stillness they count
        Assert.Equal([1.01, 3.0, 6.2], truth.Counted([1.01, 2.02, 3.0, 4.95, 5.5, 6.2], 0.1));
    }

    [Fact]
    public void Onsets_closer_than_the_detector_can_separate_count_once_and_long_decays_are_set_aside()
    {
        // Given a bounce at 1.00 s and another 30 ms later, and an explosion at 3 s rumbling for 2 s
        var clip = Corpus.Clip(
            Corpus.Event(SoundClasses.ImpactRubber, 1.00),
            Corpus.Event(SoundClasses.ImpactRubber, 1.03),
            Corpus.Event(SoundClasses.Explosion, 3.0, length: 2.0));

        var truth = OnsetTruth.For(clip);

        // Then the two bounces are one reference onset, and a crackle 1 s into the rumble does not count
        Assert.Equal([1.0, 3.0], truth.Reference);
        Assert.Equal([1.0, 3.01], truth.Counted([1.0, 3.01, 4.0], 0.1));
    }

    [Fact]
    public void A_sharp_sound_12_dB_under_another_sounding_one_is_masked_and_set_aside()
    {
        // Given rain at −20 dBFS from 0 to 4 s, a tick at 1 s at −33 dB (13 dB under), a knock at 2 s at −30 dB
        // (10 dB under), and a tick at 5 s after the rain
        var clip = Corpus.Clip(
            Corpus.Event(SoundClasses.Rain, 0, length: 4) with { LoudnessDb = -20 },
            Corpus.Event(SoundClasses.ClockTick, 1.0, length: 0.03) with { LoudnessDb = -33 },
            Corpus.Event(SoundClasses.DoorKnock, 2.0, length: 0.1) with { LoudnessDb = -30 },
            Corpus.Event(SoundClasses.ClockTick, 5.0, length: 0.03) with { LoudnessDb = -33 });
        var truth = OnsetTruth.For(clip);

        // Then the masked tick is not expected, the knock and the later tick are
        Assert.Equal([2.0, 5.0], truth.Reference);

        // And a detection at the masked tick is neither a hit nor a false alarm
        Assert.Equal([2.0, 5.0], truth.Counted([1.0, 2.0, 5.0], 0.05));
    }

    [Fact]
    public void Each_reference_onset_keeps_its_class_and_merged_onsets_keep_the_first_ones()
    {
        // Given a bell at 2 s listed before a knock at 1 s, and a bounce 30 ms after the knock
        var clip = Corpus.Clip(
            Corpus.Event(SoundClasses.Bell, 2.0),
            Corpus.Event(SoundClasses.DoorKnock, 1.0),
            Corpus.Event(SoundClasses.ImpactRubber, 1.03));

        var truth = OnsetTruth.For(clip);

        // Then the onsets are in time order with their classes, and the bounce merged into the knock is the knock's
        Assert.Equal([1.0, 2.0], truth.Reference);
        Assert.Equal([SoundClasses.DoorKnock, SoundClasses.Bell], truth.Classes);
    }

    [Fact]
    public void Inner_attacks_of_one_sound_are_set_aside_after_the_tolerance_but_a_double_detection_counts()
    {
        // Given a two-tone chirp at 1.0 s lasting 0.12 s (its second tone starts at 1.06 s)
        var clip = Corpus.Clip(Corpus.Event(SoundClasses.Bird, 1.0, length: 0.12));
        var truth = OnsetTruth.For(clip);

        // Then at ±50 ms the second tone is the chirp's body, not a new event
        Assert.Equal([1.0], truth.Counted([1.0, 1.06], 0.05));

        // But a second detection within the tolerance of the start counts (a detector error), and so does
        // one after the sound has ended
        Assert.Equal([1.0, 1.03, 1.2], truth.Counted([1.0, 1.03, 1.2], 0.05));

        // And at ±100 ms the second tone lies within the tolerance of the start, so it counts
        Assert.Equal([1.0, 1.06], truth.Counted([1.0, 1.06], 0.1));
    }
}

public class TrainingLabelTests
{
    [Fact]
    public void A_crop_has_a_sharp_class_only_when_the_attack_is_inside_it()
    {
        var classes = SoundClasses.All;
        var knock = IndexOf(SoundClasses.DoorKnock);
        var rain = IndexOf(SoundClasses.Rain);
        var silence = IndexOf(SoundClasses.Silence);
        var clip = new LabelledClip("c", new float[80, 500], 8,
            [(knock, 5.0, 7.5, OnsetKind.Sharp), (rain, 0.0, 3.0, OnsetKind.Gradual)], []);

        // The crop 0–4 s holds the rain but not the knock's attack; 4–8 s holds the knock (and its tail) only.
        Assert.Equal(new HashSet<int> { rain }, ReferenceTrainer.Labels(clip, classes, 0, 4));
        Assert.Equal(new HashSet<int> { knock }, ReferenceTrainer.Labels(clip, classes, 4, 8));

        // A crop with nothing in it is silence.
        var quiet = new LabelledClip("q", new float[80, 500], 8, [(knock, 7.0, 7.5, OnsetKind.Sharp)], []);
        Assert.Equal(new HashSet<int> { silence }, ReferenceTrainer.Labels(quiet, classes, 0, 4));

        static int IndexOf(string name) => SoundClasses.All.ToList().IndexOf(name);
    }
}
