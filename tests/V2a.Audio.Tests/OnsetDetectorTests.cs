namespace V2a.Audio.Tests;

public class OnsetDetectorTests
{
    private static readonly int Rate = AudioSettings.Default.SampleRate;

    private static float[] ClickTrain(int sampleRate, double seconds, double[] times, float amplitude = 0.5f)
    {
        var x = new float[(int)(seconds * sampleRate)];
        foreach (var t in times)
        {
            x[(int)Math.Round(t * sampleRate)] = amplitude;
        }

        return x;
    }

    [Fact]
    public void Detects_click_train_onsets_exactly()
    {
        // Given single-sample clicks at known times in silence (1.000 s among them)
        double[] times = [0.5, 1.0, 1.234, 1.9, 2.05, 2.7];
        var x = ClickTrain(Rate, 3.5, times);

        // When
        var onsets = OnsetDetector.Detect(x, Rate);

        // Then every click is found at its own sample: no frame latency (1.000 s reads 1.000 s, not 1.032 s)
        Assert.Equal(times.Length, onsets.Count);
        for (var i = 0; i < times.Length; i++)
        {
            Assert.Equal(times[i], onsets[i], 1.0 / Rate);
        }
    }

    [Fact]
    public void Detects_clicks_exactly_at_44_1_kHz_too()
    {
        double[] times = [0.3, 0.8, 1.41];
        var onsets = OnsetDetector.Detect(ClickTrain(44_100, 2, times), 44_100);
        Assert.Equal(times.Length, onsets.Count);
        for (var i = 0; i < times.Length; i++)
        {
            Assert.Equal(times[i], onsets[i], 1.0 / 44_100);
        }
    }

    [Fact]
    public void Finds_sinusoid_bursts_with_5_ms_ramps_within_2_ms_of_their_start()
    {
        // Given 150 ms sine bursts (5 ms linear ramps) of different pitch and level
        double[] starts = [0.4, 0.9, 1.3, 1.75, 2.3];
        double[] hz = [220, 1000, 3500, 440, 2000];
        double[] amplitude = [0.5, 0.05, 0.2, 0.1, 0.3];
        var x = new double[3 * Rate];
        var rng = new Random(1);
        for (var i = 0; i < starts.Length; i++)
        {
            var s = (int)(starts[i] * Rate);
            var len = (int)(0.15 * Rate);
            var ramp = 0.005 * Rate;
            for (var j = 0; j < len; j++)
            {
                x[s + j] += amplitude[i] * Math.Min(1, Math.Min(j / ramp, (len - j) / ramp)) * Math.Sin(2 * Math.PI * hz[i] * j / Rate);
            }
        }

        // When
        var onsets = OnsetDetector.Detect(x.Select(v => (float)v).ToArray(), Rate);

        // Then each burst is found once, close to where its ramp begins; nothing at the burst ends
        Assert.Equal(starts.Length, onsets.Count);
        for (var i = 0; i < starts.Length; i++)
        {
            Assert.InRange(onsets[i] - starts[i], -0.002, 0.002);
        }
    }

    [Fact]
    public void Silence_gives_no_onsets()
    {
        Assert.Empty(OnsetDetector.Detect(new float[5 * Rate], Rate));
        Assert.Empty(OnsetDetector.Detect(ReadOnlySpan<float>.Empty, Rate));
    }

    [Fact]
    public void A_peak_out_of_quiet_counts_though_earlier_sounds_fill_the_background()
    {
        // Given the envelope of a chirp train as measured on FoleyWorld audio: each chirp's flux decays over
        // 80 ms, then 40 ms of silence, then the next chirp — so the background's spread is large
        float[] chirp = [0.17f, 0.10f, 0.076f, 0.056f, 0.043f, 0.037f, 0, 0, 0, 0, 0];
        var envelope = new float[5].Concat(Enumerable.Repeat(chirp, 5).SelectMany(c => c)).Concat(new float[20]).ToArray();
        var expected = Enumerable.Range(0, 5).Select(k => 5 + (k * chirp.Length)).ToList();

        // When peaks are picked at the mel frame rate
        var peaks = OnsetDetector.PickPeaks(envelope, AudioSettings.Default.FramesPerSecond, OnsetOptions.Default);
        var spreadOnly = OnsetDetector.PickPeaks(envelope, AudioSettings.Default.FramesPerSecond, OnsetOptions.Default with { QuietLeadSeconds = 0 });

        // Then every chirp is a peak; by the spread test alone the later chirps of the train were lost
        Assert.Equal(expected, peaks);
        Assert.True(spreadOnly.Count < expected.Count, $"spread test alone found {spreadOnly.Count}");
    }

    [Fact]
    public void Steady_white_noise_gives_few_onsets()
    {
        // Given 30 s of loud (−20 dBFS RMS) white noise
        var noise = Signals.Noise(30 * Rate, 0.1, 5);

        // Then at most one false onset per 10 s survives the adaptive threshold (2 measured)
        Assert.InRange(OnsetDetector.Detect(noise, Rate).Count, 0, 3);
    }

    [Fact]
    public void A_tone_playing_from_the_first_to_the_last_sample_has_no_onset()
    {
        var tone = Signals.Sine(Rate, 2, 440, 0.3, phase: 1.0);
        Assert.Empty(OnsetDetector.Detect(tone, Rate));
    }

    [Fact]
    public void Shifting_the_audio_by_120_ms_shifts_every_onset_by_120_ms()
    {
        // Given a scene of mixed events, and the same scene after 120 ms of silence
        var scene = SyntheticEvents.Make(Rate, 6, Enum.GetValues<EventKind>(), seed: 11);
        var shift = (int)(0.120 * Rate);
        var shifted = new float[shift].Concat(scene.Samples).ToArray();

        // When
        var before = OnsetDetector.Detect(scene.Samples, Rate);
        var after = OnsetDetector.Detect(shifted, Rate);

        // Then the onsets are the same, 120 ms later (to a millisecond: the frame grid moves by 7.5 hops)
        Assert.Equal(before.Count, after.Count);
        Assert.NotEmpty(before);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i] + 0.120, after[i], 0.001);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(-60.0)]
    public void Finds_synthetic_everyday_events_with_F1_above_0_95_and_within_10_ms(double? backgroundDbfs)
    {
        // Given scenes of impacts, knocks, footsteps, notes, clicks and tone bursts (−26..−6 dBFS) at known starts
        var reference = new List<double>();
        var detected = new List<double>();
        for (var seed = 0; seed < 4; seed++)
        {
            var scene = SyntheticEvents.Make(Rate, 10, Enum.GetValues<EventKind>(), seed * 31 + 7, backgroundDbfs: backgroundDbfs);

            // When (scenes laid end to end on the time axis so one score covers them all)
            reference.AddRange(scene.OnsetSeconds.Select(t => t + 10 * seed));
            detected.AddRange(OnsetDetector.Detect(scene.Samples, Rate).Select(t => t + 10 * seed));
        }

        var score = OnsetDetector.Match(reference, detected, 0.05);

        // Then (measured: F1 0.988, 99.5 % within 10 ms over 8 scenes in the lab run)
        Assert.True(score.F1 >= 0.95, $"F1 {score.F1:F3} (P {score.Precision:F3}, R {score.Recall:F3})");
        var within10Ms = score.Errors.Count(e => Math.Abs(e) <= 0.010) / (double)score.Errors.Count;
        Assert.True(within10Ms >= 0.95, $"only {within10Ms:P1} within 10 ms");
    }

    [Fact]
    public void Envelope_runs_at_the_mel_frame_rate_and_peaks_at_a_click()
    {
        // Given a click at 1.000 s in 2 s of silence
        var x = ClickTrain(Rate, 2, [1.0]);

        // When
        var envelope = OnsetDetector.Envelope(x, Rate);

        // Then there are samples/hop + 1 frames at 62.5 a second, and the peak is within a frame of 1 s
        Assert.Equal(2 * Rate / AudioSettings.Default.HopLength + 1, envelope.Length);
        Assert.Equal(AudioSettings.Default.FramesPerSecond, OnsetDetector.EnvelopeFramesPerSecond(Rate));
        var peak = Array.IndexOf(envelope, envelope.Max());
        Assert.InRange(peak / AudioSettings.Default.FramesPerSecond, 1.0 - 0.016, 1.0 + 0.016);
        Assert.All(envelope[..(peak - 3)], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Match_pairs_nearest_first_within_the_tolerance()
    {
        // Given 3 references and 4 detections, one too far and one spurious
        double[] reference = [1.0, 2.0, 3.0];
        double[] detected = [1.01, 2.2, 2.98, 5.0];

        // When
        var score = OnsetDetector.Match(reference, detected, 0.05);

        // Then 2 match; errors are detected − reference in reference order
        Assert.Equal(2, score.Matched);
        Assert.Equal(0.5, score.Precision, 1e-12);
        Assert.Equal(2.0 / 3, score.Recall, 1e-12);
        Assert.Equal(2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3), score.F1, 1e-12);
        Assert.Equal(2, score.Errors.Count);
        Assert.Equal(0.01, score.Errors[0], 1e-12);
        Assert.Equal(-0.02, score.Errors[1], 1e-12);
        Assert.Equal(0.015, score.MedianAbsoluteError, 1e-12);
    }

    [Fact]
    public void Match_is_one_to_one_and_gives_a_detection_to_its_nearest_reference()
    {
        // Given two references 40 ms apart and one detection between them, nearer the second
        var score = OnsetDetector.Match([1.0, 1.04], [1.03], 0.05);

        // Then it pairs with the second only
        Assert.Equal(1, score.Matched);
        Assert.Equal(-0.01, score.Errors.Single(), 1e-12);
        Assert.Equal(0.5, score.Recall);
        Assert.Equal([false, true], score.ReferenceFound);
    }

    [Fact]
    public void Match_of_two_empty_lists_is_perfect_and_of_one_empty_list_is_zero()
    {
        Assert.Equal(1, OnsetDetector.Match([], [], 0.05).F1);
        Assert.Equal(0, OnsetDetector.Match([1.0], [], 0.05).F1);
        Assert.Equal(0, OnsetDetector.Match([], [1.0], 0.05).F1);
    }
}
