using System.CommandLine;
using System.Globalization;
using V2a.Media;

namespace V2a.Cli.Commands;

/// <summary><c>v2a probe FILE [--json]</c>: what the media layer sees in a file.</summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A video or audio file." };
        var json = CliOptions.Json();
        var cmd = new Command("probe", "Show what v2a sees in a media file: duration, size, rotation, frame rate, streams.")
        {
            file, json,
        };
        cmd.SetAction(parse =>
        {
            var info = MediaProbe.Probe(parse.GetValue(file)!);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(info);
                return ExitCodes.Ok;
            }

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"file:      {info.Path} ({info.SizeBytes:N0} bytes)");
            Console.WriteLine($"format:    {info.Format}");
            Console.WriteLine($"duration:  {info.DurationSeconds.ToString("0.###", inv)} s (from {info.DurationSource})");
            if (info.Video is { } v)
            {
                Console.WriteLine($"video:     #{v.Index} {v.Codec} {v.Width}x{v.Height}"
                    + (v.Rotation != 0 ? $", rotated {v.Rotation}° → shown {v.DisplayWidth}x{v.DisplayHeight}" : "")
                    + $", {v.Fps.ToString("0.###", inv)} fps" + (v.VariableFrameRate ? " (variable)" : " (constant)")
                    + $", {v.PixelFormat}" + (v.HasAlpha ? " with alpha" : ""));
            }
            else
            {
                Console.WriteLine("video:     none");
            }

            foreach (var a in info.Audio)
            {
                Console.WriteLine($"audio:     #{a.Index} {a.Codec} {a.SampleRate} Hz, {a.Channels} ch");
            }

            if (info.Audio.Count == 0)
            {
                Console.WriteLine("audio:     none");
            }

            Console.WriteLine($"streams:   {info.StreamCount}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
