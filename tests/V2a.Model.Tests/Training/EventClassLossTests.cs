using V2a.Model.Training;
using static TorchSharp.torch;

namespace V2a.Model.Tests.Training;

public class EventClassLossTests
{
    [Fact]
    public void Target_flags_a_class_on_a_token_when_it_sounds_in_any_of_its_frames()
    {
        // Given 4 mel frames × 2 classes: class 0 on frame 1, class 1 on frames 2 and 3
        var flags = tensor(new float[] { 0, 0, 1, 0, 0, 1, 0, 1 }, [1, 4, 2]);

        // When tokens of 2 frames are taken
        var target = EventClassLoss.Target(flags, 2);

        // Then token 0 has class 0, token 1 class 1
        Assert.Equal([1L, 2L, 2L], target.shape);
        Assert.Equal(new float[] { 1, 0, 0, 1 }, target.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => EventClassLoss.Target(zeros(1, 5, 2), 2));
    }

    [Fact]
    public void Loss_is_the_logistic_loss_over_the_tokens_and_classes_of_the_rows_used()
    {
        // Given two rows of one token and two classes: logits 0 everywhere (ln 2 per entry) in the first, and in the
        // second logits ±20 that are right (about 0 per entry)
        var logits = tensor(new float[] { 0, 0, 20, -20 }, [2, 1, 2]);
        var target = tensor(new float[] { 1, 0, 1, 0 }, [2, 1, 2]);

        // Then with both rows the mean is ln 2 / 2, with the first alone ln 2, with none 0
        Assert.Equal((float)(Math.Log(2) / 2), EventClassLoss.Loss(logits, target, tensor(new[] { true, true })).item<float>(), 5);
        Assert.Equal((float)Math.Log(2), EventClassLoss.Loss(logits, target, tensor(new[] { true, false })).item<float>(), 5);
        Assert.Equal(0f, EventClassLoss.Loss(logits, target, tensor(new[] { false, false })).item<float>());
    }

    [Fact]
    public void Top_one_counts_the_tokens_where_something_sounds_and_whose_best_class_is_one_of_them()
    {
        // Given 4 tokens × 3 classes: right (class 1 sounds, best 1), wrong (class 0 sounds, best 2), nothing sounds
        // (not counted), two sound and the best is the second of them (right)
        var logits = new float[] { 0, 5, 1, 0, 1, 3, 9, 0, 0, 0, 2, 4 };
        var target = new float[] { 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1 };

        Assert.Equal((3, 2), EventClassLoss.TopOne(logits, target, 3));
    }
}
