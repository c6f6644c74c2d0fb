using System.Security.Cryptography;
using V2a.Corpus.Captions;
using V2a.Corpus.Render;
using V2a.Corpus.Scene;
using V2a.Corpus.Synth;
using V2a.Media;

namespace V2a.Corpus;

/// <summary>
/// FoleyWorld: procedural clips in which visible things make sounds, with exact ground truth. One clip =
/// plan (<see cref="Plan"/>: a scene from a seed) → hear (<see cref="SceneMixer"/>) → describe
/// (<see cref="CaptionWriter"/>) → draw and encode (<see cref="Render"/>).
/// </summary>
public static class FoleyWorld
{
    /// <summary>Meta "generator": changes whenever the same seed would give a different clip.</summary>
    public const string Generator = "foleyworld 1.2";

    public const string Licence = "CC0-1.0";

    public const string SourceName = "FoleyWorld procedural generator (v2a)";

    /// <summary>Frame side in pixels of the corpus videos (square). The model's encoder downsizes to VideoSettings.FrameSize.</summary>
    public const int FrameSize = 128;

    /// <summary>The id of clip <paramref name="index"/>: "fw-000123".</summary>
    public static string ClipId(int index) => $"fw-{index:D6}";

    /// <summary>
    /// The seed of clip <paramref name="index"/> of a corpus with seed <paramref name="corpusSeed"/>: a hash of both,
    /// kept below 2^53 so JSON readers in any language read it exactly. Independent of --jobs and of other clips.
    /// </summary>
    public static long ClipSeed(long corpusSeed, int index) => (long)(Rng.Mix((ulong)corpusSeed, (ulong)index) >> 11);

    /// <summary>The scene of a clip (no drawing, no audio).</summary>
    public static FoleyScene Plan(long clipSeed, string id, double seconds, IReadOnlyList<string>? classes = null) =>
        SceneSampler.Sample(clipSeed, id, seconds, classes, AudioSettings.Default.SampleRate);

    /// <summary>Fetches what the scene's sources need (speech), hears it and writes its captions: everything of meta but the files.</summary>
    public static (MixedAudio Audio, IReadOnlyList<string> Captions) Hear(FoleyScene scene, SpeechSynth? speech = null) =>
        Hear(scene, speech, null);

    /// <summary>As <see cref="Hear(FoleyScene, SpeechSynth?)"/>, also handing out each event's own sound (see
    /// <see cref="SceneMixer"/>).</summary>
    internal static (MixedAudio Audio, IReadOnlyList<string> Captions) Hear(FoleyScene scene, SpeechSynth? speech,
        List<(CorpusEvent Event, int Start, float[] Sound)>? eventSounds)
    {
        var assets = new SceneAssets(speech ?? SpeechSynth.Shared);
        foreach (var s in scene.Sources)
        {
            s.Prepare(assets);
        }

        return (SceneMixer.Mix(scene, AudioSettings.Default.SampleRate, eventSounds), CaptionWriter.Write(scene));
    }

    /// <summary>
    /// Renders a clip into <paramref name="corpusDir"/>/clips: the FLAC first, then the MP4 (frames streamed to
    /// ffmpeg with that FLAC as its audio), each written atomically. Returns its meta line.
    /// </summary>
    public static CorpusClip Render(FoleyScene scene, string corpusDir, SpeechSynth? speech = null)
    {
        var (audio, captions) = Hear(scene, speech);
        var clipsDir = Path.Combine(corpusDir, CorpusReader.ClipsFolder);
        var audioRel = $"{CorpusReader.ClipsFolder}/{scene.Id}.flac";
        var videoRel = $"{CorpusReader.ClipsFolder}/{scene.Id}.mp4";
        var audioPath = Path.Combine(corpusDir, audioRel);
        var videoPath = Path.Combine(corpusDir, videoRel);
        Directory.CreateDirectory(clipsDir);
        AudioWriter.WriteFile(audioPath, audio.Samples, AudioSettings.Default.SampleRate, AudioFileFormat.Flac);
        WriteVideo(scene, videoPath, audioPath);
        return new CorpusClip
        {
            Id = scene.Id,
            Video = videoRel,
            Audio = audioRel,
            Seconds = scene.Seconds,
            Seed = scene.Seed,
            Generator = Generator,
            Captions = captions,
            Transcript = scene.Transcript,
            Events = audio.Events,
            Background = scene.Sounding.Where(s => s.IsBackground).Select(s => s.Class).Distinct().ToArray(),
            Sha256 = new CorpusHashes { Video = Sha256(videoPath), Audio = Sha256(audioPath) },
            Licence = Licence,
            Source = SourceName,
        };
    }

    /// <summary>Draws every frame and encodes them with the audio into an MP4, one frame in memory at a time.</summary>
    public static void WriteVideo(FoleyScene scene, string videoPath, string? audioPath)
    {
        var fps = VideoSettings.Default.Fps;
        var frames = (int)Math.Round(scene.Seconds * fps);
        using var renderer = new FrameRenderer(scene, FrameSize);
        using var encoder = new VideoEncoder(videoPath, FrameSize, FrameSize, fps, audioPath);
        var rgb = new byte[renderer.FrameBytes];
        for (var i = 0; i < frames; i++)
        {
            renderer.Render(i, fps, rgb);
            encoder.WriteFrame(rgb);
        }

        encoder.Commit();
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
