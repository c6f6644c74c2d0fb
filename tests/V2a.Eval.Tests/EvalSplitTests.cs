using V2a.Model;
using V2a.Model.Data;

namespace V2a.Eval.Tests;

public sealed class EvalSplitTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"v2a-eval-split-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CorpusOf(params string[] ids) =>
        Corpus.WriteMeta(Path.Combine(_dir, "corpus"), ids.Select(id => Corpus.Clip(id)));

    [Fact]
    public void Val_is_exactly_the_held_out_ids_of_the_shard_manifest()
    {
        // Given a corpus of four clips and shards that hold out b and d
        var corpus = CorpusOf("a", "b", "c", "d");
        var shards = Path.Combine(_dir, "shards");
        Directory.CreateDirectory(shards);
        Manifest(corpus, train: ["a", "c"], val: ["b", "d"]).Save(shards);

        // When the val and train splits are selected
        var val = EvalSplit.Select(corpus, "val", shards, modelDir: null);
        var train = EvalSplit.Select(corpus, "train", shards, modelDir: null);

        // Then they are the manifest's ids, in corpus order
        Assert.Equal(["b", "d"], val.Select(c => c.Id));
        Assert.Equal(["a", "c"], train.Select(c => c.Id));
    }

    [Fact]
    public void Without_shards_val_is_what_the_model_ledger_did_not_train_on()
    {
        // Given a model package whose ledger lists a and c
        var corpus = CorpusOf("a", "b", "c", "d");
        var model = Path.Combine(_dir, "model");
        Directory.CreateDirectory(model);
        File.WriteAllLines(Path.Combine(model, ModelPackage.LedgerFile), ["{\"id\":\"a\"}", "{\"id\":\"c\"}"]);

        // Then val is b and d
        Assert.Equal(["b", "d"], EvalSplit.Select(corpus, "val", null, model).Select(c => c.Id));
        Assert.Equal(4, EvalSplit.Select(corpus, "all", null, null).Count);
    }

    [Fact]
    public void A_ledger_entry_with_another_audio_hash_is_another_corpus_clip()
    {
        // Given a ledger that trained on "a" of another corpus (same id, other audio) and on "c" of this one
        var corpus = Corpus.WriteMeta(Path.Combine(_dir, "corpus"), new[] { "a", "b", "c" }.Select(id => Corpus.Clip(id) with { Sha256 = new() { Video = "v", Audio = $"audio-{id}" } }));
        var model = Path.Combine(_dir, "model");
        Directory.CreateDirectory(model);
        File.WriteAllLines(Path.Combine(model, ModelPackage.LedgerFile),
            ["{\"id\":\"a\",\"sha256\":{\"video\":\"x\",\"audio\":\"elsewhere\"}}", "{\"id\":\"c\",\"sha256\":{\"video\":\"v\",\"audio\":\"audio-c\"}}"]);

        // Then only c counts as trained on
        Assert.Equal(["a", "b"], EvalSplit.Select(corpus, "val", null, model).Select(c => c.Id));
    }

    [Fact]
    public void Shards_of_another_corpus_folder_are_refused()
    {
        var corpus = CorpusOf("a", "b");
        var shards = Path.Combine(_dir, "shards");
        Directory.CreateDirectory(shards);
        Manifest(Path.Combine(_dir, "elsewhere"), train: ["a"], val: ["b"]).Save(shards);
        var e = Assert.Throws<BadInputException>(() => EvalSplit.Select(corpus, "val", shards, null));
        Assert.Contains("--split all", e.Message);
    }

    [Fact]
    public void Val_without_a_record_of_the_split_is_refused_with_a_reason()
    {
        var corpus = CorpusOf("a", "b");
        var e = Assert.Throws<BadInputException>(() => EvalSplit.Select(corpus, "val", null, null));
        Assert.Contains("--shards", e.Message);
        Assert.Throws<BadInputException>(() => EvalSplit.Select(corpus, "test", null, null));
    }

    private static ShardManifest Manifest(string corpus, string[] train, string[] val) => new()
    {
        Corpus = corpus,
        Created = DateTimeOffset.UnixEpoch,
        Audio = AudioSettings.Default,
        Video = VideoSettings.Default,
        ClipSeconds = 8,
        MelFrames = 500,
        VideoFrames = 200,
        TextMaxTokens = 8,
        TextsPerClip = 1,
        VocabSize = 4,
        ValFraction = 0.5,
        SplitRule = "test",
        Normalisation = new MelNormalisation(new float[80], new float[80]),
        Shards = [new ShardInfo("train-0000.safetensors", "train", train), new ShardInfo("val-0000.safetensors", "val", val)],
    };
}
