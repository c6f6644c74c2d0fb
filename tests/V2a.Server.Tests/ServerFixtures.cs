using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using V2a.Server.Api;
using V2a.Server.Generation;

namespace V2a.Server.Tests;

/// <summary>The server on the ASP.NET Core test host, with its own data folder and the <see cref="ToneGenerator"/>.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string> _settings;

    public ApiFactory(ISoundtrackGenerator? generator = null, Dictionary<string, string>? settings = null)
    {
        Generator = generator ?? new ToneGenerator();
        DataDir = Directory.CreateTempSubdirectory("v2a-server-data-").FullName;
        _settings = new Dictionary<string, string> { ["V2a:Data"] = DataDir, ["V2a:Concurrency"] = "1" };
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }
    }

    public ISoundtrackGenerator Generator { get; }

    /// <summary>The generator, when it is the <see cref="ToneGenerator"/>.</summary>
    public ToneGenerator Tone => (ToneGenerator)Generator;

    public string DataDir { get; }

    /// <summary>A client that sends the API's CSRF header, as the page does.</summary>
    public HttpClient ApiClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("X-V2a-Request", "1");
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureTestServices(services => services.AddSingleton<ISoundtrackGenerator>(Generator));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            TryDeleteFolder(DataDir);
        }
    }

    public static void TryDeleteFolder(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The server on real Kestrel at an ephemeral loopback port, started the way 'v2a serve' starts it.</summary>
public sealed class LiveServer : IAsyncDisposable
{
    private LiveServer(WebApplication app, string url)
    {
        App = app;
        Url = url;
    }

    public WebApplication App { get; }

    public string Url { get; }

    public static async Task<LiveServer> StartAsync(string dataDir, ISoundtrackGenerator generator, int concurrency = 1, string? token = null)
    {
        var options = new ServerOptions { Urls = "http://127.0.0.1:0", DataDir = dataDir, Concurrency = concurrency, Token = token };
        var app = ServerHost.CreateApp([], options, s => s.AddSingleton(generator));
        await app.StartAsync();
        return new LiveServer(app, app.Urls.Single());
    }

    public HttpClient Client(TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.Add("X-V2a-Request", "1");
        return client;
    }

    /// <summary>Stops the server as Ctrl+C would: running jobs are cancelled and put back in the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Submitting and following jobs over HTTP.</summary>
public static class Jobs
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static MultipartFormDataContent Form(string videoPath, Dictionary<string, string>? fields = null, string? fileName = null)
    {
        var form = new MultipartFormDataContent();
        foreach (var (k, v) in fields ?? [])
        {
            form.Add(new StringContent(v), k);
        }

        var file = new ByteArrayContent(File.ReadAllBytes(videoPath));
        file.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(file, "video", fileName ?? Path.GetFileName(videoPath));
        return form;
    }

    public static async Task<JobView> SubmitAsync(HttpClient client, string videoPath, Dictionary<string, string>? fields = null)
    {
        using var response = await client.PostAsync("/api/jobs", Form(videoPath, fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/jobs: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<JobView>(body, Json)!;
    }

    public static async Task<JobView?> GetAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/jobs/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JobView>(Json))!;
    }

    /// <summary>Polls until <paramref name="until"/> holds (null = the job is gone), failing after <paramref name="timeoutSeconds"/>.</summary>
    public static async Task<JobView?> WaitAsync(HttpClient client, string id, Func<JobView?, bool> until, double timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JobView? job;
        while (true)
        {
            job = await GetAsync(client, id);
            if (until(job))
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"job {id} did not get there in {timeoutSeconds} s; last seen: {JsonSerializer.Serialize(job, Json)}");
            }

            await Task.Delay(50);
        }
    }

    public static Task<JobView?> WaitDoneAsync(HttpClient client, string id, double timeoutSeconds = 60) =>
        WaitAsync(client, id, j => j?.Status is "done" or "failed", timeoutSeconds);

    public static async Task<string> ProblemDetail(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("detail").GetString()!;
    }
}
