using V2a.Eval.Report;

namespace V2a.Eval.Tests;

public class EvalReportTests
{
    private static ClipResult Clip(string id, string realTop, string generatedTop, string? named = null, double? neg = null, double? prompt = null) => new()
    {
        Id = id, TrueClasses = [realTop], RealTopClass = realTop, GeneratedTopClass = generatedTop, KlSoftmax = 1, ReferenceOnsets = 1,
        GeneratedOnsets = 1, OnsetF1At50 = 0, NamedClass = named, NegativeChange = neg, PromptChange = prompt, RealTimeFactor = 1,
    };

    [Fact]
    public void By_class_counts_agreement_the_commonest_wrong_answer_and_the_prompt_tests_that_named_it()
    {
        // Given four bell clips (one heard right, two as footsteps, one as rain) and a speech clip heard as footsteps,
        // with prompt tests naming bell three times and speech once
        var clips = new[]
        {
            Clip("a", "bell", "bell", "bell", neg: -0.2, prompt: 0.1),
            Clip("b", "bell", "footsteps", "bell", neg: 0.05, prompt: 0.3),
            Clip("c", "bell", "footsteps", "bell", neg: -0.1, prompt: -0.1),
            Clip("d", "bell", "rain"),
            Clip("e", "speech", "footsteps", "speech", neg: 0.02, prompt: 0.2),
        };

        // When they are summed up by class
        var rows = EvalReport.ByClass(clips);

        // Then bell: 1 of 4 agree, footsteps the commonest wrong answer, 2 of 3 negatives lowered it, 2 of 3 prompts raised it
        Assert.Equal(["bell", "speech"], rows.Select(r => r.Class));
        var bell = rows[0];
        Assert.Equal((4, 1, "footsteps"), (bell.RealTop, bell.Agreed, bell.CommonestWrong));
        Assert.Equal((3, 2, 3, 2), (bell.NegativeTrials, bell.NegativeLowered, bell.PromptTrials, bell.PromptRaised));
        Assert.Equal(-0.25 / 3, bell.NegativeMean!.Value, 12);
        Assert.Equal(0.1, bell.PromptMean!.Value, 12);
        var speech = rows[1];
        Assert.Equal((1, 0, "footsteps", 1, 0), (speech.RealTop, speech.Agreed, speech.CommonestWrong, speech.NegativeTrials, speech.NegativeLowered));
    }
}
