using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace V2a.Server.Tests;

/// <summary>Limits and safety on the test host: upload size, video check, prompt length, token, cross-site requests, listings.</summary>
public sealed class SafetyTests : IClassFixture<TestVideosFixture>
{
    private readonly TestVideos _media;

    public SafetyTests(TestVideosFixture fixture) => _media = fixture.Media;

    private static ApiFactory SmallUploads() => new(settings: new() { ["V2a:MaxUploadMb"] = "0.02" }); // 20,000 bytes

    [Fact]
    public async Task Refuses_an_upload_whose_declared_size_is_over_the_limit_with_413_and_stores_nothing()
    {
        // Given a 20 kB limit and a 2 MB body with its Content-Length
        using var factory = SmallUploads();
        var client = factory.ApiClient();
        var big = _media.Garbage("big.mp4", 2_000_000);

        // When it is posted
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(big));

        // Then 413 with the limit, no job, no stored upload
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("the upload is larger than the server's limit of 0 MB", await Jobs.ProblemDetail(response));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "uploads")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "jobs")));
    }

    [Fact]
    public async Task Refuses_a_streamed_upload_at_the_byte_where_it_passes_the_limit()
    {
        // Given a 20 kB limit and a 60 kB video sent chunked (no Content-Length: the server counts as it reads)
        using var factory = SmallUploads();
        var client = factory.ApiClient();
        var form = Jobs.Form(_media.Garbage("medium.mp4", 60_000));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new ChunkedContent(form) };

        // When it is posted
        using var response = await client.SendAsync(request);

        // Then 413, and nothing of it stays on disk
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "uploads")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "jobs")));
    }

    [Theory]
    [InlineData("text", "notes.mp4: is a text file, not a video")]
    [InlineData("audio", "notes.mp4: has no video stream (audio only?); v2a needs a video")]
    [InlineData("garbage", "notes.mp4: ffmpeg could not read it (")]
    public async Task Refuses_files_that_are_not_video_with_400_and_the_reason(string kind, string reasonStart)
    {
        // Given a file that is not a video, named like one
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        var path = kind switch
        {
            "text" => WriteText(Path.Combine(_media.Dir, "notes.txt"), "#EXTM3U\n#EXT-X-TARGETDURATION:1\nfile:///etc/passwd\n"),
            "audio" => _media.AudioOnly(),
            _ => _media.Garbage(),
        };

        // When it is submitted
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(path, fileName: "notes.mp4"));

        // Then 400 with a one-line reason naming the user's file and not the server's folders; nothing is kept
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await Jobs.ProblemDetail(response);
        Assert.StartsWith(reasonStart, detail);
        Assert.DoesNotContain(factory.DataDir, detail);
        Assert.DoesNotContain('\n', detail);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "uploads")));
        Assert.Empty(factory.Tone.Started);
    }

    [Fact]
    public async Task Refuses_a_prompt_over_the_length_limit()
    {
        // Given a 501-character prompt (the limit is 500)
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        // When it is submitted
        using var response = await client.PostAsync("/api/jobs", Jobs.Form(_media.Video(), new() { ["prompt"] = new string('a', 501) }));

        // Then 400 saying so
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("prompt is 501 characters long; the limit is 500", await Jobs.ProblemDetail(response));
    }

    [Theory]
    [InlineData("candidates", "0", "candidates must be a whole number from 1 to 8")]
    [InlineData("candidates", "9", "candidates must be a whole number from 1 to 8")]
    [InlineData("seed", "-1", "seed must be a whole number from 0 to 9007199254740991")]
    [InlineData("steps", "many", "steps must be a whole number from 1 to 200")]
    [InlineData("cfg", "NaN", "cfg must be a number from 0 to 30")]
    [InlineData("negative_strength", "-2", "negative_strength must be a number from 0 to 30")]
    [InlineData("prompt_strength", "31", "prompt_strength must be a number from 0 to 30")]
    [InlineData("room_tone", "maybe", "room_tone must be true or false")]
    [InlineData("output", "/etc/passwd", "unknown field 'output'")]
    public async Task Refuses_out_of_range_settings_with_400(string field, string value, string reason)
    {
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        using var response = await client.PostAsync("/api/jobs", Jobs.Form(_media.Video(), new() { [field] = value }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(reason, await Jobs.ProblemDetail(response));
    }

    [Fact]
    public async Task With_a_token_answers_401_without_it_and_serves_with_the_bearer_header_or_the_login_cookie()
    {
        // Given a server with an access token
        using var factory = new ApiFactory(settings: new() { ["V2a:Token"] = "s3cret-token-123" });
        var client = factory.ApiClient();

        // When requests come without it, with a wrong one, with the right one
        using var none = await client.GetAsync("/api/jobs");
        using var wrong = await Send(client, HttpMethod.Get, "/api/jobs", "Bearer not-the-token");
        using var right = await Send(client, HttpMethod.Get, "/api/jobs", "Bearer s3cret-token-123");
        using var page = await client.GetAsync("/");
        using var openapi = await client.GetAsync("/openapi/v1.json");

        // Then only the right one is served; a person is sent to the login form
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/login", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, openapi.StatusCode);

        // And logging in with the token sets an HttpOnly, SameSite=Strict cookie that opens the API
        using var login = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "s3cret-token-123" }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret-token-123", cookie);
        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var cookieResponse = await client.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, cookieResponse.StatusCode);

        // And a wrong token at the login form sets no cookie
        using var badLogin = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "guess" }));
        Assert.Equal("/login#failed", badLogin.Headers.Location!.OriginalString);
        Assert.False(badLogin.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Refuses_cross_site_state_changes()
    {
        // Given a server and a client that does not send the CSRF header
        using var factory = new ApiFactory();
        var plain = factory.CreateClient();
        var video = _media.Video();

        // When a form-like post comes without the header, or with it from another origin
        using var noHeader = await plain.PostAsync("/api/jobs", Jobs.Form(video));
        using var otherOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = Jobs.Form(video) };
        otherOrigin.Headers.Add("X-V2a-Request", "1");
        otherOrigin.Headers.Add("Origin", "https://evil.example");
        using var crossOrigin = await plain.SendAsync(otherOrigin);
        using var crossSite = new HttpRequestMessage(HttpMethod.Delete, $"/api/jobs/{new string('a', 32)}");
        crossSite.Headers.Add("X-V2a-Request", "1");
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var crossSiteResponse = await plain.SendAsync(crossSite);

        // Then all are 403 and nothing ran
        Assert.Equal(HttpStatusCode.Forbidden, noHeader.StatusCode);
        Assert.Equal("missing header 'X-V2a-Request: 1' (the API's protection against cross-site requests)", await Jobs.ProblemDetail(noHeader));
        Assert.Equal(HttpStatusCode.Forbidden, crossOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteResponse.StatusCode);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(factory.DataDir, "jobs")));
    }

    [Fact]
    public async Task Without_a_token_answers_only_requests_addressed_to_loopback_names()
    {
        // Given a loopback server without a token
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        // When a request names another host (as a DNS-rebinding page would)
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Host = "attacker.example";
        using var response = await client.SendAsync(request);

        // Then it is refused
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("/jobs/")]
    [InlineData("/uploads/")]
    [InlineData("/jobs.db")]
    [InlineData("/page/")]
    [InlineData("/api/")]
    [InlineData("/api/jobs/..%2F..%2Fjobs.db")]
    public async Task Lists_no_folder_and_serves_no_data_file(string path)
    {
        using var factory = new ApiFactory();
        var client = factory.ApiClient();
        await Jobs.SubmitAsync(client, _media.Video());

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Serves_the_page_and_its_assets()
    {
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        var page = await client.GetAsync("/");
        var script = await client.GetAsync("/app.js");

        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("id=\"job-form\"", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Serves_an_openapi_document_that_describes_the_job_api_and_its_multipart_body()
    {
        using var factory = new ApiFactory();
        var client = factory.ApiClient();

        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var paths = doc.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/jobs", out var jobs));
        Assert.True(paths.TryGetProperty("/api/jobs/{id}", out var job));
        Assert.True(job.TryGetProperty("get", out _) && job.TryGetProperty("delete", out _));
        Assert.True(paths.TryGetProperty("/api/jobs/{id}/candidates/{index}/{kind}", out _));
        var video = jobs.GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data")
            .GetProperty("schema").GetProperty("properties").GetProperty("video");
        Assert.Equal("binary", video.GetProperty("format").GetString());
    }

    private static string WriteText(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, string authorization)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return client.SendAsync(request);
    }

    /// <summary>Sends another content without a Content-Length (chunked), as a streaming client does.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly HttpContent _inner;

        public ChunkedContent(HttpContent inner)
        {
            _inner = inner;
            Headers.ContentType = inner.Headers.ContentType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
