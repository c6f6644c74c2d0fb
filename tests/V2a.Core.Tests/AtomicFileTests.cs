namespace V2a.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("v2a-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Committed_file_appears_whole_and_leaves_no_temp_file()
    {
        var target = Path.Combine(_dir, "out.txt");

        AtomicFile.WriteAllText(target, "hello");

        Assert.Equal("hello", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Failed_write_leaves_neither_target_nor_temp_file()
    {
        var target = Path.Combine(_dir, "out.wav");

        Assert.Throws<InvalidDataException>(() => AtomicFile.Write(target, s =>
        {
            s.Write(new byte[100]);
            throw new InvalidDataException("encoder died");
        }));

        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Failed_write_keeps_the_previous_file()
    {
        var target = Path.Combine(_dir, "out.txt");
        File.WriteAllText(target, "old");

        Assert.Throws<InvalidDataException>(() => AtomicFile.Write(target, _ => throw new InvalidDataException()));

        Assert.Equal("old", File.ReadAllText(target));
    }

    [Fact]
    public void Temp_file_keeps_the_target_extension_for_format_detection()
    {
        using var file = AtomicFile.Create(Path.Combine(_dir, "clip.mkv"));

        Assert.EndsWith(".mkv", file.TempPath);
        Assert.Equal(_dir, Path.GetDirectoryName(file.TempPath));
    }

    [Fact]
    public void Missing_output_folder_is_bad_input_naming_the_file()
    {
        var target = Path.Combine(_dir, "nope", "out.wav");

        var e = Assert.Throws<BadInputException>(() => AtomicFile.Create(target));

        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains(target, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Read_only_output_folder_is_bad_input()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows())
        {
            // root writes anywhere; simulate a read-only folder with a file where the folder should be.
            var notAFolder = Path.Combine(_dir, "ro");
            File.WriteAllText(notAFolder, "");
            var e1 = Assert.Throws<BadInputException>(() => AtomicFile.Create(Path.Combine(notAFolder, "x.wav")));
            Assert.Contains("does not exist", e1.Message);
            return;
        }

        var ro = Directory.CreateDirectory(Path.Combine(_dir, "ro")).FullName;
        File.SetUnixFileMode(ro, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var e = Assert.Throws<BadInputException>(() => AtomicFile.Create(Path.Combine(ro, "x.wav")));
        Assert.Contains("not writable", e.Message);
    }

    [Fact]
    public void A_missing_output_folder_under_a_writable_one_passes_the_check_and_is_not_made()
    {
        var nested = Path.Combine(_dir, "runs", "eval-1");

        AtomicFile.EnsureCreatableFolder(nested);

        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")));
        File.WriteAllText(Path.Combine(_dir, "runs"), "");
        var e = Assert.Throws<BadInputException>(() => AtomicFile.EnsureCreatableFolder(nested, "runs/eval-1/eval.json"));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("runs/eval-1/eval.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("is a file", e.Message, StringComparison.Ordinal);
    }
}
