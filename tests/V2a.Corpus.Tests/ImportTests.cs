using System.Diagnostics;
using V2a.Corpus.Import;
using V2a.Media;

namespace V2a.Corpus.Tests;

public class ImportTests
{
    private static void MakeVideo(string path, double seconds)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc=size=160x120:rate=25:duration={seconds}", "-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}:sample_rate=44100",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private static (TempDir Tmp, string Csv) Setup()
    {
        var tmp = new TempDir();
        Directory.CreateDirectory(tmp["videos"]);
        MakeVideo(Path.Combine(tmp["videos"], "dog bark.mp4"), 1.2);
        MakeVideo(Path.Combine(tmp["videos"], "door.mp4"), 1.0);
        var csv = tmp["captions.csv"];
        File.WriteAllText(csv,
            "file,caption,transcript,licence,source\n"
            + "dog bark.mp4,\"a dog barks twice, then stops\",,CC-BY-4.0,https://example.org/dog\n"
            + "gone.mp4,a missing clip,,CC0-1.0,\n"
            + "door.mp4,a door slams,\"hello there\",,\n");
        return (tmp, csv);
    }

    [Fact]
    public void Import_rejects_a_csv_naming_missing_files()
    {
        var (tmp, csv) = Setup();
        using (tmp)
        {
            var e = Assert.Throws<BadInputException>(() => CorpusImporter.Import(new ImportOptions { VideosDir = tmp["videos"], CaptionsCsv = csv, OutDir = tmp["out"] }));
            Assert.Contains("captions.csv", e.Message);
            Assert.Contains("gone.mp4", e.Message);
            Assert.Contains("--skip-bad", e.Message);
            Assert.False(File.Exists(Path.Combine(tmp["out"], "meta.jsonl")));
        }
    }

    [Fact]
    public void Import_finds_files_it_cannot_use_before_writing_anything_and_can_skip_them()
    {
        var (tmp, csv) = Setup();
        using (tmp)
        {
            // Given a silent video and a broken file named beside the good ones
            var silent = Path.Combine(tmp["videos"], "silent.mp4");
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1", "-c:v", "libx264", silent })
            {
                psi.ArgumentList.Add(a);
            }

            using (var p = Process.Start(psi)!)
            {
                p.WaitForExit();
            }

            File.WriteAllBytes(Path.Combine(tmp["videos"], "broken.mp4"), new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });
            File.WriteAllText(csv, File.ReadAllText(csv).Replace("gone.mp4,a missing clip,,CC0-1.0,\n", "silent.mp4,nothing heard,,,\nbroken.mp4,a broken file,,,\n"));

            // Then without --skip-bad both are named and nothing is written
            var e = Assert.Throws<BadInputException>(() => CorpusImporter.Import(new ImportOptions { VideosDir = tmp["videos"], CaptionsCsv = csv, OutDir = tmp["out"] }));
            Assert.Contains("silent.mp4: has no audio stream", e.Message);
            Assert.Contains("broken.mp4", e.Message);
            Assert.False(Directory.Exists(tmp["out"]));

            // And with it the good two are imported and the bad two listed with their reasons
            var result = CorpusImporter.Import(new ImportOptions { VideosDir = tmp["videos"], CaptionsCsv = csv, OutDir = tmp["out"], SkipMissing = true });
            Assert.Equal(2, result.Imported);
            Assert.Equal(["silent.mp4", "broken.mp4"], result.Unusable.Select(u => u.Split(':')[0]));
            Assert.Equal(["im-dog_bark", "im-door"], CorpusReader.Read(tmp["out"]).Select(c => c.Id));
        }
    }

    [Fact]
    public void Import_with_skip_missing_writes_the_rest_in_corpus_format()
    {
        var (tmp, csv) = Setup();
        using (tmp)
        {
            var result = CorpusImporter.Import(new ImportOptions { VideosDir = tmp["videos"], CaptionsCsv = csv, OutDir = tmp["out"], SkipMissing = true });
            Assert.Equal(2, result.Imported);
            Assert.Equal(["gone.mp4"], result.Missing);
            var clips = CorpusReader.Read(tmp["out"]).ToList();
            Assert.Equal(["im-dog_bark", "im-door"], clips.Select(c => c.Id));
            var dog = clips[0];
            Assert.Equal(["a dog barks twice, then stops"], dog.Captions);
            Assert.Equal("CC-BY-4.0", dog.Licence);
            Assert.Equal("https://example.org/dog", dog.Source);
            Assert.Null(dog.Transcript);
            Assert.Equal("hello there", clips[1].Transcript);
            Assert.Equal("unknown", clips[1].Licence);
            Assert.Empty(dog.Events);
            Assert.Null(dog.Seed);
            Assert.Equal(CorpusImporter.Generator, dog.Generator);
            var audio = MediaProbe.Probe(CorpusReader.FullPath(tmp["out"], dog.Audio)).Audio.Single();
            Assert.Equal(("flac", 16000, 1), (audio.Codec, audio.SampleRate, audio.Channels));
            var samples = AudioReader.ReadAll(CorpusReader.FullPath(tmp["out"], dog.Audio), 16000);
            Assert.InRange(samples.Length / 16000.0, 1.1, 1.3);
            Assert.Equal(FoleyWorld.Sha256(Path.Combine(tmp["videos"], "dog bark.mp4")), dog.Sha256.Video);
            Assert.InRange(dog.Seconds, 1.1, 1.3);
        }
    }
}
