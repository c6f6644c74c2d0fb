using V2a.Model;
using V2a.Model.Audio;
using V2a.Model.Generation;

namespace V2a.Eval;

/// <summary>Opens the soundtrack sources eval can measure.</summary>
public static class SoundtrackSources
{
    /// <summary>The generator of a model package, with the given steps and guidance (null: the model's defaults).</summary>
    /// <param name="negativeStrength">How hard a negative prompt pushes away (see <see cref="GenerationRequest.NegativeStrength"/>); null: the generator's default.</param>
    /// <param name="promptStrength">How much more a prompt counts than the video alone (see <see cref="GenerationRequest.PromptStrength"/>); null: the generator's default.</param>
    public static ISoundtrackSource Open(string modelDir, int? steps, double? cfg, double? negativeStrength = null, double? promptStrength = null) =>
        new ModelSoundtrackSource(modelDir, steps, cfg, negativeStrength, promptStrength);
}

/// <summary>
/// Soundtracks from a model package through <see cref="SoundtrackGenerator"/> (windows, guidance, the
/// Griffin-Lim vocoder), exactly as <c>v2a generate</c> makes them before loudness, watermark and mux.
/// </summary>
internal sealed class ModelSoundtrackSource : ISoundtrackSource
{
    private readonly SoundtrackModel _model;
    private readonly GriffinLimVocoder _vocoder;
    private readonly SoundtrackGenerator _generator;
    private readonly int? _steps;
    private readonly double? _cfg;
    private readonly double? _negativeStrength;
    private readonly double? _promptStrength;

    public ModelSoundtrackSource(string modelDir, int? steps, double? cfg, double? negativeStrength, double? promptStrength)
    {
        if (steps is < 1)
        {
            throw new BadInputException(null, $"--steps {steps}: need at least 1");
        }

        _model = SoundtrackModel.Load(modelDir);
        _vocoder = new GriffinLimVocoder(_model.Config.Audio);
        _generator = new SoundtrackGenerator(_model, mel => _vocoder.Vocode(mel));
        _steps = steps;
        _cfg = cfg;
        _negativeStrength = negativeStrength;
        _promptStrength = promptStrength;
        var defaults = new GenerationRequest(null, null, 0);
        Description = $"model {Path.GetFullPath(modelDir)} ({_model.Config.Preset}, id {_model.ModelId}), {steps ?? defaults.Steps} steps, cfg {cfg ?? defaults.Cfg}"
            + $", negative strength {negativeStrength ?? defaults.NegativeStrength}, prompt strength {promptStrength ?? defaults.PromptStrength}";
        if (_model.Config.Audio.SampleRate != AudioSettings.Default.SampleRate)
        {
            throw new BadInputException(modelDir, $"generates at {_model.Config.Audio.SampleRate} Hz; eval's reference classifier hears {AudioSettings.Default.SampleRate} Hz");
        }
    }

    public string Description { get; }

    public bool IgnoresRequests => false;

    public float[] Generate(EvalClip clip, SoundRequest request)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(request);
        var r = new GenerationRequest(request.Prompt, request.Negative, request.Seed) { Transcript = request.Transcript };
        if (_steps is { } s)
        {
            r = r with { Steps = s };
        }

        if (_cfg is { } w)
        {
            r = r with { Cfg = w };
        }

        if (_negativeStrength is { } strength)
        {
            r = r with { NegativeStrength = strength };
        }

        if (_promptStrength is { } p)
        {
            r = r with { PromptStrength = p };
        }

        var samples = new List<float>((int)AudioSettings.Default.SamplesFor(clip.Seconds));
        foreach (var chunk in _generator.Generate(clip.VideoPath, clip.Seconds, r, NullProgress.Instance))
        {
            samples.AddRange(chunk);
        }

        return [.. samples];
    }

    public void Dispose()
    {
        _vocoder.Dispose();
        _model.Dispose();
    }
}
