namespace V2a;

/// <summary>
/// Writes an output file so that it appears whole or not at all: the content goes to a hidden temporary
/// file beside the target, and <see cref="Commit"/> renames it into place. Disposing without committing
/// (an exception, a cancelled run) deletes the temporary file; the target is never half-written.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private bool _committed;

    private AtomicFile(string finalPath, string tempPath)
    {
        FinalPath = finalPath;
        TempPath = tempPath;
    }

    /// <summary>Where the file will be once committed.</summary>
    public string FinalPath { get; }

    /// <summary>Where to write meanwhile. Its extension equals the target's, so tools that pick a format
    /// from the name (ffmpeg) choose the same one.</summary>
    public string TempPath { get; }

    /// <summary>Checks that the target's folder exists and is writable, and reserves a temporary path.</summary>
    /// <exception cref="BadInputException">The folder is missing, is not a folder, or is read-only.</exception>
    public static AtomicFile Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new BadInputException(path, "is a folder, expected a file path");
        }

        var dir = System.IO.Path.GetDirectoryName(full) ?? ".";
        EnsureWritableFolder(dir, path);
        var name = System.IO.Path.GetFileName(full);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileNameWithoutExtension(name)}.{Guid.NewGuid():N}.v2a-tmp{System.IO.Path.GetExtension(name)}");
        return new AtomicFile(full, temp);
    }

    /// <summary>Throws <see cref="BadInputException"/> unless <paramref name="dir"/> is an existing, writable folder.</summary>
    public static void EnsureWritableFolder(string dir, string? shownPath = null)
    {
        var shown = shownPath ?? dir;
        if (!Directory.Exists(dir))
        {
            throw new BadInputException(shown, $"output folder '{dir}' does not exist");
        }

        var probe = System.IO.Path.Combine(dir, $".v2a-write-probe-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new BadInputException(shown, $"output folder '{dir}' is not writable");
        }
    }

    /// <summary>
    /// Throws <see cref="BadInputException"/> unless <paramref name="dir"/> is a writable folder or can be made one:
    /// its nearest existing ancestor is a writable folder. Creates nothing, so a command that checks its output path
    /// first and then fails on its input leaves no empty folder behind; it creates the folder when it writes.
    /// </summary>
    public static void EnsureCreatableFolder(string dir, string? shownPath = null)
    {
        var full = System.IO.Path.GetFullPath(dir);
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new BadInputException(shownPath ?? dir, $"output folder '{dir}' cannot be made: '{existing}' is a file");
            }

            existing = System.IO.Path.GetDirectoryName(existing) ?? throw new BadInputException(shownPath ?? dir, $"output folder '{dir}' has no existing parent");
        }

        EnsureWritableFolder(existing, shownPath ?? dir);
    }

    /// <summary>Moves the finished temporary file onto the target, replacing any file there.</summary>
    public void Commit()
    {
        if (!File.Exists(TempPath))
        {
            throw new InvalidOperationException($"nothing was written to {TempPath}");
        }

        File.Move(TempPath, FinalPath, overwrite: true);
        _committed = true;
    }

    /// <summary>Writes all of <paramref name="write"/>'s output atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        using var file = Create(path);
        using (var stream = new FileStream(file.TempPath, FileMode.CreateNew, FileAccess.Write))
        {
            write(stream);
        }

        file.Commit();
    }

    /// <summary>Writes text atomically (UTF-8, no BOM).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false));
            w.Write(text);
        });

    public void Dispose()
    {
        if (!_committed)
        {
            try
            {
                File.Delete(TempPath);
            }
            catch (IOException)
            {
                // Best effort: a leftover hidden temp file is harmless and never mistaken for output.
            }
        }
    }
}
