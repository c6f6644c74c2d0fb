using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using V2a.Server;

namespace V2a.Cli.Commands;

/// <summary>
/// <c>v2a serve [--urls URL] [--data DIR] [--max-upload-mb N] [--concurrency N] [--token T] [--model DIR]</c>:
/// the local web app and HTTP API (docs/server.md). Runs until Ctrl+C; queued jobs survive a restart.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen, ';'-separated. Anything but loopback needs --token.",
            DefaultValueFactory = _ => ServerOptions.DefaultUrls,
        };
        var data = new Option<string>("--data")
        {
            Description = "Data folder: the job queue (jobs.db) and every job's upload and results.",
            DefaultValueFactory = _ => ServerOptions.DefaultDataDir(),
        };
        var maxUpload = new Option<double>("--max-upload-mb")
        {
            Description = "Largest video upload in MB (10^6 bytes); larger ones get 413.",
            DefaultValueFactory = _ => 500,
        };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Generations at once; the rest wait in the queue. Default: one per two cores.",
            DefaultValueFactory = _ => ServerOptions.DefaultConcurrency(),
        };
        var token = new Option<string?>("--token")
        {
            Description = "Access token every request must carry (Bearer header or the page's login). Default: V2A_TOKEN.",
        };
        var model = new Option<string?>("--model") { Description = "Model package folder (default: the bundled model)." };
        var cmd = new Command("serve", "Run the local web app and HTTP API: upload a video, compare candidate soundtracks side by side.")
        {
            urls, data, maxUpload, concurrency, token, model,
        };
        cmd.SetAction(parse =>
        {
            var tokenValue = parse.GetValue(token);
            if (string.IsNullOrEmpty(tokenValue))
            {
                tokenValue = Environment.GetEnvironmentVariable("V2A_TOKEN");
            }

            var modelDir = parse.GetValue(model);
            if (modelDir is not null && !Directory.Exists(modelDir))
            {
                throw new BadInputException(modelDir, "model folder does not exist");
            }

            var megabytes = parse.GetValue(maxUpload);
            var options = new ServerOptions
            {
                Urls = parse.GetValue(urls)!,
                DataDir = Path.GetFullPath(parse.GetValue(data)!),
                MaxUploadBytes = megabytes > 0 ? (long)(megabytes * 1000 * 1000) : 0,
                Concurrency = parse.GetValue(concurrency),
                Token = string.IsNullOrEmpty(tokenValue) ? null : tokenValue,
                ModelDir = modelDir is null ? null : Path.GetFullPath(modelDir),
            };

            var app = ServerHost.CreateApp([], options);
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                Console.WriteLine($"v2a serve: {string.Join(' ', addresses)}  (data {options.DataDir}, {options.Concurrency} at a time, "
                    + $"uploads up to {options.MaxUploadBytes / 1e6:0.#} MB{(options.Token is null ? "" : ", token required")}); Ctrl+C stops");
            });
            try
            {
                app.Run();
            }
            catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                                        || e.InnerException?.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) == true)
            {
                throw new BadInputException("--urls", $"cannot listen on {options.Urls}: the address is already in use");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
