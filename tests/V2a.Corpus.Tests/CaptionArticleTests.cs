using V2a.Corpus.Captions;

namespace V2a.Corpus.Tests;

public sealed class CaptionArticleTests
{
    [Theory]
    [InlineData("A orange ball bounces.", "An orange ball bounces.")]
    [InlineData("Outdoors, a orange glass ball and a ice cube fall.", "Outdoors, an orange glass ball and an ice cube fall.")]
    [InlineData("A red ball rolls past a wall.", "A red ball rolls past a wall.")]
    [InlineData("Rain falls on a umbrella near an oak.", "Rain falls on an umbrella near an oak.")]
    public void Articles_agree_with_the_next_word(string text, string expected) =>
        Assert.Equal(expected, CaptionWriter.Articles(text));

    [Fact]
    public void No_planned_caption_says_a_before_a_vowel()
    {
        for (var i = 0; i < 300; i++)
        {
            var scene = FoleyWorld.Plan(FoleyWorld.ClipSeed(3, i), FoleyWorld.ClipId(i), 8);
            foreach (var caption in CaptionWriter.Write(scene))
            {
                Assert.DoesNotMatch(@"\b[Aa] [aeiouAEIOU]", caption);
            }
        }
    }
}
