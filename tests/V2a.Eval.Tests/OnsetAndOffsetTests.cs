using V2a.Audio;
using V2a.Eval.Metrics;

namespace V2a.Eval.Tests;

public class OnsetAccuracyTests
{
    [Fact]
    public void Finds_click_train_onsets_exactly()
    {
        // Given 4 s with clicks at irregular, known samples
        long[] at = [4_000, 11_113, 20_500, 27_001, 36_250, 50_017, 57_600];
        var audio = Synthetic.Clicks(4, at);
        var reference = at.Select(s => (double)s / Synthetic.SampleRate).ToList();

        // When the onsets are detected and scored
        var accuracy = new OnsetAccuracy();
        accuracy.Add(reference, OnsetDetector.Detect(audio, Synthetic.SampleRate));

        // Then every click is found, nothing else is, and each lands on its sample
        Assert.Equal(1.0, accuracy.Tight.F1);
        Assert.Equal(1.0, accuracy.Loose.F1);
        Assert.Equal(at.Length, accuracy.Errors.Count);
        Assert.All(accuracy.Errors, e => Assert.InRange(Math.Abs(e), 0, 0.5 / Synthetic.SampleRate));
    }

    [Fact]
    public void Pools_counts_over_clips_and_reports_timing_errors_in_ms()
    {
        // Given two clips: one detected 30 ms late, one with a miss and a spurious onset 80 ms off
        var accuracy = new OnsetAccuracy();
        accuracy.Add([1.0, 2.0], [1.03, 2.0]);
        accuracy.Add([1.0], [1.08]);

        // Then at ±50 ms 2 of 3 match, at ±100 ms all 3, and the errors are 0, 30 and 80 ms
        Assert.Equal(2, accuracy.Tight.Matched);
        Assert.Equal(3, accuracy.Loose.Matched);
        Assert.Equal(2.0 / 3, accuracy.Tight.F1, 9);
        Assert.Equal(30, accuracy.MedianAbsoluteErrorMs, 6);
        Assert.Equal(70, accuracy.P90AbsoluteErrorMs, 6);
    }

    [Fact]
    public void Counts_each_class_s_reference_onsets_and_those_found_within_50_ms()
    {
        // Given two clips: knocks at 1 and 3 s (the second found 80 ms late) and a bell at 2 s found, then a bell missed
        var generated = new OnsetAccuracy();
        var real = new OnsetAccuracy();
        var first = new OnsetTruth([1.0, 2.0, 3.0], [], ["door_knock", "bell", "door_knock"]);
        var second = new OnsetTruth([0.5], [], ["bell"]);
        generated.Add(first, [1.01, 2.0, 3.08]);
        generated.Add(second, [4.0]);
        real.Add(first, [1.0, 2.0, 3.0]);
        real.Add(second, [0.5]);

        // Then by class: knocks 1 of 2, bells 1 of 2 in the generated audio; all found in the real audio
        Assert.Equal([new ClassOnsetRecall("bell", 2, 1), new ClassOnsetRecall("door_knock", 2, 1)], generated.RecallByClass);
        Assert.Equal(
            [new ClassOnsetResult("bell", 2, 1, 2), new ClassOnsetResult("door_knock", 2, 1, 2)],
            Evaluator.RecallByClass(generated, real));

        // And a clip whose truth names no classes adds to the pooled counts only
        generated.Add([1.0], [1.0]);
        Assert.Equal(4, generated.RecallByClass.Sum(c => c.Reference));
        Assert.Equal(5, generated.Tight.Reference);
    }
}

public class AvOffsetTests
{
    private const double Fps = 25;

    // Irregular flash frames, so no lag but the true one lines every event up.
    private static readonly int[] FlashFrames = [10, 23, 31, 52, 60, 77, 95, 103, 121, 140, 151, 170, 182];

    [Theory]
    [InlineData(0.120)]
    [InlineData(-0.120)]
    [InlineData(0.0)]
    public void Finds_the_shift_of_audio_against_video_within_one_mel_frame(double shiftSeconds)
    {
        // Given a video (8 s at 25 fps) in which a square flashes at irregular frames, and audio with a
        // click at each flash's time moved by the shift
        var frames = Synthetic.FlashingSquare(200, 32, FlashFrames);
        var video = new MotionEnvelope();
        foreach (var f in frames)
        {
            video.Add(f, 32, 32);
        }

        var clicks = FlashFrames.Select(j => (long)Math.Round(((j / Fps) + shiftSeconds) * Synthetic.SampleRate)).ToList();
        var audio = Synthetic.Clicks(8, clicks);
        var envelope = OnsetDetector.Envelope(audio, Synthetic.SampleRate).Select(v => (double)v).ToArray();

        // When the offset is estimated
        var estimate = AvOffset.Estimate(video.Values.ToArray(), Fps, envelope, OnsetDetector.EnvelopeFramesPerSecond(Synthetic.SampleRate));

        // Then it is the shift, within one mel frame (16 ms; a video frame is 40 ms)
        Assert.NotNull(estimate);
        var melFrame = 1 / AudioSettings.Default.FramesPerSecond;
        Assert.InRange(estimate.LagSeconds, shiftSeconds - melFrame, shiftSeconds + melFrame);
        Assert.True(estimate.Correlation > 0.5, $"correlation {estimate.Correlation}");
    }

    [Fact]
    public void Gives_no_estimate_for_a_static_video()
    {
        var frames = Synthetic.FlashingSquare(100, 16, []);
        var video = frames.Select(_ => 0.0).ToArray();
        var audio = OnsetDetector.Envelope(Synthetic.Clicks(4, [8000]), Synthetic.SampleRate).Select(v => (double)v).ToArray();
        Assert.Null(AvOffset.Estimate(video, Fps, audio, 62.5));
    }
}
