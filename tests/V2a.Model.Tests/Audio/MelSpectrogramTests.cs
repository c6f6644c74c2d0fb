using TorchSharp;
using V2a.Audio;
using V2a.Model.Audio;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Audio;

public class MelSpectrogramTests
{
    private static readonly AudioSettings S = AudioSettings.Default;

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 0.5f).ToArray();
    }

    [Theory]
    [InlineData(16_123)] // not a multiple of the hop
    [InlineData(300)]    // shorter than the 384-sample padding: mirrored repeatedly
    public void Agrees_with_the_plain_array_log_mel_to_1e_4(int samples)
    {
        // Given two random signals
        var a = Random(samples, 1);
        var b = Random(samples, 2);
        using var mel = new MelSpectrogram(S);
        using var scope = NewDisposeScope();
        var batch = stack([tensor(a), tensor(b)]);                        // (2, N)

        // When both paths compute the log-mel
        var torchMel = mel.call(batch);                                   // (2, 80, T)
        var plainA = LogMel.Compute(a, S);
        var plainB = LogMel.Compute(b, S);

        // Then they agree everywhere
        Assert.Equal(new long[] { 2, S.MelBins, plainA.GetLength(1) }, torchMel.shape);
        var t = torchMel.data<float>().ToArray();
        var frames = plainA.GetLength(1);
        var worst = 0.0;
        for (var m = 0; m < S.MelBins; m++)
        {
            for (var f = 0; f < frames; f++)
            {
                worst = Math.Max(worst, Math.Abs(t[m * frames + f] - plainA[m, f]));
                worst = Math.Max(worst, Math.Abs(t[S.MelBins * frames + m * frames + f] - plainB[m, f]));
            }
        }

        Assert.True(worst < 1e-4, $"max |torch − plain| = {worst}");
    }

    [Fact]
    public void Eight_seconds_give_500_frames()
    {
        using var mel = new MelSpectrogram(S);
        using var scope = NewDisposeScope();
        var x = zeros(1, S.SamplesFor(8));
        Assert.Equal(new long[] { 1, S.MelBins, 500 }, mel.call(x).shape);
        Assert.Equal(500, S.FramesFor(8));
    }

    [Fact]
    public void Registers_the_filterbank_and_window_as_buffers()
    {
        using var mel = new MelSpectrogram(S);
        var names = mel.named_buffers().Select(b => b.name).ToArray();
        Assert.Contains("mel_basis", names);
        Assert.Contains("window", names);
        Assert.Empty(mel.parameters());
    }

    [Fact]
    public void Silence_reads_the_log_floor()
    {
        using var mel = new MelSpectrogram(S);
        using var scope = NewDisposeScope();
        var out_ = mel.call(zeros(1, 4096));
        Assert.Equal(Math.Log(S.LogFloor), out_.max().item<float>(), 1e-5);
    }

    [Fact]
    public void Rejects_a_waveform_that_is_not_batch_by_samples()
    {
        using var mel = new MelSpectrogram(S);
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => mel.call(zeros(4096)));
        Assert.Contains("(B, samples)", e.Message);
    }
}
