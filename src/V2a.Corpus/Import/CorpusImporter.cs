using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;
using CsvHelper.Configuration;
using V2a.Media;

namespace V2a.Corpus.Import;

/// <summary>Options of <see cref="CorpusImporter.Import"/> (the <c>v2a corpus import</c> command).</summary>
public sealed record ImportOptions
{
    /// <summary>Folder the CSV's file column is relative to.</summary>
    public required string VideosDir { get; init; }

    /// <summary>CSV with a header: file, caption[, transcript, licence, source].</summary>
    public required string CaptionsCsv { get; init; }

    public required string OutDir { get; init; }

    /// <summary>Import the rows whose files exist and are usable (a video with sound that ffmpeg reads) and leave out
    /// the rest; otherwise any missing or unusable file is an error, found before anything is written.</summary>
    public bool SkipMissing { get; init; }

    /// <summary>Link the videos (symbolic links) instead of copying them.</summary>
    public bool Link { get; init; }
}

/// <summary>What an import did: clips written, the CSV rows whose files were missing, and those whose files could not
/// be used ("file: reason"), both skipped.</summary>
public sealed record ImportResult(int Imported, IReadOnlyList<string> Missing, IReadOnlyList<string> Unusable);

/// <summary>
/// Brings real footage into the corpus format (the way VGGSound or AudioCaps subsets come: videos plus a CSV of
/// captions), so the same training and evaluation commands run on it. Audio is extracted to 16 kHz mono FLAC,
/// the video copied (or linked) beside it, events left empty (unknown).
/// </summary>
public static class CorpusImporter
{
    public const string Generator = "import";

    private sealed record Row(int Line, string File, string Caption, string? Transcript, string? Licence, string? Source);

    public static ImportResult Import(ImportOptions o, IProgressSink? progress = null)
    {
        progress ??= NullProgress.Instance;
        if (!Directory.Exists(o.VideosDir))
        {
            throw new BadInputException(o.VideosDir, "--videos: folder does not exist");
        }

        var rows = ReadCsv(o.CaptionsCsv);
        var missing = rows.Where(r => !File.Exists(Path.Combine(o.VideosDir, r.File))).ToList();
        if (missing.Count > 0 && !o.SkipMissing)
        {
            var shown = string.Join(", ", missing.Take(5).Select(m => m.File)) + (missing.Count > 5 ? $" and {missing.Count - 5} more" : "");
            throw new BadInputException(o.CaptionsCsv,
                $"names {missing.Count} file(s) missing from {o.VideosDir}: {shown}; add them, or pass --skip-bad to import the other {rows.Count - missing.Count}");
        }

        // Every present file is probed before anything is written: a bad one is found in seconds, not after the others.
        var unusable = new List<(Row Row, string Reason)>();
        var probed = new Dictionary<Row, MediaInfo>();
        foreach (var row in rows.Except(missing))
        {
            var source = Path.GetFullPath(Path.Combine(o.VideosDir, row.File));
            try
            {
                var info = MediaProbe.ProbeVideo(source);
                if (info.HasAudio)
                {
                    probed[row] = info;
                }
                else
                {
                    unusable.Add((row, "has no audio stream; v2a trains on videos with their sound"));
                }
            }
            catch (BadInputException e)
            {
                unusable.Add((row, e.Reason.ReplaceLineEndings(" ")));
            }
        }

        if (unusable.Count > 0 && !o.SkipMissing)
        {
            var shown = string.Join("; ", unusable.Take(3).Select(u => $"{u.Row.File}: {u.Reason}")) + (unusable.Count > 3 ? $"; and {unusable.Count - 3} more" : "");
            throw new BadInputException(o.CaptionsCsv,
                $"names {unusable.Count} file(s) that cannot be imported ({shown}); nothing was written. Fix them, or pass --skip-bad to import the other {rows.Count - missing.Count - unusable.Count}");
        }

        var dir = Path.GetFullPath(o.OutDir);
        Directory.CreateDirectory(Path.Combine(dir, CorpusReader.ClipsFolder));
        AtomicFile.EnsureWritableFolder(dir, o.OutDir);
        CorpusReader.WriteClasses(dir, SoundClasses.All);
        var present = rows.Where(probed.ContainsKey).ToList();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var meta = new StringBuilder();
        var sr = AudioSettings.Default.SampleRate;
        for (var i = 0; i < present.Count; i++)
        {
            var row = present[i];
            var source = Path.GetFullPath(Path.Combine(o.VideosDir, row.File));
            var info = probed[row];
            var id = UniqueId(row.File, ids);
            var ext = Path.GetExtension(source).ToLowerInvariant();
            var videoRel = $"{CorpusReader.ClipsFolder}/{id}{ext}";
            var audioRel = $"{CorpusReader.ClipsFolder}/{id}.flac";
            var videoPath = Path.Combine(dir, videoRel);
            var audioPath = Path.Combine(dir, audioRel);
            using (var writer = new AudioWriter(audioPath, sr, AudioFileFormat.Flac))
            {
                foreach (var chunk in AudioReader.ReadChunks(source, sr))
                {
                    writer.Write(chunk);
                }

                writer.Commit();
            }

            PlaceVideo(source, videoPath, o.Link);
            var clip = new CorpusClip
            {
                Id = id,
                Video = videoRel,
                Audio = audioRel,
                Seconds = Math.Round(info.DurationSeconds, 3),
                Seed = null,
                Generator = Generator,
                Captions = [row.Caption],
                Transcript = string.IsNullOrWhiteSpace(row.Transcript) ? null : row.Transcript.Trim(),
                Events = [],
                Background = [],
                Sha256 = new CorpusHashes { Video = FoleyWorld.Sha256(videoPath), Audio = FoleyWorld.Sha256(audioPath) },
                Licence = string.IsNullOrWhiteSpace(row.Licence) ? "unknown" : row.Licence.Trim(),
                Source = string.IsNullOrWhiteSpace(row.Source) ? $"{Path.GetFileName(o.CaptionsCsv)}: {row.File}" : row.Source.Trim(),
            };
            meta.Append(CorpusReader.ToJsonLine(clip)).Append('\n');
            progress.Report("import", i + 1, present.Count);
        }

        AtomicFile.WriteAllText(Path.Combine(dir, CorpusReader.MetaFile), meta.ToString());
        return new ImportResult(present.Count, missing.Select(m => m.File).ToList(), unusable.Select(u => $"{u.Row.File}: {u.Reason}").ToList());
    }

    private static List<Row> ReadCsv(string path)
    {
        if (!File.Exists(path))
        {
            throw new BadInputException(path, "--captions: file does not exist");
        }

        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            PrepareHeaderForMatch = a => a.Header.Trim().ToLowerInvariant(),
            TrimOptions = TrimOptions.Trim,
            BadDataFound = null,
        };
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is null)
        {
            throw new BadInputException(path, "is empty; expected a header line: file,caption[,transcript,licence,source]");
        }

        var header = csv.HeaderRecord.Select(h => h.Trim().ToLowerInvariant()).ToList();
        if (!header.Contains("file") || !header.Contains("caption"))
        {
            throw new BadInputException(path, $"needs the columns file and caption (found: {string.Join(", ", header)})");
        }

        string? Get(string name) => header.Contains(name) ? csv.GetField(header.IndexOf(name)) : null;
        var rows = new List<Row>();
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            var file = Get("file");
            var caption = Get("caption");
            if (string.IsNullOrWhiteSpace(file))
            {
                throw new BadInputException($"{path}:{line}", "the file column is empty");
            }

            if (string.IsNullOrWhiteSpace(caption))
            {
                throw new BadInputException($"{path}:{line}", $"the caption of {file} is empty");
            }

            rows.Add(new Row(line, file.Trim(), caption.Trim(), Get("transcript"), Get("licence") ?? Get("license"), Get("source")));
        }

        if (rows.Count == 0)
        {
            throw new BadInputException(path, "has a header but no rows");
        }

        return rows;
    }

    /// <summary>"im-" + the file's name in lower case with anything but letters, digits, '-' and '_' made '_'; numbered on clashes.</summary>
    private static string UniqueId(string file, HashSet<string> taken)
    {
        var stem = Regex.Replace(Path.GetFileNameWithoutExtension(file).ToLowerInvariant(), "[^a-z0-9_-]", "_");
        var id = $"im-{stem}";
        for (var k = 2; !taken.Add(id); k++)
        {
            id = $"im-{stem}-{k}";
        }

        return id;
    }

    private static void PlaceVideo(string source, string target, bool link)
    {
        if (File.Exists(target) || new FileInfo(target).LinkTarget is not null)
        {
            File.Delete(target);
        }

        if (link)
        {
            File.CreateSymbolicLink(target, source);
            return;
        }

        AtomicFile.Write(target, s =>
        {
            using var input = File.OpenRead(source);
            input.CopyTo(s);
        });
    }
}
