using Microsoft.Playwright;

namespace V2a.Server.Tests;

/// <summary>
/// End to end in headless Chromium (Debian's chromium package, installed by ./setup, driven by Playwright with
/// its executable path pointed at it; Playwright never downloads a browser here). The server runs on real
/// Kestrel with the <see cref="ToneGenerator"/>; the page does not know which generator runs.
/// </summary>
public sealed class BrowserTests : IClassFixture<TestVideosFixture>, IDisposable
{
    /// <summary>Flags for a headless run in a container without a GPU, network or a user profile to sync.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly TestVideos _media;
    private readonly string _data = Directory.CreateTempSubdirectory("v2a-server-browser-").FullName;

    public BrowserTests(TestVideosFixture fixture) => _media = fixture.Media;

    /// <summary>Where Chromium is: V2A_CHROMIUM, else Debian's /usr/bin/chromium.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("V2A_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>Screenshots of the page land here, for a person to look at.</summary>
    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public void Dispose() => ApiFactory.TryDeleteFolder(_data);

    [Fact]
    public async Task Uploads_a_dropped_video_shows_progress_then_plays_each_candidate_with_its_soundtrack()
    {
        // Given the server, and Chromium on the page
        Assert.True(File.Exists(ChromiumPath),
            $"Chromium is not installed at {ChromiumPath}: run ./setup (Debian package 'chromium') or set V2A_CHROMIUM");
        var generator = new ToneGenerator { DelayPerCandidate = TimeSpan.FromSeconds(1) };
        await using var server = await LiveServer.StartAsync(_data, generator);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                consoleErrors.Add(m.Text);
            }
        };
        await page.GotoAsync(server.Url);
        await Expect(page.Locator("#drop-hint")).ToContainTextAsync("up to 500 MB");

        // When a video is picked with the file picker, then another one dropped on the drop zone (which wins)
        var video = _media.Video("street.mp4", seconds: 2, width: 320, height: 180);
        await page.SetInputFilesAsync("#file", video);
        await Expect(page.Locator("#file-name")).ToContainTextAsync("street.mp4");
        await DropFile(page, "#drop", video, "beach.mp4");
        await Expect(page.Locator("#file-name")).ToContainTextAsync("beach.mp4");

        // ... with a prompt, words spoken, two candidates and seed 7, and submitted
        await page.FillAsync("#prompt", "waves on a pebble beach");
        await page.FillAsync("#transcript", "Look at the waves.");
        await page.FillAsync("#candidates", "2");
        await page.FillAsync("#seed", "7");
        await Expect(page.Locator("#room-tone")).ToBeCheckedAsync();
        await page.UncheckAsync("#room-tone");
        await page.ClickAsync("#submit");

        // Then live progress shows while it works
        await Expect(page.Locator("#job-progress .label")).ToContainTextAsync("generating", new() { Timeout = 20_000 });
        await Expect(page.Locator("#job-title")).ToHaveTextAsync("beach.mp4");
        await Expect(page.Locator("#job-meta")).ToContainTextAsync("no room tone");
        await Expect(page.Locator("#job-meta")).ToContainTextAsync("saying “Look at the waves.”");
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "job-running.png") });

        // And then each candidate gets a player, a waveform image and its downloads
        await Expect(page.Locator(".candidate video")).ToHaveCountAsync(2, new() { Timeout = 60_000 });
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("done");
        await Expect(page.Locator(".candidate h3").First).ToContainTextAsync("seed 7");
        await Expect(page.Locator(".candidate h3").Nth(1)).ToContainTextAsync("seed 8");
        await Expect(page.Locator(".candidate .downloads a")).ToHaveCountAsync(6);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.candidate img.wave')].every(i => i.complete && i.naturalWidth === 960)");

        // And the first candidate plays: the picture runs with its soundtrack decoded
        var player = page.Locator(".candidate video").First;
        await player.EvaluateAsync("v => { v.muted = true; return v.play(); }");
        await page.WaitForFunctionAsync("() => document.querySelector('.candidate video').currentTime > 0.5", null, new() { Timeout = 20_000 });
        var state = await player.EvaluateAsync<System.Text.Json.JsonElement>(
            "v => ({ error: v.error ? v.error.code : 0, duration: v.duration, width: v.videoWidth, audioBytes: v.webkitAudioDecodedByteCount, videoBytes: v.webkitVideoDecodedByteCount })");
        Assert.Equal(0, state.GetProperty("error").GetInt32());
        Assert.Equal(2.0, state.GetProperty("duration").GetDouble(), 1);
        Assert.Equal(320, state.GetProperty("width").GetInt32());
        Assert.True(state.GetProperty("audioBytes").GetInt64() > 0, "the candidate's soundtrack was not decoded");
        Assert.True(state.GetProperty("videoBytes").GetInt64() > 0, "the picture was not decoded");
        await Expect(page.Locator(".candidate").First).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("playing"));

        // And the job is in the list, reopenable from its link
        await Expect(page.Locator("#history li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#history li")).ToContainTextAsync("beach.mp4");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, "job-done.png"), FullPage = true });
        var reopened = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        await reopened.GotoAsync(page.Url);
        await Expect(reopened.Locator(".candidate video")).ToHaveCountAsync(2);
        Assert.Empty(consoleErrors);
        Assert.Equal(1, generator.Completed.Values.Single());
        Assert.False(generator.Options.Values.Single().RoomTone, "the unticked room-tone box did not reach the generator");
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>Drops a file on an element as a person dragging it from the desktop would (DataTransfer with a File).</summary>
    private static async Task DropFile(IPage page, string selector, string path, string name)
    {
        var base64 = Convert.ToBase64String(await File.ReadAllBytesAsync(path));
        await page.EvaluateAsync("""
            ([selector, base64, name]) => {
                const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], name, { type: 'video/mp4' }));
                const zone = document.querySelector(selector);
                for (const type of ['dragenter', 'dragover', 'drop']) {
                    zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
                }
            }
            """, new object[] { selector, base64, name });
    }
}
