using System.CommandLine;
using V2a.Media;
using V2a.Model;

namespace V2a.Cli.Commands;

/// <summary><c>v2a selfcheck</c>: checks ffmpeg and TorchSharp in one line each; the end of ./setup.</summary>
public static class SelfCheckCommand
{
    public static Command Create()
    {
        var cmd = new Command("selfcheck", "Check that ffmpeg, ffprobe and TorchSharp work on this machine.");
        cmd.SetAction(_ =>
        {
            Console.WriteLine($"ffmpeg ok: {Ffmpeg.FfmpegExe}, {Ffmpeg.FfprobeExe}");
            Console.WriteLine(TorchRuntime.SelfCheck());
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
