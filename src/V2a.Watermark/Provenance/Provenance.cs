using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using V2a.Media;

namespace V2a.Watermark.Provenance;

/// <summary>What made a generated output: written into its container tags and its JSON manifest.</summary>
public sealed record ProvenanceInfo
{
    public string Tool { get; init; } = "v2a";

    public required string Version { get; init; }

    public required string ModelId { get; init; }

    public string? Prompt { get; init; }

    public string? Negative { get; init; }

    /// <summary>Words the soundtrack was asked to speak (the transcript given with the prompt), or null.</summary>
    public string? Transcript { get; init; }

    public long Seed { get; init; }

    /// <summary>Level (RMS dBFS) of the room tone added under the generated soundtrack, or null when none was.</summary>
    public double? RoomToneDbfs { get; init; }

    public required string GenerationId { get; init; }

    /// <summary>When the output was made (UTC).</summary>
    public DateTimeOffset Date { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>SHA-256 (hex) of the model's training-data ledger, or null when the model has none.</summary>
    public string? LedgerSha256 { get; init; }

    /// <summary>False only when the user turned the mark off explicitly (recorded, never silent).</summary>
    public bool WatermarkEnabled { get; init; } = true;

    /// <summary>The payload embedded, when the mark is on.</summary>
    public WatermarkPayload? WatermarkPayload { get; init; }

    /// <summary>Fingerprint of the watermark key (never the key), when the mark is on.</summary>
    public string? WatermarkKeyFingerprint { get; init; }
}

/// <summary>
/// Provenance of generated output: container tags (<see cref="BuildTags"/>, for <c>MuxOptions.Tags</c>) and a
/// sidecar manifest <c>&lt;output&gt;.c2pa.json</c> shaped like a C2PA manifest with a <c>c2pa.actions</c> assertion
/// (<see cref="WriteManifest"/>). Not a signed C2PA claim: a plain JSON record with the hashes that bind it to the
/// output, the input and the model's training data.
/// </summary>
public static class Provenance
{
    /// <summary>The label every tagged output carries, in the tags and in the manifest.</summary>
    public const string AiGeneratedLabel = "AI-generated audio";

    /// <summary>Suffix of the sidecar manifest: <c>out.mp4</c> → <c>out.mp4.c2pa.json</c>.</summary>
    public const string ManifestSuffix = ".c2pa.json";

    /// <summary>IPTC digital source type of a video whose audio was generated.</summary>
    public const string CompositeWithTrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";

    /// <summary>IPTC digital source type of audio generated on its own.</summary>
    public const string TrainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    /// <summary>Prefix of v2a's own tag keys.</summary>
    public const string TagPrefix = "v2a_";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Container tags. Keys under <see cref="TagPrefix"/> hold one field each (MP4 keeps them with
    /// <c>-movflags +use_metadata_tags</c>, Matroska/FLAC/Ogg/MP3 keep any key); <c>comment</c> repeats the essentials on
    /// one line for containers that keep only standard keys (WAV's INFO chunk).
    /// </summary>
    public static IReadOnlyDictionary<string, string> BuildTags(ProvenanceInfo info)
    {
        var date = info.Date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var watermark = info.WatermarkEnabled
            ? $"on, payload {info.WatermarkPayload?.Hex ?? "unknown"}" + (info.WatermarkKeyFingerprint is { } f ? $", key {f}" : "")
            : "off (turned off explicitly)";
        var tags = new Dictionary<string, string>
        {
            [TagPrefix + "ai_generated"] = AiGeneratedLabel,
            [TagPrefix + "tool"] = info.Tool,
            [TagPrefix + "version"] = info.Version,
            [TagPrefix + "model"] = info.ModelId,
            [TagPrefix + "prompt"] = info.Prompt ?? "",
            [TagPrefix + "negative_prompt"] = info.Negative ?? "",
            [TagPrefix + "transcript"] = info.Transcript ?? "",
            [TagPrefix + "seed"] = info.Seed.ToString(CultureInfo.InvariantCulture),
            [TagPrefix + "generation_id"] = info.GenerationId,
            [TagPrefix + "date"] = date,
            [TagPrefix + "watermark"] = watermark,
            ["comment"] = $"{AiGeneratedLabel}: {info.Tool} {info.Version}, model {info.ModelId}, generation {info.GenerationId}, "
                + $"seed {info.Seed.ToString(CultureInfo.InvariantCulture)}, {date}; prompt \"{info.Prompt ?? ""}\"; "
                + $"negative \"{info.Negative ?? ""}\"; "
                + (info.Transcript is { } words ? $"transcript \"{words}\"; " : "")
                + $"watermark {watermark}",
        };
        if (info.LedgerSha256 is { } ledger)
        {
            tags[TagPrefix + "ledger_sha256"] = ledger;
        }

        return tags;
    }

    /// <summary>Path of the manifest beside <paramref name="outputPath"/>.</summary>
    public static string ManifestPath(string outputPath) => outputPath + ManifestSuffix;

    /// <summary>
    /// Writes <c>&lt;output&gt;.c2pa.json</c> atomically, with the SHA-256 of <paramref name="outputPath"/> (call it after the
    /// output is complete) and of <paramref name="inputPath"/> (the video the audio was made for; null for audio alone).
    /// The digital source type is compositeWithTrainedAlgorithmicMedia when the output has a video stream, else
    /// trainedAlgorithmicMedia; <paramref name="hasVideo"/> says which when the caller knows (null probes the output).
    /// <paramref name="inputSha256"/> is the input's hash when the caller has it already (one input, several outputs);
    /// null hashes <paramref name="inputPath"/>. Returns the manifest's path.
    /// </summary>
    public static string WriteManifest(string outputPath, ProvenanceInfo info, string? inputPath, bool? hasVideo = null, string? inputSha256 = null)
    {
        MediaProbe.CheckReadableFile(outputPath);
        hasVideo ??= HasVideo(outputPath);
        var manifest = BuildManifest(outputPath, info, inputPath, hasVideo.Value, inputSha256);
        var path = ManifestPath(outputPath);
        AtomicFile.WriteAllText(path, manifest.ToJsonString(Json) + "\n");
        return path;
    }

    internal static JsonObject BuildManifest(string outputPath, ProvenanceInfo info, string? inputPath, bool hasVideo, string? inputSha256 = null)
    {
        var date = info.Date.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var parameters = new JsonObject
        {
            ["model"] = info.ModelId,
            ["prompt"] = info.Prompt,
            ["negativePrompt"] = info.Negative,
            ["transcript"] = info.Transcript,
            ["seed"] = info.Seed,
            ["generationId"] = info.GenerationId,
            ["roomToneDbfs"] = info.RoomToneDbfs,
        };
        var assertions = new JsonArray
        {
            new JsonObject
            {
                ["label"] = "c2pa.actions",
                ["data"] = new JsonObject
                {
                    ["actions"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["action"] = "c2pa.created",
                            ["when"] = date,
                            ["softwareAgent"] = new JsonObject { ["name"] = info.Tool, ["version"] = info.Version },
                            ["digitalSourceType"] = hasVideo ? CompositeWithTrainedAlgorithmicMedia : TrainedAlgorithmicMedia,
                            ["description"] = hasVideo ? $"{AiGeneratedLabel}, added to the input video" : AiGeneratedLabel,
                            ["parameters"] = parameters,
                        },
                    },
                },
            },
            new JsonObject
            {
                ["label"] = "v2a.model",
                ["data"] = new JsonObject
                {
                    ["modelId"] = info.ModelId,
                    ["trainingDataLedger"] = info.LedgerSha256 is null ? null : Hash(info.LedgerSha256),
                },
            },
            new JsonObject
            {
                ["label"] = "v2a.watermark",
                ["data"] = new JsonObject
                {
                    ["enabled"] = info.WatermarkEnabled,
                    ["payload"] = info.WatermarkEnabled ? info.WatermarkPayload?.Hex : null,
                    ["keyFingerprint"] = info.WatermarkEnabled ? info.WatermarkKeyFingerprint : null,
                    ["layout"] = WatermarkSettings.Default.Version,
                    // The room tone under the soundtrack is the key's (RoomToneMark): a second mark, on v2a's own output only.
                    ["keyedRoomTone"] = info.WatermarkEnabled && info.RoomToneDbfs is not null,
                },
            },
        };
        if (inputPath is not null)
        {
            assertions.Add(new JsonObject
            {
                ["label"] = "c2pa.ingredient",
                ["data"] = new JsonObject
                {
                    ["title"] = Path.GetFileName(inputPath),
                    ["relationship"] = "inputTo",
                    ["hash"] = Hash(inputSha256 ?? Sha256File(inputPath)),
                },
            });
        }

        return new JsonObject
        {
            ["claim_generator"] = $"{info.Tool}/{info.Version}",
            ["title"] = Path.GetFileName(outputPath),
            ["format"] = MimeType(outputPath, hasVideo),
            ["instance_id"] = $"v2a:generation:{info.GenerationId}",
            ["label"] = AiGeneratedLabel,
            ["assertions"] = assertions,
            ["output"] = new JsonObject { ["file"] = Path.GetFileName(outputPath), ["hash"] = Hash(Sha256File(outputPath)) },
        };
    }

    /// <summary>SHA-256 of a file, lowercase hex, streamed.</summary>
    public static string Sha256File(string path)
    {
        MediaProbe.CheckReadableFile(path);
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    private static JsonObject Hash(string hex) => new() { ["alg"] = "sha256", ["hash"] = hex };

    private static string MimeType(string path, bool hasVideo) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => hasVideo ? "video/mp4" : "audio/mp4",
        ".mov" => "video/quicktime",
        ".mkv" => hasVideo ? "video/x-matroska" : "audio/x-matroska",
        ".webm" => hasVideo ? "video/webm" : "audio/webm",
        ".wav" => "audio/wav",
        ".flac" => "audio/flac",
        ".mp3" => "audio/mpeg",
        ".m4a" => "audio/mp4",
        ".ogg" or ".opus" => "audio/ogg",
        _ => "application/octet-stream",
    };

    private static bool HasVideo(string path)
    {
        try
        {
            return MediaProbe.Probe(path).HasVideo;
        }
        catch (BadInputException)
        {
            return false;
        }
    }

    /// <summary>What a file carries: its container tags, and the manifest beside it checked against the file.</summary>
    public static ProvenanceReport Read(string path)
    {
        MediaProbe.CheckReadableFile(path);
        var tags = ReadTags(path);
        var manifestPath = ManifestPath(path);
        JsonNode? manifest = null;
        string? manifestError = null;
        bool? hashMatches = null;
        if (File.Exists(manifestPath))
        {
            try
            {
                manifest = JsonNode.Parse(File.ReadAllText(manifestPath));
                var expected = manifest?["output"]?["hash"]?["hash"]?.GetValue<string>();
                hashMatches = expected is not null && string.Equals(expected, Sha256File(path), StringComparison.OrdinalIgnoreCase);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                manifestError = $"{manifestPath}: not a valid manifest ({e.Message})";
            }
        }

        return new ProvenanceReport
        {
            File = path,
            Tags = tags,
            ManifestPath = File.Exists(manifestPath) ? manifestPath : null,
            Manifest = manifest,
            ManifestError = manifestError,
            OutputHashMatches = hashMatches,
            AiGenerated = tags.Values.Any(v => v.Contains(AiGeneratedLabel, StringComparison.Ordinal)) || manifest is not null,
        };
    }

    /// <summary>Container- and stream-level tags as ffprobe reports them, keys in lower case (Matroska stores them upper-case);
    /// stream tags prefixed "stream N:".</summary>
    public static IReadOnlyDictionary<string, string> ReadTags(string path)
    {
        var psi = new ProcessStartInfo(Ffmpeg.FfprobeExe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-print_format", "json", "-show_entries", "format_tags:stream_tags", "--", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new MissingDependencyException("ffprobe", "could not be started");
        var err = p.StandardError.ReadToEndAsync();
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new BadInputException(path, "not a media file ffprobe can read");
        }

        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.TryGetProperty("format", out var format) && format.TryGetProperty("tags", out var ft))
        {
            foreach (var t in ft.EnumerateObject())
            {
                tags[t.Name.ToLowerInvariant()] = t.Value.ToString();
            }
        }

        if (doc.RootElement.TryGetProperty("streams", out var streams))
        {
            var i = 0;
            foreach (var s in streams.EnumerateArray())
            {
                if (s.TryGetProperty("tags", out var st))
                {
                    foreach (var t in st.EnumerateObject())
                    {
                        tags[$"stream {i}:{t.Name.ToLowerInvariant()}"] = t.Value.ToString();
                    }
                }

                i++;
            }
        }

        return tags;
    }
}

/// <summary>What <see cref="Provenance.Read"/> found.</summary>
public sealed record ProvenanceReport
{
    public required string File { get; init; }

    public required IReadOnlyDictionary<string, string> Tags { get; init; }

    public string? ManifestPath { get; init; }

    public JsonNode? Manifest { get; init; }

    public string? ManifestError { get; init; }

    /// <summary>True/false when a manifest with an output hash exists; null when there is none.</summary>
    public bool? OutputHashMatches { get; init; }

    /// <summary>The tags or a manifest say the audio is AI-generated.</summary>
    public bool AiGenerated { get; init; }
}
