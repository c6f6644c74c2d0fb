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

    /// <summary>The prompt eval generates with: the clip's first caption, or none (with <see cref="Transcript"/>).</summary>
    public string? Caption => Meta.Captions.Count > 0 ? Meta.Captions[0] : null;

    /// <summary>The words spoken in the clip (its annotation), given with the caption as training gave them; or none.</summary>
    public string? Transcript => Meta.Transcript;
}

/// <summary>One generation request: text conditions and the seed.</summary>
public sealed record SoundRequest(string? Prompt, string? Negative, long Seed, string? Transcript = null);

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

/// <summary>
/// The vocoder's ceiling: the clip's real audio through the model's front end and back out of the
/// vocoder (real audio → log-mel → Griffin-Lim). A perfect generator of mel frames scores this, so the
/// gap between it and <see cref="CorpusAudioSource"/> is what the vocoder alone costs.
/// </summary>
public sealed class VocodedCorpusAudioSource : ISoundtrackSource
{
    private readonly V2a.Model.Audio.MelSpectrogram _front;
    private readonly V2a.Model.Audio.GriffinLimVocoder _vocoder;

    public VocodedCorpusAudioSource()
    {
        _front = new V2a.Model.Audio.MelSpectrogram(AudioSettings.Default);
        _vocoder = new V2a.Model.Audio.GriffinLimVocoder(AudioSettings.Default);
    }

    public string Description => "oracle through the vocoder: the corpus's own audio as log-mel, vocoded by Griffin-Lim (the ceiling of a perfect mel generator)";

    public bool IgnoresRequests => true;

    public float[] Generate(EvalClip clip, SoundRequest request)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var real = Evaluator.ReadRealAudio(clip, AudioSettings.Default);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var logMel = _front.forward(TorchSharp.torch.tensor(real).unsqueeze(0));
        var wave = _vocoder.Vocode(logMel)[0].data<float>().ToArray();
        var output = new float[real.Length];
        Array.Copy(wave, output, Math.Min(wave.Length, output.Length));
        return output;
    }

    public void Dispose()
    {
        _vocoder.Dispose();
        _front.Dispose();
    }
}
