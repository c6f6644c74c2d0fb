using System.Text.RegularExpressions;

namespace V2a.Server.Jobs;

/// <summary>
/// The server's data folder: <c>jobs.db</c> (the queue), <c>jobs/ID/</c> (one folder per job: the upload under a
/// server-made name, the generated candidates, their waveform images), <c>uploads/</c> (uploads still arriving).
/// One server at a time owns a folder: a lock file held open for the server's life refuses a second one.
/// </summary>
public sealed partial class DataFolder : IDisposable
{
    private FileStream? _lock;

    public DataFolder(string root)
    {
        Root = Path.GetFullPath(root);
        try
        {
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(JobsDir);
            Directory.CreateDirectory(UploadsDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException(root, $"cannot create the data folder ({e.Message})");
        }

        try
        {
            _lock = new FileStream(Path.Combine(Root, "server.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new BadInputException(root, "another v2a server is using this data folder; stop it or pass another --data");
        }
        catch (UnauthorizedAccessException)
        {
            throw new BadInputException(root, "the data folder is not writable");
        }

        // Uploads cut off by a crash or a restart are never resumed: clear them.
        foreach (var stale in Directory.EnumerateFiles(UploadsDir))
        {
            TryDelete(stale);
        }
    }

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, "jobs.db");

    public string JobsDir => Path.Combine(Root, "jobs");

    public string UploadsDir => Path.Combine(Root, "uploads");

    /// <summary>A job's id: 32 lower-case hex digits, made by the server.</summary>
    public static string NewJobId() => Guid.NewGuid().ToString("N");

    public static bool IsJobId(string id) => JobIdPattern().IsMatch(id);

    /// <summary>The folder of a job. Ids are checked, so a request can never name a path outside the data folder.</summary>
    public string JobDir(string id) =>
        IsJobId(id) ? Path.Combine(JobsDir, id) : throw new ArgumentException($"not a job id: '{id}'", nameof(id));

    /// <summary>The folder the generator writes a job's candidates into.</summary>
    public string OutputDir(string id) => Path.Combine(JobDir(id), "out");

    /// <summary>A fresh server-made path for an arriving upload.</summary>
    public string NewUploadPath() => Path.Combine(UploadsDir, $"{Guid.NewGuid():N}.upload");

    /// <summary>Deletes a job's folder; best effort (a file still open is retried by the caller's next delete).</summary>
    public void DeleteJobFiles(string id)
    {
        var dir = JobDir(id);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 2)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                return;
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover upload is cleared at the next start.
        }
    }

    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex JobIdPattern();
}
