using SkiaSharp;
using V2a.Corpus.Render;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Scene;

/// <summary>
/// A planned sound event of a source: its start in seconds (on the sample grid) and where its cause is then,
/// in stage coordinates. End and loudness are measured from the synthesised signal.
/// </summary>
public sealed record SourceEvent(double TStart, double X, double Y);

/// <summary>How a source shows up in a caption.</summary>
/// <param name="Clause">A present-tense clause: "a red rubber ball bounces four times on the wooden floor".</param>
/// <param name="Gerund">The same as a noun phrase: "a red rubber ball bouncing on the wooden floor".</param>
public sealed record Phrase(string Clause, string Gerund);

/// <summary>
/// A thing in a scene: its look over time, its sound and its events come from the same plan (fixed when the
/// scene is sampled), so what is seen and what is heard cannot drift apart. A source may be silent (a prop:
/// seen, never heard) or off-screen (heard, never seen).
/// </summary>
public abstract class Source
{
    protected Source(string id, string soundClass, Rng rng)
    {
        Id = id;
        Class = soundClass;
        Rng = rng;
    }

    /// <summary>Names the source in meta ("ball-1").</summary>
    public string Id { get; }

    /// <summary>Its sound class (for a silent prop: the class it would have).</summary>
    public string Class { get; }

    /// <summary>The source's own random stream (forked from the scene's), used only while it is planned and synthesised.</summary>
    protected Rng Rng { get; }

    /// <summary>False for a silent prop: drawn but never heard and without events.</summary>
    public bool Sounding { get; init; } = true;

    /// <summary>False for an off-screen source: heard but never drawn.</summary>
    public bool Visible { get; init; } = true;

    /// <summary>Level of its loudest moment in dBFS before the clip's single mix gain.</summary>
    public double LevelDb { get; set; } = -18;

    /// <summary>Stage y of its base: sources are drawn far (small y) to near.</summary>
    public abstract double BaseY { get; }

    /// <summary>The events, in start order.</summary>
    public List<SourceEvent> Events { get; } = [];

    /// <summary>True for the scene-wide ambience (rain, wind): listed in meta's background.</summary>
    public virtual bool IsBackground => false;

    /// <summary>Fetches what synthesis needs from outside (speech audio) and may fix event times from it.</summary>
    public virtual void Prepare(SceneAssets assets)
    {
    }

    /// <summary>Draws the source at time t (seconds) in stage coordinates (the canvas carries the camera).</summary>
    public abstract void Draw(SKCanvas canvas, double t, DrawContext dc);

    /// <summary>Draws full-frame effects after lighting (a flash, rain streaks) in frame coordinates [0, 1].</summary>
    public virtual void DrawOverlay(SKCanvas canvas, double t, DrawContext dc)
    {
    }

    /// <summary>Extra camera wobble at t, stage units (an explosion's jolt).</summary>
    public virtual double ShakeAt(double t) => 0;

    /// <summary>Adds the source's sound, event by event, to <paramref name="stem"/>.</summary>
    public abstract void Synthesize(StemBuilder stem);

    /// <summary>How captions name it.</summary>
    public abstract Phrase Describe(Rng rng, Stage stage);

    /// <summary>Rounds a time in seconds onto the audio sample grid, so the event's sample and its time agree exactly.</summary>
    public static double Snap(double t, int sampleRate) => Math.Round(t * sampleRate) / sampleRate;

    protected void AddEvent(double t, double x, double y, int sampleRate) => Events.Add(new SourceEvent(Snap(t, sampleRate), x, y));
}

/// <summary>Outside resources that sources need while preparing (speech).</summary>
public sealed class SceneAssets(SpeechSynth speech)
{
    public SpeechSynth Speech { get; } = speech;
}
