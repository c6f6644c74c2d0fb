using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Training;

public class SyncLossTests
{
    [Fact]
    public void Onset_target_is_the_rising_flux_at_its_tokens_strongest_frame()
    {
        // Given 2 mel bins over 6 frames: a rise of 1 and 3 at frame 1, a fall at frame 2, a rise of 2 (bin 0) at frame 5
        var mel = tensor(new float[]
        {
            0, 1, 1, 0, 0, 2,
            0, 3, 0, 0, 0, 0,
        }, [1, 2, 6]);

        // When the onset strength of tokens of 2 frames is taken
        var target = SyncLoss.OnsetTarget(mel, 2);

        // Then frame fluxes are [0, 2, 0, 0, 0, 1] (mean over bins of the rises; falls count 0) and each token keeps its larger
        Assert.Equal([1L, 3L], target.shape);
        Assert.Equal(new float[] { 2, 0, 1 }, target.data<float>().ToArray());
    }

    [Fact]
    public void Onset_target_refuses_a_length_that_is_not_whole_tokens()
    {
        Assert.Throws<ArgumentException>(() => SyncLoss.OnsetTarget(zeros(1, 2, 5), 2));
    }

    [Fact]
    public void Loss_counts_only_rows_whose_video_was_shown()
    {
        // Given two rows: the first predicted 1 off everywhere, the second 3 off
        var target = zeros(2, 4);
        var predicted = tensor(new float[] { 1, 1, 1, 1, 3, 3, 3, 3 }, [2, 4]);

        // Then with both rows the loss is the mean square (1 + 9) / 2, with the first only 1, with none 0
        Assert.Equal(5f, SyncLoss.Loss(predicted, target, tensor(new[] { true, true })).item<float>(), 5);
        Assert.Equal(1f, SyncLoss.Loss(predicted, target, tensor(new[] { true, false })).item<float>(), 5);
        Assert.Equal(0f, SyncLoss.Loss(predicted, target, tensor(new[] { false, false })).item<float>(), 5);
    }

    [Fact]
    public void Event_target_marks_the_tokens_an_onset_falls_in()
    {
        var onsets = tensor(new float[] { 0, 0, 0, 1, 1, 0 }, [1, 6]);
        Assert.Equal(new float[] { 0, 1, 1 }, SyncLoss.EventTarget(onsets, 2).data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => SyncLoss.EventTarget(zeros(1, 5), 2));
    }

    [Fact]
    public void Event_loss_weighs_onsets_and_counts_only_shown_rows()
    {
        // Given logits 0 (p = ½) everywhere: each token costs ln 2, an onset token EventPositiveWeight × ln 2
        var logits = zeros(2, 4);
        var target = tensor(new float[] { 1, 0, 0, 0, 0, 0, 0, 0 }, [2, 4]);
        var ln2 = Math.Log(2);

        // Then row 1 alone: (w + 3) ln 2 / 4; both rows: (w + 7) ln 2 / 8; none: 0
        var w = SyncLoss.EventPositiveWeight;
        Assert.Equal((w + 3) * ln2 / 4, SyncLoss.EventLoss(logits, target, tensor(new[] { true, false })).item<float>(), 5);
        Assert.Equal((w + 7) * ln2 / 8, SyncLoss.EventLoss(logits, target, tensor(new[] { true, true })).item<float>(), 5);
        Assert.Equal(0f, SyncLoss.EventLoss(logits, target, tensor(new[] { false, false })).item<float>(), 5);

        // And a confident right answer costs almost nothing, a confident wrong one a lot
        var right = tensor(new float[] { 9, -9, -9, -9 }, [1, 4]);
        Assert.True(SyncLoss.EventLoss(right, target.narrow(0, 0, 1), tensor(new[] { true })).item<float>() < 0.01);
        Assert.True(SyncLoss.EventLoss(-right, target.narrow(0, 0, 1), tensor(new[] { true })).item<float>() > 5);
    }

    [Fact]
    public void Auc_is_the_share_of_onset_and_other_token_pairs_ranked_right()
    {
        // Onset 0.35 beats 0.1 but not 0.4; onset 0.8 beats both: 3 of 4 pairs
        Assert.Equal(0.75, SyncLoss.Auc([0.1f, 0.4f, 0.35f, 0.8f], [0, 0, 1, 1]), 12);
        Assert.Equal(0.5, SyncLoss.Auc([1f, 1f], [1, 0]), 12); // a tie counts half
        Assert.True(double.IsNaN(SyncLoss.Auc([1f, 2f], [0, 0])));
    }

    [Fact]
    public void Peak_f1_matches_each_onset_to_one_peak_above_the_onset_count_threshold()
    {
        // Given two rows of 6 tokens with onsets at 1 and 4, and at 0; 3 onsets, so the threshold is the 3rd score, 0.7
        float[] scores = [0, 0.2f, 0.9f, 0.1f, 0.3f, 0.8f, /* row 2 */ 0.1f, 0, 0.2f, 0.7f, 0, 0];
        float[] labels = [0, 1, 0, 0, 1, 0, /* row 2 */ 1, 0, 0, 0, 0, 0];

        var (f1, hits, falseAlarms, misses) = SyncLoss.PeakF1(scores, labels, rowLength: 6, tolerance: 1);

        // Then row 1's peaks at 2 and 5 hit its onsets within a token; row 2's peak at 3 is a false alarm and its onset a miss
        Assert.Equal((2, 1, 1), (hits, falseAlarms, misses));
        Assert.Equal(4.0 / 6, f1, 12);
        Assert.Equal(0, SyncLoss.PeakF1(scores, labels, 6, tolerance: 0).Hits);
    }

    [Fact]
    public void Peaks_are_the_local_maxima_of_a_row_at_or_above_the_threshold_and_a_plateau_s_last()
    {
        // Given a row of 7 scores inside a longer list, with a plateau at 3–4 and a maximum under the threshold at 6
        float[] scores = [9, /* row */ 0.8f, 0.2f, 0.5f, 0.6f, 0.6f, 0.1f, 0.4f, /* next */ 9];

        // Then its peaks at threshold 0.5 are 0 (at the row's start, whatever precedes it) and 4, the plateau's last
        Assert.Equal([0, 4], SyncLoss.Peaks(scores, 1, 7, 0.5f));
    }
}

