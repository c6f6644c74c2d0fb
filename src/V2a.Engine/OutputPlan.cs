using V2a.Media;

namespace V2a.Engine;

/// <summary>What kind of output a path asks for.</summary>
public enum OutputKind
{
    /// <summary>A video file: the soundtrack muxed in, the video stream copied (re-encoded where the container cannot hold it).</summary>
    Video,

    /// <summary>An audio file (.wav or .flac): the soundtrack alone.</summary>
    Audio,

    /// <summary>A folder: per candidate a video, its audio alone, and a JSON of its settings.</summary>
    Folder,
}

/// <summary>Where each candidate's files go, decided and checked before any work starts.</summary>
public sealed record CandidatePaths(int Index, string? VideoPath, string? AudioPath, string ManifestPath, string? SettingsPath);

/// <summary>
/// Resolves an output path into per-candidate file paths and checks them up front, so bad output paths fail
/// in milliseconds, not after minutes of sampling.
/// </summary>
public static class OutputPlan
{
    public static readonly string[] VideoExtensions = [".mp4", ".mov", ".m4v", ".mkv", ".webm"];

    /// <summary>The container of a folder output's videos: the input's own when v2a writes it and it can take the video
    /// stream by copy, else .mp4, else .mkv where either can copy it, else .mp4 (re-encoded to H.264).</summary>
    public static string FolderVideoExtension(string inputVideoExtension, string inputVideoCodec)
    {
        var own = inputVideoExtension.ToLowerInvariant();
        string[] choices = VideoExtensions.Contains(own) ? [own, ".mp4", ".mkv"] : [".mp4", ".mkv"];
        return choices.FirstOrDefault(ext => Muxer.CanCopy(ext, inputVideoCodec)) ?? ".mp4";
    }

    public static readonly string[] AudioExtensions = [".wav", ".flac"];

    public static OutputKind KindOf(string outputPath)
    {
        var ext = Path.GetExtension(outputPath).ToLowerInvariant();
        if (Directory.Exists(outputPath) || outputPath.EndsWith('/') || ext.Length == 0)
        {
            return OutputKind.Folder;
        }

        if (VideoExtensions.Contains(ext))
        {
            return OutputKind.Video;
        }

        if (AudioExtensions.Contains(ext))
        {
            return OutputKind.Audio;
        }

        throw new BadInputException(outputPath,
            $"unsupported output type '{ext}' (a video: {string.Join(' ', VideoExtensions)}; audio: {string.Join(' ', AudioExtensions)}; or a folder)");
    }

    /// <summary>Plans the files of <paramref name="candidates"/> candidates and checks the folder is writable.</summary>
    /// <param name="inputVideoExtension">The input's extension: folder outputs keep the input's container.</param>
    public static IReadOnlyList<CandidatePaths> Plan(string outputPath, int candidates, string inputVideoExtension, string? inputVideoCodec = null)
    {
        if (candidates < 1)
        {
            throw new BadInputException(null, "--candidates must be at least 1");
        }

        var kind = KindOf(outputPath);
        var list = new List<CandidatePaths>(candidates);
        if (kind == OutputKind.Folder)
        {
            var dir = Path.GetFullPath(outputPath);
            if (!Directory.Exists(dir))
            {
                var parent = Path.GetDirectoryName(dir.TrimEnd('/')) ?? ".";
                AtomicFile.EnsureWritableFolder(parent, outputPath);
                Directory.CreateDirectory(dir);
            }

            AtomicFile.EnsureWritableFolder(dir, outputPath);
            var ext = FolderVideoExtension(inputVideoExtension, inputVideoCodec ?? "");

            for (var k = 0; k < candidates; k++)
            {
                var stem = Path.Combine(dir, $"candidate-{k + 1}");
                list.Add(new CandidatePaths(k, stem + ext, stem + ".wav", stem + ext + ".c2pa.json", stem + ".json"));
            }

            return list;
        }

        var full = Path.GetFullPath(outputPath);
        AtomicFile.EnsureWritableFolder(Path.GetDirectoryName(full) ?? ".", outputPath);
        for (var k = 0; k < candidates; k++)
        {
            var path = candidates == 1 ? full : Path.Combine(Path.GetDirectoryName(full)!, $"{Path.GetFileNameWithoutExtension(full)}-{k + 1}{Path.GetExtension(full)}");
            list.Add(kind == OutputKind.Video
                ? new CandidatePaths(k, path, null, path + ".c2pa.json", null)
                : new CandidatePaths(k, null, path, path + ".c2pa.json", null));
        }

        return list;
    }
}
