using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using V2a.Media;

namespace V2a.Watermark;

/// <summary>Watermark detection and embedding on media files (any format ffmpeg reads).</summary>
public static class WatermarkFiles
{
    /// <summary>
    /// Decodes the first audio stream of <paramref name="path"/> to mono at the watermark rate (streamed) and
    /// detects. A file without audio gets <see cref="Verdict.NoAudio"/>; an unreadable one a
    /// <see cref="BadInputException"/> naming it.
    /// </summary>
    public static DetectionResult Detect(string path, WatermarkKey key, WatermarkSettings? settings = null)
    {
        var s = settings ?? WatermarkSettings.Default;
        var info = MediaProbe.Probe(path);
        if (!info.HasAudio)
        {
            return new DetectionResult
            {
                Verdict = Verdict.NoAudio,
                FalsePositiveProbability = 1,
                FalsePositiveTarget = s.FalsePositiveTarget,
                KeyFingerprint = key.Fingerprint,
                Layout = s.Version,
                Note = "the file has no audio stream, so there is no mark to look for.",
            };
        }

        var detector = new WatermarkDetector(s.SampleRate, key, s);
        foreach (var chunk in AudioReader.ReadChunks(path, s.SampleRate))
        {
            detector.Process(chunk);
        }

        return detector.Finish();
    }

    /// <summary>The payload <c>v2a watermark embed</c> uses when none is given: model tag of "user-audio", generation tag of the input's SHA-256.</summary>
    public static WatermarkPayload DefaultPayloadFor(string inputPath)
    {
        using var f = File.OpenRead(inputPath);
        return WatermarkPayload.FromIds("user-audio", Convert.ToHexStringLower(SHA256.HashData(f)));
    }

    /// <summary>
    /// Marks the audio of <paramref name="input"/> into <paramref name="output"/>, keeping its sample rate and channels:
    /// the mark is computed on the mono mix at the watermark rate, resampled, and added to every channel, so the mono
    /// mix of the output carries it. Audio outputs: .wav (16-bit), .flac, .mp3, .m4a, .ogg/.opus; a video input may be
    /// written to .mp4/.mov/.mkv/.webm (video stream copied where the container holds it, else re-encoded; see
    /// <see cref="Muxer"/>); the sample rate is kept where the codec allows it (Opus and MP3 take the next rate up). Streamed: the decoder pipe feeds a <see cref="WatermarkEmbedder"/>
    /// and the mark goes to a temporary file as it is made, so memory does not grow with the input's length.
    /// With <paramref name="roomToneDbfs"/>, the key's room tone (<see cref="RoomToneMark"/>, the second layer v2a generate
    /// lays under its own output) is added at that RMS level, from the input's first sample, before the mark is made: the
    /// audio's silences become a faint hiss, and the mark survives noise, another track and digital silence far better.
    /// </summary>
    public static EmbedReport Embed(string input, string output, WatermarkPayload payload, WatermarkKey key, WatermarkSettings? settings = null,
        double? roomToneDbfs = null)
    {
        var s = settings ?? WatermarkSettings.Default;
        var info = MediaProbe.Probe(input);
        if (!info.HasAudio)
        {
            throw new BadInputException(input, "has no audio stream to watermark");
        }

        var ext = Path.GetExtension(output).ToLowerInvariant();
        string[] codec = ext switch
        {
            ".wav" => ["-c:a", "pcm_s16le"],
            ".flac" => ["-c:a", "flac"],
            ".mp3" => ["-c:a", "libmp3lame", "-b:a", "192k"],
            ".m4a" or ".mp4" or ".mov" => ["-c:a", "aac", "-b:a", "192k"],
            ".ogg" or ".opus" or ".mkv" or ".webm" => ["-c:a", "libopus", "-b:a", "128k"],
            _ => throw new BadInputException(output, $"unsupported output extension '{ext}' (use .wav, .flac, .mp3, .m4a, .ogg, .opus, or .mp4/.mov/.mkv for a video)"),
        };
        var isVideoOut = ext is ".mp4" or ".mov" or ".mkv" or ".webm";
        if (isVideoOut && info.Video is null)
        {
            throw new BadInputException(output, $"'{input}' has no video; write an audio file (.wav, .flac, .mp3, .m4a, .ogg)");
        }

        var video = isVideoOut ? Muxer.VideoFor(output, info.Video!.Codec) : null;
        var stream = info.Audio[0];
        var rate = Muxer.EncodableRate(codec[1], stream.SampleRate > 0 ? stream.SampleRate : s.SampleRate);
        var channels = Math.Max(1, stream.Channels);
        var inv = CultureInfo.InvariantCulture;
        var pan = $"pan={channels}c|" + string.Join('|', Enumerable.Range(0, channels).Select(c => $"c{c}=c0"));
        var markPath = Path.Combine(Path.GetTempPath(), $"v2a-mark-{Guid.NewGuid():N}.wav");
        try
        {
            var report = WriteMark(input, markPath, payload, key, s, roomToneDbfs);
            using var file = AtomicFile.Create(output);
            var args = new List<string>
            {
                "-v", "error", "-nostdin", "-y", "-i", input, "-i", markPath, "-filter_complex",
                // Contiguous timestamps on the original (its start kept): with a video being re-encoded beside it, this
                // ffmpeg's amix otherwise ends the mix early (a 2 s AAC track came out 0.14–1.0 s long).
                $"[1:a:0]aresample={rate.ToString(inv)},{pan}[w];[0:a:0]asetpts=N/SR/TB+STARTPTS[a];[a][w]amix=inputs=2:normalize=0:duration=first[out]",
            };
            if (video is not null)
            {
                args.AddRange(["-map", "0:v:0", .. Muxer.VideoCodecArgs(video)]);
            }

            args.AddRange(["-map", "[out]", .. codec, "-ar", rate.ToString(inv), "-map_metadata", "0"]);
            if (ext is ".mp4" or ".mov" or ".m4a")
            {
                args.AddRange(["-movflags", "+use_metadata_tags"]);
            }

            args.Add(file.TempPath);
            RunFfmpeg(args, output);
            file.Commit();
            return report with { Video = video };
        }
        finally
        {
            File.Delete(markPath);
        }
    }

    /// <summary>Streams the input's mono mix (with the keyed room tone under it, if asked) through the embedder and writes
    /// what it adds (marked − input: the mark, and the tone) as float WAV.</summary>
    private static EmbedReport WriteMark(string input, string markPath, WatermarkPayload payload, WatermarkKey key, WatermarkSettings s, double? roomToneDbfs)
    {
        var tone = roomToneDbfs is { } dbfs ? RoomToneMark.Tone(key, payload, dbfs) : null;
        using var embedder = new WatermarkEmbedder(s.SampleRate, payload, key, s);
        using var writer = new AudioWriter(markPath, s.SampleRate, AudioFileFormat.WavFloat);
        var pending = new Queue<float[]>(); // input chunks whose marked samples have not come out yet (≈ one block)
        var offset = 0; // samples of pending.Peek() already matched
        void Write(float[] marked)
        {
            var mark = new float[marked.Length];
            for (var i = 0; i < marked.Length; i++)
            {
                var head = pending.Peek();
                mark[i] = marked[i] - head[offset];
                if (++offset == head.Length)
                {
                    pending.Dequeue();
                    offset = 0;
                }
            }

            writer.Write(mark);
        }

        foreach (var chunk in AudioReader.ReadChunks(input, s.SampleRate))
        {
            pending.Enqueue(chunk);
            var host = chunk;
            if (tone is not null)
            {
                host = (float[])chunk.Clone();
                tone.AddTo(host);
            }

            Write(embedder.Process(host));
        }

        Write(embedder.Flush());
        writer.Commit();
        return embedder.Report;
    }

    private static void RunFfmpeg(IEnumerable<string> args, string subject)
    {
        var psi = new ProcessStartInfo(Ffmpeg.FfmpegExe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new MissingDependencyException("ffmpeg", "could not be started");
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            var last = err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            throw new BadInputException(subject, $"ffmpeg could not write the watermarked file ({last})");
        }
    }
}
