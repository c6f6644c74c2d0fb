using V2a.Corpus;
using V2a.Media;

namespace V2a.Eval;

/// <summary>A corpus clip under evaluation, with its files resolved.</summary>
/// <param name="VideoPath">Absolute path of the clip's video.</param>
/// <param name="AudioPath">Absolute path of the clip's lossless real audio.</param>
public sealed record EvalClip(CorpusClip Meta, string VideoPath, string AudioPath)
{
    public string Id => Meta.Id;

    public double Seconds => Meta.Seconds;

    /// <summary>The prompt eval generates with: the clip's first caption, or none.</summary>
    public string? Caption => Meta.Captions.Count > 0 ? Meta.Captions[0] : null;
}

/// <summary>One generation request: text conditions and the seed.</summary>
public sealed record SoundRequest(string? Prompt, string? Negative, long Seed);

/// <summary>
/// Where eval's soundtracks come from: the generator (a model package), or the corpus's own audio (the
/// oracle, which gives the ceiling every metric can reach and checks the metrics themselves).
/// </summary>
public interface ISoundtrackSource : IDisposable
{
    /// <summary>What is evaluated, for the report ("model models/default (small, step 20000)").</summary>
    string Description { get; }

    /// <summary>True when prompts and seeds change nothing (the oracle): prompt tests and diversity are skipped.</summary>
    bool IgnoresRequests { get; }

    /// <summary>Mono audio at <see cref="AudioSettings.SampleRate"/> for the clip's whole duration.</summary>
    float[] Generate(EvalClip clip, SoundRequest request);
}

/// <summary>The oracle: returns the clip's real audio whatever is asked.</summary>
public sealed class CorpusAudioSource : ISoundtrackSource
{
    public string Description => "oracle: the corpus's own audio (the ceiling of every metric)";

    public bool IgnoresRequests => true;

    public float[] Generate(EvalClip clip, SoundRequest request)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return Evaluator.ReadRealAudio(clip, AudioSettings.Default);
    }

    public void Dispose()
    {
    }
}
