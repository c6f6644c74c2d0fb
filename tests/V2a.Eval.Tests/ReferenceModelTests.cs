using V2a.Corpus;
using V2a.Eval.Metrics;
using V2a.Eval.Reference;

namespace V2a.Eval.Tests;

/// <summary>Loads the shipped reference classifier (models/reference/) once for the tests that need a trained model.</summary>
public sealed class ShippedReference : IDisposable
{
    public ShippedReference()
    {
        var dir = ReferenceClassifier.FindDefault()
            ?? throw new InvalidOperationException("these tests need the trained reference classifier in models/reference/ (v2a reference train)");
        Classifier = ReferenceClassifier.Load(dir);
    }

    public ReferenceClassifier Classifier { get; }

    public void Dispose() => Classifier.Dispose();
}

/// <summary>Needs the trained reference classifier (models/reference/).</summary>
public sealed class ReferenceClassifierTests(ShippedReference shipped) : IClassFixture<ShippedReference>
{
    [Theory]
    [InlineData(SoundClasses.Bell)]
    [InlineData(SoundClasses.Explosion)]
    [InlineData(SoundClasses.KeyboardMusic)]
    [InlineData(SoundClasses.Rain)]
    [InlineData(SoundClasses.DoorKnock)]
    public void Classifies_a_class_pure_clip_as_that_class(string cls)
    {
        // Given an 8 s FoleyWorld scene of one class, from a seed no corpus of this project uses
        var scene = FoleyWorld.Plan(7_700_000 + cls.Length, $"pure-{cls}", 8, [cls]);
        var (audio, _) = FoleyWorld.Hear(scene);
        Assert.All(audio.Events, e => Assert.Equal(cls, e.Class));

        // When the reference classifier hears it
        var output = shipped.Classifier.Analyse(audio.Samples);

        // Then its most probable class is that class
        var top = shipped.Classifier.Classes[ClassDistributions.ArgMax(output.Probabilities)];
        Assert.Equal(cls, top);
        Assert.Equal(shipped.Classifier.Config.EmbeddingDim, output.Embedding.Length);
    }

    [Fact]
    public void The_same_audio_embeds_the_same_and_different_scenes_apart()
    {
        var a = FoleyWorld.Hear(FoleyWorld.Plan(7_800_001, "a", 8, [SoundClasses.Bell])).Audio.Samples;
        var b = FoleyWorld.Hear(FoleyWorld.Plan(7_800_002, "b", 8, [SoundClasses.Engine])).Audio.Samples;
        var ea = shipped.Classifier.Analyse(a).Embedding;
        Assert.Equal(0, Diversity.Distance(ea, shipped.Classifier.Analyse(a).Embedding), 5);
        Assert.True(Diversity.Distance(ea, shipped.Classifier.Analyse(b).Embedding) > 0.1);
    }
}
