using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace V2a.Server;

/// <summary>
/// Settings of one server instance. <c>v2a serve</c> fills them from its options; the standalone entry point
/// reads the configuration section "V2a" (e.g. <c>--V2a:Data=DIR</c>) and the environment variable V2A_TOKEN.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Address the page and the API listen on when nothing else is said: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5117";

    /// <summary>Where the standalone server and <c>v2a serve</c> listen; semicolon-separated like ASP.NET's --urls.</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>The data folder: jobs.db (the queue), jobs/ID/ (upload and results), uploads/ (uploads in flight).</summary>
    public string DataDir { get; init; } = DefaultDataDir();

    /// <summary>Largest accepted video upload, in bytes (default 500 MB = 500·10^6 bytes).</summary>
    public long MaxUploadBytes { get; init; } = 500L * 1000 * 1000;

    /// <summary>Generations that run at once; the rest wait in the queue. Default: one per two cores, at least one.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency();

    /// <summary>Access token; when set, every request needs it (Bearer header or the login cookie). Required off loopback.</summary>
    public string? Token { get; init; }

    /// <summary>Model package folder handed to the engine; null = the engine's bundled default.</summary>
    public string? ModelDir { get; init; }

    /// <summary>Longest prompt or negative prompt, in characters.</summary>
    public int MaxPromptChars { get; init; } = 500;

    /// <summary>Most candidates one job may ask for.</summary>
    public int MaxCandidates { get; init; } = 8;

    /// <summary>Most sampling steps one job may ask for.</summary>
    public int MaxSteps { get; init; } = 200;

    /// <summary>How many times a job is started before a crash-looping job is marked failed instead of re-run.</summary>
    public int MaxAttempts { get; init; } = 3;

    public static int DefaultConcurrency() => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>~/.local/share/v2a/serve on Linux (XDG data home), the local application data folder elsewhere.</summary>
    public static string DefaultDataDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "v2a", "serve");

    /// <summary>The URLs, split.</summary>
    public IReadOnlyList<string> UrlList() =>
        Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True when every URL listens on a loopback address only (127.0.0.0/8, ::1 or "localhost").</summary>
    public bool IsLoopbackOnly() => UrlList().All(IsLoopbackUrl);

    public static bool IsLoopbackUrl(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
        {
            return false;
        }

        var host = uri.Host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>Reads section "V2a" (Data, MaxUploadMb, Concurrency, Token, ModelDir, MaxPromptChars) and "urls"; V2A_TOKEN when no token is configured.</summary>
    public static ServerOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("V2a");
        var defaults = new ServerOptions();
        var token = section["Token"];
        if (string.IsNullOrEmpty(token))
        {
            token = Environment.GetEnvironmentVariable("V2A_TOKEN");
        }

        return defaults with
        {
            Urls = configuration["urls"] is { Length: > 0 } urls ? urls : defaults.Urls,
            DataDir = section["Data"] is { Length: > 0 } data ? data : defaults.DataDir,
            MaxUploadBytes = section["MaxUploadMb"] is { Length: > 0 } mb
                ? (long)(double.Parse(mb, CultureInfo.InvariantCulture) * 1000 * 1000) : defaults.MaxUploadBytes,
            Concurrency = section["Concurrency"] is { Length: > 0 } c ? int.Parse(c, CultureInfo.InvariantCulture) : defaults.Concurrency,
            Token = string.IsNullOrEmpty(token) ? null : token,
            ModelDir = section["ModelDir"] is { Length: > 0 } model ? model : null,
            MaxPromptChars = section["MaxPromptChars"] is { Length: > 0 } p ? int.Parse(p, CultureInfo.InvariantCulture) : defaults.MaxPromptChars,
        };
    }

    /// <summary>Throws <see cref="BadInputException"/> (naming the option) for settings the server cannot run with.</summary>
    public void Validate()
    {
        if (MaxUploadBytes <= 0)
        {
            throw new BadInputException("--max-upload-mb", "must be positive");
        }

        if (Concurrency < 1)
        {
            throw new BadInputException("--concurrency", $"must be at least 1, got {Concurrency}");
        }

        if (UrlList().Count == 0)
        {
            throw new BadInputException("--urls", "names no address to listen on");
        }

        foreach (var url in UrlList())
        {
            if (!Uri.TryCreate(url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new BadInputException("--urls", $"'{url}' is not an http:// or https:// address");
            }
        }

        if (Token is not null && Token.Length < 8)
        {
            throw new BadInputException("--token", "is too short: use at least 8 characters (e.g. 'openssl rand -hex 16')");
        }

        if (Token is null && !IsLoopbackOnly())
        {
            throw new BadInputException("--urls",
                $"'{Urls}' listens beyond this machine (not loopback), which needs an access token: pass --token or set V2A_TOKEN");
        }
    }
}
