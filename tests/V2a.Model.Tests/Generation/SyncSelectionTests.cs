using TorchSharp;
using V2a.Model.Generation;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Generation;

public class SyncSelectionTests
{
    /// <summary>A (1, 2, 2·tokens) mel that is −4 everywhere and jumps to 0 from mel frame 2·token on, for each onset token
    /// (a sound that starts there and stops two frames later).</summary>
    private static Tensor Sketch(int tokens, params int[] onsetTokens)
    {
        var mel = new float[2 * 2 * tokens];
        Array.Fill(mel, -4f);
        foreach (var o in onsetTokens)
        {
            for (var bin = 0; bin < 2; bin++)
            {
                mel[(bin * 2 * tokens) + (2 * o)] = 0;
                mel[(bin * 2 * tokens) + (2 * o) + 1] = 0;
            }
        }

        return torch.tensor(mel, [1, 2, 2 * tokens]);
    }

    private static Tensor Logits(int tokens, params int[] onsetTokens)
    {
        var l = Enumerable.Repeat(-5f, tokens).ToArray();
        foreach (var o in onsetTokens)
        {
            l[o] = 5;
        }

        return torch.tensor(l, [1, tokens]);
    }

    [Fact]
    public void A_sketch_whose_sounds_start_where_the_head_predicts_scores_highest()
    {
        // Given a head predicting onsets at tokens 5 and 15 of 24
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var head = Logits(24, 5, 15);

        // When sketches are scored: onsets there, one token late, elsewhere, and a flat sketch
        var onTime = SyncSelection.Score(Sketch(24, 5, 15), head, 2);
        var late = SyncSelection.Score(Sketch(24, 6, 16), head, 2);
        var elsewhere = SyncSelection.Score(Sketch(24, 10, 20), head, 2);
        var flat = SyncSelection.Score(torch.zeros(1, 2, 48), head, 2);

        // Then on time beats one token late (still within the ±1 token smoothing: positive), which beats elsewhere;
        // a flat sketch has no onsets to compare and scores 0
        Assert.True(onTime > late && late > 0 && late > elsewhere, $"on time {onTime}, late {late}, elsewhere {elsewhere}");
        Assert.True(onTime > 0.9, $"on time {onTime}");
        Assert.True(elsewhere < 0, $"elsewhere {elsewhere}");
        Assert.Equal(0, flat);
        Assert.Equal(3, SyncSelection.DefaultSelectStep(12));
        Assert.Equal(1, SyncSelection.DefaultSelectStep(1));
    }
}
